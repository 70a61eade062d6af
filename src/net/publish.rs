//! Publishing a served case as static C2SP `tlog-tiles` into an object
//! store (`caselog serve --publish URL`): a local directory (`file://`) or
//! an S3-compatible bucket (`s3://bucket/prefix`, credentials and endpoint
//! from the usual `AWS_*` environment variables), through the
//! `object_store` crate. A static web server or CDN in front of it then
//! serves the case's `checkpoint` and `tile/...` to witnesses, monitors and
//! standard tlog clients without the ledger server.
//!
//! Layout: `<prefix>/<case>/checkpoint`, `<prefix>/<case>/tile/<L>/<N>[.p/<W>]`
//! and, only when asked (`--publish-entries`: they hold the case's
//! content, so the bucket must be private), `tile/entries/...`.
//!
//! Commit order (what a failure at each point leaves): for each new
//! checkpoint, every tile it needs is written first, then the checkpoint;
//! each object is written whole (object stores never show a partial
//! object). A failure before the checkpoint leaves the previous checkpoint
//! in place, with some extra immutable tiles; the next checkpoint writes
//! them again. A reader therefore never sees a checkpoint whose tiles are
//! missing.

use std::sync::{Arc, RwLock};

use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use thiserror::Error;

use crate::ledger::Ledger;
use crate::tlog::tiles::{tiles_between, Tile};

/// Tiles read from the ledger and written per round.
const CHUNK: usize = 64;

/// Why publishing failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The URL names no supported store.
    #[error("cannot publish to {url}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// Why.
        reason: String,
    },
    /// Writing an object failed.
    #[error("writing {path}: {reason}")]
    Write {
        /// The object.
        path: String,
        /// Why.
        reason: String,
    },
    /// Reading the ledger failed.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
}

/// Where and what to publish.
pub struct Publisher {
    store: Arc<dyn ObjectStore>,
    base: ObjPath,
    entries: bool,
    /// A `file://` store that holds entry bundles (case content): its
    /// directory, kept 0700 with files 0600.
    private_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Publisher({}, {})", self.store, self.base)
    }
}

impl Publisher {
    /// A publisher to `url` (`file:///DIR` or `s3://BUCKET[/PREFIX]`).
    pub fn new(url: &str, entries: bool) -> Result<Publisher, PublishError> {
        let bad = |reason: String| PublishError::BadUrl {
            url: url.to_owned(),
            reason,
        };
        let u = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let mut private_dir = None;
        let (store, base): (Arc<dyn ObjectStore>, ObjPath) = match u.scheme() {
            "file" => {
                let dir = u
                    .to_file_path()
                    .map_err(|()| bad("not an absolute file path".into()))?;
                std::fs::create_dir_all(&dir).map_err(|e| bad(e.to_string()))?;
                if entries {
                    // Case content: only the server's user may enter.
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                        .map_err(|e| bad(e.to_string()))?;
                    private_dir = Some(dir.clone());
                }
                let fs = object_store::local::LocalFileSystem::new_with_prefix(&dir)
                    .map_err(|e| bad(e.to_string()))?;
                (Arc::new(fs), ObjPath::default())
            }
            "s3" => {
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| bad(e.to_string()))?;
                let prefix = ObjPath::parse(u.path()).map_err(|e| bad(e.to_string()))?;
                (Arc::new(s3), prefix)
            }
            other => return Err(bad(format!("scheme {other:?}: use file:// or s3://"))),
        };
        Ok(Publisher {
            store,
            base,
            entries,
            private_dir,
        })
    }

    fn path(&self, case: &str, rest: &str) -> ObjPath {
        let mut p = self.base.clone();
        for part in std::iter::once(case).chain(rest.split('/')) {
            p = p.clone().join(part);
        }
        p
    }

    async fn put(&self, path: ObjPath, bytes: Vec<u8>) -> Result<(), PublishError> {
        let failed = |reason: String| PublishError::Write {
            path: path.to_string(),
            reason,
        };
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(|e| failed(e.to_string()))?;
        if let Some(dir) = &self.private_dir {
            private(dir, &path).map_err(|e| failed(e.to_string()))?;
        }
        Ok(())
    }

    /// The size of the checkpoint already published for `case` (0: none,
    /// or not readable as one: everything is written again).
    pub async fn published_size(&self, case: &str) -> u64 {
        let Ok(got) = self.store.get(&self.path(case, "checkpoint")).await else {
            return 0;
        };
        let Ok(bytes) = got.bytes().await else {
            return 0;
        };
        crate::tlog::checkpoint::parse(&bytes).map_or(0, |(c, _)| c.head.size.0)
    }

    /// Publish the checkpoint `note` of size `size` (stored in `ledger`)
    /// after the tiles it needs beyond the `published` size. Returns how
    /// many objects were written.
    pub async fn publish(
        &self,
        case: &str,
        ledger: &RwLock<Ledger>,
        published: u64,
        size: u64,
        note: &[u8],
    ) -> Result<usize, PublishError> {
        if size <= published {
            return Ok(0);
        }
        let tiles = tiles_between(published, size, self.entries);
        for chunk in tiles.chunks(CHUNK) {
            // Read under the lock, write without it.
            let read: Vec<(Tile, Vec<u8>)> = {
                let l = ledger.read().expect("publish: ledger lock poisoned");
                chunk
                    .iter()
                    .map(|t| {
                        let b = match t.level {
                            Some(_) => l.hash_tile(*t),
                            None => l.entry_bundle(*t),
                        };
                        b.map(|b| (*t, b))
                    })
                    .collect::<Result<_, _>>()?
            };
            for (t, bytes) in read {
                self.put(self.path(case, &t.path()), bytes).await?;
            }
        }
        self.put_checkpoint(case, note).await?;
        Ok(tiles.len() + 1)
    }

    /// Write the checkpoint object alone (its cosignatures changed).
    pub async fn put_checkpoint(&self, case: &str, note: &[u8]) -> Result<(), PublishError> {
        self.put(self.path(case, "checkpoint"), note.to_vec()).await
    }
}

/// Make the object at `path` under `dir` 0600 and the directories between
/// 0700 (the store's own directory already is).
fn private(dir: &std::path::Path, path: &ObjPath) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut at = dir.to_path_buf();
    let parts: Vec<_> = path.parts().collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part.as_ref());
        let mode = if i + 1 == parts.len() { 0o600 } else { 0o700 };
        std::fs::set_permissions(&at, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}
