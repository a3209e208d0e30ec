//! Pure rules of the product: secret format, durations, instants, names, roles and permissions, the token
//! lifecycle. No I/O here: the diesel derives only name the SQL type each value is stored as (`db::types`
//! reads and writes them).

pub mod duration;
pub mod labels;
pub mod lifecycle;
pub mod names;
pub mod roles;
pub mod secret;
pub mod time;

pub use duration::Ttl;
pub use labels::LabelSelector;
pub use lifecycle::DeletedVia;
pub use names::{Description, DisplayName, Email, ProjectName, TokenName};
pub use roles::{Authority, MemberRole, TokenRole};
pub use secret::{Digest, SecretKind, SecretValue};
pub use time::Timestamp;
