//! `caselog serve`: several cases (ledgers) behind one HTTP/1.1 listener,
//! each with its own sequencer. Plain HTTP on loopback, TLS (rustls)
//! elsewhere. Limits: request bodies ([`ServeConfig::max_body`]), open
//! connections and slow clients ([`ServeConfig::limits`]: more connections
//! are closed at once, slow headers dropped, a slow body answered 408).

mod access;
mod auth;
mod blobs;
mod budget;
mod cosign;
pub(crate) mod routes;
mod sequencer;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

use crate::ledger::Ledger;
use crate::net::api::ApiError;
use crate::net::httpsig::RequestParts;
use routes::{Answer, Req};

/// What `caselog serve` was asked to do, checked.
#[derive(Debug)]
pub struct ServeConfig {
    /// Case name (the URL path element) → ledger directory.
    pub cases: BTreeMap<String, PathBuf>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// PEM certificate chain and private key for TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Largest request body read.
    pub max_body: usize,
    /// Request bytes held in memory at once, over all requests: a request
    /// that would go over is answered 503 `BUSY` before its body is read.
    pub max_in_flight: usize,
    /// The names clients reach this server by (`--public-host`, HOST or
    /// HOST:PORT), besides the listen address: a request signed for
    /// another host is refused (SPEC §17.2).
    pub public_hosts: Vec<String>,
    /// Free space an evidence upload must leave on the blob store's disk.
    pub min_free: u64,
    /// Connections at once and the time clients have to send a request.
    pub limits: Limits,
    /// Serve without writing (a mirror's copy).
    pub read_only: bool,
    /// Largest evidence copy a member may upload (`api/blob`).
    pub max_blob: u64,
    /// Witnesses asked to cosign each checkpoint stored (C2SP tlog-witness).
    pub witnesses: Vec<crate::net::witness::WitnessPeer>,
    /// Cosignatures a checkpoint should gather (reported, not enforced).
    pub quorum: usize,
    /// Mirrors whose cosignatures `POST api/cosignature` accepts and
    /// stores with the checkpoint (SPEC §17.7).
    pub mirrors: Vec<crate::tlog::note::VerifierKey>,
    /// Root certificates (PEM) trusted for `https` witnesses (else the
    /// public web's).
    pub witness_ca: Option<Vec<u8>>,
    /// Have each checkpoint stored time-stamped by this RFC 3161 TSA
    /// (SPEC §10.5), its token checked against these roots when given.
    pub tsa: Option<(String, Option<crate::tlog::tsp::Anchors>)>,
    /// Publish each checkpoint and its tiles to this object store
    /// (`file://` or `s3://`, see [`crate::net::publish`]); with entry
    /// bundles when the flag is set.
    pub publish: Option<(String, bool)>,
}

pub use crate::net::listen::{Limits, ServeError};

/// Request bytes in memory at once, by default: 64 MiB.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64 << 20;
/// Free space an upload leaves on the disk, by default: 1 GiB.
pub const DEFAULT_MIN_FREE: u64 = 1 << 30;

impl ServeConfig {
    /// Serve `cases` on `listen` with the defaults of `caselog serve`:
    /// plain HTTP, writable, no witness, TSA or publishing.
    pub fn new(cases: BTreeMap<String, PathBuf>, listen: SocketAddr) -> ServeConfig {
        ServeConfig {
            cases,
            listen,
            tls: None,
            max_body: crate::net::api::DEFAULT_MAX_BODY,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            public_hosts: Vec::new(),
            min_free: DEFAULT_MIN_FREE,
            limits: Limits::default(),
            read_only: false,
            max_blob: 64 << 30,
            witnesses: Vec::new(),
            quorum: 0,
            mirrors: Vec::new(),
            witness_ca: None,
            tsa: None,
            publish: None,
        }
    }
}

/// One served case.
pub(crate) struct Case {
    pub(crate) ledger: Arc<RwLock<Ledger>>,
    /// `None` when served read-only.
    pub(crate) tx: Option<SyncSender<sequencer::Msg>>,
    /// The head as durable on disk: all that readers are shown.
    pub(crate) durable: sequencer::Durable,
    pub(crate) nonces: auth::Nonces,
    /// Evidence uploads under way, per member (at most
    /// [`blobs::UPLOADS_PER_MEMBER`] each).
    pub(crate) uploads: std::sync::Mutex<BTreeMap<crate::format::ids::MemberKey, usize>>,
    /// The size each witness (by URL) is believed to hold for this case.
    pub(crate) witnessed: std::sync::Mutex<BTreeMap<String, u64>>,
    /// The case's name (its URL path element).
    pub(crate) name: String,
    /// The ledger directory (for its evidence blob store).
    pub(crate) dir: std::path::PathBuf,
    /// The size published to the object store (`None`: not read yet);
    /// held while publishing, so publications never go backwards.
    pub(crate) published: std::sync::Mutex<Option<u64>>,
    /// Where every member read is recorded before it is answered (SPEC §18).
    pub(crate) access: crate::net::access::store::AccessLog,
}

