//! Creating a ledger: a new store and its genesis entry (`Ledger::init`).

use super::*;

impl Ledger {
    /// Create a ledger at `dir` whose genesis entry is signed by `authority`.
    pub fn init(dir: &Path, g: Genesis<'_>, authority: &Signer) -> Result<Ledger, LedgerError> {
        let id = g.ledger_id.unwrap_or_else(|| {
            let mut b = [0u8; 16];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
            LedgerId(b)
        });
        let body = Body::LedgerOpen(LedgerOpen {
            case_id: g.case_id.to_owned(),
            title: g.title.to_owned(),
            hash: g.hash,
            authority_name: authority.name().to_owned(),
            authority_key: authority.public(),
            zone: g.zone.map(str::to_owned),
        });
        let entry = Entry {
            item_prev: None,
            ledger: id,
            seq: Seq(0),
            prev: Hash::ZERO,
            time: g.time,
            author: authority.public(),
            body,
            sd: Vec::new(),
        };
        // Validate everything before the directory is created.
        Members::new().check(&entry)?;
        let record = Record::sign(&entry, authority)?;
        Entry::decode(&record.entry_bytes)?;
        Ledger::create(dir, g.hash, g.checkpoint_every, &entry, record.encode())
    }

    /// Create the store at `dir` and commit the checked genesis `entry`
    /// (`record` its bytes).
    pub(super) fn create(
        dir: &Path,
        alg: HashAlg,
        checkpoint_every: Option<u64>,
        entry: &Entry,
        record: Vec<u8>,
    ) -> Result<Ledger, LedgerError> {
        let id = entry.ledger;
        // Built in a hidden staging directory and renamed into place after
        // the genesis commit, so a crash never leaves a half-made ledger
        // under `dir` (see [`Store::publish`]).
        if dir.exists() && std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
            return Err(crate::storage::store::StoreError::AlreadyExists {
                dir: dir.to_owned(),
            }
            .into());
        }
        let staging = crate::storage::store::staging_dir(dir);
        crate::storage::store::remove_stale_staging(dir);
        let store = WriteStore::create(&staging)?;
        let mut ledger = Ledger {
            store: Access::Write(store),
            alg,
            id,
            head: Head {
                tree: TreeHead {
                    size: TreeSize(0),
                    root: merkle::empty_root(alg),
                },
                last: Hash::ZERO,
                time: entry.time,
            },
            frontier: Frontier::new(),
            members: Members::new(),
            custody: Custody::new(),
            checkpoint_every: checkpoint_every.filter(|&k| k > 0),
            checkpoint_due: None,
            resumed_purge: None,
            swept: Default::default(),
            upstream: None,
            deferred_sync: false,
            handoff: None,
        };
        let mut batch = Batch::new();
        if let Some(k) = ledger.checkpoint_every {
            batch.put(
                CF_META,
                META_CHECKPOINT_EVERY,
                cbor::encode(&Value::Uint(k)),
            );
        }
        batch.put(CF_META, META_FORMAT, cbor::encode(&Value::Uint(1)));
        batch.put(CF_META, META_LEDGER, id.0.to_vec());
        batch.put(CF_META, META_HASH, alg.name().as_bytes().to_vec());
        let mut st = ledger.staged();
        ledger.stage(&mut st, entry, record, &mut batch);
        if let Err(e) = ledger.commit(st, batch) {
            drop(ledger);
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        let Access::Write(store) = ledger.store else {
            unreachable!("ledger: init builds with a writable store")
        };
        store.publish(dir)?;
        Ledger::open(dir, true)
    }
}
