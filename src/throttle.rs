//! Abuse limits on the authentication routes: sliding windows per client IP
//! and per account. On PostgreSQL the windows are rows shared by every
//! instance (`shared`); on SQLite, which serves one instance, each keeps them
//! in memory.
//!
//! A database error while checking a limit fails the request (503 when the
//! database is unreachable): every route limited here needs the database
//! anyway, so failing open would buy no availability and could let a limit
//! be skipped.

mod shared;

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use sea_orm::{DatabaseConnection, DbBackend};

use crate::{
    config::Config,
    error::{AppError, Result},
    throttle::shared::SharedWindows,
};

/// Keys kept at most; past this, stale windows are swept first and, if the
/// map is still full, new keys are not tracked (memory stays bounded).
const MAX_KEYS: usize = 100_000;

/// What is being counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Every login attempt, per client IP.
    LoginIp,
    /// Failed logins, per account (the attempted username or email, folded).
    LoginFailures,
    /// Registrations, per client IP.
    RegisterIp,
    /// Token refreshes, per client IP.
    RefreshIp,
    /// Password changes, per client IP.
    PasswordChangeIp,
    /// Password-reset requests, per client IP.
    PasswordResetIp,
    /// Password-reset confirmations, per client IP.
    PasswordResetConfirmIp,
    /// E-mail verifications, per client IP.
    VerifyEmailIp,
    /// Verification-mail resends, per client IP.
    ResendEmailIp,
}

