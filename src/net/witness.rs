//! The witness over HTTP: `caselog witness serve` answers C2SP
//! `tlog-witness` `add-checkpoint` requests with cosignatures, and
//! [`request_cosignatures`] is the log side that `caselog serve` uses to
//! collect them for each new checkpoint.
//!
//! Request body (c2sp.org/tlog-witness): `old <size>\n`, at most 63
//! base64 consistency-proof lines, an empty line, then the signed
//! checkpoint. Answers: 200 with the cosignature lines; 400 malformed or
//! old > size; 403 not signed by a configured log key; 404 unknown origin;
//! 408 a body not sent within the body timeout; 409 `text/x.tlog.size`
//! with the size held when `old` is not it; 413 over 80 KiB; 422 a proof
//! that does not verify (nothing saved) or a split view (another body
//! signed for the size held: evidence saved).

use std::net::SocketAddr;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

use crate::format::hash::Hash;
use crate::format::sig::Signer;
use crate::net::listen::ServeError;
use crate::tlog::note::VerifierKey;
use crate::tlog::witness::{Witness, WitnessError};

/// Largest request: a note (64 KiB) and 63 proof lines.
const MAX_REQUEST: usize = 80 << 10;
/// Proof lines a request may carry (C2SP tlog-witness).
const MAX_PROOF: usize = 63;

/// A request body split into its parts; `None` when malformed.
pub fn parse_request(b: &[u8]) -> Option<(u64, Vec<Hash>, &[u8])> {
    let text = std::str::from_utf8(b).ok()?;
    let (head, checkpoint) = text.split_once("\n\n")?;
    let mut lines = head.split('\n');
    let old = lines.next()?.strip_prefix("old ")?;
    if old.is_empty()
        || (old.starts_with('0') && old != "0")
        || !old.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let old: u64 = old.parse().ok()?;
    let proof = lines
        .map(|l| {
            let raw = B64.decode(l).ok().filter(|r| B64.encode(r) == l)?;
            Hash::from_slice(&raw)
        })
        .collect::<Option<Vec<Hash>>>()?;
    if proof.len() > MAX_PROOF {
        return None;
    }
    Some((old, proof, checkpoint.as_bytes()))
}

/// The request body for `checkpoint` given the size `old` the witness is
/// believed to hold and the consistency proof from it.
pub fn request_body(old: u64, proof: &[Hash], checkpoint: &str) -> String {
    let mut s = format!("old {old}\n");
    for h in proof {
        s.push_str(&B64.encode(h.0));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(checkpoint);
    s
}

/// A witness ready to serve.
pub struct WitnessServer {
    witness: Witness,
    signer: Signer,
    log_keys: Vec<VerifierKey>,
    listener: std::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

fn plain(status: u16, ctype: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", ctype)
        .body(Full::new(Bytes::from(body)))
        .expect("witness: a response from valid parts")
}

impl WitnessServer {
    /// Bind `listen` for the witness in `witness` with its key and the
    /// log keys it follows.
    pub fn bind(
        witness: Witness,
        signer: Signer,
        log_keys: Vec<VerifierKey>,
        listen: SocketAddr,
    ) -> Result<WitnessServer, ServeError> {
        let io = |what: String| move |source| ServeError::Io { what, source };
        let listener = std::net::TcpListener::bind(listen)
            .map_err(io(format!("cannot listen on {listen}")))?;
        listener
            .set_nonblocking(true)
            .map_err(io("listener".into()))?;
        Ok(WitnessServer {
            witness,
            signer,
            log_keys,
            listener,
            tls: None,
        })
    }

    /// Serve over TLS with this PEM certificate chain and key.
    pub fn with_tls(
        mut self,
        cert: &std::path::PathBuf,
        key: &std::path::PathBuf,
    ) -> Result<WitnessServer, ServeError> {
        self.tls = Some(crate::net::listen::tls_acceptor(cert, key)?);
        Ok(self)
    }

    /// The address bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until SIGINT or SIGTERM.
    pub fn run(self, limits: crate::net::listen::Limits) -> Result<(), ServeError> {
        let rt = crate::net::listen::runtime()?;
        let WitnessServer {
            witness,
            signer,
            log_keys,
            listener,
            tls,
        } = self;
        let state = Arc::new((witness, signer, log_keys));
        let handler: crate::net::listen::Handler = Arc::new(move |req| {
            let state = state.clone();
            Box::pin(async move { handle(state, req, limits.body_timeout).await })
        });
        rt.block_on(crate::net::listen::accept_loop(
            listener, tls, limits, handler,
        ))
    }
}

async fn handle(
    state: Arc<(Witness, Signer, Vec<VerifierKey>)>,
    req: Request<Incoming>,
    body_timeout: std::time::Duration,
) -> Response<Full<Bytes>> {
    let text = "text/plain; charset=utf-8";
    if req.method() != "POST" || !req.uri().path().ends_with("/add-checkpoint") {
        return plain(
            404,
            text,
            "not found: POST <prefix>/add-checkpoint\n".into(),
        );
    }
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST) {
        return plain(413, text, "request too large\n".into());
    }
    let read = Limited::new(req.into_body(), MAX_REQUEST).collect();
    let body = match tokio::time::timeout(body_timeout, read).await {
        Err(_) => return plain(408, text, "the request body took too long\n".into()),
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(_)) => return plain(413, text, "request too large\n".into()),
    };
    let answer = tokio::task::spawn_blocking(move || add_checkpoint(&state, &body)).await;
    match answer {
        Ok(r) => r,
        Err(_) => plain(500, text, "the witness failed\n".into()),
    }
}

