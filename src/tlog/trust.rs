//! Trust policies: which log keys, witnesses and mirrors a verifier pins,
//! and how many cosignatures of each kind it requires (SPEC §10.6).
//!
//! Owns [`TrustPolicy`]: built from the `--trust`, `--witness`,
//! `--quorum`, `--mirror` and `--mirror-quorum` options
//! ([`TrustPolicy::from_keys`]) or parsed from a policy file in the C2SP
//! tlog-policy form with caselog's two mirror lines
//! ([`TrustPolicy::parse`]), and the quorum rule a set of verified
//! cosignatures is held to ([`TrustPolicy::met`]).
//!
//! A witness cosignature says the witness saw this checkpoint extend the
//! last one it held (c2sp.org/tlog-witness); a mirror cosignature says
//! the mirror holds every record up to its size, checked as a writer
//! checks them, and recomputed the item map it states (SPEC §17.7,
//! c2sp.org/tlog-mirror). Both are cosignature/v1 lines over the same
//! bytes, so one public key may not be pinned in both roles: a witness's
//! line would otherwise count as a mirror's.

use thiserror::Error;

use crate::tlog::note::{VerifierKey, TYPE_COSIGNATURE, TYPE_ED25519};

/// Most lines of each kind a policy file may define (c2sp.org/tlog-policy
/// §Implementation limits asks for at least 32).
pub const MAX_DEFINED: usize = 64;
/// Largest policy file read.
pub const MAX_POLICY_LEN: usize = 64 * 1024;

/// What a cosigner vouches for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// It saw the checkpoint extend what it held before (tlog-witness).
    Witness,
    /// It holds and checked every record and recomputed the item map.
    Mirror,
}

impl Role {
    /// `witness` or `mirror`.
    pub fn word(self) -> &'static str {
        match self {
            Role::Witness => "witness",
            Role::Mirror => "mirror",
        }
    }
}

/// Why a policy was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustError {
    /// A line of a policy file is malformed.
    #[error("policy line {line}: {what}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        what: String,
    },
    /// The file is not a policy as a whole.
    #[error("policy: {0}")]
    Policy(String),
    /// One public key is pinned twice (in one role or in two).
    #[error("the key of {second} is already pinned as {first}: one key may not count twice")]
    DuplicateKey {
        /// The name it was first pinned under.
        first: String,
        /// The name it was pinned under again.
        second: String,
    },
    /// A quorum larger than the keys it counts.
    #[error("a {role} quorum of {want} but only {have} {role} key(s) pinned")]
    QuorumTooLarge {
        /// `witness` or `mirror`.
        role: &'static str,
        /// The quorum asked.
        want: usize,
        /// Keys pinned in that role.
        have: usize,
    },
}

/// A pinned cosigner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigner {
    /// Its name in the policy (its key name when built from options).
    pub name: String,
    /// Its verifier key (type 0x04).
    pub key: VerifierKey,
    /// What its cosignature vouches for.
    pub role: Role,
}

/// A name in the policy's one namespace: a cosigner or a group.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Cosigner(usize),
    Group { k: usize, members: Vec<usize> },
}

/// Which named node a quorum refers to; `None`: no cosignature required.
type Quorum = Option<usize>;

/// What a verifier trusts: log keys, cosigners, and the two quorums.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustPolicy {
    /// Log keys (type 0x01); a checkpoint must be signed by one.
    pub logs: Vec<VerifierKey>,
    cosigners: Vec<Cosigner>,
    nodes: Vec<(String, Node, Role)>,
    witness_quorum: Quorum,
    mirror_quorum: Quorum,
    /// Built from the options: its groups are named by their rule.
    from_options: bool,
}