struct State {
    cases: BTreeMap<String, Arc<Case>>,
    max_body: usize,
    /// The request bytes that may be in memory, in all and per member.
    in_flight: budget::Budget,
    gate: auth::Gate,
    blob_limits: blobs::BlobLimits,
    body_timeout: Duration,
    witnesses: Arc<cosign::Witnesses>,
    publisher: Option<Arc<crate::net::publish::Publisher>>,
    tsa: Option<Arc<routes::Tsa>>,
}

/// A bound server, ready to run.
pub struct Server {
    state: Arc<State>,
    listener: std::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
}

/// Open one case's ledger (holding its writer lock unless read-only) and
/// start its sequencer.
fn open_case(name: &str, dir: &std::path::Path, read_only: bool) -> Result<Case, ServeError> {
    let err = |source| ServeError::Ledger {
        case: name.to_owned(),
        source,
    };
    let l = Ledger::open(dir, !read_only).map_err(err)?;
    let access = crate::net::access::store::AccessLog::open(dir).map_err(|e| ServeError::Io {
        what: format!(
            "case {name}: cannot open its access log in {} (every member read is recorded there; serve from a writable directory)",
            crate::net::access::store::dir(dir).display()
        ),
        source: std::io::Error::other(e.to_string()),
    })?;
    let durable = Arc::new(std::sync::Mutex::new(crate::net::api::HeadInfo::of(
        l.id(),
        l.hash_alg(),
        l.head(),
    )));
    let ledger = Arc::new(RwLock::new(l));
    let tx = match read_only {
        true => None,
        false => Some(sequencer::start(name, ledger.clone(), durable.clone()).map_err(err)?),
    };
    Ok(Case {
        ledger,
        tx,
        durable,
        nonces: auth::Nonces::default(),
        uploads: Default::default(),
        witnessed: Default::default(),
        name: name.to_owned(),
        dir: dir.to_path_buf(),
        published: std::sync::Mutex::new(None),
        access,
    })
}

