//! The JWT signing secret: configured, or generated once and kept in the data folder.

use std::{io::Write, os::unix::fs::OpenOptionsExt, path::Path};

use crate::{auth::tokens::generate_secret, config::Config};

/// The configured secret, or the one kept in `<data_dir>/jwt-secret` (created
/// with mode 0600 on first start).
pub fn load_or_create(config: &Config) -> std::io::Result<String> {
    if let Some(secret) = config.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
        if secret.len() < 32 {
            tracing::warn!("JWT_SECRET is shorter than 32 bytes; use a longer random value");
        }
        return Ok(secret.to_string());
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let path = config.data_dir.join("jwt-secret");
    match read(&path) {
        Ok(secret) => return Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // Written to a private temporary file, then linked into place: the link
    // fails if another instance got there first, and nobody reads a half file.
    let secret = generate_secret();
    let tmp = config
        .data_dir
        .join(format!(".jwt-secret.{}", uuid::Uuid::now_v7().simple()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "no JWT_SECRET configured: generated a new secret");
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(&path),
        Err(e) => Err(e),
    }
}

fn read(path: &Path) -> std::io::Result<String> {
    let secret = std::fs::read_to_string(path)?.trim().to_string();
    if secret.is_empty() {
        return Err(std::io::Error::other(format!(
            "{} is empty",
            path.display()
        )));
    }
    Ok(secret)
}
