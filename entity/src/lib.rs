//! sea-orm entities. Never serialised directly: the API has its own output types,
//! so a password hash cannot leak through a derive.

pub mod card;
pub mod email_key;
pub mod mail_outbox;
pub mod profile;
pub mod reaction;
pub mod refresh_token;
pub mod reply;
pub mod session;
pub mod user;
