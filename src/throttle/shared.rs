//! Windows shared by every instance on PostgreSQL: one row of `rate_limits`
//! per (bucket, subject), holding the times of the requests admitted in the
//! window. Each check is one statement; the row lock of `INSERT … ON
//! CONFLICT DO UPDATE` makes concurrent checks from any instance take turns,
//! and the database's clock is the only clock, so instances never disagree.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use crate::error::{AppError, Result};

/// The admitted times still inside the window, taken from the row being
/// updated (so from its latest version, after waiting for its lock).
macro_rules! kept {
    () => {
        "ARRAY(SELECT t FROM unnest(r.hits) t WHERE t > now() - make_interval(secs => $4))"
    };
}

/// Counts a request when the window has room; says whether it did and, if
/// not, in how many seconds the oldest counted request leaves the window.
const HIT: &str = concat!(
    "INSERT INTO rate_limits AS r (bucket, subject, hits, admitted, expires_at) \
     VALUES ($1, $2, ARRAY[now()], true, now() + make_interval(secs => $4)) \
     ON CONFLICT (bucket, subject) DO UPDATE SET \
     hits = CASE WHEN cardinality(",
    kept!(),
    ") < $3 THEN ",
    kept!(),
    " || now() ELSE ",
    kept!(),
    " END, admitted = cardinality(",
    kept!(),
    ") < $3, expires_at = CASE WHEN cardinality(",
    kept!(),
    ") < $3 THEN greatest(r.expires_at, now() + make_interval(secs => $4)) \
     ELSE r.expires_at END \
     RETURNING r.admitted, ceil(extract(epoch FROM \
     (SELECT min(t) FROM unnest(r.hits) t) + make_interval(secs => $4) - now()))::int8"
);

/// How full the window is, without counting anything.
const PEEK: &str = "SELECT count(*), ceil(extract(epoch FROM \
     min(t) + make_interval(secs => $3) - now()))::int8 \
     FROM rate_limits, unnest(hits) t \
     WHERE bucket = $1 AND subject = $2 AND t > now() - make_interval(secs => $3)";

const CLEAR: &str = "DELETE FROM rate_limits WHERE bucket = $1 AND subject = $2";

/// Rows whose every request has left its window.
const SWEEP: &str = "DELETE FROM rate_limits WHERE expires_at < now()";

/// How often an instance sweeps expired rows (on the next hit after this).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The PostgreSQL store of the windows.
pub struct SharedWindows {
    db: DatabaseConnection,
    started: Instant,
    /// Seconds after `started` of the last sweep.
    last_sweep: AtomicU64,
}

impl SharedWindows {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            started: Instant::now(),
            last_sweep: AtomicU64::new(0),
        }
    }

    /// Counts a request against `bucket`/`subject`, or fails with `Throttled`
    /// when `max` requests were already counted within `window`.
    pub async fn hit(
        &self,
        bucket: &str,
        subject: &str,
        max: usize,
        window: Duration,
    ) -> Result<()> {
        self.maybe_sweep();
        let row = self
            .db
            .query_one_raw(statement(HIT, bucket, subject, Some(max), window))
            .await?
            .ok_or_else(|| AppError::internal("rate-limit upsert returned no row"))?;
        let admitted: bool = row.try_get_by_index(0)?;
        let wait: Option<i64> = row.try_get_by_index(1)?;
        if admitted {
            Ok(())
        } else {
            Err(throttled(wait))
        }
    }

    /// Fails with `Throttled` when `max` requests were already counted within
    /// `window`; counts nothing.
    pub async fn check(
        &self,
        bucket: &str,
        subject: &str,
        max: usize,
        window: Duration,
    ) -> Result<()> {
        let row = self
            .db
            .query_one_raw(statement(PEEK, bucket, subject, None, window))
            .await?
            .ok_or_else(|| AppError::internal("rate-limit count returned no row"))?;
        let live: i64 = row.try_get_by_index(0)?;
        let wait: Option<i64> = row.try_get_by_index(1)?;
        if usize::try_from(live).unwrap_or(usize::MAX) >= max {
            Err(throttled(wait))
        } else {
            Ok(())
        }
    }

    /// Forgets every request counted for `bucket`/`subject`.
    pub async fn clear(&self, bucket: &str, subject: &str) -> Result<()> {
        let values: [Value; 2] = [bucket.into(), subject.into()];
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                CLEAR,
                values,
            ))
            .await?;
        Ok(())
    }

    /// At most once a minute per instance, deletes the rows of subjects that
    /// went quiet, off the request's path (a failure only delays it).
    fn maybe_sweep(&self) {
        let now = self.started.elapsed().as_secs();
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now < last + SWEEP_EVERY.as_secs()
            || self
                .last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(e) = db.execute_unprepared(SWEEP).await {
                tracing::debug!(error = %e, "rate-limit sweep failed; the next one retries");
            }
        });
    }
}

fn statement(
    sql: &str,
    bucket: &str,
    subject: &str,
    max: Option<usize>,
    window: Duration,
) -> Statement {
    let mut values: Vec<Value> = vec![bucket.into(), subject.into()];
    if let Some(max) = max {
        values.push(i32::try_from(max).unwrap_or(i32::MAX).into());
    }
    values.push(window.as_secs_f64().into());
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

fn throttled(wait: Option<i64>) -> AppError {
    AppError::Throttled(wait.map_or(1, |w| u64::try_from(w).unwrap_or(0).max(1)))
}
