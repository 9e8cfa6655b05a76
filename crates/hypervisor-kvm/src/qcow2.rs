//! Reading a qcow2 header ourselves, without QEMU, so that an untrusted image is judged
//! before any tool follows what it points at.
//!
//! A qcow2 file may name a *backing file* (any path or `json:` pseudo-URL) and an
//! *external data file*; QEMU opens both when it opens the image. A template whose
//! backing file is `/etc/passwd` would let a guest read host files, and one naming a FIFO
//! or a network URL would hang or leak. So every image is parsed here first: magic,
//! version, virtual size, the backing file name and format, and the incompatible-feature
//! bits (external data file, unknown features).

use std::io::Read;
use std::path::Path;

const MAGIC: u32 = 0x5146_49fb;
const EXT_END: u32 = 0;
const EXT_BACKING_FORMAT: u32 = 0xe279_2aca;
const EXT_DATA_FILE: u32 = 0x4441_5441;
/// Incompatible feature bit: the guest data lives in an external file.
const INCOMPAT_DATA_FILE: u64 = 1 << 2;
/// Incompatible feature bits this reader understands (dirty, corrupt, data file,
/// compression type, extended L2).
const INCOMPAT_KNOWN: u64 = 0b1_1111;
/// How much of the file is read: the header, its extensions and the backing file name
/// must sit within it (they do in every image QEMU writes: the first cluster).
const READ_LIMIT: u64 = 1 << 20;

/// What a qcow2 header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub virtual_size: u64,
    pub backing_file: Option<String>,
    pub backing_format: Option<String>,
    /// The external data file name, when the image has one.
    pub data_file: Option<String>,
    pub incompatible_features: u64,
}

impl Header {
    /// The corrupt bit is set.
    pub fn corrupt(&self) -> bool {
        self.incompatible_features & 0b10 != 0
    }
}

/// Why a header could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("not a qcow2 image (bad magic)")]
    NotQcow2,
    #[error("truncated qcow2 header")]
    Truncated,
    #[error("unsupported qcow2 version {0}")]
    Version(u32),
    #[error("unknown incompatible qcow2 features {0:#x}")]
    UnknownFeatures(u64),
    #[error("malformed qcow2 header: {0}")]
    Malformed(&'static str),
}

fn be32(b: &[u8], at: usize) -> Result<u32, HeaderError> {
    let bytes = b.get(at..at + 4).ok_or(HeaderError::Truncated)?;
    Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn be64(b: &[u8], at: usize) -> Result<u64, HeaderError> {
    Ok((u64::from(be32(b, at)?) << 32) | u64::from(be32(b, at + 4)?))
}

fn text(b: &[u8], at: u64, len: u64) -> Result<String, HeaderError> {
    let start = usize::try_from(at).map_err(|_| HeaderError::Truncated)?;
    let len = usize::try_from(len).map_err(|_| HeaderError::Truncated)?;
    let bytes = b
        .get(start..start.checked_add(len).ok_or(HeaderError::Truncated)?)
        .ok_or(HeaderError::Truncated)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| HeaderError::Malformed("name is not UTF-8"))
}

/// True when `bytes` start with the qcow2 magic.
pub fn is_qcow2(bytes: &[u8]) -> bool {
    be32(bytes, 0).is_ok_and(|m| m == MAGIC)
}

/// Parses the header from the first bytes of a file.
pub fn parse(b: &[u8]) -> Result<Header, HeaderError> {
    if !is_qcow2(b) {
        return Err(HeaderError::NotQcow2);
    }
    let version = be32(b, 4)?;
    if version != 2 && version != 3 {
        return Err(HeaderError::Version(version));
    }
    let backing_offset = be64(b, 8)?;
    let backing_size = be32(b, 16)?;
    let virtual_size = be64(b, 24)?;
    let (incompatible_features, header_len) = if version == 3 {
        (be64(b, 72)?, u64::from(be32(b, 100)?))
    } else {
        (0, 72)
    };
    if incompatible_features & !INCOMPAT_KNOWN != 0 {
        return Err(HeaderError::UnknownFeatures(
            incompatible_features & !INCOMPAT_KNOWN,
        ));
    }
    let backing_file = if backing_offset == 0 || backing_size == 0 {
        None
    } else {
        if backing_size > 1023 {
            return Err(HeaderError::Malformed("backing file name too long"));
        }
        Some(text(b, backing_offset, u64::from(backing_size))?)
    };
    let mut backing_format = None;
    let mut data_file = None;
    let mut at = header_len;
    loop {
        let pos = usize::try_from(at).map_err(|_| HeaderError::Truncated)?;
        let kind = be32(b, pos)?;
        if kind == EXT_END {
            break;
        }
        let len = u64::from(be32(b, pos + 4)?);
        match kind {
            EXT_BACKING_FORMAT => backing_format = Some(text(b, at + 8, len)?),
            EXT_DATA_FILE => data_file = Some(text(b, at + 8, len)?),
            _ => {}
        }
        at = at + 8 + len.div_ceil(8) * 8;
    }
    if incompatible_features & INCOMPAT_DATA_FILE != 0 && data_file.is_none() {
        data_file = Some(String::new());
    }
    Ok(Header {
        version,
        virtual_size,
        backing_file,
        backing_format,
        data_file,
        incompatible_features,
    })
}

