//! What both doors share of HTTP: who is calling (bearer token → [`Actor`]),
//! the client's address, the JSON body rules, and the metrics of requests.
//!
//! [`Actor`]: crate::domain::actor::Actor

pub mod actor;
pub mod client_ip;
pub mod json;
pub mod metrics;
