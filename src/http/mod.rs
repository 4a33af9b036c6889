//! What both doors share of HTTP: who is calling (bearer token → [`Actor`]),
//! the client's address, and the JSON body rules.
//!
//! [`Actor`]: crate::domain::actor::Actor

pub mod actor;
pub mod client_ip;
pub mod json;
