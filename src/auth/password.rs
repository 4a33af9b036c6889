//! Argon2id password hashing on a small fixed pool of threads fed by a bounded
//! queue: hashing never runs on the async runtime, a login storm cannot spawn
//! unbounded work, and memory stays flat: each hashing thread fills one
//! 19 MiB block buffer of its own, allocated once and reused by every hash
//! (the argon2 crate's `hash_password_into_with_memory`). Allocating it per
//! hash, as `hash_password`/`verify_password` do, let glibc keep freed
//! buffers in per-thread arenas: 5 logins took the server from 37 to 102 MiB,
//! a login storm to 190–255 MiB (bench/README.md).

use std::{
    cell::RefCell,
    sync::{Arc, Mutex},
};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
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
        self.run(move || hash_phc(password.as_bytes()))
            .await?
            .map_err(AppError::internal)
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
            .run(move || verify_phc(password.as_bytes(), &stored))
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

thread_local! {
    /// The block buffer of this hashing thread, reused by every hash.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// The most memory a stored hash may ask for (64 MiB); more is refused
/// rather than allocated.
const MAX_BLOCKS: usize = 64 * 1024;

/// Argon2 of `password` under `salt` into `out`, in this thread's buffer.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> std::result::Result<(), argon2::Error> {
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return Err(argon2::Error::MemoryTooMuch);
    }
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() != blocks {
            *memory = vec![Block::default(); blocks];
        }
        argon2.hash_password_into_with_memory(password, salt, out, memory.as_mut_slice())
    })
}

/// What `Argon2::default().hash_password` returns, computed in the buffer.
fn hash_phc(password: &[u8]) -> std::result::Result<String, String> {
    let params = Params::default();
    let (algorithm, version) = (Algorithm::Argon2id, Version::V0x13);
    let salt: [u8; 16] = rand::random();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    argon2_into(&argon2, &params, password, &salt, &mut out).map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// What `PasswordVerifier::verify_password` does (the stored string's own
/// algorithm, version and parameters; a constant-time comparison), computed
/// in the buffer. Anything unparsable is a mismatch.
fn verify_phc(password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map(Option::unwrap_or_default)
    else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = &mut out[..expected.len()];
    argon2_into(&argon2, &params, password, salt, out).is_ok()
        && Output::new(out).is_ok_and(|computed| &computed == expected)
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    #[test]
    fn agrees_with_the_argon2_crate_both_ways() {
        let ours = hash_phc(b"correct horse").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong horse", &parsed)
                .is_err()
        );

        let theirs = Argon2::default()
            .hash_password(b"battery staple")
            .unwrap()
            .to_string();
        assert!(verify_phc(b"battery staple", &theirs));
        assert!(!verify_phc(b"battery stapler", &theirs));
        assert!(!verify_phc(b"battery staple", "not a hash"));
        assert!(!verify_phc(
            b"battery staple",
            "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
        ));
    }
}
