//! The apply lease: an apply that writes holds the tenant, so two applies of the same manifests
//! started together never both create a client (client names are not unique in the API, so
//! nothing else would stop the second). The lease is a marker the API itself guards: a
//! connection named [`LOCK_NAME`], whose create the API refuses as a conflict while another
//! holds it. It carries its owner (host, process, start) and an expiry, renewed while the apply
//! runs, so a killed apply blocks others only until it expires. `live` never shows it, so it is
//! never planned, listed as unmanaged, exported or deleted; manifests may not declare it.
//! ARCHITECTURE.md gives the trade-offs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use a0ctl_core::error::Result;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, CallError};
use a0ctl_core::diag::hinted;
use a0ctl_core::dialect::Target;
use a0ctl_core::model::Kind;

pub use a0ctl_core::model::LOCK_NAME;
/// How long a lease lives without renewal, unless `A0CTL_LEASE_TTL` says less: also the
/// longest any a0ctl writes, so an expiry past it was written by none.
pub const TTL: Duration = Duration::from_secs(120);
/// The environment variable that shortens this process's leases (seconds, 4 to 120).
pub const TTL_VAR: &str = "A0CTL_LEASE_TTL";
/// How often a waiting apply tries again.
const POLL: Duration = Duration::from_millis(500);
/// How long a v1 apply waits after taking the lease before reading it back as its own.
const SETTLE: Duration = Duration::from_millis(500);
/// How far a holder's clock may run ahead of ours: an expiry later than `TTL` plus this was
/// written by no a0ctl (each writes now + `TTL`), so it is not believed.
const SKEW: Duration = Duration::from_secs(60);
/// The longest owner shown: it is the tenant's text.
const MAX_OWNER_CHARS: usize = 200;

/// This process's lease time to live: [`TTL`], or `A0CTL_LEASE_TTL` seconds (4 to 120).
fn ttl() -> Result<Duration> {
    match std::env::var(TTL_VAR) {
        Err(_) => Ok(TTL),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(s) if (4..=TTL.as_secs()).contains(&s) => Ok(Duration::from_secs(s)),
            _ => Err(hinted(
                format!(
                    "{TTL_VAR} must be a number of seconds from 4 to {}, not `{}`",
                    TTL.as_secs(),
                    a0ctl_core::diag::visible_line(&v)
                ),
                "",
            )),
        },
    }
}

/// When this process last knew its lease to be its own (taken, or renewed after reading it
/// back as ours), and for how long a lease lives; `None` while it holds none. A lease not known
/// to be ours for 3/4 of its life may have expired and been taken: nothing is written then.
static HELD: std::sync::Mutex<Option<(std::time::Instant, Duration)>> = std::sync::Mutex::new(None);

fn held() -> std::sync::MutexGuard<'static, Option<(std::time::Instant, Duration)>> {
    HELD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether this process may still write: it holds no lease, or it knew the lease its own less
/// than 3/4 of its life ago. A renewal that found another holder, renewals that failed, or a
/// process stopped (SIGSTOP, a suspended VM) past that, all make it `false`.
pub fn may_write() -> bool {
    match *held() {
        None => true,
        Some((at, ttl)) => at.elapsed() < ttl * 3 / 4,
    }
}

/// A held lease; [`Lease::release`] gives it back (dropping it only stops renewing it).
pub struct Lease {
    api: Api,
    token: String,
    renewer: tokio::task::JoinHandle<()>,
}

/// Who holds the tenant, as the marker says.
#[derive(Debug, Clone, PartialEq)]
struct Holder {
    owner: String,
    host: String,
    /// The holder's process namespace (`/proc/self/ns/pid`): containers may share a host name
    /// but not their process ids.
    pidns: String,
    pid: u32,
    token: String,
    since: u64,
    expires: u64,
}

impl Holder {
    /// Its time is up, its expiry lies past the lease's maximum (no a0ctl wrote it), or it was
    /// an apply on this host whose process is gone (killed).
    fn is_stale(&self) -> bool {
        self.expires < now()
            || self.expires > now() + (TTL + SKEW).as_secs()
            || (self.host == host() && self.pidns == pid_namespace() && !process_alive(self.pid))
    }
}

