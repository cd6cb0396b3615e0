//! a0ctl's side of the wire: the Management API client (`api`), reading the tenant into
//! `a0ctl_core::live::Live` (`read`), the apply lease (`lease`), and sending a plan's calls
//! (`apply`).

#![deny(clippy::print_stderr, clippy::print_stdout)]

pub mod api;
pub mod apply;
pub mod lease;
pub mod read;