fn add_checkpoint(
    state: &(Witness, Signer, Vec<VerifierKey>),
    body: &[u8],
) -> Response<Full<Bytes>> {
    let text = "text/plain; charset=utf-8";
    let Some((old, proof, cp)) = parse_request(body) else {
        return plain(400, text, "malformed add-checkpoint request\n".into());
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (w, signer, keys) = state;
    match w.add_checkpoint(signer, keys, old, proof, cp, now) {
        Ok(c) => plain(200, text, format!("{}\n", c.line)),
        Err(WitnessError::OldSize { held }) => plain(409, "text/x.tlog.size", format!("{held}\n")),
        Err(e @ WitnessError::UnknownLog { .. }) => plain(404, text, format!("{e}\n")),
        Err(e @ WitnessError::OldAfterNew { .. }) => plain(400, text, format!("{e}\n")),
        Err(e @ WitnessError::Checkpoint(_)) => plain(400, text, format!("{e}\n")),
        Err(e @ WitnessError::NotSigned(_)) => plain(403, text, format!("{e}\n")),
        Err(e @ WitnessError::Older { .. }) => plain(409, text, format!("{e}\n")),
        Err(
            e @ (WitnessError::Inconsistent { .. }
            | WitnessError::EvidenceFull { .. }
            | WitnessError::BadProof(_)
            | WitnessError::ProofRequired { .. }
            | WitnessError::ProofSizes { .. }),
        ) => plain(422, text, format!("{e}\n")),
        Err(e) => plain(500, text, format!("{e}\n")),
    }
}

/// A witness a server asks for cosignatures: where, and its key.
#[derive(Clone, Debug)]
pub struct WitnessPeer {
    /// The submission prefix (`add-checkpoint` is appended).
    pub url: String,
    /// Its cosignature verifier key (type 0x04).
    pub key: VerifierKey,
}

/// Ask `peer` to cosign `checkpoint` (of size `new`): first with the size
/// it is believed to hold (`*known`), then, on 409, with the size it names
/// (at most twice). `proof(old)` is the consistency proof from `old` to
/// `new`. Returns the cosignature lines that verify under `peer.key`.
pub fn request_cosignatures(
    agent: &ureq::Agent,
    peer: &WitnessPeer,
    checkpoint: &str,
    known: &mut u64,
    proof: &dyn Fn(u64) -> Option<Vec<Hash>>,
) -> Result<Vec<String>, String> {
    let url = format!("{}/add-checkpoint", peer.url.trim_end_matches('/'));
    for _ in 0..3 {
        let path =
            proof(*known).ok_or_else(|| format!("no consistency proof from size {known}"))?;
        let body = request_body(*known, &path, checkpoint);
        let mut resp = agent
            .post(&url)
            .send(body.as_bytes())
            .map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("{url}: {e}"))?;
        match status {
            200 => return Ok(verified_lines(peer, checkpoint, &text)),
            409 => {
                *known = text
                    .trim_end()
                    .parse()
                    .map_err(|_| format!("{url}: a 409 without a size"))?;
            }
            s => return Err(format!("{url}: HTTP {s}: {}", text.trim_end())),
        }
    }
    Err(format!("{url}: the witness's size kept changing"))
}

/// The lines of `answer` that are cosignatures by `peer.key` on `checkpoint`.
fn verified_lines(peer: &WitnessPeer, checkpoint: &str, answer: &str) -> Vec<String> {
    let Ok(note) = crate::tlog::note::Note::parse(checkpoint.as_bytes()) else {
        return Vec::new();
    };
    answer
        .lines()
        .filter(|l| {
            let candidate = format!("{}\n{l}\n", note.text);
            crate::tlog::note::Note::parse(candidate.as_bytes()).is_ok_and(|n| {
                n.sigs.iter().any(|g| {
                    g.name == peer.key.name
                        && g.id == peer.key.id()
                        && crate::tlog::note::verify_sig(&n.text, g, &peer.key).is_ok()
                })
            })
        })
        .map(str::to_owned)
        .collect()
}