impl TrustPolicy {
    /// The policy the options give: the `--trust` keys, `quorum` of the
    /// `--witness` keys and `mirror_quorum` of the `--mirror` keys. A
    /// quorum larger than the distinct keys can never be met (the CLI
    /// refuses it before; [`TrustPolicy::check_sizes`]).
    pub fn from_keys(
        logs: &[VerifierKey],
        witnesses: &[VerifierKey],
        quorum: usize,
        mirrors: &[VerifierKey],
        mirror_quorum: usize,
    ) -> Result<TrustPolicy, TrustError> {
        let mut p = TrustPolicy {
            logs: logs.to_vec(),
            from_options: true,
            ..TrustPolicy::default()
        };
        for (keys, role, k) in [
            (witnesses, Role::Witness, quorum),
            (mirrors, Role::Mirror, mirror_quorum),
        ] {
            let mut members = Vec::new();
            for key in keys.iter().filter(|k| k.typ == TYPE_COSIGNATURE) {
                match p.cosigners.iter().find(|c| c.key.key == key.key) {
                    // The same key pinned twice in one role is one
                    // cosigner (it counts once), as before policies.
                    Some(c) if c.role == role => continue,
                    Some(c) => {
                        return Err(TrustError::DuplicateKey {
                            first: format!("{} {}", c.role.word(), c.name),
                            second: format!("{} {}", role.word(), key.name),
                        })
                    }
                    None => {}
                }
                members.push(p.add_cosigner(&key.name, key.clone(), role));
            }
            if k > 0 {
                let name = format!("{k} of the pinned {} keys", role.word());
                p.nodes.push((name, Node::Group { k, members }, role));
                let q = Some(p.nodes.len() - 1);
                match role {
                    Role::Witness => p.witness_quorum = q,
                    Role::Mirror => p.mirror_quorum = q,
                }
            }
        }
        Ok(p)
    }

    fn add_cosigner(&mut self, name: &str, key: VerifierKey, role: Role) -> usize {
        self.cosigners.push(Cosigner {
            name: name.to_owned(),
            key,
            role,
        });
        self.nodes.push((
            name.to_owned(),
            Node::Cosigner(self.cosigners.len() - 1),
            role,
        ));
        self.nodes.len() - 1
    }

