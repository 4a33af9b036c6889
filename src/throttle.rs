//! Abuse limits on the authentication routes: sliding windows per client IP
//! and per account, kept in memory by each instance.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::{
    config::Config,
    error::{AppError, Result},
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

#[derive(Debug, Clone, Copy)]
struct Limit {
    max: usize,
    window: Duration,
}

/// The limits in force; `None` when `RATE_LIMITS=off`.
pub struct Throttle {
    limits: Option<HashMap<Bucket, Limit>>,
    windows: Mutex<HashMap<(Bucket, String), VecDeque<Instant>>>,
}

impl Throttle {
    pub fn new(config: &Config) -> Self {
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
        Self {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Fails with `Throttled` when `key` has used up `bucket`'s window;
    /// otherwise, with `record`, counts this request.
    fn admit(&self, bucket: Bucket, key: &str, record: bool) -> Result<()> {
        let Some(limit) = self.limits.as_ref().and_then(|l| l.get(&bucket)).copied() else {
            return Ok(());
        };
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
    pub fn hit_ip(&self, bucket: Bucket, ip: IpAddr) -> Result<()> {
        self.admit(bucket, &ip.to_string(), true)
    }

    /// Refuses when `account` already failed too often.
    pub fn check_account(&self, account: &str) -> Result<()> {
        self.admit(Bucket::LoginFailures, account, false)
    }

    /// Records a failed login for `account`.
    pub fn record_failure(&self, account: &str) {
        let _ = self.admit(Bucket::LoginFailures, account, true);
    }

    /// A successful login clears the account's failures.
    pub fn clear_failures(&self, account: &str) {
        if self.limits.is_some() {
            let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
            windows.remove(&(Bucket::LoginFailures, account.to_string()));
        }
    }
}
