//! a0ctl: configuration as code for Auth0 Management API v1 tenants.
//!
//! The pipeline (see ARCHITECTURE.md): `manifest` → `diff` (with `live`) → `plan` → `render` /
//! `apply`; `emulator` is the local v1 server; `cli` turns arguments into calls of these.

pub mod cli;
pub mod diag;
pub mod emulator;
pub mod manifest;
pub mod schema;