    /// Refuse a quorum that counts more keys than are pinned in its role
    /// (options only: a policy file's groups are checked as parsed).
    pub fn check_sizes(&self) -> Result<(), TrustError> {
        for (role, q) in [
            (Role::Witness, self.witness_quorum),
            (Role::Mirror, self.mirror_quorum),
        ] {
            if let Some((_, Node::Group { k, members }, _)) = q.map(|i| &self.nodes[i]) {
                if *k > members.len() {
                    return Err(TrustError::QuorumTooLarge {
                        role: role.word(),
                        want: *k,
                        have: members.len(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Every pinned cosigner.
    pub fn cosigners(&self) -> &[Cosigner] {
        &self.cosigners
    }

    /// Whether `role`'s quorum is met when `cosigned[i]` says whether
    /// cosigner `i` (of [`TrustPolicy::cosigners`]) cosigned validly.
    pub fn met(&self, role: Role, cosigned: &[bool]) -> bool {
        let q = match role {
            Role::Witness => self.witness_quorum,
            Role::Mirror => self.mirror_quorum,
        };
        q.is_none_or(|n| self.node_met(n, cosigned))
    }

    /// Whether node `n` is met. Every node names only nodes defined before
    /// it, so one pass in order decides them all: linear in the policy's
    /// size, however its groups share members.
    fn node_met(&self, n: usize, cosigned: &[bool]) -> bool {
        let mut met = Vec::with_capacity(n + 1);
        for (_, node, _) in &self.nodes[..=n] {
            met.push(match node {
                Node::Cosigner(i) => cosigned.get(*i).copied().unwrap_or(false),
                Node::Group { k, members } => members.iter().filter(|m| met[**m]).count() >= *k,
            });
        }
        met[n]
    }

    /// What `role`'s quorum asks, in words: `none`, `2 of the pinned
    /// witness keys`, or `group X (2 of A, B, C)`.
    pub fn rule(&self, role: Role) -> String {
        let q = match role {
            Role::Witness => self.witness_quorum,
            Role::Mirror => self.mirror_quorum,
        };
        match q.map(|n| (n, &self.nodes[n])) {
            None => "none".into(),
            Some((_, (name, Node::Cosigner(_), _))) => format!("{} {name}", role.word()),
            // A group the options made is named by its rule.
            Some((_, (name, Node::Group { .. }, _))) if self.from_options => name.clone(),
            Some((n, _)) => self.describe(n),
        }
    }

    /// A group in words, its members by name (one level: a name used by
    /// many groups is not spelled out again and again).
    fn describe(&self, n: usize) -> String {
        match &self.nodes[n].1 {
            Node::Cosigner(_) => self.nodes[n].0.clone(),
            Node::Group { k, members } => {
                let names: Vec<&str> = members.iter().map(|m| self.nodes[*m].0.as_str()).collect();
                format!("group {} ({k} of {})", self.nodes[n].0, names.join(", "))
            }
        }
    }

    /// Parse a policy file (c2sp.org/tlog-policy, with caselog's
    /// `mirror <name> <vkey> [<url>]` and `mirror-quorum <name>` lines;
    /// SPEC §10.6).
    pub fn parse(text: &[u8]) -> Result<TrustPolicy, TrustError> {
        if text.len() > MAX_POLICY_LEN {
            return Err(TrustError::Policy(format!(
                "{} bytes, more than the {MAX_POLICY_LEN}-byte limit",
                text.len()
            )));
        }
        let mut p = TrustPolicy::default();
        let (mut quorum_seen, mut mirror_seen) = (false, false);
        for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
            let line = i + 1;
            let bad = |what: String| TrustError::Line { line, what };
            // tlog-policy §Character set: tab and newline are the only
            // control characters; octets >= 0x80 are opaque.
            if raw.iter().any(|b| *b < 0x20 && *b != b'\t' || *b == 0x7f) {
                return Err(bad("a control character other than tab".into()));
            }
            let s = String::from_utf8_lossy(raw);
            let words: Vec<&str> = s.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            let Some(first) = words.first() else { continue };
            if first.starts_with('#') {
                continue;
            }
            match *first {
                "log" => p.parse_log(&words).map_err(bad)?,
                "witness" => p.parse_cosigner(&words, Role::Witness).map_err(bad)?,
                "mirror" => p.parse_cosigner(&words, Role::Mirror).map_err(bad)?,
                "group" => p.parse_group(&words).map_err(bad)?,
                "quorum" | "mirror-quorum" => {
                    let role = if *first == "quorum" {
                        Role::Witness
                    } else {
                        Role::Mirror
                    };
                    let seen = if role == Role::Witness {
                        &mut quorum_seen
                    } else {
                        &mut mirror_seen
                    };
                    if std::mem::replace(seen, true) {
                        return Err(bad(format!("a second {first} line")));
                    }
                    let q = p.parse_quorum(&words, role).map_err(bad)?;
                    match role {
                        Role::Witness => p.witness_quorum = q,
                        Role::Mirror => p.mirror_quorum = q,
                    }
                }
                other => return Err(bad(format!("unknown keyword {other:?}"))),
            }
        }
        if !quorum_seen {
            return Err(TrustError::Policy(
                "no quorum line (write `quorum none` to require no witness)".into(),
            ));
        }
        Ok(p)
    }

    fn parse_log(&mut self, w: &[&str]) -> Result<(), String> {
        if !(2..=3).contains(&w.len()) {
            return Err("expected `log <vkey> [<url>]`".into());
        }
        let key = VerifierKey::parse(w[1]).map_err(|e| e.to_string())?;
        if key.typ != TYPE_ED25519 {
            return Err("a log key must be of signature type 0x01 (Ed25519)".into());
        }
        if self.logs.iter().any(|l| l.key == key.key) {
            return Err(format!("log {} is listed twice", key.name));
        }
        if self.logs.len() >= MAX_DEFINED {
            return Err(format!("more than {MAX_DEFINED} logs"));
        }
        self.logs.push(key);
        Ok(())
    }

    fn parse_cosigner(&mut self, w: &[&str], role: Role) -> Result<(), String> {
        if !(3..=4).contains(&w.len()) {
            return Err(format!("expected `{} <name> <vkey> [<url>]`", role.word()));
        }
        self.fresh_name(w[1])?;
        let key = VerifierKey::parse(w[2]).map_err(|e| e.to_string())?;
        if key.typ != TYPE_COSIGNATURE {
            return Err(format!(
                "a {} key must be of signature type 0x04 (cosignature/v1)",
                role.word()
            ));
        }
        if let Some(c) = self.cosigners.iter().find(|c| c.key.key == key.key) {
            return Err(TrustError::DuplicateKey {
                first: format!("{} {}", c.role.word(), c.name),
                second: format!("{} {}", role.word(), w[1]),
            }
            .to_string());
        }
        if self.cosigners.len() >= 2 * MAX_DEFINED {
            return Err(format!("more than {} cosigners", 2 * MAX_DEFINED));
        }
        self.add_cosigner(w[1], key, role);
        Ok(())
    }

    fn fresh_name(&self, name: &str) -> Result<(), String> {
        if name == "none" {
            return Err("`none` is predefined and cannot be defined".into());
        }
        if self.nodes.iter().any(|(n, _, _)| n == name) {
            return Err(format!("{name:?} is already defined"));
        }
        Ok(())
    }

    fn lookup(&self, name: &str) -> Result<usize, String> {
        self.nodes
            .iter()
            .position(|(n, _, _)| n == name)
            .ok_or_else(|| format!("{name:?} is not defined on a line before"))
    }

    fn parse_group(&mut self, w: &[&str]) -> Result<(), String> {
        if w.len() < 4 {
            return Err("expected `group <name> all|any|<k> <name>...`".into());
        }
        self.fresh_name(w[1])?;
        let mut members = Vec::new();
        let mut role = None;
        for m in &w[3..] {
            if *m == "none" {
                return Err("`none` cannot be a group member".into());
            }
            let n = self.lookup(m)?;
            if members.contains(&n) {
                return Err(format!("{m:?} is listed twice"));
            }
            let r = self.nodes[n].2;
            if role.is_some_and(|x| x != r) {
                return Err("a group mixes witnesses and mirrors".into());
            }
            role = Some(r);
            members.push(n);
        }
        let n = members.len();
        let k = match w[2] {
            "all" => n,
            "any" => 1,
            k => k
                .parse::<usize>()
                .ok()
                .filter(|k| (1..=n).contains(k) && !w[2].starts_with(['0', '+']))
                .ok_or_else(|| format!("threshold {k:?} is not all, any or 1..={n}"))?,
        };
        if self.nodes.len() >= 4 * MAX_DEFINED {
            return Err("too many names".into());
        }
        let role = role.expect("trust: a group has members");
        self.nodes
            .push((w[1].to_owned(), Node::Group { k, members }, role));
        Ok(())
    }

    fn parse_quorum(&self, w: &[&str], role: Role) -> Result<Quorum, String> {
        if w.len() != 2 {
            return Err(format!("expected `{} <name>`", w[0]));
        }
        if w[1] == "none" {
            return Ok(None);
        }
        let n = self.lookup(w[1])?;
        if self.nodes[n].2 != role {
            let counts = match self.nodes[n].2 {
                Role::Witness => "witnesses",
                Role::Mirror => "mirrors",
            };
            return Err(format!("{} names {:?}, which counts {counts}", w[0], w[1]));
        }
        Ok(Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::sig::Signer;

    fn key(name: &str, typ: u8, seed: u8) -> VerifierKey {
        let s = Signer::from_seed("k", &[seed; 32]);
        VerifierKey::new(name, typ, s.public()).unwrap()
    }

    fn example() -> (String, Vec<VerifierKey>) {
        let keys: Vec<VerifierKey> = (1..=5)
            .map(|i| key(&format!("w{i}.example"), TYPE_COSIGNATURE, i))
            .collect();
        let log = key("caselog/sha256/00", TYPE_ED25519, 9);
        let text = format!(
            "# counsel's policy\nlog {log}\n\nwitness X1 {}\nwitness X2 {} https://x2.example/\n\twitness X3 {}\ngroup X 2 X1 X2 X3\nmirror M1 {}\nmirror M2 {}\ngroup Ms any M1 M2\nquorum X\nmirror-quorum Ms\n",
            keys[0], keys[1], keys[2], keys[3], keys[4]
        );
        (text, keys)
    }

    #[test]
    fn parses_groups_and_evaluates_quorums() {
        let (text, _) = example();
        let p = TrustPolicy::parse(text.as_bytes()).unwrap();
        assert_eq!(p.logs.len(), 1);
        assert_eq!(p.cosigners().len(), 5);
        let set = |on: &[usize]| (0..5).map(|i| on.contains(&i)).collect::<Vec<_>>();
        assert!(!p.met(Role::Witness, &set(&[0])));
        assert!(p.met(Role::Witness, &set(&[0, 2])));
        assert!(!p.met(Role::Mirror, &set(&[0, 1, 2])));
        assert!(p.met(Role::Mirror, &set(&[4])));
        assert_eq!(p.rule(Role::Witness), "group X (2 of X1, X2, X3)");
        assert_eq!(p.rule(Role::Mirror), "group Ms (1 of M1, M2)");
    }

    #[test]
    fn groups_sharing_members_are_decided_in_one_pass() {
        // G_i = any(G_{i-1}, H_{i-1}), H_i likewise: evaluated as a tree
        // this is 2^120 visits; in order it is 240.
        let w = key("w.example", TYPE_COSIGNATURE, 1);
        let mut text = format!("witness W {w}\ngroup G0 any W\ngroup H0 any W\n");
        for i in 1..120 {
            text.push_str(&format!(
                "group G{i} any G{} H{}\ngroup H{i} any G{} H{}\n",
                i - 1,
                i - 1,
                i - 1,
                i - 1
            ));
        }
        text.push_str("quorum G119\n");
        let p = TrustPolicy::parse(text.as_bytes()).unwrap();
        assert!(p.met(Role::Witness, &[true]));
        assert!(!p.met(Role::Witness, &[false]));
        assert_eq!(p.rule(Role::Witness), "group G119 (1 of G118, H118)");
    }

    #[test]
    fn refuses_each_malformed_line() {
        let (text, keys) = example();
        let log = key("caselog/sha256/00", TYPE_ED25519, 9);
        for (bad, why) in [
            (text.replace("quorum X\n", ""), "no quorum"),
            (format!("{text}quorum none\n"), "second quorum"),
            (text.replace("group X 2", "group X 4"), "k > n"),
            (text.replace("group X 2", "group X 0"), "k = 0"),
            (text.replace("group X 2", "group X 02"), "leading zero"),
            (text.replace("X1 X2 X3", "X1 X1 X3"), "member twice"),
            (text.replace("any M1 M2", "any M1 X1"), "mixed roles"),
            (
                text.replace("quorum X\n", "quorum Ms\n"),
                "quorum of mirrors",
            ),
            (
                text.replace("mirror-quorum Ms", "mirror-quorum X"),
                "mirror quorum of witnesses",
            ),
            (text.replace("group X 2 X1", "group X 2 Y1"), "undefined"),
            (text.replace("witness X3", "witness X2"), "defined twice"),
            (text.replace("witness X1", "witness none"), "none defined"),
            (
                format!("{text}mirror M9 {}\n", keys[0]),
                "witness key as mirror",
            ),
            (format!("{text}witness W9 {log}\n"), "log key as witness"),
            (format!("{text}log {}\n", keys[0]), "witness key as log"),
            (format!("{text}log {log}\n"), "log twice"),
            (format!("{text}frobnicate\n"), "unknown keyword"),
            (format!("{text}log\n"), "log without key"),
            (format!("{text}# ok\x01\n"), "control character"),
        ] {
            assert!(TrustPolicy::parse(bad.as_bytes()).is_err(), "{why}");
        }
        TrustPolicy::parse(b"quorum none\n").unwrap();
    }

    #[test]
    fn options_count_distinct_keys_and_refuse_one_key_in_two_roles() {
        let w = key("w.example", TYPE_COSIGNATURE, 1);
        let again = key("w2.example", TYPE_COSIGNATURE, 1);
        let p = TrustPolicy::from_keys(&[], &[w.clone(), again], 2, &[], 0).unwrap();
        assert_eq!(p.cosigners().len(), 1);
        assert!(p.check_sizes().is_err());
        assert!(!p.met(Role::Witness, &[true]));
        assert!(matches!(
            TrustPolicy::from_keys(
                &[],
                std::slice::from_ref(&w),
                1,
                std::slice::from_ref(&w),
                1
            ),
            Err(TrustError::DuplicateKey { .. })
        ));
        let none = TrustPolicy::from_keys(&[], &[], 0, &[], 0).unwrap();
        assert!(none.met(Role::Witness, &[]) && none.met(Role::Mirror, &[]));
        assert_eq!(none.rule(Role::Mirror), "none");
    }
}
