//! The listener shared by `caselog serve` and `caselog witness serve`:
//! HTTP/1.1 (hyper) with keep-alive, TLS (rustls) when configured, a
//! limit on open connections (more are closed at once), and a client that
//! sends its request headers too slowly is dropped.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};

use thiserror::Error;

use crate::ledger::LedgerError;

/// How much a server gives its clients: open connections, and the time a
/// client has to send its request headers (and finish a TLS handshake)
/// and its body. A client over a limit is dropped (headers) or answered
/// 408 (body); a connection over the limit is closed at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once.
    pub connections: usize,
    /// Time to send the request headers, from the connection's start or
    /// the end of the previous answer (so an idle keep-alive connection is
    /// closed after it too).
    pub header_timeout: Duration,
    /// Time to send a request body (JSON and CBOR requests; an evidence
    /// upload may instead pause at most this long between chunks).
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections: 512,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// Answers one request.
pub(crate) type Handler = Arc<
    dyn Fn(Request<Incoming>) -> Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>
        + Send
        + Sync,
>;

/// The multi-threaded runtime a server runs on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ServeError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Io {
            what: "cannot start the runtime".into(),
            source,
        })
}

/// Accept connections until SIGINT or SIGTERM.
pub(crate) async fn accept_loop(
    listener: std::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    handler: Handler,
) -> Result<(), ServeError> {
    let io_err = |what: &str| {
        let what = what.to_owned();
        move |source| ServeError::Io { what, source }
    };
    let listener = tokio::net::TcpListener::from_std(listener).map_err(io_err("listener"))?;
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(io_err("signal handler"))?;
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                // A failed accept (out of descriptors): wait, go on.
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue }
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
        };
        // Over the limit: the connection is closed at once.
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let (tls, handler) = (tls.clone(), handler.clone());
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                Some(acceptor) => {
                    if let Ok(Ok(s)) =
                        tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await
                    {
                        serve_connection(TokioIo::new(s), handler, limits).await;
                    }
                }
                None => serve_connection(TokioIo::new(stream), handler, limits).await,
            }
        });
    }
}

async fn serve_connection<I>(io: I, handler: Handler, limits: Limits)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let fut = handler(req);
        async move { Ok::<_, std::convert::Infallible>(fut.await) }
    });
    // A connection that fails (a client gone, a timeout) ends quietly.
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(io, svc)
        .await;
}

/// Why the server could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A ledger could not be opened.
    #[error("case {case}: {source}")]
    Ledger {
        /// The case name.
        case: String,
        /// Why.
        source: LedgerError,
    },
    /// The address could not be bound, or the TLS files could not be read.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// The object store to publish to is not usable.
    #[error("--publish: {0}")]
    Publish(String),
    /// Listening on every address with no `--public-host`: no name to
    /// check signed requests' `@authority` against.
    #[error("listening on {listen} (every address) needs the names clients use: --public-host HOST[:PORT]")]
    NoHost {
        /// The listen address.
        listen: std::net::SocketAddr,
    },
    /// The TLS certificate or key is not usable.
    #[error("TLS: {0}")]
    Tls(String),
}

/// A TLS acceptor from a PEM certificate chain and private key.
pub(crate) fn tls_acceptor(
    cert: &PathBuf,
    key: &PathBuf,
) -> Result<tokio_rustls::TlsAcceptor, ServeError> {
    use tokio_rustls::rustls;
    let read = |p: &PathBuf| {
        std::fs::read(p).map_err(|source| ServeError::Io {
            what: format!("cannot read {}", p.display()),
            source,
        })
    };
    let certs = rustls_pemfile::certs(&mut read(cert)?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::Tls(format!("{}: {e}", cert.display())))?;
    let key = rustls_pemfile::private_key(&mut read(key)?.as_slice())
        .map_err(|e| ServeError::Tls(format!("{}: {e}", key.display())))?
        .ok_or_else(|| ServeError::Tls(format!("{}: no private key in the file", key.display())))?;
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ServeError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| ServeError::Tls(e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}
