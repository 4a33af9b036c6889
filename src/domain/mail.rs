//! Mail the rules send. Every message is a row of the outbox, written in the
//! transaction of the action that causes it; a worker (`crate::mail`) delivers
//! it after the commit, so an answer never waits on a mail server and a crash
//! loses nothing. Subjects and bodies are plain-text templates (with an HTML
//! part) naming the site; each link stands on a line of its own.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use entity::mail_outbox;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    config::{Config, EmailVerification},
    domain::time::now,
    error::Result,
};

/// What a message is for; the per-address cooldowns count by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    VerifyEmail,
    PasswordReset,
    EmailChanged,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "verify_email",
            MailKind::PasswordReset => "password_reset",
            MailKind::EmailChanged => "email_changed",
        }
    }
}

/// A message before it is queued.
#[derive(Debug, Clone)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The mail rules' settings, and the bell that wakes this instance's worker.
#[derive(Debug)]
pub struct MailSettings {
    pub site_name: String,
    pub verification: EmailVerification,
    pub verify_ttl: Duration,
    pub reset_ttl: Duration,
    reset_url: String,
    verify_url: String,
    pub wake: Arc<Notify>,
}

impl MailSettings {
    pub fn new(config: &Config) -> Self {
        let base = config.public_url();
        let mail = &config.mail;
        Self {
            site_name: mail.site_name.clone(),
            verification: mail.email_verification,
            verify_ttl: Duration::from_secs(mail.verify_email_ttl),
            reset_ttl: Duration::from_secs(mail.password_reset_ttl),
            reset_url: mail
                .password_reset_url
                .clone()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| format!("{base}/reset-password?uid={{uid}}&token={{token}}")),
            verify_url: mail
                .verify_email_url
                .clone()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| format!("{base}/verify-email?key={{key}}")),
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn reset_link(&self, uid: &str, token: &str) -> String {
        self.reset_url
            .replace("{uid}", uid)
            .replace("{token}", token)
    }

    pub fn verify_link(&self, key: &str) -> String {
        self.verify_url.replace("{key}", key)
    }

    /// The verification mail of `username` at a new or unverified address.
    pub fn verify_email(&self, username: &str, link: &str) -> Message {
        let site = &self.site_name;
        let days = (self.verify_ttl.as_secs() / 86_400).max(1);
        let text = format!(
            "Hello {username},\n\n\
             please confirm that this is your e-mail address on {site} by opening this link:\n\n\
             {link}\n\n\
             The link works for {days} day(s). If you did not sign up, ignore this mail.\n\n\
             -- {site}\n"
        );
        let body = format!(
            "<p>Hello {user},</p><p>please confirm that this is your e-mail address on \
             {site_html}:</p><p><a href=\"{href}\">Confirm my e-mail address</a></p>\
             <p>The link works for {days} day(s). If you did not sign up, ignore this mail.</p>",
            user = escape(username),
            site_html = escape(site),
            href = escape(link),
        );
        self.message(format!("Confirm your e-mail address on {site}"), text, body)
    }

    /// The password-reset mail.
    pub fn password_reset(&self, username: &str, link: &str) -> Message {
        let site = &self.site_name;
        let minutes = (self.reset_ttl.as_secs() / 60).max(1);
        let text = format!(
            "Hello {username},\n\n\
             someone asked to reset your password on {site}. To choose a new one, open this link:\n\n\
             {link}\n\n\
             The link works once, for {minutes} minute(s). If it was not you, ignore this mail:\n\
             your password stays as it is.\n\n\
             -- {site}\n"
        );
        let body = format!(
            "<p>Hello {user},</p><p>someone asked to reset your password on {site_html}.</p>\
             <p><a href=\"{href}\">Choose a new password</a></p><p>The link works once, for \
             {minutes} minute(s). If it was not you, ignore this mail: your password stays as it is.</p>",
            user = escape(username),
            site_html = escape(site),
            href = escape(link),
        );
        self.message(format!("Reset your password on {site}"), text, body)
    }

    /// The notice to an old address that the account's address changed (no link).
    pub fn email_changed(&self, username: &str, new_address: &str) -> Message {
        let site = &self.site_name;
        let text = format!(
            "Hello {username},\n\n\
             the e-mail address of your account on {site} was changed to {new_address}.\n\
             If you did not do this, reset your password and contact us.\n\n\
             -- {site}\n"
        );
        let body = format!(
            "<p>Hello {user},</p><p>the e-mail address of your account on {site_html} was \
             changed to {address}.</p><p>If you did not do this, reset your password and contact us.</p>",
            user = escape(username),
            site_html = escape(site),
            address = escape(new_address),
        );
        self.message(format!("Your e-mail address on {site} changed"), text, body)
    }

    fn message(&self, subject: String, text: String, body: String) -> Message {
        let html = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
             <body>{body}<p>-- {}</p></body></html>",
            escape(&subject),
            escape(&self.site_name)
        );
        Message {
            subject,
            text,
            html,
        }
    }
}

/// HTML text escaping.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Queues a message inside `db`'s transaction. Ring
/// [`MailSettings::wake`] once the transaction commits.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: MailKind,
    to: &str,
    message: Message,
) -> Result<()> {
    let at = now();
    mail_outbox::Entity::insert(mail_outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind.as_str().to_string()),
        to_address: Set(to.to_string()),
        to_key: Set(to.to_lowercase()),
        subject: Set(message.subject),
        body_text: Set(message.text),
        body_html: Set(Some(message.html)),
        created_at: Set(at),
        attempts: Set(0),
        next_attempt_at: Set(at),
        claimed_until: Set(None),
        sent_at: Set(None),
        failed_at: Set(None),
        last_error: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Was a message of `kind` queued for this address within `within`?
pub async fn queued_recently(
    db: &impl ConnectionTrait,
    kind: MailKind,
    address: &str,
    within: Duration,
) -> Result<bool> {
    let since = Utc::now() - within;
    let n = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::ToKey.eq(address.to_lowercase()))
        .filter(mail_outbox::Column::Kind.eq(kind.as_str()))
        .filter(mail_outbox::Column::CreatedAt.gt(since))
        .count(db)
        .await?;
    Ok(n > 0)
}
