//! Layer 2, rules: the state machines an entry must satisfy at its position.
//!
//! Owns membership and the role table (`policy`), the custody state
//! machine (`custody`) and the legal holds (`hold`) and discovery productions (`production`) and retention categories (`retention`) it carries. The writer and every verifier replay the same code,
//! so a record the writer accepts is exactly a record the verifiers accept.

pub mod custody;
pub mod hold;
pub mod policy;
pub mod production;
pub mod retention;
