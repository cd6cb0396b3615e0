//! a0ctl: configuration as code for Auth0 Management API v1 tenants.
//!
//! The pipeline (see ARCHITECTURE.md): `manifest` → `diff` (with `live`) → `plan` → `render` /
//! `apply`; `emulator` is the local v1 server; `cli` turns arguments into calls of these.

pub mod api;
pub mod apply;
pub mod cli;
pub mod commands;
pub mod diag;
pub mod dialect;
pub mod diff;
pub mod emulator;
pub mod error;
pub mod export;
pub mod fsutil;
pub mod kinds;
pub mod lease;
pub mod live;
pub mod manifest;
pub mod model;
pub mod path;
pub mod plan;
pub mod planfile;
pub mod render;
pub mod rules_runtime;
pub mod ruletest;
pub mod schema;
pub mod scope;
pub mod secret;
pub mod tenant;