impl Server {
    /// Open every ledger (holding its writer lock unless read-only) and
    /// bind the address; nothing is served until [`Server::run`].
    pub fn bind(cfg: &ServeConfig) -> Result<Server, ServeError> {
        if cfg.listen.ip().is_unspecified() && cfg.public_hosts.is_empty() {
            return Err(ServeError::NoHost { listen: cfg.listen });
        }
        let mut cases = BTreeMap::new();
        for (name, dir) in &cfg.cases {
            cases.insert(name.clone(), Arc::new(open_case(name, dir, cfg.read_only)?));
        }
        let listener =
            std::net::TcpListener::bind(cfg.listen).map_err(|source| ServeError::Io {
                what: format!("cannot listen on {}", cfg.listen),
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| ServeError::Io {
                what: "listener".into(),
                source,
            })?;
        // The address bound (port 0 becomes the port the OS chose).
        let bound = listener.local_addr().map_err(|source| ServeError::Io {
            what: "listener".into(),
            source,
        })?;
        let hosts = auth::Hosts::new(&cfg.public_hosts, bound);
        let publisher = match &cfg.publish {
            Some((url, entries)) => Some(Arc::new(
                crate::net::publish::Publisher::new(url, *entries)
                    .map_err(|e| ServeError::Publish(e.to_string()))?,
            )),
            None => None,
        };
        let tls = match &cfg.tls {
            Some((cert, key)) => Some(crate::net::listen::tls_acceptor(cert, key)?),
            None => None,
        };
        Ok(Server {
            state: Arc::new(State {
                cases,
                max_body: cfg.max_body,
                in_flight: budget::Budget::new(cfg.max_in_flight),
                gate: auth::Gate {
                    hosts,
                    started: auth::now_secs(),
                },
                blob_limits: blobs::BlobLimits {
                    max: cfg.max_blob,
                    idle: cfg.limits.body_timeout,
                    min_free: cfg.min_free,
                },
                body_timeout: cfg.limits.body_timeout,
                witnesses: Arc::new(cosign::Witnesses {
                    peers: cfg.witnesses.clone(),
                    quorum: cfg.quorum,
                    mirrors: cfg.mirrors.clone(),
                    ca: cfg.witness_ca.clone(),
                }),
                publisher,
                tsa: cfg.tsa.clone().map(|(url, anchors)| {
                    Arc::new(routes::Tsa {
                        url,
                        anchors,
                        ca: cfg.witness_ca.clone(),
                    })
                }),
            }),
            listener,
            tls,
            limits: cfg.limits,
        })
    }

    /// The address bound (with the port the OS chose for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until the process is stopped (SIGINT or SIGTERM end it
    /// cleanly: the sequencers finish their batch, the ledgers close).
    pub fn run(self) -> Result<(), ServeError> {
        let rt = crate::net::listen::runtime()?;
        rt.block_on(self.accept_loop())
    }

    async fn accept_loop(self) -> Result<(), ServeError> {
        let state = self.state.clone();
        let handler: crate::net::listen::Handler = Arc::new(move |req| {
            let state = state.clone();
            Box::pin(async move { handle(state, req).await })
        });
        crate::net::listen::accept_loop(self.listener, self.tls, self.limits, handler).await
    }
}

fn respond(r: Result<Answer, ApiError>) -> Response<Full<Bytes>> {
    let (status, ctype, cache, body) = match r {
        Ok(a) => (a.status, a.content_type, a.cache, a.body),
        Err(e) => (
            e.status,
            "application/json",
            "no-store",
            serde_json::to_vec(&e).expect("serve: JSON of plain data"),
        ),
    };
    Response::builder()
        .status(status)
        .header("content-type", ctype)
        .header("cache-control", cache)
        .body(Full::new(Bytes::from(body)))
        .expect("serve: a response from valid parts")
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let has_body = req
        .headers()
        .get("content-length")
        .is_none_or(|v| v.as_bytes() != b"0")
        && req.method() != "GET";
    let answer = dispatch(state, req).await;
    let refused = answer.is_err();
    let mut resp = respond(answer);
    // A refusal may come before the body was read (authentication is
    // judged from the headers): the connection cannot carry another
    // request, so the client is told not to reuse it.
    if refused && has_body {
        resp.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    resp
}

/// Public resources: the C2SP checkpoint and hash tiles. Everything else
/// is a member's, authenticated from its headers before its body is read.
fn public(method: &hyper::Method, rest: &str) -> bool {
    method == "GET"
        && (rest == "checkpoint"
            || (rest.starts_with("tile/") && !rest.starts_with("tile/entries/")))
}

async fn dispatch(state: Arc<State>, req: Request<Incoming>) -> Result<Answer, ApiError> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let (case_name, rest) = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .ok_or_else(|| ApiError::new(404, "NOT_FOUND", 2, format!("no such resource: {path}")))?;
    let case = state.cases.get(case_name).cloned().ok_or_else(|| {
        ApiError::new(404, "NOT_FOUND", 2, format!("no case named {case_name:?}"))
    })?;
    let mut owned = OwnedReq::new(&parts, Bytes::new(), rest);
    let public = public(&parts.method, rest);
    if !public {
        let (c, s) = (case.clone(), state.clone());
        let (caller, back) = tokio::task::spawn_blocking(move || {
            let caller = auth_headers(&c, &s.gate, &owned);
            (caller, owned)
        })
        .await
        .map_err(|_| internal())?;
        owned = back;
        owned.caller = Some(caller?);
    }
    if parts.method == "PUT" && rest.starts_with("api/blob/") {
        if case.tx.is_none() {
            return Err(ApiError::new(
                405,
                "READ_ONLY",
                2,
                "this case is served read-only",
            ));
        }
        return blobs::put(&case, owned, body, &state.blob_limits).await;
    }
    // Held until the answer is made: the body's bytes in memory. A public
    // resource takes no body: nothing is held or read for one.
    let max = if public { 0 } else { state.max_body };
    let _held = reserve(&state, &parts, max, owned.caller.as_ref().map(|c| c.key))?;
    let body = read_body(&parts, body, max, state.body_timeout).await?;
    if let Some(c) = &owned.caller {
        c.check_body(&owned.as_req().parts, &body)?;
    }
    owned.body = body.to_vec();
    route(state, case, owned).await
}

/// Authenticate `req` against `case`'s members.
fn auth_headers(case: &Case, gate: &auth::Gate, req: &OwnedReq) -> Result<auth::Caller, ApiError> {
    let l = case.ledger.read().expect("serve: ledger lock poisoned");
    let r = req.as_req();
    auth::authenticate(&l, &case.nonces, gate, r.sig_input, r.sig, &r.parts)
}

/// Reserve room for the request's body (its declared length, else `max`)
/// in the server-wide budget and the member's share of it, or answer 503
/// at once (413 when it declares more than `max`).
fn reserve(
    state: &State,
    parts: &hyper::http::request::Parts,
    max: usize,
    member: Option<crate::format::ids::MemberKey>,
) -> Result<budget::Held, ApiError> {
    let declared = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let n = match declared {
        Some(n) if n <= max => n,
        Some(_) => return Err(too_large(max)),
        None if parts.method == "GET" => 0,
        None => max,
    };
    state.in_flight.hold(n, member)
}

/// Run the route of an authenticated (or public) request.
async fn route(state: Arc<State>, case: Arc<Case>, owned: OwnedReq) -> Result<Answer, ApiError> {
    if owned.method == "POST" && owned.rest == "api/append" {
        let turn = owned
            .query
            .strip_prefix("?turn=")
            .and_then(|t| t.parse::<u64>().ok());
        let subs = tokio::task::spawn_blocking(move || routes::prepare_append(&owned.as_req()))
            .await
            .map_err(|_| internal())??;
        return routes::append(case, subs, turn).await;
    }
    if owned.method == "POST" && owned.rest == "api/turn" {
        let durable = owned.query == "?durable=1";
        let who = routes::who(&owned.as_req())?.key;
        return routes::turn(case, who, durable).await;
    }
    let witnesses = state.witnesses.clone();
    let publisher = state.publisher.clone();
    let tsa = state.tsa.clone();
    tokio::task::spawn_blocking(move || {
        let req = owned.as_req();
        match (req.parts.method, req.rest) {
            ("POST", "api/checkpoint") => {
                let after = routes::AfterCheckpoint {
                    witnesses: &witnesses,
                    publisher: publisher.as_deref(),
                    tsa: tsa.as_deref(),
                };
                routes::post_checkpoint(&case, &req, &after)
            }
            ("POST", "api/cosignature") => {
                routes::post_cosignature(&case, &req, &witnesses.mirrors, publisher.as_deref())
            }
            _ => crate::net::server::access::read_logged(&case, &req),
        }
    })
    .await
    .map_err(|_| internal())?
}

/// The request body: at most `max` bytes (a larger declared or actual
/// length is 413), within `timeout` (408).
async fn read_body(
    parts: &hyper::http::request::Parts,
    body: Incoming,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let declared = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => Err(ApiError::new(
            408,
            "SLOW_CLIENT",
            2,
            "the request body took too long",
        )),
        Ok(Err(_)) => Err(too_large(max)),
        Ok(Ok(b)) => Ok(b.to_bytes()),
    }
}

