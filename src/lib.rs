//! a0ctl: configuration as code for Auth0 tenants, over Management API v1 and v2.
//!
//! The pipeline (see ARCHITECTURE.md): `manifest` → `diff` (with `live`) → `plan` → `render` /
//! `apply`; `emulator` is the local server of both APIs; `cli` turns arguments into calls of these.

// Output goes through `diag::say` and `commands::print_stdout`, which never panic on a closed
// pipe; the print macros do.
#![deny(clippy::print_stderr, clippy::print_stdout)]

pub use a0ctl_client::{api, apply, lease, read};
pub use a0ctl_core::{
    diag, dialect, diff, error, export, fsutil, kind, kinds, live, manifest, model, path, plan,
    schema, scope, secret,
};
pub use a0ctl_emulator as emulator;
pub use a0ctl_sandbox as rules_runtime;

pub mod cli;
pub mod commands;
pub mod migrate;
pub mod planfile;
pub mod render;
pub mod ruletest;
pub mod tenant;
