//! Authentication mechanics: password hashing and token codecs. Nothing here
//! knows of requests or of the domain's rules.

pub mod password;
pub mod tokens;
