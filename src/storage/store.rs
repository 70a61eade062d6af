//! RocksDB storage: column families, the writer lock, synced batches.
//!
//! Owns: the on-disk layout of a ledger directory (SPEC §8), opening it for
//! writing (exclusive, with a pid lock file) or reading (RocksDB read-only
//! mode, which works while a writer holds the lock), and the single write
//! path: [`WriteStore::commit`] writes one `WriteBatch` with `sync = true`.
//! Reading and writing are two types: a [`Store`] cannot write, a
//! [`WriteStore`] holds the writer lock for its life.
//!
//! Knows nothing of entries or policy; `ledger` decides what goes in a batch.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use rocksdb::{ColumnFamilyDescriptor, IteratorMode, Options, WriteBatch, WriteOptions, DB};
use thiserror::Error;

use super::layout::{ALL_CFS, GATE_FILE, LOCK_FILE};

/// One key-value pair as RocksDB returns it.
pub type Kv = (Box<[u8]>, Box<[u8]>);

/// Why the store could not be opened, read or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The directory does not hold a caselog ledger.
    #[error("no ledger at {dir}")]
    NotALedger {
        /// The directory.
        dir: PathBuf,
    },
    /// `init` into a directory that already holds something.
    #[error("{dir} already exists and is not empty")]
    AlreadyExists {
        /// The directory.
        dir: PathBuf,
    },
    /// Another process holds the writer lock.
    #[error("ledger {dir} is locked by another caselog process{}", pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Locked {
        /// The directory.
        dir: PathBuf,
        /// The process holding it.
        pid: Option<u32>,
    },
    /// A filesystem operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// RocksDB reported an error.
    #[error("storage error in {dir}: {msg}")]
    Db {
        /// The directory.
        dir: PathBuf,
        /// What is wrong.
        msg: String,
    },
}

/// A ledger database open for reading: RocksDB's read-only mode, which
/// never waits and works alongside a writer. Every read goes through it;
/// a [`WriteStore`] is one of these plus the writer lock and the writes.
pub struct Store {
    /// Shared only with [`WalSync`] handles (a server's WAL syncer).
    db: std::sync::Arc<DB>,
    dir: PathBuf,
}

/// A ledger database open for writing: holds the writer lock for its
/// life; the only type with [`WriteStore::commit`].
pub struct WriteStore {
    /// Dropped first: the database closes...
    store: Store,
    /// ...then the exclusive open gate is released (taken in `drop`)...
    gate: Option<File>,
    /// ...then the writer lock.
    _lock: File,
}

impl std::ops::Deref for WriteStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl Drop for WriteStore {
    /// A writer closes under the exclusive open gate: it lets RocksDB
    /// delete the files it made obsolete (deletions were off for the
    /// session), then closes, then releases the gate.
    fn drop(&mut self) {
        self.gate = gate(&self.store.dir, true).ok().flatten();
        // Opens do not flush what earlier processes logged (see
        // `db_options`), so write-ahead logs accumulate, one per session:
        // past MAX_WAL_FILES, flush every family now (a few ms, once in
        // that many appends) so the logs become obsolete and the next
        // line deletes them. A failed flush loses nothing: the logs stay.
        if wal_files(&self.store.dir) > MAX_WAL_FILES {
            let _ = self.flush();
        }
        let _ = self.store.db.enable_file_deletions();
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

impl std::fmt::Debug for WriteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteStore")
            .field("dir", &self.store.dir)
            .finish()
    }
}

