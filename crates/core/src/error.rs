//! What a command fails with: [`Error`], one variant per boundary, each boundary's own error
//! type inside it (manifests, tenant calls, the diff, the planner, the gates, local files, the
//! embedded emulator), and each of them a [`Problem`]: it knows its hint and its exit code.
//! `diag::render_error` is the one renderer; `anyhow` is left to the `cli` (its own start-up
//! errors) and to the emulator, a program of its own.

pub mod call;
pub mod reconcile;

use std::fmt;

use crate::manifest::yaml::Pos;
use call::CallError;
use reconcile::{CycleError, DiffError};

/// A problem at a place in a manifest (or a file it names).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub file: String,
    pub pos: Pos,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            pos,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos.line == 0 {
            // A problem with the path itself, not a place inside the file.
            return write!(f, "{}: {}", self.file, self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.pos.line, self.pos.col, self.message
        )
    }
}

/// Manifests that failed to load: every problem, sorted by place.
#[derive(Debug, thiserror::Error)]
#[error("{} in the manifests", plural(.0.len(), "problem"))]
pub struct InvalidManifests(pub Vec<Diagnostic>);

/// An error that carries advice for the user.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

/// A safety gate said no (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub message: String,
    pub hint: String,
}

/// `1 problem`, `2 problems`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// An error a user can act on: what to do about it, and the exit code it ends the run with.
pub trait Problem: std::error::Error {
    /// Advice, when there is some.
    fn hint(&self) -> Option<String>;
    /// 3 for a refusal by a safety gate, 1 otherwise.
    fn exit_code(&self) -> u8 {
        1
    }
}

/// What a command fails with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Manifests that do not load: every problem, located.
    #[error(transparent)]
    Manifests(#[from] InvalidManifests),
    /// A call to the tenant failed while doing something.
    #[error(transparent)]
    Call(Box<CallFailure>),
    /// The manifests cannot be reconciled with this tenant.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// The planner could not order its own calls.
    #[error(transparent)]
    Cycle(#[from] CycleError),
    /// A safety gate said no.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// Anything else, with advice.
    #[error(transparent)]
    Hinted(#[from] Hinted),
    /// A local file or stream.
    #[error("{doing}")]
    Io {
        doing: String,
        #[source]
        source: std::io::Error,
    },
    /// The embedded emulator (`--local`) would not start.
    #[error("{doing}")]
    Emulator {
        doing: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A call that failed, and what it was doing (boxed: a `CallError` is large).
#[derive(Debug, thiserror::Error)]
#[error("{doing}")]
pub struct CallFailure {
    pub doing: String,
    #[source]
    pub source: CallError,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Problem for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::Manifests(e) => e.hint(),
            Error::Call(c) => c.source.hint(),
            Error::Diff(e) => Problem::hint(e),
            Error::Cycle(e) => Problem::hint(e),
            Error::Refused(e) => Problem::hint(e),
            Error::Hinted(e) => Problem::hint(e),
            Error::Io { .. } | Error::Emulator { .. } => None,
        }
    }

    fn exit_code(&self) -> u8 {
        match self {
            Error::Refused(e) => e.exit_code(),
            _ => 1,
        }
    }
}

impl Problem for InvalidManifests {
    fn hint(&self) -> Option<String> {
        None
    }
}

impl Problem for DiffError {
    fn hint(&self) -> Option<String> {
        Some(DiffError::hint(self).to_string())
    }
}

impl Problem for CycleError {
    fn hint(&self) -> Option<String> {
        Some(CycleError::hint(self).to_string())
    }
}

impl Problem for Refused {
    fn hint(&self) -> Option<String> {
        Some(self.hint.clone())
    }

    fn exit_code(&self) -> u8 {
        3
    }
}

impl Problem for Hinted {
    fn hint(&self) -> Option<String> {
        (!self.hint.is_empty()).then(|| self.hint.clone())
    }
}

impl Problem for CallError {
    fn hint(&self) -> Option<String> {
        CallError::hint(self)
    }
}

impl CallError {
    /// This failure as what it stopped.
    pub fn doing(self, doing: impl Into<String>) -> Error {
        Error::Call(Box::new(CallFailure {
            doing: doing.into(),
            source: self,
        }))
    }
}

/// An I/O failure as what it stopped.
pub fn io(doing: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let doing = doing.into();
    move |source| Error::Io { doing, source }
}

impl From<CallError> for Error {
    /// A call's failure on its own: its message, its hint.
    fn from(e: CallError) -> Error {
        let hint = CallError::hint(&e).unwrap_or_default();
        Error::Hinted(Hinted {
            message: e.to_string(),
            hint,
        })
    }
}
