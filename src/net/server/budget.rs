//! The request bytes a server holds in memory at once (SPEC §17.2):
//! a server-wide budget (`--max-in-flight`) and, inside it, a share per
//! member, so one member's stalled bodies cannot take the room every
//! other member needs. Both are taken from the headers, before the body
//! is read; a request that does not fit is answered 503 `BUSY` at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::format::ids::MemberKey;
use crate::net::api::ApiError;

/// The part of the budget one member may hold: a quarter.
pub(crate) const MEMBER_SHARE_DIVISOR: usize = 4;

/// KiB held per member.
type Shares = Arc<Mutex<BTreeMap<MemberKey, usize>>>;

/// The server-wide budget and the members' shares of it, in KiB.
pub(crate) struct Budget {
    all: Arc<Semaphore>,
    members: Shares,
    per_member: usize,
}

/// Room held for one request's body, given back when dropped.
pub(crate) struct Held {
    _all: OwnedSemaphorePermit,
    member: Option<(Shares, MemberKey, usize)>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some((m, key, kib)) = self.member.take() {
            let mut m = m.lock().expect("budget: lock poisoned");
            let left = m.get(&key).copied().unwrap_or(0).saturating_sub(kib);
            if left == 0 {
                m.remove(&key);
            } else {
                m.insert(key, left);
            }
        }
    }
}

fn busy(what: &str) -> ApiError {
    ApiError::new(
        503,
        "BUSY",
        3,
        format!("{what} as many request bytes as it may hold at once; retry shortly"),
    )
}

impl Budget {
    /// A budget of `bytes` in all.
    pub(crate) fn new(bytes: usize) -> Budget {
        let all = kib(bytes);
        Budget {
            all: Arc::new(Semaphore::new(all)),
            members: Arc::default(),
            per_member: (all / MEMBER_SHARE_DIVISOR).max(1),
        }
    }

    /// Hold `bytes` for a request of `member` (`None`: a public one), or
    /// refuse it at once.
    pub(crate) fn hold(&self, bytes: usize, member: Option<MemberKey>) -> Result<Held, ApiError> {
        let n = kib(bytes);
        let all = self
            .all
            .clone()
            .try_acquire_many_owned(n.try_into().unwrap_or(u32::MAX))
            .map_err(|_| busy("the server is receiving"))?;
        let member = match member {
            None => None,
            Some(key) => {
                let mut m = self.members.lock().expect("budget: lock poisoned");
                let had = m.get(&key).copied().unwrap_or(0);
                if had + n > self.per_member {
                    return Err(busy("this member is sending"));
                }
                m.insert(key, had + n);
                Some((self.members.clone(), key, n))
            }
        };
        Ok(Held { _all: all, member })
    }
}

/// Whole KiB, rounded up (semaphore permits).
fn kib(bytes: usize) -> usize {
    bytes.div_ceil(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_holds_at_most_its_share_and_gives_it_back() {
        let b = Budget::new(4 << 20);
        let (a, c) = (MemberKey([1; 32]), MemberKey([2; 32]));
        let first = b.hold(1 << 20, Some(a)).unwrap();
        assert!(b.hold(1, Some(a)).is_err(), "over a quarter");
        let other = b.hold(1 << 20, Some(c)).unwrap();
        drop(first);
        let again = b.hold(1 << 20, Some(a)).unwrap();
        let public = b.hold(1 << 20, None).unwrap();
        assert!(b.hold(2 << 20, None).is_err(), "past the whole budget");
        drop((other, again, public));
        assert!(b.members.lock().unwrap().is_empty());
    }
}
