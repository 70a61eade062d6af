//! Embedding caselog in another program (a case-management system, say):
//! create a ledger, record an event and a note, sign a checkpoint, then
//! verify the store from its files alone, with the library's public API
//! only. `tools/test` runs it:
//!
//! ```text
//! cargo run --example embed -- /tmp/embed-case
//! ```

use std::error::Error;
use std::path::PathBuf;

use caselog::kinds::Event;
use caselog::{Body, Domain, Edtf, Genesis, HashAlg, Ledger, NoteBody, Signer, Store, Timestamp};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = match std::env::args_os().nth(1) {
        Some(d) => PathBuf::from(d),
        None => return Err("usage: embed NEW_LEDGER_DIR".into()),
    };
    // A real system loads its member key with `caselog::load_key(path,
    // passphrase)`; a fresh key keeps the example self-contained.
    let authority = Signer::random("Sgt. A. Example");
    let genesis = Genesis {
        case_id: "EXT-2008-001",
        title: "Extortion letter",
        hash: HashAlg::Sha256,
        time: Timestamp::now(),
        ledger_id: None,
        checkpoint_every: None,
        zone: Some("America/Los_Angeles"),
    };
    let mut ledger = Ledger::init(&dir, genesis, &authority)?;
    let event = Event {
        title: "Extortion letter received by the company".into(),
        description: None,
        occurred: Edtf::parse("2008-10")?,
        zone: None,
        location: None,
        sources: Vec::new(),
        tags: Vec::new(),
        refs: Vec::new(),
    };
    let (seq, leaf) = ledger.append(Body::Domain(Domain::Event(event)), &authority)?;
    println!("seq {seq}: event recorded (leaf {leaf})");
    let text = "Letter handed to the detective on duty".to_owned();
    let (seq, _) = ledger.append(Body::Note(NoteBody { text }), &authority)?;
    println!("seq {seq}: note recorded");
    let checkpoint = ledger.checkpoint(&authority)?;
    print!("signed checkpoint:\n{}", checkpoint.to_text());
    drop(ledger);

    // Verification reads the files only: no trust in the writer above.
    let report = caselog::verify_store(&Store::open(&dir)?)?;
    if !report.is_ok() {
        return Err(format!("verification found problems: {:?}", report.problems).into());
    }
    println!(
        "verify_store: {} records re-checked from the files (SPEC §9), no problem found",
        report.entries
    );
    Ok(())
}
