//! What an evidence intake says about where an item came from (SPEC §13.5):
//! the device it is or was read from, and its place in the chain of copies
//! (original, forensic image, working copy, derived output) with the item
//! it came from and the tool, version and method that made it. Both are
//! optional maps in `evidence.intake`; old entries have neither.

use crate::format::cbor::{MapBuilder, MapReader, SchemaError, Value};
use crate::format::limits::MAX_SHORT_TEXT;

/// The device identifiers of SPEC §13.5, in CBOR key order of their names.
pub const DEVICE_FIELDS: [&str; 6] = ["make", "model", "serial", "imei", "hostname", "mac"];

/// Identifiers of a device, as read at intake; at least one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Device(pub Vec<(String, String)>);

impl Device {
    /// One phrase: `make Acme, serial SN-1`.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The CBOR map.
    pub fn to_value(&self) -> Value {
        let mut b = MapBuilder::new();
        for (k, v) in &self.0 {
            b = b.text(k, v);
        }
        b.build()
    }

    /// Strict decoding: known fields only, at least one, each non-empty.
    pub fn from_value(v: Value) -> Result<Device, SchemaError> {
        let mut r = MapReader::new("evidence.intake body.device", v)?;
        let mut out = Vec::new();
        for k in DEVICE_FIELDS {
            if let Some(t) = r.opt_text(k, MAX_SHORT_TEXT)? {
                out.push((k.to_owned(), t));
            }
        }
        r.finish()?;
        if out.is_empty() {
            return Err(invalid("device", "names no identifier"));
        }
        Ok(Device(out))
    }
}

/// Which copy an item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyRole {
    /// The item as seized.
    Original,
    /// A forensic (bit-for-bit) image of another item.
    Image,
    /// A working copy of another item.
    WorkingCopy,
    /// Output derived from another item (an export, a carved file).
    Derived,
}

impl CopyRole {
    /// Its name on the wire and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CopyRole::Original => "original",
            CopyRole::Image => "image",
            CopyRole::WorkingCopy => "working-copy",
            CopyRole::Derived => "derived",
        }
    }

    /// From its name.
    pub fn from_name(s: &str) -> Option<CopyRole> {
        [
            CopyRole::Original,
            CopyRole::Image,
            CopyRole::WorkingCopy,
            CopyRole::Derived,
        ]
        .into_iter()
        .find(|r| r.name() == s)
    }
}

/// An item's place in the chain of copies. A copy (any role but
/// `original`) names the item it came from, the tool and the method; an
/// original names none of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lineage {
    /// Which copy it is.
    pub role: CopyRole,
    /// The item it was made from (an item taken in earlier).
    pub derived_from: Option<String>,
    /// The tool that made it.
    pub tool: Option<String>,
    /// The tool's version.
    pub tool_version: Option<String>,
    /// How (e.g. `physical acquisition, write-blocked`).
    pub method: Option<String>,
}

impl Lineage {
    /// The CBOR map.
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("role", self.role.name())
            .opt_text("derived_from", self.derived_from.as_deref())
            .opt_text("tool", self.tool.as_deref())
            .opt_text("tool_version", self.tool_version.as_deref())
            .opt_text("method", self.method.as_deref())
            .build()
    }

    /// One phrase: `image of EV-0001, made with FTK Imager 4.7.1 (physical
    /// acquisition)`, or `original`.
    pub fn describe(&self) -> String {
        let Some(src) = &self.derived_from else {
            return self.role.name().to_owned();
        };
        format!(
            "{} of {src}, made with {}{} ({})",
            self.role.name(),
            self.tool.as_deref().unwrap_or("?"),
            self.tool_version
                .as_ref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default(),
            self.method.as_deref().unwrap_or("?")
        )
    }

    /// Strict decoding with the rule above.
    pub fn from_value(v: Value) -> Result<Lineage, SchemaError> {
        let mut r = MapReader::new("evidence.intake body.lineage", v)?;
        let role = r.text("role")?;
        let role = CopyRole::from_name(&role)
            .ok_or_else(|| invalid("lineage.role", format!("{role:?} is not a copy role")))?;
        let derived_from = match r.opt_text("derived_from", 64)? {
            Some(s) if !crate::format::ids::valid_item_id(&s) => {
                return Err(invalid(
                    "lineage.derived_from",
                    format!("{s:?} is not an item id"),
                ))
            }
            other => other,
        };
        let l = Lineage {
            role,
            derived_from,
            tool: r.opt_text("tool", MAX_SHORT_TEXT)?,
            tool_version: r.opt_text("tool_version", MAX_SHORT_TEXT)?,
            method: r.opt_text("method", MAX_SHORT_TEXT)?,
        };
        r.finish()?;
        l.check()?;
        Ok(l)
    }

    /// An original names no source, tool or method; a copy names its
    /// source, tool and method.
    pub fn check(&self) -> Result<(), SchemaError> {
        let named = [&self.derived_from, &self.tool, &self.method];
        match self.role {
            CopyRole::Original
                if self.derived_from.is_some()
                    || self.tool.is_some()
                    || self.tool_version.is_some()
                    || self.method.is_some() =>
            {
                Err(invalid("lineage", "an original is derived from nothing"))
            }
            CopyRole::Original => Ok(()),
            _ if named.iter().any(|f| f.is_none()) => Err(invalid(
                "lineage",
                "a copy names derived_from, tool and method",
            )),
            _ => Ok(()),
        }
    }
}

fn invalid(what: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::Invalid {
        what: format!("evidence.intake body.{what}"),
        reason: reason.into(),
    }
}
