//! The crate's layers, checked from the source text (src/lib.rs lists them):
//! a module may use its own layer or a lower one, never a higher one, and
//! the modules (`layer::module`, a module's children counted with it)
//! form no import cycle. The binary (`src/main.rs`, `src/cli/`) sits above
//! every layer and reaches the library only through `caselog::`. Files,
//! the binary's too, form no import cycle either (a file using its own
//! parent `mod.rs` is the shape of a Rust module, not counted).

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
    let cycles = cycles_of(&graph());
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The file a module path names (`["net", "server", "routes"]` ->
/// src/net/server/routes.rs), the longest prefix that is a file.
fn file_of(src: &Path, segs: &[&str]) -> Option<PathBuf> {
    (1..=segs.len()).rev().find_map(|n| {
        let base = segs[..n].iter().fold(src.to_path_buf(), |p, s| p.join(s));
        [base.with_extension("rs"), base.join("mod.rs")]
            .into_iter()
            .find(|f| f.is_file())
    })
}

/// The module path of a file (src/net/server/mod.rs -> net::server).
fn module_of(src: &Path, f: &Path) -> Vec<String> {
    let rel = f.strip_prefix(src).unwrap().with_extension("");
    let mut m: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if m.last()
        .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
    {
        m.pop();
    }
    m
}

/// The paths a line names from `crate::` or `super::`, braces expanded
/// one level (`crate::a::{b, c::d}` -> `a::b`, `a::c::d`).
fn named_paths(line: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (anchor, base) in [
        ("crate::", Vec::new()),
        ("super::", here[..here.len().saturating_sub(1)].to_vec()),
    ] {
        for (i, _) in line.match_indices(anchor) {
            if anchor == "super::" && line[..i].ends_with("::") {
                continue;
            }
            let rest = &line[i + anchor.len()..];
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut prefix = base.clone();
            prefix.extend(
                head.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
            let tail = &rest[head.len()..];
            match tail.strip_prefix('{').and_then(|t| t.split_once('}')) {
                Some((inner, _)) => {
                    for item in inner.split(',') {
                        let mut p = prefix.clone();
                        p.extend(
                            item.trim()
                                .split("::")
                                .filter(|s| !s.is_empty())
                                .map(str::to_owned),
                        );
                        out.push(p);
                    }
                }
                None => out.push(prefix),
            }
        }
    }
    out
}

/// Every file under src/ and the files it uses.
fn file_graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g = BTreeMap::new();
    for f in &files {
        let here = module_of(&src, f);
        let text = fs::read_to_string(f).unwrap();
        let mut deps = BTreeSet::new();
        for line in code(&text) {
            for segs in named_paths(line, &here) {
                let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
                if let Some(d) = file_of(&src, &segs) {
                    // A file using its own ancestors' mod.rs is not an edge.
                    let ancestor = d.file_name().is_some_and(|n| n == "mod.rs")
                        && f.starts_with(d.parent().unwrap());
                    if d != *f && !ancestor {
                        deps.insert(d);
                    }
                }
            }
        }
        g.insert(f.clone(), deps);
    }
    g
}

/// Cycles of a graph, each as its path (depth-first search, a back edge
/// is a cycle).
fn cycles_of<T: Ord + Clone + std::fmt::Debug>(g: &BTreeMap<T, BTreeSet<T>>) -> Vec<String> {
    fn visit<T: Ord + Clone + std::fmt::Debug>(
        u: &T,
        g: &BTreeMap<T, BTreeSet<T>>,
        stack: &mut Vec<T>,
        done: &mut BTreeSet<T>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|s| s == u) {
            cycles.push(format!("{:?} -> {u:?}", &stack[i..]));
            return;
        }
        if !done.insert(u.clone()) {
            return;
        }
        stack.push(u.clone());
        for d in g.get(u).into_iter().flatten() {
            visit(d, g, stack, done, cycles);
        }
        stack.pop();
    }
    let (mut done, mut cycles) = (BTreeSet::new(), Vec::new());
    for u in g.keys() {
        visit(u, g, &mut Vec::new(), &mut done, &mut cycles);
    }
    cycles
}

#[test]
fn files_form_no_cycle() {
    let g = file_graph();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let short: BTreeMap<String, BTreeSet<String>> = g
        .iter()
        .map(|(f, ds)| {
            let s = |p: &PathBuf| p.strip_prefix(&root).unwrap().display().to_string();
            (s(f), ds.iter().map(s).collect())
        })
        .collect();
    // The check must be able to see: the sequencer and the HTTP answers, the
    // CLI's command files and what they share are edges it finds.
    assert!(short["net/server/sequencer.rs"].contains("net/api.rs"));
    assert!(short["cli/cmd/custody.rs"].contains("cli/cmd/domain_append.rs"));
    let cycles = cycles_of(&short);
    assert!(
        cycles.is_empty(),
        "file import cycles:\n{}",
        cycles.join("\n")
    );
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
    // Paths from crate:: and super::, braces expanded; a cycle is found.
    let here = ["net", "server", "routes"].map(String::from);
    let p = named_paths(
        "use crate::cli::cmd::{custody, domain::append}; super::refusal::refusal(l, e)",
        &here,
    );
    let p: Vec<String> = p.iter().map(|v| v.join("::")).collect();
    assert_eq!(
        p,
        [
            "cli::cmd::custody",
            "cli::cmd::domain::append",
            "net::server::refusal::refusal"
        ]
    );
    let g: BTreeMap<&str, BTreeSet<&str>> = [
        ("a", BTreeSet::from(["b"])),
        ("b", BTreeSet::from(["c"])),
        ("c", BTreeSet::from(["a"])),
    ]
    .into();
    assert_eq!(cycles_of(&g).len(), 1);
}
