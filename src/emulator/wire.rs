//! The emulator's connections: a TCP listener whose streams give the v1 error body to the
//! answers hyper writes by itself. When a request cannot be parsed (a URI over 65,534 bytes: 414;
//! headers over hyper's buffer: 431; a malformed request line or header: 400) hyper answers
//! before any layer of the router runs, with an empty body and no content type. [`Shaped`]
//! recognises such a head on its way out (an error status and no `Content-Type`, which every
//! answer of the router has) and sends the same status with `{"error", "error_description",
//! "detail"}` instead. hyper closes the connection after these answers, so nothing follows them.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The listener of [`axum::serve`]: TCP, with [`Shaped`] streams.
pub(crate) struct Wire(pub TcpListener);

impl Listener for Wire {
    type Io = Shaped<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        let _ = stream.set_nodelay(true);
        (Shaped::new(stream), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
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