/// A set of writes applied atomically by [`WriteStore::commit`].
#[derive(Default)]
pub struct Batch {
    puts: Vec<(&'static str, Vec<u8>, Vec<u8>)>,
    deletes: Vec<(&'static str, Vec<u8>)>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Batch {
        Batch::default()
    }
    /// Queue a put.
    pub fn put(&mut self, cf: &'static str, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.puts.push((cf, key.into(), value.into()));
    }
    /// Queue a delete.
    pub fn delete(&mut self, cf: &'static str, key: impl Into<Vec<u8>>) {
        self.deletes.push((cf, key.into()));
    }
    /// Number of queued operations.
    pub fn len(&self) -> usize {
        self.puts.len() + self.deletes.len()
    }
    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values put in `cf` under keys starting with `prefix`, in order.
    pub fn values_with_prefix(&self, cf: &str, prefix: &[u8]) -> Vec<&[u8]> {
        self.puts
            .iter()
            .filter(|(c, k, _)| *c == cf && k.starts_with(prefix))
            .map(|(_, _, v)| v.as_slice())
            .collect()
    }
    /// A mark to [`Batch::truncate`] back to.
    pub fn mark(&self) -> (usize, usize) {
        (self.puts.len(), self.deletes.len())
    }
    /// Drop every operation queued after `mark` (undo a refused part).
    pub fn truncate(&mut self, mark: (usize, usize)) {
        self.puts.truncate(mark.0);
        self.deletes.truncate(mark.1);
    }

    /// The value last put under `key` in `cf` in this batch, if any (a
    /// linear scan: for the rare read of something staged, not a hot path).
    pub fn get(&self, cf: &str, key: &[u8]) -> Option<&[u8]> {
        self.puts
            .iter()
            .rev()
            .find(|(c, k, _)| *c == cf && k.as_slice() == key)
            .map(|(_, _, v)| v.as_slice())
    }
}

/// Memory bounds (verify must not grow with the ledger): memtables of
/// 8 MiB per column family (a read-only open replays at most that much WAL
/// into memory per family), and one 8 MiB block cache shared by all column
/// families that also holds index and filter blocks.
const WRITE_BUFFER: usize = 8 << 20;
const BLOCK_CACHE: usize = 8 << 20;
/// Table files kept open (RocksDB's default, -1, opens every one at open).
const MAX_OPEN_FILES: i32 = 256;
/// Write-ahead log kept before every family is flushed.
const MAX_WAL: u64 = 64 << 10;
/// Write-ahead log files a writer leaves before it flushes at close.
const MAX_WAL_FILES: usize = 48;

/// How many write-ahead log files (`*.log`) the ledger directory holds.
fn wal_files(dir: &Path) -> usize {
    fs::read_dir(dir).map_or(0, |rd| {
        rd.filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
            .count()
    })
}

fn cf_options(cache: &rocksdb::Cache) -> Options {
    let mut b = rocksdb::BlockBasedOptions::default();
    b.set_block_cache(cache);
    b.set_cache_index_and_filter_blocks(true);
    let mut o = Options::default();
    o.set_block_based_table_factory(&b);
    o.set_write_buffer_size(WRITE_BUFFER);
    o
}

fn cf_descriptors() -> Vec<ColumnFamilyDescriptor> {
    let cache = rocksdb::Cache::new_lru_cache(BLOCK_CACHE);
    ALL_CFS
        .iter()
        .map(|n| ColumnFamilyDescriptor::new(*n, cf_options(&cache)))
        .collect()
}

fn db_options(create: bool) -> Options {
    let mut o = Options::default();
    o.set_write_buffer_size(WRITE_BUFFER);
    o.create_if_missing(create);
    o.create_missing_column_families(create);
    o.set_paranoid_checks(true);
    // Keep the ledger directory tidy: RocksDB's info log goes to a file
    // beside the data, kept small.
    o.set_keep_log_file_num(2);
    o.set_max_log_file_size(1 << 20);
    // A CLI process opens the ledger for one append (issue 16): open table
    // files lazily instead of all of them, on one thread per family each,
    // at every open; and do not read every file for statistics.
    o.set_max_open_files(MAX_OPEN_FILES);
    o.set_skip_stats_update_on_db_open(true);
    // The few table files an open still loads (at most 16) are opened on
    // this thread: the default of 16 threads per family started and
    // joined ~45 threads per open of a 1M-entry ledger.
    o.set_max_file_opening_threads(1);
    // Nor flush what the last process left in the write-ahead log into one
    // small table file per family at every open (each synced; they piled
    // up in level 0 until a compaction of the whole index family, which a
    // closing process abandons and the next one starts again, stalled an
    // append for seconds): replay it into the memtables and keep the logs
    // until they pass MAX_WAL (or MAX_WAL_FILES, see `WriteStore::drop`).
    // Crash safety is the same: every append is synced to the log.
    o.set_max_total_wal_size(MAX_WAL);
    o.get_options_from_string("avoid_flush_during_recovery=true")
        .expect("store: a valid RocksDB option string")
}

impl WriteStore {
    /// Create a new, empty ledger database at `dir` (which must not exist
    /// or be empty) and hold its writer lock.
    pub fn create(dir: &Path) -> Result<WriteStore, StoreError> {
        let io = |source| StoreError::Io {
            path: dir.to_owned(),
            source,
        };
        if dir.exists() {
            let mut rd = fs::read_dir(dir).map_err(io)?;
            if rd.next().is_some() {
                return Err(StoreError::AlreadyExists {
                    dir: dir.to_owned(),
                });
            }
        }
        // Owner-only from the start (SPEC §8): a case ledger is confidential.
        {
            use std::os::unix::fs::DirBuilderExt as _;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(io)?;
            }
            match fs::DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(e)),
            }
        }
        let lock = take_lock(dir)?;
        let g = gate(dir, true).map_err(io)?;
        let db = DB::open_cf_descriptors(&db_options(true), dir, cf_descriptors())
            .map_err(|e| db_err(dir, e))?;
        db.disable_file_deletions().map_err(|e| db_err(dir, e))?;
        drop(g);
        Ok(WriteStore::holding(db, dir, lock))
    }

    fn holding(db: DB, dir: &Path, lock: File) -> WriteStore {
        WriteStore {
            store: Store {
                db: std::sync::Arc::new(db),
                dir: dir.to_owned(),
            },
            gate: None,
            _lock: lock,
        }
    }

    /// Open an existing ledger for writing: takes the writer lock (fails
    /// with [`StoreError::Locked`] if another process has it).
    pub fn open(dir: &Path) -> Result<WriteStore, StoreError> {
        Store::must_exist(dir)?;
        let lock = take_lock(dir)?;
        let db = Store::open_db(dir, true)?;
        Ok(WriteStore::holding(db, dir, lock))
    }
}

