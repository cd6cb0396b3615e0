//! Management API v1: connections, rules and templates addressed by name, clients by
//! `clientID`; PUT (clients: PATCH); lists are bare arrays; a connection's status per client is
//! read as each client sees the connections and set per client.

use serde_json::{Value, json};

use super::seam::{Dialect, Enablement, Listing, StatusCall, StatusChange, Target};
use crate::kind::Kind;
use crate::kinds::email::manifest::TemplateName;
use crate::manifest::types::ApiVersion;

/// Management API v1.
#[derive(Debug, Clone, Copy, Default)]
pub struct V1;

impl Dialect for V1 {
    fn version(&self) -> ApiVersion {
        ApiVersion::V1
    }

    fn templates(&self) -> &'static [TemplateName] {
        &TemplateName::V1
    }

    fn audience(&self, _base: &str) -> Option<String> {
        None
    }

    fn error_code(&self, body: &Value) -> Option<String> {
        body.get("error")
            .or_else(|| body.get("code"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn enablement(&self) -> Enablement {
        Enablement::ClientViews
    }

    fn connection_clients(&self, _: Target<'_>) -> Option<Listing> {
        None
    }

    fn client_view(&self, kind: Kind, client_id: &str) -> String {
        format!(
            "{}?client={}",
            self.collection(kind),
            super::seam::segment(client_id)
        )
    }

    fn status_calls(&self, connection: Target<'_>, changes: &[StatusChange]) -> Vec<StatusCall> {
        changes
            .iter()
            .map(|c| StatusCall {
                method: "PUT",
                path: format!(
                    "{}?client={}",
                    self.item(connection),
                    super::seam::id_or_placeholder(&c.client, c.pending)
                ),
                body: json!({ "status": c.status }),
                clients: vec![c.client.clone()],
            })
            .collect()
    }

    fn connection_users(
        &self,
        connection: Target<'_>,
        page: usize,
        per_page: usize,
    ) -> Option<String> {
        Some(format!(
            "{}/users?per_page={per_page}&page={page}",
            self.item(connection)
        ))
    }
}
