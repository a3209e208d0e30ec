//! Pure rules of the product: secret format, durations, names and permissions. No I/O here.

pub mod duration;
pub mod names;
pub mod roles;
pub mod secret;

pub use duration::Ttl;
pub use names::{Description, Email, TokenName};
pub use roles::{MemberRole, TokenRole};
pub use secret::{Digest, SecretKind, SecretValue};
