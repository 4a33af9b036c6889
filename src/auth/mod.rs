//! Authentication mechanics: password hashing, tokens, and who is calling.

pub mod actor;
pub mod password;
pub mod tokens;

pub use actor::{Actor, AuthUser, CurrentUser};
