//! a0ctl's pure core: the manifest model and its loader (`manifest`, `schema`), what each kind is
//! and does (`kind`, `kinds`), the dialects' wire facts (`dialect`), the two sides of a diff as
//! data (`model`, `live`), and the stages that are functions of their inputs (`diff`, `plan`,
//! `export`'s files), with the shared concepts they use (`path`, `secret`, `scope`) and the
//! errors at the bottom (`error`, rendered by `diag`). It does no network I/O and names no async
//! runtime: the compiler holds it to that (its dependencies have none).

// Output goes through `diag::say` and `diag::to_stderr`, which never panic on a closed pipe; the
// print macros do.
#![deny(clippy::print_stderr, clippy::print_stdout)]

pub mod diag;
pub mod dialect;
pub mod diff;
pub mod error;
pub mod export;
pub mod fsutil;
pub mod kind;
pub mod kinds;
pub mod live;
pub mod manifest;
pub mod model;
pub mod path;
pub mod plan;
pub mod schema;
pub mod scope;
pub mod secret;