fn too_large(max: usize) -> ApiError {
    let what = match max {
        0 => "this resource takes no request body".to_owned(),
        _ => format!("the request body is over the server's {max}-byte limit"),
    };
    ApiError::new(413, "TOO_LARGE", 2, what)
}

fn internal() -> ApiError {
    ApiError::new(500, "INTERNAL", 3, "the request handler failed")
}

/// A request's parts, owned, to move onto a blocking thread.
pub(crate) struct OwnedReq {
    method: String,
    authority: String,
    path: String,
    query: String,
    pub(crate) digest: Option<String>,
    sig_input: Option<String>,
    sig: Option<String>,
    body: Vec<u8>,
    pub(crate) rest: String,
    /// The member who signed it (`None`: a public resource).
    pub(crate) caller: Option<auth::Caller>,
}

impl OwnedReq {
    fn new(parts: &hyper::http::request::Parts, body: Bytes, rest: &str) -> OwnedReq {
        let header = |n: &str| {
            parts
                .headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        OwnedReq {
            method: parts.method.as_str().to_owned(),
            authority: header("host").unwrap_or_default(),
            path: parts.uri.path().to_owned(),
            query: format!("?{}", parts.uri.query().unwrap_or("")),
            digest: header("content-digest"),
            sig_input: header("signature-input"),
            sig: header("signature"),
            body: body.to_vec(),
            rest: rest.to_owned(),
            caller: None,
        }
    }

    pub(crate) fn as_req(&self) -> Req<'_> {
        Req {
            parts: RequestParts {
                method: &self.method,
                authority: &self.authority,
                path: &self.path,
                query: &self.query,
                content_digest: self.digest.as_deref(),
            },
            sig_input: self.sig_input.as_deref(),
            sig: self.sig.as_deref(),
            body: &self.body,
            rest: &self.rest,
            caller: self.caller.as_ref(),
        }
    }
}
