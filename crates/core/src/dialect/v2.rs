//! Management API v2 (`/api/v2`): clients, connections and rules addressed by id (names map to
//! ids through the listings), email templates by name, the email provider as one object; PATCH
//! everywhere; clients and rules listed in offset pages of 100, connections in checkpoint pages
//! of 100; a connection's clients changed through `/connections/{id}/clients` in batches of at
//! most 50; tokens for the audience `https://DOMAIN/api/v2/`, with scopes.
//!
//! The fields a0ctl reads and writes are the manifest types' v2 fields (the schema generated
//! from them is the one list), so the wire names are the names users write.

use serde_json::{Value, json};

use super::seam::{Dialect, Enablement, Listing, StatusCall, StatusChange, Target};
use crate::kind::Kind;
use crate::kinds::email::manifest::TemplateName;
use crate::manifest::types::ApiVersion;

use super::seam::PAGE;
/// Status changes per `PATCH /connections/{id}/clients`: the most v2 allows.
pub const STATUS_BATCH: usize = 50;

/// Management API v2.
#[derive(Debug, Clone, Copy, Default)]
pub struct V2;

impl Dialect for V2 {
    fn version(&self) -> ApiVersion {
        ApiVersion::V2
    }

    fn templates(&self) -> &'static [TemplateName] {
        &TemplateName::V2
    }

    fn audience(&self, base: &str) -> Option<String> {
        Some(format!("{}/api/v2/", base.trim_end_matches('/')))
    }

    fn error_code(&self, body: &Value) -> Option<String> {
        body.get("errorCode")
            .or_else(|| body.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn enablement(&self) -> Enablement {
        Enablement::OnConnection
    }

    fn connection_clients(&self, connection: Target<'_>) -> Option<Listing> {
        Some(Listing::Checkpoint {
            path: format!("{}/clients", self.item(connection)),
            key: "clients",
            take: PAGE,
        })
    }

    fn client_view(&self, _kind: Kind, client_id: &str) -> String {
        format!(
            "{}/{}",
            self.collection(Kind::clients()),
            super::seam::segment(client_id)
        )
    }

    fn status_calls(&self, connection: Target<'_>, changes: &[StatusChange]) -> Vec<StatusCall> {
        changes
            .chunks(STATUS_BATCH)
            .map(|batch| StatusCall {
                method: "PATCH",
                path: format!("{}/clients", self.item(connection)),
                body: Value::Array(
                    batch
                        .iter()
                        .map(|c| json!({"client_id": c.client, "status": c.status}))
                        .collect(),
                ),
                clients: batch.iter().map(|c| c.client.clone()).collect(),
            })
            .collect()
    }

    fn connection_users(&self, _: Target<'_>, _: usize, _: usize) -> Option<String> {
        // v2 lists users by search, not by connection.
        None
    }
}