impl Store {
    /// Open an existing ledger for reading: never waits, works alongside
    /// a writer.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::must_exist(dir)?;
        let db = Store::open_db(dir, false)?;
        Ok(Store {
            db: std::sync::Arc::new(db),
            dir: dir.to_owned(),
        })
    }

    fn must_exist(dir: &Path) -> Result<(), StoreError> {
        if dir.join("CURRENT").is_file() {
            Ok(())
        } else {
            Err(StoreError::NotALedger {
                dir: dir.to_owned(),
            })
        }
    }

    fn open_db(dir: &Path, writable: bool) -> Result<DB, StoreError> {
        let opts = db_options(false);
        // Writers open under the exclusive gate (recovery may flush and
        // delete a write-ahead log) and then turn file deletion off until
        // they close; readers open under the shared gate. So no reader ever
        // lists a log or SST file that vanishes, or misses a flush, while
        // it opens. Ledgers on read-only media have no writer and may lack
        // the gate file (made by writers since format 1.1 of the layout).
        let g = gate(dir, writable).map_err(|source| StoreError::Io {
            path: dir.join(GATE_FILE),
            source,
        })?;
        let db = if writable {
            // A writer adds the families of newer layouts (`timestamps`) to
            // an older ledger; the six of layout 1.0 must be there.
            let mut opts = opts;
            opts.create_missing_column_families(true);
            Store::has_base_families(&opts, dir)?;
            DB::open_cf_descriptors(&opts, dir, cf_descriptors()).and_then(|db| {
                db.disable_file_deletions()?;
                Ok(db)
            })
        } else {
            // A reader opens the families the ledger has.
            let have = DB::list_cf(&opts, dir).unwrap_or_default();
            let mut cfs = cf_descriptors();
            cfs.retain(|d| have.iter().any(|h| h == d.name()));
            DB::open_cf_descriptors_read_only(&opts, dir, cfs, false)
        }
        .map_err(|e| {
            let msg = e.to_string();
            if msg.contains("Column family not found") || msg.contains("does not exist") {
                StoreError::NotALedger {
                    dir: dir.to_owned(),
                }
            } else {
                db_err(dir, e)
            }
        })?;
        drop(g);
        Ok(db)
    }

    /// A writer may create only the families added after layout 1.0.
    fn has_base_families(opts: &Options, dir: &Path) -> Result<(), StoreError> {
        let have = DB::list_cf(opts, dir).map_err(|e| db_err(dir, e))?;
        let base = &crate::storage::layout::ALL_CFS[..crate::storage::layout::BASE_CFS];
        match base.iter().all(|b| have.iter().any(|h| h == b)) {
            true => Ok(()),
            false => Err(StoreError::NotALedger {
                dir: dir.to_owned(),
            }),
        }
    }

    /// Whether the column family exists (an older ledger opened read-only
    /// lacks the families of newer layouts).
    pub fn has_cf(&self, name: &str) -> bool {
        self.db.cf_handle(name).is_some()
    }

    /// The ledger directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db
            .cf_handle(name)
            .unwrap_or_else(|| panic!("store: column family {name} missing after open"))
    }

    /// Point read.
    pub fn get(&self, cf: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.db
            .get_cf(self.cf(cf), key)
            .map_err(|e| db_err(&self.dir, e))
    }

    /// Many point reads in one RocksDB `multi_get`.
    pub fn multi_get<K: AsRef<[u8]>>(
        &self,
        cf: &str,
        keys: &[K],
    ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        // RocksDB's batched MultiGet for one family: no per-key family
        // handle, values pinned rather than copied into C allocations (the
        // verifier reads the tree and index caches in batches of 4,096).
        self.db
            .batched_multi_get_cf(self.cf(cf), keys.iter().map(|k| k.as_ref()), false)
            .into_iter()
            .map(|r| {
                r.map(|v| v.map(|v| v.to_vec()))
                    .map_err(|e| db_err(&self.dir, e))
            })
            .collect()
    }

    /// Point reads of `keys`, which must ascend (repeats allowed), walking
    /// one iterator forward: a few steps or a seek per key. Keys spread
    /// over a whole family (the verifier's leaf-hash lookups) then read
    /// each table block once per call instead of once per key, and nothing
    /// is pinned while the call runs. `found(i, value)` is called for each
    /// key in order, `None` when it is absent.
    pub fn visit_ascending<K: AsRef<[u8]>>(
        &self,
        cf: &str,
        keys: &[K],
        mut found: impl FnMut(usize, Option<&[u8]>),
    ) -> Result<(), StoreError> {
        // Keys closer than this many rows are reached by stepping.
        const STEPS: usize = 16;
        let mut it = self.db.raw_iterator_cf(self.cf(cf));
        for (i, k) in keys.iter().enumerate() {
            let k = k.as_ref();
            if i == 0 {
                it.seek(k);
            } else {
                assert!(
                    keys[i - 1].as_ref() <= k,
                    "store: visit_ascending given keys out of order"
                );
                let behind = |it: &rocksdb::DBRawIterator| it.key().is_some_and(|c| c < k);
                let mut steps = 0;
                while behind(&it) && steps < STEPS {
                    it.next();
                    steps += 1;
                }
                if behind(&it) {
                    it.seek(k);
                }
            }
            it.status().map_err(|e| db_err(&self.dir, e))?;
            match it.key() {
                Some(c) if c == k => found(i, it.value()),
                _ => found(i, None),
            }
        }
        Ok(())
    }

    /// Iterate a column family in key order from `from` (inclusive).
    pub fn iter_from<'a>(
        &'a self,
        cf: &str,
        from: &[u8],
    ) -> impl Iterator<Item = Result<Kv, StoreError>> + 'a {
        let dir = &self.dir;
        self.db
            .iterator_cf(
                self.cf(cf),
                IteratorMode::From(from, rocksdb::Direction::Forward),
            )
            .map(move |r| r.map_err(|e| db_err(dir, e)))
    }

    /// Iterate a column family in reverse key order from its end.
    pub fn iter_rev<'a>(&'a self, cf: &str) -> impl Iterator<Item = Result<Kv, StoreError>> + 'a {
        let dir = &self.dir;
        self.db
            .iterator_cf(self.cf(cf), IteratorMode::End)
            .map(move |r| r.map_err(|e| db_err(dir, e)))
    }
}

