//! CloudStack-style template and ISO downloads into an image store directory.
//!
//! - [`check_registration_url`] and [`parse_checksum`] validate what a user registers
//!   (their errors are meant for CloudStack's error 431).
//! - [`download`] fetches the image into `<dest_dir>/<name>.part`, streaming and
//!   hashing, retrying and resuming; checks the checksum and what `qemu-img info` says
//!   the file is; and only then renames it to `<dest_dir>/<name>`. On failure the part
//!   file is removed, so the store never holds a partial or rejected image.
//! - [`verify_file`] runs the same checks on a file already on disk (an upload).
//!
//! Every address a download reaches, including each redirect hop, is resolved and
//! checked first (no loopback, link-local, multicast or unspecified address; private
//! ones only inside `secstorage.allowed.internal.sites`), and the connection goes to
//! exactly the checked address.

mod checksum;
mod error;
mod fetch;
mod http;
mod inspect;
mod part;
mod policy;

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

pub use checksum::{Checksum, ChecksumAlgorithm, parse_checksum};
pub use error::DownloadError;
pub use inspect::ImageFormat;
pub use policy::{AllowedSites, check_registration_url};

use part::{PartFile, io_error};

/// What to download and where.
#[derive(Debug, Clone)]
pub struct DownloadRequest {
    /// Normally the URL [`check_registration_url`] returned; checked again anyway.
    pub url: Url,
    /// The image store directory; must exist.
    pub dest_dir: PathBuf,
    /// The final file name inside `dest_dir` (a plain name, no `/`). Only one download
    /// per name may run at a time.
    pub name: String,
    /// The format the image was registered with; the file must be of that format.
    pub format: ImageFormat,
    pub checksum: Option<Checksum>,
    /// From `secstorage.allowed.internal.sites`.
    pub allowed_sites: AllowedSites,
    pub options: DownloadOptions,
}

/// Timeouts and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadOptions {
    /// For the TCP connection and the TLS handshake.
    pub connect_timeout: Duration,
    /// Longest wait for the response headers or for the next piece of the body.
    pub idle_timeout: Duration,
    /// Attempts in all for transient failures (connection errors, timeouts, 5xx).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one (at most 60 s).
    pub retry_backoff: Duration,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_attempts: 3,
            retry_backoff: Duration::from_secs(2),
        }
    }
}

/// Bytes in the part file so far, and the full size when the server said it. `done`
/// drops back if a server will not resume and the download starts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
}

/// A verified image, now at `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Absolute: the store directory with symlinks resolved, joined with the name.
    pub path: PathBuf,
    /// As verified: always the registered format.
    pub format: ImageFormat,
    /// The disk size a VM sees (for an ISO or raw file, its length).
    pub virtual_size: u64,
    /// The file's length in the store.
    pub physical_size: u64,
}

/// Downloads `req.url` to `req.dest_dir/req.name`, calling `progress` when another 1%
/// is done or every 500 ms.
///
/// An existing `<name>.part` (left by a crash) is resumed with a Range request when
/// the server supports it. Every failure removes the part file; a dropped (cancelled)
/// future leaves it, like a crash, for the next call to resume.
pub async fn download(
    req: DownloadRequest,
    progress: impl Fn(Progress),
) -> Result<Downloaded, DownloadError> {
    let dest_dir = checked_dest_dir(&req.dest_dir).await?;
    check_name(&req.name)?;
    let part_path = dest_dir.join(format!("{}.part", req.name));
    let final_path = dest_dir.join(&req.name);
    let result = fetch_and_verify(&req, &part_path, &final_path, progress).await;
    if result.is_err()
        && let Err(e) = tokio::fs::remove_file(&part_path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::error!(path = %part_path.display(), error = %e, "cannot remove a failed download");
    }
    result
}

async fn fetch_and_verify(
    req: &DownloadRequest,
    part_path: &Path,
    final_path: &Path,
    progress: impl Fn(Progress),
) -> Result<Downloaded, DownloadError> {
    let algorithm = req.checksum.as_ref().map(|c| c.algorithm);
    let mut part = PartFile::open(part_path, algorithm).await?;
    fetch::Fetcher::new(&req.url, &req.allowed_sites, &req.options, progress)
        .run(&mut part)
        .await?;
    let physical_size = part.len();
    let digest = part.finish().await?;
    let verified = verify(part_path, req.format, req.checksum.as_ref(), digest).await?;
    tokio::fs::rename(part_path, final_path)
        .await
        .map_err(|e| io_error(final_path, e))?;
    Ok(Downloaded {
        path: final_path.to_path_buf(),
        format: verified.format,
        virtual_size: verified.virtual_size,
        physical_size,
    })
}

/// Checks a file that is already on disk (an upload) as a download is checked: its
/// checksum if one is given, then what qemu-img says it is (see [`download`]). It
/// neither moves nor removes the file. `path` in the answer is the file's absolute
/// path.
pub async fn verify_file(
    path: &Path,
    format: ImageFormat,
    checksum: Option<&Checksum>,
) -> Result<Downloaded, DownloadError> {
    // Absolute, so qemu-img never reads the name as an option or a protocol.
    let path = tokio::fs::canonicalize(path)
        .await
        .map_err(|e| io_error(path, e))?;
    let mut file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| io_error(&path, e))?;
    let mut hasher = checksum.map(|c| checksum::Hasher::new(c.algorithm));
    let physical_size = part::read_all(&mut file, &path, hasher.as_mut()).await?;
    let digest = hasher.map(checksum::Hasher::finish_hex);
    let verified = verify(&path, format, checksum, digest).await?;
    Ok(Downloaded {
        format: verified.format,
        virtual_size: verified.virtual_size,
        physical_size,
        path,
    })
}

/// Compares the digest with the expected checksum, then inspects the file.
async fn verify(
    path: &Path,
    format: ImageFormat,
    expected: Option<&Checksum>,
    digest: Option<String>,
) -> Result<inspect::Inspected, DownloadError> {
    if let (Some(expected), Some(hex)) = (expected, digest)
        && expected.hex != hex
    {
        return Err(DownloadError::ChecksumMismatch {
            expected: expected.clone(),
            actual: Checksum {
                algorithm: expected.algorithm,
                hex,
            },
        });
    }
    inspect::inspect(path, format).await
}

/// The store directory as an absolute path: qemu-img must never see a relative
/// name it could read as an option or a protocol.
async fn checked_dest_dir(dir: &Path) -> Result<PathBuf, DownloadError> {
    let dir = tokio::fs::canonicalize(dir).await.map_err(|e| {
        DownloadError::InvalidRequest(format!("image store directory {}: {e}", dir.display()))
    })?;
    let meta = tokio::fs::metadata(&dir)
        .await
        .map_err(|e| io_error(&dir, e))?;
    if !meta.is_dir() {
        return Err(DownloadError::InvalidRequest(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    Ok(dir)
}

fn check_name(name: &str) -> Result<(), DownloadError> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.ends_with(".part");
    if plain {
        Ok(())
    } else {
        Err(DownloadError::InvalidRequest(format!(
            "'{name}' is not a plain file name"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_plain() {
        for ok in ["a.qcow2", "3f1c-uuid.iso", "..x"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "../x", "x.part", "a\0b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