impl Bucket {
    /// The bucket's name in the shared store.
    fn name(self) -> &'static str {
        match self {
            Bucket::LoginIp => "login_ip",
            Bucket::LoginFailures => "login_failures",
            Bucket::RegisterIp => "register_ip",
            Bucket::RefreshIp => "refresh_ip",
            Bucket::PasswordChangeIp => "password_change_ip",
            Bucket::PasswordResetIp => "password_reset_ip",
            Bucket::PasswordResetConfirmIp => "password_reset_confirm_ip",
            Bucket::VerifyEmailIp => "verify_email_ip",
            Bucket::ResendEmailIp => "resend_email_ip",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Limit {
    max: usize,
    window: Duration,
}

/// The limits in force (`None` when `RATE_LIMITS=off`) and where their
/// windows are kept.
pub struct Throttle {
    limits: Option<HashMap<Bucket, Limit>>,
    /// On PostgreSQL: the windows every instance shares.
    shared: Option<SharedWindows>,
    /// Otherwise: this instance's windows.
    windows: Mutex<HashMap<(Bucket, String), VecDeque<Instant>>>,
}

/// A request's refusal, counted for `/metrics` (whichever store decided it).
fn refused(bucket: Bucket, admitted: Result<()>) -> Result<()> {
    if let Err(AppError::Throttled(_)) = &admitted {
        metrics::counter!("spider_web_rate_limit_refusals_total", "bucket" => bucket.name())
            .increment(1);
    }
    admitted
}

impl Throttle {
    /// The configured limits, over `db`'s shared windows on PostgreSQL.
    pub fn new(config: &Config, db: &DatabaseConnection) -> Self {
        let minute = Duration::from_secs(60);
        let limits = config.rate_limits.then(|| {
            HashMap::from([
                (
                    Bucket::LoginIp,
                    Limit {
                        max: config.login_attempts_per_ip as usize,
                        window: minute,
                    },
                ),
                (
                    Bucket::LoginFailures,
                    Limit {
                        max: config.login_failures_per_account as usize,
                        window: Duration::from_secs(15 * 60),
                    },
                ),
                (
                    Bucket::RegisterIp,
                    Limit {
                        max: config.auth_requests_per_ip as usize,
                        window: minute,
                    },
                ),
                (
                    Bucket::RefreshIp,
                    Limit {
                        max: config.auth_requests_per_ip as usize,
                        window: minute,
                    },
                ),
            ])
        });
        let limits = limits.map(|mut limits| {
            // The other auth routes: each its own window of the per-IP allowance.
            let per_ip = Limit {
                max: config.auth_requests_per_ip as usize,
                window: minute,
            };
            for bucket in [
                Bucket::PasswordChangeIp,
                Bucket::PasswordResetIp,
                Bucket::PasswordResetConfirmIp,
                Bucket::VerifyEmailIp,
                Bucket::ResendEmailIp,
            ] {
                limits.insert(bucket, per_ip);
            }
            limits
        });
        let shared = (limits.is_some() && db.get_database_backend() == DbBackend::Postgres)
            .then(|| SharedWindows::new(db.clone()));
        Self {
            limits,
            shared,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, bucket: Bucket) -> Option<Limit> {
        self.limits.as_ref().and_then(|l| l.get(&bucket)).copied()
    }

    /// Fails with `Throttled` when `key` has used up `bucket`'s window;
    /// otherwise, with `record`, counts this request.
    async fn admit(&self, bucket: Bucket, key: &str, record: bool) -> Result<()> {
        let Some(limit) = self.limit(bucket) else {
            return Ok(());
        };
        match &self.shared {
            _ if limit.max == 0 => Err(AppError::Throttled(limit.window.as_secs().max(1))),
            Some(shared) if record => {
                shared
                    .hit(bucket.name(), key, limit.max, limit.window)
                    .await
            }
            Some(shared) => {
                shared
                    .check(bucket.name(), key, limit.max, limit.window)
                    .await
            }
            None => self.admit_here(bucket, key, record, limit),
        }
    }

    /// [`Throttle::admit`] on this instance's windows.
    fn admit_here(&self, bucket: Bucket, key: &str, record: bool, limit: Limit) -> Result<()> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_KEYS {
            windows.retain(|(b, _), w| {
                let window = self
                    .limits
                    .as_ref()
                    .and_then(|l| l.get(b))
                    .map_or(Duration::ZERO, |l| l.window);
                w.back().is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let full = windows.len() >= MAX_KEYS;
        let entry = match windows.get_mut(&(bucket, key.to_string())) {
            Some(w) => w,
            None if full || !record => return Ok(()),
            None => windows.entry((bucket, key.to_string())).or_default(),
        };
        while entry
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limit.window)
        {
            entry.pop_front();
        }
        if entry.len() >= limit.max {
            let oldest = entry.front().copied().unwrap_or(now);
            let wait = limit.window.saturating_sub(now.duration_since(oldest));
            return Err(AppError::Throttled(wait.as_secs().max(1)));
        }
        if record {
            entry.push_back(now);
        }
        Ok(())
    }

    /// Counts a request from `ip` against `bucket`, refusing it over the limit.
    pub async fn hit_ip(&self, bucket: Bucket, ip: IpAddr) -> Result<()> {
        refused(bucket, self.admit(bucket, &ip.to_string(), true).await)
    }

    /// Refuses when `account` already failed too often.
    pub async fn check_account(&self, account: &str) -> Result<()> {
        let bucket = Bucket::LoginFailures;
        refused(bucket, self.admit(bucket, account, false).await)
    }

    /// Records a failed login for `account` (a full window stays as it is).
    pub async fn record_failure(&self, account: &str) -> Result<()> {
        match self.admit(Bucket::LoginFailures, account, true).await {
            Err(AppError::Throttled(_)) => Ok(()),
            other => other,
        }
    }

    /// A successful login clears the account's failures. Best effort: if the
    /// store cannot be reached the failures stay until they expire, which
    /// errs on the strict side, so the caller's answer does not change.
    pub async fn clear_failures(&self, account: &str) {
        if self.limits.is_none() {
            return;
        }
        let bucket = Bucket::LoginFailures;
        match &self.shared {
            Some(shared) => {
                if let Err(e) = shared.clear(bucket.name(), account).await {
                    tracing::warn!(error = ?e, "could not clear an account's login failures");
                }
            }
            None => {
                let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
                windows.remove(&(bucket, account.to_string()));
            }
        }
    }
}