impl WriteStore {
    /// Apply `batch` atomically and durably.
    ///
    /// Commit order: RocksDB appends the whole batch to its write-ahead log
    /// as one record, fsyncs the log (`sync = true`), then applies it to
    /// the memtables. A crash before the fsync completes leaves none of the
    /// batch (the torn WAL record is discarded on recovery); a crash after
    /// it leaves all of it. So when this returns `Ok`, every write in the
    /// batch survives kill -9 and power loss, and no crash ever leaves part
    /// of a batch.
    pub fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.commit_with(batch, true)
    }

    /// [`WriteStore::commit`], with the write-ahead log synced (`sync`) or
    /// left to a later [`WalSync::sync`] (group commit across batches: a
    /// batch written unsynced is in the OS's page cache, so it survives
    /// the process being killed, but not a power cut until the sync; the
    /// caller acknowledges nothing before that sync).
    pub fn commit_with(&self, batch: Batch, sync: bool) -> Result<(), StoreError> {
        write_batch(&self.db, &self.dir, batch, sync)
    }

    /// A [`BatchWriter`] for this database.
    pub fn batch_writer(&self) -> BatchWriter {
        BatchWriter {
            db: self.store.db.clone(),
            dir: self.store.dir.clone(),
        }
    }
}

/// One atomic write of `batch` (see [`WriteStore::commit_with`]).
fn write_batch(db: &DB, dir: &Path, batch: Batch, sync: bool) -> Result<(), StoreError> {
    let cf = |name: &str| {
        db.cf_handle(name)
            .unwrap_or_else(|| panic!("store: column family {name} missing after open"))
    };
    let mut wb = WriteBatch::default();
    for (name, k, v) in &batch.puts {
        wb.put_cf(cf(name), k, v);
    }
    for (name, k) in &batch.deletes {
        wb.delete_cf(cf(name), k);
    }
    let mut wo = WriteOptions::default();
    wo.set_sync(sync);
    // Crash here: nothing of the batch is on disk.
    crate::storage::failpoint::hit("store.before_write");
    db.write_opt(wb, &wo).map_err(|e| db_err(dir, e))?;
    // Crash here: the whole batch is durable but the caller never
    // acknowledged it (the "at most one in-flight entry extra" case).
    crate::storage::failpoint::hit("store.after_write");
    Ok(())
}