/// The marker in the tenant: a lease a0ctl can read, or one it cannot (no `a0ctl_lease`, junk
/// or missing fields), which never breaks by itself but is named by its id.
#[derive(Debug, Clone, PartialEq)]
struct Marker {
    holder: Option<Holder>,
    /// The lease's id, stable while one apply holds it: a digest of its token, or of the
    /// whole `options` when it cannot be read.
    id: String,
    path: String,
}

/// A short hex digest of `text`: ids and fingerprints, never secrets.
fn digest(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Marker {
    fn of(api: &Api, connection: &Value) -> Marker {
        let holder = holder(connection);
        let id = match &holder {
            Some(h) => digest(&h.token),
            None => digest(
                &connection
                    .get("options")
                    .map(Value::to_string)
                    .unwrap_or_default(),
            ),
        };
        Marker {
            holder,
            id: format!("lease-{id}"),
            path: path_of(api, connection),
        }
    }

    fn is_stale(&self) -> bool {
        self.holder.as_ref().is_some_and(Holder::is_stale)
    }

    /// Whether it carries this token: the lease is the apply's own.
    fn is_ours(&self, token: &str) -> bool {
        self.holder.as_ref().is_some_and(|h| h.token == token)
    }

    /// Who holds it, for a message: every field the tenant wrote escaped and bounded.
    fn describe(&self) -> String {
        match &self.holder {
            Some(h) => {
                let owner: String = h.owner.chars().take(MAX_OWNER_CHARS).collect();
                // `since` is the tenant's word: shown only when it is a time this century.
                let age = now().saturating_sub(h.since.min(now()));
                let since = if h.since >= 946_684_800 {
                    format!(" since {age} s ago")
                } else {
                    String::new()
                };
                format!(
                    "{} holds it{since} (it expires in {} s unless renewed)",
                    a0ctl_core::diag::visible_line(&owner),
                    h.expires.saturating_sub(now())
                )
            }
            None => "a lease marker a0ctl cannot read holds it (it does not expire by itself)"
                .to_string(),
        }
    }
}

/// Whether a process of this host still runs (where that cannot be told, it is assumed to).
fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The marker's path, from the connection as the tenant shows it (v2 addresses it by id).
fn path_of(api: &Api, connection: &Value) -> String {
    let id = connection.get("id").and_then(Value::as_str);
    api.dialect()
        .item(Target::with_id(Kind::lease_holder(), LOCK_NAME, id))
}

fn marker(owner: &str, token: &str, since: u64, ttl: Duration) -> Value {
    json!({
        "a0ctl_lease": {
            "owner": owner,
            "host": host(),
            "pidns": pid_namespace(),
            "pid": std::process::id(),
            "token": token,
            "since": since,
            "expires": now() + ttl.as_secs(),
        }
    })
}

fn holder(connection: &Value) -> Option<Holder> {
    let lease = connection.get("options")?.get("a0ctl_lease")?;
    Some(Holder {
        owner: lease.get("owner")?.as_str()?.to_string(),
        host: lease.get("host")?.as_str()?.to_string(),
        pidns: lease
            .get("pidns")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        pid: u32::try_from(lease.get("pid")?.as_u64()?).ok()?,
        token: lease.get("token")?.as_str()?.to_string(),
        since: lease.get("since")?.as_u64()?,
        expires: lease.get("expires")?.as_u64()?,
    })
}

/// This process's pid namespace, where it can be told (else empty: then a lease of this host
/// is never broken by a pid that looks dead, only by expiry).
fn pid_namespace() -> String {
    std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".into())
}

/// This process, as the marker names it.
fn owner() -> String {
    format!("a0ctl on {}, pid {}", host(), std::process::id())
}

/// Take the lease, waiting at most `wait` for another holder to finish (0: fail at once, naming
/// the holder). An expired lease is broken.
pub async fn acquire(api: &Api, wait: Duration) -> Result<Lease> {
    let ttl = ttl()?;
    let owner = owner();
    let token: String = (0..16)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let since = now();
    let give_up = tokio::time::Instant::now() + wait;
    let failed = |e: CallError| e.doing("cannot take the apply lease");
    let mut lost = 0;
    loop {
        let body = json!({
            "name": LOCK_NAME,
            "strategy": "auth0",
            "options": marker(&owner, &token, since, ttl),
        });
        let asked = std::time::Instant::now();
        let held = match api
            .send_once(
                Method::POST,
                &api.dialect().collection(Kind::lease_holder()),
                Some(&body),
            )
            .await
        {
            Ok(a) => Some(path_of(api, &a.body)),
            Err(e) if e.is_conflict() => None,
            // The answer was lost: the marker says whether the create took effect.
            Err(e) if e.is_ambiguous() => match read(api).await.map_err(failed)? {
                Some(m) => m.is_ours(&token).then_some(m.path),
                None if lost < api.retries() => {
                    lost += 1;
                    continue;
                }
                None => return Err(failed(e)),
            },
            Err(e) => return Err(failed(e)),
        };
        // v1 addresses the marker by name, so another apply's DELETE of a stale lease it read a
        // moment ago can remove this fresh one: let such a DELETE land, then read the marker
        // back, and hold the tenant only if it is still ours. (v2 deletes by id: no such race.)
        let held = match held {
            Some(path)
                if api.dialect().version() == a0ctl_core::manifest::types::ApiVersion::V1 =>
            {
                tokio::time::sleep(SETTLE).await;
                let ours = read(api)
                    .await
                    .map_err(failed)?
                    .is_some_and(|m| m.is_ours(&token));
                ours.then_some(path)
            }
            other => other,
        };
        if let Some(path) = held {
            *self::held() = Some((asked, ttl));
            let renewer = tokio::spawn(renew(
                api.clone(),
                path,
                Holding {
                    owner: owner.clone(),
                    token: token.clone(),
                    since,
                    ttl,
                },
            ));
            return Ok(Lease {
                api: api.clone(),
                token,
                renewer,
            });
        }
        let current = read(api).await.map_err(failed)?;
        if let Some(m) = &current
            && m.is_stale()
        {
            tracing::info!("breaking the stale apply lease {}", m.id);
            match api.send(Method::DELETE, &m.path, None).await {
                Ok(_) => continue,
                Err(e) if e.status() == Some(404) => continue,
                Err(e) => return Err(failed(e)),
            }
        }
        if tokio::time::Instant::now() >= give_up {
            return Err(match current {
                Some(m) => held_by(&m),
                None => hinted(
                    "another apply is changing this tenant: another apply holds it; nothing was changed",
                    "wait for it to finish and run apply again, or pass --lock-timeout 5m to wait for it",
                ),
            });
        }
        tokio::time::sleep(POLL.min(give_up - tokio::time::Instant::now())).await;
    }
}

/// Before a question is asked: fail at once, naming the holder, when another apply holds a
/// live lease and `wait` is zero (the answer could only be refused); otherwise nothing. Read
/// only: the lease is taken after the answer.
pub async fn check_free(api: &Api, wait: Duration) -> Result<()> {
    if !wait.is_zero() {
        return Ok(());
    }
    match read(api).await {
        Ok(Some(m)) if !m.is_stale() => Err(held_by(&m)),
        Ok(_) => Ok(()),
        Err(e) => Err(e.doing("cannot read the apply lease")),
    }
}

/// The marker in the tenant, if there is one.
async fn read(api: &Api) -> Result<Option<Marker>, CallError> {
    let found = crate::read::find(api, Kind::lease_holder(), LOCK_NAME).await?;
    Ok(found.map(|v| Marker::of(api, &v)))
}

/// The error of an apply that met another's lease: who holds it, and the one way out when that
/// apply is known to be gone.
fn held_by(m: &Marker) -> a0ctl_core::error::Error {
    hinted(
        format!(
            "another apply is changing this tenant under {}: {}; nothing was changed",
            m.id,
            m.describe()
        ),
        format!(
            "wait for it to finish and run apply again, or pass --lock-timeout 5m to wait for it; if no apply is running (it crashed on another machine), break this lease, and only this one, with `a0ctl force-unlock {}` and the same tenant options",
            m.id
        ),
    )
}

/// `a0ctl force-unlock ID`: break the lease with that id, and no other. `confirmed` is asked
/// only once the lease is known to be the one named.
pub async fn force_unlock(
    api: &Api,
    id: &str,
    confirm: impl FnOnce(&str) -> Result<()>,
) -> Result<()> {
    let failed = |e: CallError| e.doing("cannot read the apply lease");
    let Some(m) = read(api).await.map_err(failed)? else {
        return Err(hinted(
            format!(
                "no apply lease is held on this tenant (asked to break {}); nothing was changed",
                a0ctl_core::diag::visible_line(id)
            ),
            "",
        ));
    };
    if m.id != id {
        return Err(hinted(
            format!(
                "the lease held now is {}, not {}: nothing was changed",
                m.id,
                a0ctl_core::diag::visible_line(id)
            ),
            format!("{}; break it only if no apply is running", m.describe()),
        ));
    }
    confirm(&format!("{} ({})", m.id, m.describe()))?;
    // The answer may have taken a while: break the lease only if it is still the one named.
    let m = match read(api).await.map_err(failed)? {
        Some(now) if now.id == m.id => now,
        _ => {
            return Err(hinted(
                format!(
                    "the lease changed while you answered: {} is no longer held, and nothing was changed",
                    m.id
                ),
                "run force-unlock again with the id apply names now",
            ));
        }
    };
    match api.send(Method::DELETE, &m.path, None).await {
        Ok(_) => Ok(()),
        Err(e) if e.status() == Some(404) => Ok(()),
        Err(e) => Err(e.doing("cannot break the apply lease")),
    }
}

/// What the renewer writes: the lease as it was taken.
struct Holding {
    owner: String,
    token: String,
    since: u64,
    ttl: Duration,
}

/// Renew every quarter of the lease's life, only after reading the marker back as ours: a
/// marker that is gone or another's means the lease was lost, and it is never taken back (the
/// apply stops writing once [`may_write`] says so).
async fn renew(api: Api, path: String, h: Holding) {
    let method = Method::from_bytes(api.dialect().update_method(Kind::lease_holder()).as_bytes())
        .unwrap_or(Method::PUT);
    loop {
        tokio::time::sleep(h.ttl / 4).await;
        let asked = std::time::Instant::now();
        match read(&api).await {
            Ok(Some(m)) if m.is_ours(&h.token) => {}
            Ok(_) => {
                tracing::warn!("the apply lease was taken over: this apply writes nothing more");
                return;
            }
            Err(e) => {
                tracing::warn!("cannot read the apply lease to renew it: {e}");
                continue;
            }
        }
        let body = json!({"options": marker(&h.owner, &h.token, h.since, h.ttl)});
        match api.send(method.clone(), &path, Some(&body)).await {
            Ok(_) => {
                if let Some((at, _)) = held().as_mut() {
                    *at = asked;
                }
            }
            Err(e) => tracing::warn!("cannot renew the apply lease: {e}"),
        }
    }
}

impl Lease {
    /// Give the tenant back (only if the marker is still ours).
    pub async fn release(self) {
        self.renewer.abort();
        *held() = None;
        match read(&self.api).await {
            Ok(Some(m)) if m.is_ours(&self.token) => {
                if let Err(e) = self.api.send(Method::DELETE, &m.path, None).await {
                    tracing::warn!("cannot release the apply lease (it expires by itself): {e}");
                }
            }
            Ok(_) => tracing::warn!("the apply lease was taken over before it was released"),
            Err(e) => tracing::warn!("cannot read the apply lease to release it: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_names_its_holder() {
        let m = json!({"options": marker("me", "t", 5, TTL)});
        let h = holder(&m).unwrap();
        assert_eq!(
            (h.owner.as_str(), h.token.as_str(), h.since),
            ("me", "t", 5)
        );
        assert!(h.expires >= now() + TTL.as_secs() - 1);
        assert_eq!(holder(&json!({"options": {}})), None);
    }
}
