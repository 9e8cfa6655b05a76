use crate::{Checksum, ImageFormat};

/// Why a download failed. The Display text is written for an operator reading a
/// template's status (listTemplates), so it says what happened in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    /// The request itself is unusable (file name, destination directory).
    #[error("invalid download request: {0}")]
    InvalidRequest(String),
    /// The URL policy refused a URL or one of its redirects.
    #[error("download refused: {0}")]
    Refused(String),
    #[error("download refused: more than {0} redirects")]
    TooManyRedirects(usize),
    /// The server's final answer was an error status (4xx at once, 5xx after retries).
    #[error("download failed: the server answered HTTP {status} for {url}")]
    Http { status: u16, url: String },
    /// Connection or transfer problems that outlasted every retry.
    #[error("download failed: {0}")]
    Network(String),
    /// Writing, reading or renaming the file in the image store failed.
    #[error("download failed: image store error: {0}")]
    Io(String),
    #[error("checksum mismatch: expected {expected}, got {actual}")]
    ChecksumMismatch {
        expected: Checksum,
        actual: Checksum,
    },
    /// qemu-img could not be run or could not read the file.
    #[error("cannot inspect the downloaded image: {0}")]
    Inspect(String),
    /// The image names another file (backing file, data file, VMDK extent).
    #[error("image rejected: it refers to a {0} outside itself")]
    ExternalReference(String),
    #[error("image rejected: registered as {registered} but the file is {detected}")]
    FormatMismatch {
        registered: ImageFormat,
        detected: String,
    },
}