/// A handle that writes a writer's batches from another thread, in the
/// order it is given them (a bulk import's committer: the writer signs
/// batch k+1 while batch k is written and synced here). The database stays
/// open while a handle lives; drop it before the ledger.
pub struct BatchWriter {
    db: std::sync::Arc<DB>,
    dir: PathBuf,
}

impl BatchWriter {
    /// One atomic write of `batch`, synced when `sync`.
    pub fn write(&self, batch: Batch, sync: bool) -> Result<(), StoreError> {
        write_batch(&self.db, &self.dir, batch, sync)
    }
}

/// A handle that syncs a writer's write-ahead log from another thread
/// (the server's group commit: batches written with `sync = false`, then
/// one fsync for all of them). The database stays open while a handle
/// lives; drop it before the ledger.
pub struct WalSync {
    db: std::sync::Arc<DB>,
    dir: PathBuf,
}

impl WalSync {
    /// Make every batch written so far durable (fsync of the WAL).
    pub fn sync(&self) -> Result<(), StoreError> {
        self.db.flush_wal(true).map_err(|e| db_err(&self.dir, e))
    }
}

impl WriteStore {
    /// A [`WalSync`] for this database.
    pub fn wal_sync(&self) -> WalSync {
        WalSync {
            db: self.store.db.clone(),
            dir: self.store.dir.clone(),
        }
    }

