//! Configuration: one struct, filled from flags and environment variables.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};
use sea_orm::DbBackend;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Server configuration (`serve` flags; every flag also reads an environment variable).
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    /// Default: a SQLite file `spider-web.db` in the data folder.
    #[arg(long, global = true, env = "DATABASE_URL", value_parser = parse_database_url)]
    pub database_url: Option<String>,

    /// Address to listen on.
    #[arg(long, global = true, env = "BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,

    /// Folder for the default SQLite database and the generated JWT secret.
    #[arg(long, global = true, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// HS256 secret for access tokens. Unset: a random one is generated once
    /// and kept in `<data_dir>/jwt-secret` (mode 0600).
    #[arg(long, global = true, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Access-token lifetime in seconds.
    #[arg(long, global = true, env = "ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: u64,

    /// Refresh-token (session) lifetime in seconds.
    #[arg(long, global = true, env = "REFRESH_TOKEN_TTL", default_value_t = 14 * 24 * 3600)]
    pub refresh_token_ttl: u64,

    /// Comma-separated origins allowed by CORS (empty: no cross-origin access).
    #[arg(
        long,
        global = true,
        env = "CORS_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_origins: Vec<String>,

    /// Log format.
    #[arg(
        long,
        global = true,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Maximum request body in bytes.
    #[arg(long, global = true, env = "BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,

    /// Run migrations at start-up.
    #[arg(long, global = true, env = "MIGRATE_ON_START", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate_on_start: bool,

    /// Most database connections in the pool (default: 4 on SQLite, whose
    /// queries run on one thread per connection, 16 on PostgreSQL).
    #[arg(long, global = true, env = "DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,

    /// Abuse limits on the auth routes: `on` or `off` (for test rigs).
    #[arg(long, global = true, env = "RATE_LIMITS", default_value = "on", value_parser = parse_switch)]
    pub rate_limits: bool,

    /// Proxies whose `X-Forwarded-For` is believed (comma-separated IPs).
    #[arg(long, global = true, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Login attempts per client IP per minute.
    #[arg(
        long,
        global = true,
        env = "LOGIN_ATTEMPTS_PER_IP",
        default_value_t = 30
    )]
    pub login_attempts_per_ip: u32,

    /// Failed logins per account per 15 minutes.
    #[arg(
        long,
        global = true,
        env = "LOGIN_FAILURES_PER_ACCOUNT",
        default_value_t = 10
    )]
    pub login_failures_per_account: u32,

    /// Registrations, token refreshes and password changes per client IP per minute (each).
    #[arg(
        long,
        global = true,
        env = "AUTH_REQUESTS_PER_IP",
        default_value_t = 30
    )]
    pub auth_requests_per_ip: u32,

    /// Most open WebSocket connections per instance.
    #[arg(
        long,
        global = true,
        env = "WS_MAX_CONNECTIONS",
        default_value_t = 20_000
    )]
    pub ws_max_connections: usize,

    /// Threads that compute argon2 password hashes (0: one per core).
    #[arg(long, global = true, env = "HASH_THREADS", default_value_t = 0)]
    pub hash_threads: usize,

    /// Address of a second listener serving `/metrics` (Prometheus text).
    /// Unset: no metrics are collected.
    #[arg(long, global = true, env = "METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    #[command(flatten)]
    pub mail: MailConfig,
}

/// Whether an account's e-mail address must be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmailVerification {
    /// A verification mail is sent; signing in does not wait for it.
    Optional,
    /// No tokens until the address is verified.
    Mandatory,
    /// No verification mail.
    None,
}

