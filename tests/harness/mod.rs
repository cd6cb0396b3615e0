//! The one test harness, shared by every integration test (`mod harness;`):
//!
//! - [`env`]: an emulator on 127.0.0.1:0 in this process and the real `a0ctl` binary pointed at
//!   it ([`Env`]); [`Env::apply`] plans again after every successful apply and expects no
//!   changes.
//! - [`emulator`]: raw HTTP to an emulator ([`Emu`], [`Resp`]) and its error-body checks.
//! - [`snapshot`]: a run's whole outcome (exit code, stdout, stderr) as one text, with the values
//!   that change from run to run replaced by placeholders, for `insta::assert_snapshot!`.
//!
//! Every test binary compiles all of it and uses a part: hence `dead_code` and (for the
//! re-exports below) `unused_imports` are allowed.

#![allow(dead_code, unused_imports)]

pub mod emulator;
pub mod env;
pub mod snapshot;

pub use emulator::{
    Config, Emu, Resp, UA, assert_error, assert_ok_text, assert_v2_error, config, http_client,
    read, scrub,
};
pub use env::{Env, assert_exit, json, stderr, stdout, tree, write};
pub use snapshot::{Filters, outcome};
