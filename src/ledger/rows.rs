//! The `meta` rows the ledger caches (SPEC §8): the head and each
//! member, with their CBOR codecs. `verify` recomputes and compares them.

use super::*;

/// The cached head of the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Tree size and root.
    pub tree: TreeHead,
    /// Leaf hash of the last record (`prev` of the next entry).
    pub last: Hash,
    /// Recorded time of the last entry.
    pub time: Timestamp,
}

impl Head {
    /// CBOR for the `meta` row.
    pub fn encode(&self) -> Vec<u8> {
        cbor::encode(
            &MapBuilder::new()
                .uint("size", self.tree.size.0)
                .bytes("root", &self.tree.root.0)
                .bytes("last", &self.last.0)
                .text("time", &self.time.to_string())
                .build(),
        )
    }

    /// Parse the `meta` row.
    pub fn decode(b: &[u8]) -> Option<Head> {
        let mut r = MapReader::new("head", cbor::decode(b).ok()?).ok()?;
        let size = TreeSize(r.uint("size").ok()?);
        let root = Hash(r.fixed::<32>("root").ok()?);
        let last = Hash(r.fixed::<32>("last").ok()?);
        let time = Timestamp::parse(&r.text("time").ok()?)?;
        r.finish().ok()?;
        Some(Head {
            tree: TreeHead { size, root },
            last,
            time,
        })
    }
}

/// CBOR for a member row.
pub fn encode_member(m: &Member) -> Vec<u8> {
    let mut b = m.profile.put(
        MapBuilder::new()
            .text("name", &m.name)
            .text("role", m.role.name())
            .uint("enrolled", m.enrolled.0),
    );
    if let Some(r) = m.revoked {
        b = b.uint("revoked", r.0);
    }
    cbor::encode(&b.build())
}

/// Parse a member row stored under `key`.
pub fn decode_member(key: &[u8], b: &[u8]) -> Option<Member> {
    let key = MemberKey(key.strip_prefix(META_MEMBER_PREFIX)?.try_into().ok()?);
    let mut r = MapReader::new("member", cbor::decode(b).ok()?).ok()?;
    let name = r.text("name").ok()?;
    let role = Role::from_name(&r.text("role").ok()?)?;
    let enrolled = Seq(r.uint("enrolled").ok()?);
    let revoked = match r.opt("revoked") {
        None => None,
        Some(Value::Uint(n)) => Some(Seq(n)),
        Some(_) => return None,
    };
    let profile = crate::format::entry::Profile::read(&mut r).ok()?;
    r.finish().ok()?;
    Some(Member {
        name,
        role,
        key,
        enrolled,
        revoked,
        profile,
    })
}
