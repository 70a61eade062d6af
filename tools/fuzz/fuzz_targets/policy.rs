//! Trust-policy files (`--policy`, SPEC §10.6): the parser, then the
//! quorum rules of whatever it accepted, under every cosigned pattern
//! the input's first bytes pick.
#![no_main]
use caselog::tlog::trust::{Role, TrustPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = TrustPolicy::parse(data) else {
        return;
    };
    let n = p.cosigners().len();
    for seed in data.iter().take(4) {
        let cosigned: Vec<bool> = (0..n).map(|i| (seed >> (i % 8)) & 1 == 1).collect();
        for role in [Role::Witness, Role::Mirror] {
            let _ = p.met(role, &cosigned);
            let _ = p.rule(role);
        }
    }
});