/// Reads the first bytes of a file (enough for [`parse`]).
pub fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::fs::File::open(path)?
        .take(READ_LIMIT)
        .read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal qcow2 v3 header (what `qemu-img create` writes, trimmed to the fields
    /// this module reads).
    pub(crate) fn header(size: u64, backing: Option<(&str, &str)>, incompat: u64) -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        b[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        b[4..8].copy_from_slice(&3u32.to_be_bytes());
        b[24..32].copy_from_slice(&size.to_be_bytes());
        b[72..80].copy_from_slice(&incompat.to_be_bytes());
        b[100..104].copy_from_slice(&112u32.to_be_bytes());
        let mut at = 112;
        if let Some((file, format)) = backing {
            b[at..at + 4].copy_from_slice(&EXT_BACKING_FORMAT.to_be_bytes());
            b[at + 4..at + 8]
                .copy_from_slice(&u32::try_from(format.len()).unwrap_or(0).to_be_bytes());
            b[at + 8..at + 8 + format.len()].copy_from_slice(format.as_bytes());
            at += 8 + format.len().div_ceil(8) * 8;
            // End marker, then the name after the extensions.
            let name_at = at + 8;
            b[8..16].copy_from_slice(&(name_at as u64).to_be_bytes());
            b[16..20].copy_from_slice(&u32::try_from(file.len()).unwrap_or(0).to_be_bytes());
            b[name_at..name_at + file.len()].copy_from_slice(file.as_bytes());
        }
        b
    }

    #[test]
    fn a_plain_image_has_no_backing_file() -> Result<(), HeaderError> {
        let h = parse(&header(10 << 30, None, 0))?;
        assert_eq!(h.version, 3);
        assert_eq!(h.virtual_size, 10 << 30);
        assert_eq!(h.backing_file, None);
        assert_eq!(h.data_file, None);
        assert!(!h.corrupt());
        Ok(())
    }

    #[test]
    fn backing_file_and_format_are_read() -> Result<(), HeaderError> {
        let h = parse(&header(1 << 30, Some(("/etc/passwd", "raw")), 0))?;
        assert_eq!(h.backing_file.as_deref(), Some("/etc/passwd"));
        assert_eq!(h.backing_format.as_deref(), Some("raw"));
        Ok(())
    }

    #[test]
    fn external_data_files_and_unknown_features_are_reported() {
        let h = parse(&header(1 << 20, None, INCOMPAT_DATA_FILE)).expect("parses");
        assert!(h.data_file.is_some());
        assert_eq!(
            parse(&header(1 << 20, None, 1 << 40)),
            Err(HeaderError::UnknownFeatures(1 << 40))
        );
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        assert_eq!(parse(b"hello world"), Err(HeaderError::NotQcow2));
        assert_eq!(parse(&MAGIC.to_be_bytes()), Err(HeaderError::Truncated));
        let mut b = header(1, None, 0);
        b[4..8].copy_from_slice(&9u32.to_be_bytes());
        assert_eq!(parse(&b), Err(HeaderError::Version(9)));
        let mut b = header(1, Some(("x", "qcow2")), 0);
        b.truncate(130);
        assert!(parse(&b).is_err());
        for len in 0..200 {
            let _ = parse(&header(1, Some(("/a/b", "qcow2")), 0)[..len]);
        }
    }
}
