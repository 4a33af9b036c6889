//! Delivers the mail outbox. One worker per instance claims due messages —
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, one writer at a time on SQLite —
//! so two instances never send the same message, and sends them over SMTP
//! (`SMTP_URL`: plain, STARTTLS or implicit TLS) or, with no `SMTP_URL`,
//! writes them as `.eml` files under `DATA_DIR/mail/`. A failure is retried
//! with exponential backoff (1 s doubling, at most 5 min apart) up to
//! [`MAX_ATTEMPTS`] times; then the message is kept as failed with its last
//! error. A claim lapses after [`CLAIM`], so a worker killed mid-send loses
//! nothing (the message may then go out twice: delivery is at least once).

use std::{path::PathBuf, sync::Arc, time::Duration};

use chrono::Utc;
use entity::mail_outbox;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, SinglePart, header::ContentType},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    Statement, sea_query::Expr,
};
use tokio::sync::{Notify, watch};

use crate::{config::Config, error::BoxError};

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i32 = 12;
/// How long a worker holds a claimed message.
pub const CLAIM: Duration = Duration::from_secs(120);
/// How often the outbox is looked at without a wake-up (other instances'
/// messages, retries).
const POLL: Duration = Duration::from_secs(1);
/// Messages claimed at once.
const BATCH: u64 = 16;

/// Where mail goes.
#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// The outbox worker of this instance.
pub struct Mailer {
    db: DatabaseConnection,
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    /// Checks the mail settings (`MAIL_FROM`, `SMTP_URL`; the mail folder when
    /// there is no SMTP server).
    pub fn new(db: DatabaseConnection, config: &Config) -> Result<Self, BoxError> {
        let from: Mailbox = config
            .mail
            .mail_from
            .parse()
            .map_err(|e| format!("MAIL_FROM is not a mail address: {e}"))?;
        let transport = match config.mail.smtp_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => Transport::Smtp(smtp_transport(url)?),
            _ => {
                let dir = config.data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create the mail folder {}: {e}", dir.display()))?;
                Transport::Files(AsyncFileTransport::new(&dir), dir)
            }
        };
        Ok(Self {
            db,
            from,
            transport,
        })
    }

    /// Runs until `closing` turns true; `wake` rings when a message is queued here.
    pub fn spawn(self, wake: Arc<Notify>, mut closing: watch::Receiver<bool>) {
        tokio::spawn(async move {
            loop {
                match self.claim().await {
                    Ok(batch) if !batch.is_empty() => {
                        for message in batch {
                            self.deliver(message).await;
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot read the mail outbox"),
                }
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                    _ = closing.wait_for(|stop| *stop) => return,
                }
            }
        });
    }

    /// Claims due messages for this worker.
    async fn claim(&self) -> Result<Vec<mail_outbox::Model>, sea_orm::DbErr> {
        let backend = self.db.get_database_backend();
        let lock = match backend {
            DbBackend::Postgres => "FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        let sql = format!(
            "UPDATE mail_outbox SET claimed_until = $1 WHERE id IN (\
               SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
               AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until < $2) \
               ORDER BY next_attempt_at LIMIT {BATCH} {lock}) RETURNING *"
        );
        let now = Utc::now();
        let until = now + CLAIM;
        let stmt = Statement::from_sql_and_values(backend, sql, [until.into(), now.into()]);
        mail_outbox::Entity::find()
            .from_raw_sql(stmt)
            .all(&self.db)
            .await
    }

    async fn deliver(&self, row: mail_outbox::Model) {
        let attempts = row.attempts + 1;
        let outcome = match self.message(&row) {
            Ok(message) => self.send(message, &row).await,
            Err(e) => Err((e, true)),
        };
        let update = mail_outbox::Entity::update_many()
            .filter(mail_outbox::Column::Id.eq(row.id))
            .col_expr(mail_outbox::Column::Attempts, Expr::value(attempts))
            .col_expr(
                mail_outbox::Column::ClaimedUntil,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            );
        let now = Utc::now();
        let update = match outcome {
            Ok(()) => {
                metrics::counter!("spider_web_mail_sent_total").increment(1);
                tracing::info!(mail = %row.id, kind = %row.kind, "mail sent");
                update.col_expr(mail_outbox::Column::SentAt, Expr::value(now))
            }
            Err((error, permanent)) => {
                let update = update.col_expr(
                    mail_outbox::Column::LastError,
                    Expr::value(error.chars().take(1000).collect::<String>()),
                );
                if permanent || attempts >= MAX_ATTEMPTS {
                    metrics::counter!("spider_web_mail_send_failures_total", "outcome" => "failed")
                        .increment(1);
                    tracing::error!(mail = %row.id, kind = %row.kind, attempts, %error, "mail failed; kept as failed");
                    update.col_expr(mail_outbox::Column::FailedAt, Expr::value(now))
                } else {
                    metrics::counter!("spider_web_mail_send_failures_total", "outcome" => "retry")
                        .increment(1);
                    let delay = backoff(attempts);
                    tracing::warn!(mail = %row.id, kind = %row.kind, attempts, %error, retry_in_s = delay.as_secs(), "mail not sent; will retry");
                    update.col_expr(mail_outbox::Column::NextAttemptAt, Expr::value(now + delay))
                }
            }
        };
        if let Err(e) = update.exec(&self.db).await {
            // The claim lapses and the message is tried again.
            tracing::warn!(mail = %row.id, error = %e, "cannot record a mail's outcome");
        }
    }

    fn message(&self, row: &mail_outbox::Model) -> Result<Message, String> {
        let to: Mailbox = row
            .to_address
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(row.body_text.clone());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone());
        let built = match &row.body_html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.clone()),
                ),
            ),
            None => builder.singlepart(text),
        };
        built.map_err(|e| format!("cannot build the message: {e}"))
    }

    /// Sends; an error says whether retrying cannot help.
    async fn send(&self, message: Message, row: &mail_outbox::Model) -> Result<(), (String, bool)> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| (e.to_string(), e.is_permanent())),
            Transport::Files(files, dir) => {
                let id = files
                    .send(message)
                    .await
                    .map_err(|e| (e.to_string(), false))?;
                // Development without a mail server: say where the mail is and
                // its link, so the flow can be followed from the log.
                let link = row
                    .body_text
                    .lines()
                    .find(|l| l.starts_with("http://") || l.starts_with("https://"))
                    .unwrap_or("");
                tracing::info!(
                    to = %row.to_address,
                    subject = %row.subject,
                    file = %dir.join(format!("{id}.eml")).display(),
                    link,
                    "mail written (no SMTP_URL)"
                );
                Ok(())
            }
        }
    }
}

