//! Argon2id password hashing on a small fixed pool of threads fed by a bounded
//! queue: hashing never runs on the async runtime, a login storm cannot spawn
//! unbounded work, and memory stays flat (each hash allocates ~19 MiB, which
//! glibc would otherwise keep per blocking thread).

use std::sync::{Arc, Mutex};

use argon2::{
    Argon2,
    password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash},
};
use tokio::sync::{OnceCell, mpsc, oneshot};

use crate::error::{AppError, Result};

type Job = Box<dyn FnOnce() + Send>;

/// How long a hashing job may wait for room in the queue.
const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Handle to the hashing pool; cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    queue: mpsc::Sender<Job>,
    /// A hash of a random password, verified against when a login names an
    /// unknown user so that both cases take the same time.
    dummy: Arc<OnceCell<String>>,
}

impl Passwords {
    /// Starts `threads` hashing threads (0: one per core) with a queue of
    /// `queue_len` waiting jobs.
    pub fn start(threads: usize, queue_len: usize) -> Self {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            threads
        };
        let (tx, rx) = mpsc::channel::<Job>(queue_len);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        // Hold the lock only while waiting for the next job.
                        let job = match rx.lock() {
                            Ok(mut guard) => guard.blocking_recv(),
                            Err(_) => None,
                        };
                        match job {
                            Some(job) => job(),
                            None => break,
                        }
                    }
                })
                .expect("spawn hashing thread");
        }
        Self {
            queue: tx,
            dummy: Arc::new(OnceCell::new()),
        }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        // A full queue for this long means a login storm: refuse rather than
        // pile up waiting work.
        self.queue
            .send_timeout(job, QUEUE_WAIT)
            .await
            .map_err(|e| match e {
                mpsc::error::SendTimeoutError::Timeout(_) => AppError::Throttled(1),
                mpsc::error::SendTimeoutError::Closed(_) => {
                    AppError::internal("password hashing pool stopped")
                }
            })?;
        rx.await
            .map_err(|_| AppError::internal("password hashing job dropped"))
    }

    /// Hashes a password into an argon2id PHC string (OWASP parameters:
    /// m = 19 MiB, t = 2, p = 1, the argon2 crate's defaults).
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_owned();
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(AppError::internal)
        })
        .await?
    }

    /// Checks a password against a stored PHC string; `None` checks against a
    /// dummy hash and returns false, taking the same time as a real check.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool> {
        let (stored, real) = match stored {
            Some(s) => (s.to_owned(), true),
            None => (self.dummy_hash().await?, false),
        };
        let password = password.to_owned();
        let ok = self
            .run(move || {
                PasswordHash::new(&stored)
                    .map(|parsed| {
                        Argon2::default()
                            .verify_password(password.as_bytes(), &parsed)
                            .is_ok()
                    })
                    .unwrap_or(false)
            })
            .await?;
        Ok(ok && real)
    }

    async fn dummy_hash(&self) -> Result<String> {
        self.dummy
            .get_or_try_init(|| async {
                let random: [u8; 32] = rand::random();
                self.hash(&crate::auth::tokens::b64(&random)).await
            })
            .await
            .cloned()
    }
}
