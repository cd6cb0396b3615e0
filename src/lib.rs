//! a0ctl: configuration as code for Auth0 tenants, over Management API v1 and v2.
//!
//! The pipeline (see ARCHITECTURE.md): `manifest` → `diff` (with `live`) → `plan` → `render` /
//! `apply`; `emulator` is the local server of both APIs; `cli` turns arguments into calls of these.

// Output goes through `diag::say` and `commands::print_stdout`, which never panic on a closed
// pipe; the print macros do.
#![deny(clippy::print_stderr, clippy::print_stdout)]

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
pub mod kind;
pub mod kinds;
pub mod lease;
pub mod live;
pub mod manifest;
pub mod model;
pub mod path;
pub mod plan;
pub mod planfile;
pub mod read;
pub mod render;
pub mod rules_runtime;
pub mod ruletest;
pub mod schema;
pub mod scope;
pub mod secret;
pub mod tenant;
