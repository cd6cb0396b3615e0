//! The API dialect: where Management API versions differ in how a resource is addressed and
//! changed. Every path a0ctl sends or reads is built here, for every stage (`plan`'s calls,
//! `live`'s reads, `apply`'s read-back of a create whose answer was lost, the users a
//! replacement deletes, the apply lease), so adding a dialect (v2: ids in paths, PATCH, paged
//! lists) is one implementation of [`Dialect`], not an edit of every stage. v1 is the only one
//! so far.

use crate::api::segment;
use crate::model::Kind;

/// A resource as a path may name it: v1 names connections, rules and templates, and clients by
/// id; v2 names everything but templates by id.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub kind: Kind,
    pub name: &'a str,
    pub id: Option<&'a str>,
}

/// How one Management API version addresses and changes resources.
pub trait Dialect: Send + Sync {
    /// `v1`.
    fn name(&self) -> &'static str;
    /// Where a kind's resources are listed and created.
    fn collection(&self, kind: Kind) -> String;
    /// One resource.
    fn item(&self, target: Target<'_>) -> String;
    /// The method that changes a resource in place.
    fn update_method(&self, kind: Kind) -> &'static str;
    /// Where a connection's status for one client is set (v1: the connection seen by that
    /// client); `client` is a path segment already (an id, or a placeholder).
    fn client_status(&self, connection: Target<'_>, client: &str) -> String;
    /// Where the connections are read as one client sees them (enabled or not).
    fn client_view(&self, client_id: &str) -> String;
    /// One page of a connection's users.
    fn connection_users(&self, connection: Target<'_>, page: usize, per_page: usize) -> String;
}

/// Management API v1.
#[derive(Debug, Clone, Copy, Default)]
pub struct V1;

impl Dialect for V1 {
    fn name(&self) -> &'static str {
        "v1"
    }

    fn collection(&self, kind: Kind) -> String {
        match kind {
            Kind::Connection => "/api/connections",
            Kind::Client => "/api/clients",
            Kind::Rule => "/api/rules",
            Kind::Email => "/api/emails",
        }
        .to_string()
    }

    fn item(&self, t: Target<'_>) -> String {
        let key = match t.kind {
            Kind::Client => t.id.unwrap_or_default(),
            _ => t.name,
        };
        format!("{}/{}", self.collection(t.kind), segment(key))
    }

    fn update_method(&self, kind: Kind) -> &'static str {
        match kind {
            Kind::Client => "PATCH",
            _ => "PUT",
        }
    }

    fn client_status(&self, connection: Target<'_>, client: &str) -> String {
        format!("{}?client={client}", self.item(connection))
    }

    fn client_view(&self, client_id: &str) -> String {
        format!(
            "{}?client={}",
            self.collection(Kind::Connection),
            segment(client_id)
        )
    }

    fn connection_users(&self, connection: Target<'_>, page: usize, per_page: usize) -> String {
        format!(
            "{}/users?per_page={per_page}&page={page}",
            self.item(connection)
        )
    }
}

impl<'a> Target<'a> {
    pub fn named(kind: Kind, name: &'a str) -> Target<'a> {
        Target {
            kind,
            name,
            id: None,
        }
    }

    pub fn of(r: &'a crate::model::Resource) -> Target<'a> {
        Target {
            kind: r.kind,
            name: &r.name,
            id: r.id.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_paths() {
        let v1 = V1;
        let rule = Target::named(Kind::Rule, "add country");
        assert_eq!(v1.item(rule), "/api/rules/add%20country");
        let client = Target {
            kind: Kind::Client,
            name: "Shop",
            id: Some("abc"),
        };
        assert_eq!(v1.item(client), "/api/clients/abc");
        let conn = Target::named(Kind::Connection, "db");
        assert_eq!(
            v1.client_status(conn, "abc"),
            "/api/connections/db?client=abc"
        );
        assert_eq!(
            v1.connection_users(conn, 2, 100),
            "/api/connections/db/users?per_page=100&page=2"
        );
        assert_eq!(v1.client_view("a|b"), "/api/connections?client=a%7Cb");
        assert_eq!(v1.update_method(Kind::Rule), "PUT");
        assert_eq!(v1.update_method(Kind::Client), "PATCH");
    }
}
