//! The crate's layers, checked from the source text (src/lib.rs lists them):
//! a module may use its own layer or a lower one, never a higher one, and
//! the modules (`layer::module`, a module's children counted with it)
//! form no import cycle. The binary (`src/main.rs`, `src/cli/`) sits above
//! every layer and reaches the library only through `caselog::`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Lowest first; the order `src/lib.rs` documents.
const LAYERS: [&str; 8] = [
    "format", "rules", "storage", "tlog", "ledger", "audit", "export", "net",
];

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `layer::module` of a file under src/ (`ledger` for src/ledger/mod.rs).
fn unit_of(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .collect();
    match parts.as_slice() {
        [layer] => layer.clone(),
        [layer, m, ..] if m == "mod" => layer.clone(),
        [layer, m, ..] => format!("{layer}::{m}"),
        [] => unreachable!(),
    }
}

/// Code lines only: doc and line comments may name any module.
fn code(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with("//"))
}

/// Every `crate::a::b` a file names, as the unit it resolves to.
fn uses(text: &str, units: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code(text) {
        for (i, _) in line.match_indices("crate::") {
            let path: String = line[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let Some(layer) = segs.first() else { continue };
            let two = segs.get(1).map(|m| format!("{layer}::{m}"));
            match two {
                Some(u) if units.contains(&u) => out.insert(u),
                _ => out.insert((*layer).to_owned()),
            };
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let lib: Vec<(String, String)> = files
        .iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&src).unwrap();
            let top = rel
                .components()
                .next()?
                .as_os_str()
                .to_string_lossy()
                .into_owned();
            rank(top.trim_end_matches(".rs"))?;
            Some((unit_of(rel), fs::read_to_string(f).unwrap()))
        })
        .collect();
    let units: BTreeSet<String> = lib.iter().map(|(u, _)| u.clone()).collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (unit, text) in &lib {
        let entry = g.entry(unit.clone()).or_default();
        entry.extend(uses(text, &units).into_iter().filter(|u| u != unit));
    }
    g
}

fn layer_of(unit: &str) -> &str {
    unit.split("::").next().unwrap()
}

#[test]
fn no_module_uses_a_higher_layer() {
    let mut bad = Vec::new();
    for (unit, deps) in graph() {
        let own = rank(layer_of(&unit)).unwrap();
        for d in deps {
            match rank(layer_of(&d)) {
                Some(r) if r <= own => {}
                Some(_) => bad.push(format!("{unit} uses {d} (a higher layer)")),
                None => bad.push(format!("{unit} uses crate::{d}, which is not a layer")),
            }
        }
    }
    assert!(bad.is_empty(), "layer violations:\n{}", bad.join("\n"));
}

#[test]
fn modules_form_no_cycle() {
    let g = graph();
    // Depth-first search; a back edge is a cycle, reported with its path.
    fn visit(
        u: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|s| s == u) {
            cycles.push(format!("{} -> {u}", stack[i..].join(" -> ")));
            return;
        }
        if !done.insert(u.to_owned()) {
            return;
        }
        stack.push(u.to_owned());
        for d in g.get(u).into_iter().flatten() {
            visit(d, g, stack, done, cycles);
        }
        stack.pop();
    }
    let (mut done, mut cycles) = (BTreeSet::new(), Vec::new());
    for u in g.keys() {
        visit(u, &g, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_a_violation_and_a_cycle() {
    // The checks above must be able to fail: feed them a made-up tree.
    let units: BTreeSet<String> = ["format::ids", "format::entry", "ledger"]
        .map(String::from)
        .into();
    let used = uses(
        "use crate::ledger::Ledger;\n// crate::audit in a comment\n",
        &units,
    );
    assert_eq!(used, BTreeSet::from(["ledger".to_owned()]));
    assert!(
        rank("ledger") > rank("format"),
        "format using ledger must be refused"
    );
    let used = uses("let x = crate::format::entry::Entry::decode(b)?;", &units);
    assert_eq!(used, BTreeSet::from(["format::entry".to_owned()]));
}
