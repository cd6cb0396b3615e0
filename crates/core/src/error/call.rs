//! A call to the tenant that failed: [`CallError`], what went wrong ([`ErrorKind`]), whether it
//! may pass if sent again, and the advice for the user.

use std::fmt;
use std::time::Duration;

use http::Method;

/// A call that failed, for good or for now.
#[derive(Debug, Clone)]
pub struct CallError {
    pub method: Method,
    pub path: String,
    pub kind: ErrorKind,
}

#[derive(Debug, Clone)]
pub enum ErrorKind {
    /// The API answered with an error status.
    Status {
        status: u16,
        code: String,
        description: String,
        /// For 429: how long the server asked to wait.
        retry_after: Option<Duration>,
    },
    Timeout(Duration),
    Connect(String),
    /// The address does not resolve, or nothing listens there: no retry will help.
    Unreachable(String),
    /// The TLS handshake failed (an untrusted certificate, or no HTTPS at that address).
    Tls(String),
    /// The answer was not the JSON the API sends.
    NotJson {
        status: u16,
        content_type: String,
    },
    /// The tenant keeps answering 429 and asks for a wait past the call's deadline.
    RateLimited {
        asked: Duration,
        left: Duration,
    },
    /// The path cannot name the resource (a name such as `..` collapses in any URL).
    Unaddressable(String),
    Other(String),
}

impl CallError {
    /// A failure that may pass if the call is sent again.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            ErrorKind::Status { status, .. } => *status >= 500 || *status == 429,
            ErrorKind::Timeout(_) | ErrorKind::Connect(_) => true,
            ErrorKind::Unreachable(_) | ErrorKind::Tls(_) => false,
            ErrorKind::NotJson { status, .. } => *status >= 500,
            ErrorKind::RateLimited { .. } | ErrorKind::Unaddressable(_) => false,
            ErrorKind::Other(_) => false,
        }
    }

    /// The failure leaves it unknown whether the server acted (the answer was lost).
    pub fn is_ambiguous(&self) -> bool {
        match &self.kind {
            ErrorKind::Status { status, .. } => *status >= 500,
            ErrorKind::Timeout(_) => true,
            ErrorKind::Connect(_) => true,
            ErrorKind::Unreachable(_) | ErrorKind::Tls(_) => false,
            ErrorKind::NotJson { status, .. } => *status >= 500,
            ErrorKind::RateLimited { .. } | ErrorKind::Unaddressable(_) => false,
            ErrorKind::Other(_) => false,
        }
    }

    /// A write refused because it clashes with what the tenant holds (a taken name or rule
    /// order): v1 answers 400 and tells it apart by the `error` code; a 409 counts too.
    pub fn is_conflict(&self) -> bool {
        match &self.kind {
            ErrorKind::Status { status: 409, .. } => true,
            ErrorKind::Status {
                status: 400, code, ..
            } => matches!(code.as_str(), "conflict" | "rule_conflict" | "user_exists"),
            _ => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::Status { status, .. } | ErrorKind::NotJson { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Advice for the user, by kind of failure.
    pub fn hint(&self) -> Option<String> {
        Some(match &self.kind {
            ErrorKind::Status { status: 401, code, .. } if code == "invalid_token" => {
                "the token is invalid or expired: get a new one, or use --client-id/--client-secret so a0ctl can".into()
            }
            ErrorKind::Status { status: 401, .. } => {
                "check the credentials: --client-id/--client-secret (AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET) or --token (AUTH0_TOKEN); tenant-wide changes need the global client".into()
            }
            ErrorKind::Status {
                status: 300..=399, ..
            } => "the tenant answered with a redirect, which a0ctl does not follow (it would carry the credentials elsewhere): check --domain".into(),
            ErrorKind::Status { status: 404, .. } => {
                "check --domain (the tenant's host, e.g. example.auth0.com) and --api (v1 or v2, or the manifests' `api:`): the tenant has no such route".into()
            }
            ErrorKind::Timeout(t) => format!(
                "the tenant did not answer within {}s; check --domain, or raise --timeout",
                t.as_secs()
            ),
            ErrorKind::Connect(_) | ErrorKind::Unreachable(_) => {
                "check --domain (AUTH0_DOMAIN) and that the tenant is reachable from here".into()
            }
            ErrorKind::Tls(msg) if msg.contains("CaUsedAsEndEntity") => {
                "the server's certificate is marked as a CA (CA:TRUE, what `openssl req -x509` makes by default), which rustls never accepts as a server's own certificate, trusted or not: make the server a certificate with `-addext basicConstraints=critical,CA:FALSE` (or sign one with that CA), or run `a0ctl emulator --tls`, whose certificate is made right".into()
            }
            ErrorKind::Tls(_) => {
                "the tenant's HTTPS could not be verified: check --domain; for a certificate of your own (an emulator's --tls), set SSL_CERT_FILE to its PEM file".into()
            }
            ErrorKind::NotJson { .. } => {
                "the answer was not the API's JSON: is --domain the tenant's Management API host?".into()
            }
            ErrorKind::RateLimited { .. } => {
                "the tenant is rate limiting a0ctl: try again later, or raise --timeout/--retries (a call waits out 429s for at most timeout × (retries + 1))".into()
            }
            ErrorKind::Unaddressable(_) => {
                "rename the resource in the tenant (its name cannot appear in a URL), then run a0ctl again".into()
            }
            _ => return None,
        })
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.path, self.reason())
    }
}

impl CallError {
    /// What went wrong, without the call (for reports that name the call already).
    pub fn reason(&self) -> String {
        let mut f = String::new();
        let _ = self.write_reason(&mut f);
        f
    }

    fn write_reason(&self, f: &mut String) -> fmt::Result {
        use fmt::Write;
        match &self.kind {
            ErrorKind::Status {
                status,
                code,
                description,
                ..
            } => {
                write!(f, "{status} {code}")?;
                if !description.is_empty() {
                    write!(f, ": {description}")?;
                }
                Ok(())
            }
            ErrorKind::Timeout(t) => write!(f, "no answer within {}s", t.as_secs()),
            ErrorKind::Connect(msg) | ErrorKind::Unreachable(msg) => {
                write!(f, "cannot connect: {msg}")
            }
            ErrorKind::Tls(msg) => write!(f, "TLS failed: {msg}"),
            ErrorKind::NotJson {
                status,
                content_type,
            } => write!(
                f,
                "answered {status} with {} instead of JSON",
                if content_type.is_empty() {
                    "no content type"
                } else {
                    content_type
                }
            ),
            ErrorKind::RateLimited { asked, left } => write!(
                f,
                "rate limited by the tenant, which asks to wait {} s; this call may wait {} s more",
                asked.as_secs(),
                left.as_secs()
            ),
            ErrorKind::Unaddressable(msg) | ErrorKind::Other(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for CallError {}