/// Mail: how it leaves, where its links point, and the account rules on it.
#[derive(Debug, Clone, Args)]
pub struct MailConfig {
    /// SMTP server: `smtp://[user:pass@]host[:port]` (plain), with `?tls=starttls`,
    /// or `smtps://…` (implicit TLS). Unset: mails are written as `.eml` files
    /// under `<data_dir>/mail/`.
    #[arg(long, global = true, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of every mail.
    #[arg(
        long,
        global = true,
        env = "MAIL_FROM",
        default_value = "Spider Web <no-reply@localhost>"
    )]
    pub mail_from: String,

    /// The site's name in mails.
    #[arg(long, global = true, env = "SITE_NAME", default_value = "Spider Web")]
    pub site_name: String,

    /// The base of links in mails (default: `http://` + BIND).
    #[arg(long, global = true, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The link of a password-reset mail; `{uid}` and `{token}` are filled in
    /// (default: `{PUBLIC_URL}/reset-password?uid={uid}&token={token}`).
    #[arg(long, global = true, env = "PASSWORD_RESET_URL")]
    pub password_reset_url: Option<String>,

    /// The link of a verification mail; `{key}` is filled in (default:
    /// `{PUBLIC_URL}/verify-email?key={key}`).
    #[arg(long, global = true, env = "VERIFY_EMAIL_URL")]
    pub verify_email_url: Option<String>,

    /// `optional`, `mandatory` or `none`.
    #[arg(
        long,
        global = true,
        env = "EMAIL_VERIFICATION",
        value_enum,
        default_value = "optional"
    )]
    pub email_verification: EmailVerification,

    /// Lifetime of an e-mail verification key, in seconds.
    #[arg(long, global = true, env = "VERIFY_EMAIL_TTL", default_value_t = 3 * 24 * 3600)]
    pub verify_email_ttl: u64,

    /// Lifetime of a password-reset token, in seconds.
    #[arg(
        long,
        global = true,
        env = "PASSWORD_RESET_TTL",
        default_value_t = 3600
    )]
    pub password_reset_ttl: u64,
}

impl MailConfig {
    /// The defaults of every mail setting.
    pub fn new() -> Self {
        Self {
            smtp_url: None,
            mail_from: "Spider Web <no-reply@localhost>".into(),
            site_name: "Spider Web".into(),
            public_url: None,
            password_reset_url: None,
            verify_email_url: None,
            email_verification: EmailVerification::Optional,
            verify_email_ttl: 3 * 24 * 3600,
            password_reset_ttl: 3600,
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl Config {
    /// The defaults of every setting, with the given database URL and data folder
    /// (used by tests and tools that do not parse a command line).
    pub fn new(database_url: Option<String>, data_dir: PathBuf) -> Self {
        Self {
            database_url,
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            data_dir,
            jwt_secret: None,
            access_token_ttl: 900,
            refresh_token_ttl: 14 * 24 * 3600,
            cors_origins: Vec::new(),
            log_format: LogFormat::Text,
            body_limit: 1024 * 1024,
            migrate_on_start: true,
            db_max_connections: None,
            hash_threads: 0,
            rate_limits: true,
            trusted_proxies: Vec::new(),
            login_attempts_per_ip: 30,
            login_failures_per_account: 10,
            auth_requests_per_ip: 30,
            ws_max_connections: 20_000,
            metrics_bind: None,
            mail: MailConfig::new(),
        }
    }

    /// The base of links in mails, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.mail.public_url {
            Some(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_string(),
            _ => format!("http://{}", self.bind),
        }
    }

    /// The database URL in force: the configured one or the default SQLite file.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("spider-web.db").display()
            ),
        }
    }

    pub fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl)
    }

    pub fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl)
    }
}

/// The backend a database URL names, or why it names none.
pub fn database_backend(url: &str) -> Result<DbBackend, String> {
    const EXPECTED: &str = "expected sqlite://FILE or postgres://user@host/db";
    if url.starts_with("sqlite:") {
        Ok(DbBackend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DbBackend::Postgres)
    } else if url.contains("://") {
        Err(format!("unsupported database ({EXPECTED})"))
    } else {
        Err(format!("not a database URL ({EXPECTED})"))
    }
}

/// A database URL, or empty for the default file.
fn parse_database_url(s: &str) -> Result<String, String> {
    if !s.is_empty() && database_backend(s)? == DbBackend::Postgres {
        use std::str::FromStr;
        sea_orm::sqlx::postgres::PgConnectOptions::from_str(s).map_err(|e| match e {
            sea_orm::sqlx::Error::Configuration(cause) => format!("malformed: {cause}"),
            other => format!("malformed: {other}"),
        })?;
    }
    Ok(s.to_string())
}

/// `on`/`off` (also `true`/`false`, `1`/`0`).
fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        other => Err(format!("expected on or off, got {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::database_backend;

    #[test]
    fn only_sqlite_and_postgres_urls_are_databases() {
        assert!(database_backend("sqlite::memory:").is_ok());
        assert!(database_backend("postgresql://u@h/db").is_ok());
        let unsupported = database_backend("mysql://x").unwrap_err();
        assert!(unsupported.starts_with("unsupported database"));
        let nonsense = database_backend("nonsense").unwrap_err();
        assert!(nonsense.starts_with("not a database URL"));
    }
}
