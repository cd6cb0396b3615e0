//! The emulator's connections: a TCP listener whose streams give the v1 error body to the
//! answers hyper writes by itself. When a request cannot be parsed (a URI over 65,534 bytes: 414;
//! headers over hyper's buffer: 431; a malformed request line or header: 400) hyper answers
//! before any layer of the router runs, with an empty body and no content type. [`Shaped`]
//! recognises such a head on its way out (an error status and no `Content-Type`, which every
//! answer of the router has) and sends the same status with `{"error", "error_description",
//! "detail"}` instead. hyper closes the connection after these answers, so nothing follows them.
//!
//! With TLS (`--tls-cert`/`--tls-key`, or `--tls` for a self-signed certificate generated at
//! start), each connection's handshake runs in its own task, on first read or write (a slow
//! client cannot hold up the accept loop). rustls with the ring provider: the stack reqwest
//! already uses, so the binary carries one TLS implementation.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How an emulator serves HTTPS.
#[derive(Debug, Clone)]
pub enum Tls {
    /// A PEM certificate chain and its PEM private key (PKCS#8, PKCS#1 or SEC1).
    Files { cert: PathBuf, key: PathBuf },
    /// A self-signed certificate for `127.0.0.1`, `::1` and `localhost`, generated at start. Its
    /// PEM is written to `cert_out`; by default `<state>.cert.pem` beside the state file, or
    /// `a0ctl-emulator-<pid>.pem` in the temporary directory.
    SelfSigned { cert_out: Option<PathBuf> },
}

/// The names a generated certificate is valid for.
pub const SELF_SIGNED_NAMES: [&str; 3] = ["127.0.0.1", "::1", "localhost"];

/// The acceptor for `tls`, and where a generated certificate's PEM was written.
pub(crate) fn acceptor(
    tls: &Tls,
    state: Option<&Path>,
) -> anyhow::Result<(TlsAcceptor, Option<PathBuf>)> {
    let (certs, key, written) = match tls {
        Tls::Files { cert, key } => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    anyhow::anyhow!("cannot read the certificate {}: {e}", cert.display())
                })?;
            if certs.is_empty() {
                anyhow::bail!("no PEM certificate in {}", cert.display());
            }
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                anyhow::anyhow!("cannot read the private key {}: {e}", key.display())
            })?;
            (certs, key, None)
        }
        Tls::SelfSigned { cert_out } => {
            let generated =
                rcgen::generate_simple_self_signed(SELF_SIGNED_NAMES.map(String::from).to_vec())
                    .context("cannot generate a certificate")?;
            let (path, shared_dir) = match (cert_out, state) {
                (Some(path), _) => (path.clone(), false),
                (None, Some(state)) => {
                    let mut name = state.as_os_str().to_owned();
                    name.push(".cert.pem");
                    (PathBuf::from(name), false)
                }
                (None, None) => (
                    std::env::temp_dir().join(format!("a0ctl-emulator-{}.pem", std::process::id())),
                    true,
                ),
            };
            write_cert(&path, generated.cert.pem().as_bytes(), shared_dir)
                .with_context(|| format!("cannot write the certificate to {}", path.display()))?;
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                generated.signing_key.serialize_der(),
            ));
            (vec![generated.cert.der().clone()], key, Some(path))
        }
    };
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS setup failed")?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("the certificate and the private key do not make a TLS identity")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), written))
}

/// Write a certificate. In a directory others can write to (the temporary one), whatever is at
/// the path is removed first and the file created anew, so a planted link is not followed.
fn write_cert(path: &Path, pem: &[u8], shared_dir: bool) -> io::Result<()> {
    use std::io::Write;
    if !shared_dir {
        return std::fs::write(path, pem);
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?
        .write_all(pem)
}

/// The listener of [`axum::serve`]: TCP, optionally TLS, with [`Shaped`] streams.
pub(crate) struct Wire {
    pub listener: TcpListener,
    pub tls: Option<TlsAcceptor>,
}

impl Listener for Wire {
    type Io = Shaped<Stream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.listener).await;
        let _ = stream.set_nodelay(true);
        let stream = match &self.tls {
            Some(acceptor) => Stream::Handshake(Box::new(acceptor.accept(stream))),
            None => Stream::Plain(stream),
        };
        (Shaped::new(stream), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// A connection: plain TCP, or TLS whose handshake completes on first use.
pub(crate) enum Stream {
    Plain(TcpStream),
    Handshake(Box<tokio_rustls::Accept<TcpStream>>),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    Failed,
}

impl Stream {
    /// Finish the handshake, if there is one under way.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Stream::Handshake(accept) = self {
            match ready!(Pin::new(accept.as_mut()).poll(cx)) {
                Ok(stream) => *self = Stream::Tls(Box::new(stream)),
                Err(e) => {
                    *self = Stream::Failed;
                    return Poll::Ready(Err(e));
                }
            }
        }
        match self {
            Stream::Failed => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the TLS handshake failed",
            ))),
            _ => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.poll_ready(cx))?;
        match &mut *self {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            _ => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_ready(cx))?;
        match &mut *self {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            _ => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_ready(cx))?;
        match &mut *self {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            _ => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut *self {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            _ => Poll::Ready(Ok(())),
        }
    }
}

/// The peer of a request (the `ConnectInfo` of the emulator's connections).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, Wire>> for Peer {
    fn connect_info(stream: IncomingStream<'_, Wire>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// A stream that rewrites hyper's own error answers into JSON ones.
pub(crate) struct Shaped<T> {
    inner: T,
    /// A rewritten answer still being written, and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> Shaped<T> {
    pub fn new(inner: T) -> Self {
        Shaped {
            inner,
            pending: None,
        }
    }
}

impl<T: AsyncWrite + Unpin> Shaped<T> {
    fn drive(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, done)) = &mut self.pending {
            if *done >= bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Shaped<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Shaped<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.drive(cx))?;
        if let Some(replacement) = rewrite(buf) {
            self.pending = Some((replacement, 0));
            // The caller's bytes are taken; the replacement goes out now or on flush.
            let _ = self.drive(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drive(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drive(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then writes each head in one buffer, which `rewrite` can see whole.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

/// The JSON answer replacing `buf`, when `buf` is a bodiless error head hyper wrote itself.
fn rewrite(buf: &[u8]) -> Option<Vec<u8>> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let status: u16 = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    if status < 400 {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    if head.contains("\r\ncontent-type:") || !head.contains("\r\ncontent-length: 0") {
        return None;
    }
    let (code, message) = match status {
        414 => (
            "uri_too_long",
            "the request URI is too long (at most 65,534 bytes)",
        ),
        431 => ("headers_too_large", "the request headers are too large"),
        400 => ("bad_request", "the request could not be parsed as HTTP/1.1"),
        _ => ("bad_request", "the request was refused by the HTTP layer"),
    };
    let body = serde_json::json!({
        "error": code,
        "error_description": message,
        "detail": message,
    })
    .to_string();
    let reason = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json; charset=utf-8\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&buf[end + 4..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn only_bodiless_error_heads_are_rewritten() {
        let hyper_414 = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(rewrite(hyper_414).expect("rewritten")).unwrap();
        assert!(out.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{out}");
        assert!(out.contains("content-type: application/json"), "{out}");
        assert!(out.ends_with(r#""detail":"the request URI is too long (at most 65,534 bytes)"}"#));
        let json_404 = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        assert!(rewrite(json_404).is_none());
        assert!(rewrite(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite(b"{\"HTTP/1.1 400").is_none());
    }
}