/// What the outbox holds that is not sent.
#[derive(Debug, Clone, Copy)]
pub struct Backlog {
    /// Waiting for a (first or further) attempt.
    pub pending: u64,
    /// Given up, kept with their last error.
    pub failed: u64,
}

/// Counts the unsent messages (for the metrics; one statement, over the
/// outbox's `(sent_at, failed_at, …)` index).
pub async fn outbox_backlog(db: &DatabaseConnection) -> Result<Backlog, sea_orm::DbErr> {
    let sql = "SELECT COUNT(*) AS unsent, COUNT(failed_at) AS failed \
               FROM mail_outbox WHERE sent_at IS NULL";
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    let count = |column: &str| -> Result<u64, sea_orm::DbErr> {
        let n: i64 = match &row {
            Some(row) => row.try_get("", column)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    };
    let (unsent, failed) = (count("unsent")?, count("failed")?);
    Ok(Backlog {
        pending: unsent.saturating_sub(failed),
        failed,
    })
}

/// The wait before attempt `attempts + 1`: 1 s, doubling, at most 5 minutes.
fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs((1u64 << exp).min(300))
}

/// An SMTP transport from `SMTP_URL`. `?tls=starttls` is lettre's
/// `tls=required`; `smtps://` is implicit TLS; plain `smtp://` uses no TLS.
fn smtp_transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, BoxError> {
    let lettre_url = url
        .replace("tls=starttls", "tls=required")
        .replace("tls=STARTTLS", "tls=required");
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url).map_err(|e| {
        // The URL may hold a password: name the setting, not the value.
        format!("SMTP_URL is not a valid smtp:// or smtps:// URL: {e}")
    })?;
    Ok(builder.timeout(Some(Duration::from_secs(30))).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let waits: Vec<u64> = (1..=12).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }

    #[tokio::test]
    async fn smtp_urls() {
        for ok in [
            "smtp://127.0.0.1:2525",
            "smtp://user:p%40ss@mail.example.com:587?tls=starttls",
            "smtps://mail.example.com",
        ] {
            assert!(smtp_transport(ok).is_ok(), "{ok}");
        }
        let err = smtp_transport("http://user:secret@x")
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
    }
}