    /// Write memtables to SST files. Durability never depends on this (the
    /// synced WAL already holds every batch); it only spares the next open
    /// from replaying a large WAL after a bulk load.
    pub fn flush(&self) -> Result<(), StoreError> {
        for cf in ALL_CFS {
            self.db
                .flush_cf(self.cf(cf))
                .map_err(|e| db_err(&self.dir, e))?;
        }
        Ok(())
    }
}

/// Where a new ledger is built before it appears under its name: a hidden
/// directory beside `dir` (same filesystem, so the final rename is atomic).
pub fn staging_dir(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ledger".into());
    dir.with_file_name(format!(".{name}.init-{}", std::process::id()))
}

/// Remove staging directories of `dir` left by inits that crashed: those
/// whose process is gone (Linux `/proc`; elsewhere only this process's own).
/// A staging directory is never a ledger, only a crashed attempt at one.
pub fn remove_stale_staging(dir: &Path) {
    let Some(name) = dir.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.init-");
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(rd) = fs::read_dir(parent) else { return };
    for e in rd.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = f.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let gone = if Path::new("/proc/self").exists() {
            !Path::new(&format!("/proc/{pid}")).exists()
        } else {
            false
        };
        if gone || pid == std::process::id() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

impl WriteStore {
    /// Close a store built in [`staging_dir`]`(dir)` and move it to `dir`
    /// in one rename, synced: a crash before leaves no ledger at `dir` (only
    /// the hidden staging directory), after it a whole one.
    pub fn publish(self, dir: &Path) -> Result<(), StoreError> {
        let staged = self.dir.clone();
        drop(self);
        let io = |path: &Path, source| StoreError::Io {
            path: path.to_owned(),
            source,
        };
        crate::storage::failpoint::hit("init.before_rename");
        if let Err(e) = fs::rename(&staged, dir) {
            let _ = fs::remove_dir_all(&staged);
            return Err(match e.raw_os_error() {
                // ENOTEMPTY / EEXIST: another init won the race.
                Some(39) | Some(17) => StoreError::AlreadyExists {
                    dir: dir.to_owned(),
                },
                _ => io(dir, e),
            });
        }
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(parent, e))
    }

    /// Delete the files RocksDB has made obsolete now rather than when the
    /// writer closes (file deletion is off during a writer's session; see
    /// [`WriteStore::open`]). Erasure uses it so no erased byte outlives the
    /// compaction that dropped it.
    pub fn purge_obsolete(&self) -> Result<(), StoreError> {
        let _g = gate(&self.dir, true).map_err(|source| StoreError::Io {
            path: self.dir.join(GATE_FILE),
            source,
        })?;
        self.db
            .enable_file_deletions()
            .and_then(|_| self.db.disable_file_deletions())
            .map_err(|e| db_err(&self.dir, e))
    }

    /// Compact the whole of one column family down to the bottommost level,
    /// so deleted values are dropped from every SST file. RocksDB's C API
    /// reports no error from a manual compaction, so the result is checked:
    /// afterwards no live file of the family may hold a deletion marker
    /// (a marker left means the values it covers may be left too).
    pub fn compact(&self, cf: &str) -> Result<(), StoreError> {
        let mut o = rocksdb::CompactOptions::default();
        o.set_bottommost_level_compaction(rocksdb::BottommostLevelCompaction::Force);
        o.set_exclusive_manual_compaction(true);
        self.db
            .compact_range_cf_opt(self.cf(cf), None::<&[u8]>, None::<&[u8]>, &o);
        let left: u64 = self
            .db
            .live_files()
            .map_err(|e| db_err(&self.dir, e))?
            .iter()
            .filter(|f| f.column_family_name == cf)
            .map(|f| f.num_deletions)
            .sum();
        if left > 0 {
            return Err(StoreError::Db {
                dir: self.dir.clone(),
                msg: format!("compaction of {cf} left {left} deletion marker(s); the purge is retried on the next open"),
            });
        }
        Ok(())
    }
}

