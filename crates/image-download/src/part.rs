//! The `<name>.part` file a download streams into, hashed as it grows.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};

use crate::DownloadError;
use crate::checksum::{ChecksumAlgorithm, Hasher};

/// Large writes keep the number of blocking-pool hops per MiB low.
const BUFFER: usize = 1 << 20;

pub(crate) struct PartFile {
    path: PathBuf,
    file: BufWriter<File>,
    /// Bytes accepted so far, buffered ones included: where a resumed request starts.
    len: u64,
    algorithm: Option<ChecksumAlgorithm>,
    hasher: Option<Hasher>,
}

impl PartFile {
    /// Opens `path`, keeping what an earlier attempt or an earlier process wrote, and
    /// hashes those bytes so the digest covers the whole file once it is complete.
    pub(crate) async fn open(
        path: &Path,
        algorithm: Option<ChecksumAlgorithm>,
    ) -> Result<Self, DownloadError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .await
            .map_err(|e| io_error(path, e))?;
        let mut hasher = algorithm.map(Hasher::new);
        let len = read_all(&mut file, path, hasher.as_mut()).await?;
        Ok(Self {
            path: path.to_path_buf(),
            file: BufWriter::with_capacity(BUFFER, file),
            len,
            algorithm,
            hasher,
        })
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) async fn append(&mut self, data: &[u8]) -> Result<(), DownloadError> {
        self.file
            .write_all(data)
            .await
            .map_err(|e| io_error(&self.path, e))?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(data);
        }
        self.len += data.len() as u64;
        Ok(())
    }

    /// Empties the file, for a server that will not resume.
    pub(crate) async fn restart(&mut self) -> Result<(), DownloadError> {
        let path = self.path.clone();
        self.file.flush().await.map_err(|e| io_error(&path, e))?;
        let file = self.file.get_mut();
        file.set_len(0).await.map_err(|e| io_error(&path, e))?;
        file.seek(SeekFrom::Start(0))
            .await
            .map_err(|e| io_error(&path, e))?;
        self.len = 0;
        self.hasher = self.algorithm.map(Hasher::new);
        Ok(())
    }

    /// Flushes and syncs the file (so the rename that follows publishes complete
    /// data) and returns the digest's hex, if one was asked for.
    pub(crate) async fn finish(mut self) -> Result<Option<String>, DownloadError> {
        self.file
            .flush()
            .await
            .map_err(|e| io_error(&self.path, e))?;
        self.file
            .get_ref()
            .sync_all()
            .await
            .map_err(|e| io_error(&self.path, e))?;
        Ok(self.hasher.map(Hasher::finish_hex))
    }
}

/// Reads `file` from its current position to the end, feeding `hasher`; returns
/// the number of bytes read.
pub(crate) async fn read_all(
    file: &mut File,
    path: &Path,
    mut hasher: Option<&mut Hasher>,
) -> Result<u64, DownloadError> {
    let mut len = 0u64;
    let mut buf = vec![0u8; BUFFER];
    loop {
        let n = file.read(&mut buf).await.map_err(|e| io_error(path, e))?;
        if n == 0 {
            return Ok(len);
        }
        if let Some(h) = hasher.as_deref_mut() {
            h.update(&buf[..n]);
        }
        len += n as u64;
    }
}

pub(crate) fn io_error(path: &Path, e: std::io::Error) -> DownloadError {
    DownloadError::Io(format!("{}: {e}", path.display()))
}
