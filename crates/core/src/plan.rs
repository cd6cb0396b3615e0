//! `plan`: the pure function `Changes -> Plan`, the ordered calls `apply` sends. One call per
//! changed resource carrying only the changed fields; rule reorders in the fewest PUTs (each
//! rule that moves once, plus one temporary move per cycle of orders, deletes first) so the API
//! never answers 409; a strategy change as DELETE then POST; enabled clients as per-client status
//! PUTs after the clients they name exist. Each call lists the calls it must wait for (`after`);
//! calls with nothing to wait for may run concurrently.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

pub mod builder;

pub use builder::{
    Builder, Call, Check, Creates, create_body, enabled_clients, rule_orders, simple,
};

use crate::dialect::Dialect;
use crate::diff::{Action, Change, Changes};
use crate::kind::Kind;
use crate::live::Live;

/// The ordered calls and the changes they carry out.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub changes: Changes,
    pub calls: Vec<Call>,
}

pub use crate::error::reconcile::CycleError;

/// Plan the calls for a set of changes against the tenant they were computed from, addressed
/// as `dialect` addresses them: each kind plans its own (`KindSpec::plan`), each after the kinds
/// it refers to (`kinds::plan_order`), then the calls are ordered by what they wait for.
pub fn plan(changes: Changes, live: &Live, dialect: &dyn Dialect) -> Result<Plan, CycleError> {
    let deleted_clients = changes
        .changes
        .iter()
        .filter(|c| c.kind == Kind::clients() && c.action == Action::Delete)
        .filter_map(|c| c.live_id().map(str::to_string))
        .collect();
    // About one call a change.
    let mut b = Builder::new(dialect, deleted_clients, changes.changes.len());
    for kind in crate::kinds::plan_order() {
        let of_kind: Vec<&Change> = changes.changes.iter().filter(|c| c.kind == *kind).collect();
        crate::kinds::spec(*kind).plan(&mut b, &of_kind, live);
    }
    Ok(Plan {
        calls: topological(b.into_calls())?,
        changes,
    })
}

/// Order calls so that every call comes after those it waits for, keeping the planned order
/// where there is a choice; renumber ids to positions. A cycle is an error, never dropped calls.
pub fn topological(calls: Vec<Call>) -> Result<Vec<Call>, CycleError> {
    let n = calls.len();
    let mut indegree = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for c in &calls {
        for &a in &c.after {
            indegree[c.id] += 1;
            dependents[a].push(c.id);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|i| indegree[*i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &d in &dependents[i] {
            indegree[d] -= 1;
            if indegree[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    if order.len() != n {
        let placed: BTreeSet<usize> = order.iter().copied().collect();
        return Err(CycleError {
            calls: calls
                .iter()
                .filter(|c| !placed.contains(&c.id))
                .map(|c| format!("{} {}", c.method, c.path))
                .collect(),
        });
    }
    // Each call's place in the order; the calls are put there in place (a plan of 100,000
    // calls holds them once, not twice).
    let mut position = vec![0usize; n];
    for (p, i) in order.iter().enumerate() {
        position[*i] = p;
    }
    let mut calls = calls;
    calls.sort_unstable_by_key(|c| position[c.id]);
    for c in &mut calls {
        c.id = position[c.id];
        for a in &mut c.after {
            *a = position[*a];
        }
        c.after.sort_unstable();
        c.after.dedup();
    }
    Ok(calls)
}

#[cfg(test)]
mod tests;