fn db_err(dir: &Path, e: rocksdb::Error) -> StoreError {
    StoreError::Db {
        dir: dir.to_owned(),
        msg: e.into_string(),
    }
}

/// Take the exclusive writer lock: an advisory `flock` on
/// `DIR/caselog.lock`, released by the OS when the process exits (even by
/// kill -9), so a crash never leaves a stale lock. The holder's pid is
/// written into the file for the error message of the next writer.
/// Take the open gate of `dir`: exclusive for a writer (creating the file),
/// shared for a reader (None when the file is absent or cannot be opened,
/// as on read-only media, where no writer can run). Blocks while the other
/// kind holds it; both hold it only for the length of an open or close.
fn gate(dir: &Path, exclusive: bool) -> std::io::Result<Option<File>> {
    let path = dir.join(GATE_FILE);
    if exclusive {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        f.lock()?;
        Ok(Some(f))
    } else {
        match File::open(&path) {
            Ok(f) => {
                f.lock_shared()?;
                Ok(Some(f))
            }
            Err(_) => Ok(None),
        }
    }
}

fn take_lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let io = |source| StoreError::Io {
        path: path.clone(),
        source,
    };
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match f.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let mut s = String::new();
            let _ = f.read_to_string(&mut s);
            return Err(StoreError::Locked {
                dir: dir.to_owned(),
                pid: s.trim().parse().ok(),
            });
        }
        Err(fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    f.set_len(0).map_err(io)?;
    f.rewind().map_err(io)?;
    writeln!(f, "{}", std::process::id()).map_err(io)?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::layout::CF_INDEX;

    /// `visit_ascending` answers exactly what `get` answers, key by key:
    /// present and absent keys, repeats, gaps wider than its stepping
    /// distance, keys before the first row and past the last.
    #[test]
    fn visit_ascending_agrees_with_point_reads() {
        let t = tempfile::tempdir().unwrap();
        let w = WriteStore::create(&t.path().join("l")).unwrap();
        let mut b = Batch::new();
        for i in (10u32..2_000).step_by(3) {
            b.put(CF_INDEX, i.to_be_bytes().to_vec(), i.to_le_bytes().to_vec());
        }
        w.commit(b).unwrap();
        let mut keys: Vec<[u8; 4]> = (0u32..2_100)
            .filter(|i| i % 7 == 0 || (500..560).contains(i) || i % 101 == 3)
            .map(u32::to_be_bytes)
            .collect();
        keys.extend([13u32, 13, 1_999].map(u32::to_be_bytes));
        keys.sort_unstable();
        let mut seen = Vec::new();
        w.visit_ascending(CF_INDEX, &keys, |i, v| {
            seen.push((i, v.map(<[u8]>::to_vec)))
        })
        .unwrap();
        assert_eq!(seen.len(), keys.len());
        let mut hits = 0;
        for (i, got) in seen {
            let want = w.get(CF_INDEX, &keys[i]).unwrap();
            hits += usize::from(want.is_some());
            assert_eq!(got, want, "key {:?}", keys[i]);
        }
        assert!(hits > 100, "the keys must hit rows too, not only miss");
    }

    #[test]
    #[should_panic(expected = "store: visit_ascending given keys out of order")]
    fn visit_ascending_refuses_unsorted_keys() {
        let t = tempfile::tempdir().unwrap();
        let w = WriteStore::create(&t.path().join("l")).unwrap();
        let _ = w.visit_ascending(CF_INDEX, &[[2u8], [1u8]], |_, _| {});
    }
}
