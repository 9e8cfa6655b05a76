//! The checks every image passes before QEMU or `qemu-img` opens it.
//!
//! - A **template** (from secondary storage, untrusted) must be a regular file in the
//!   format it claims, with no backing file and no external data file, not marked
//!   corrupt, and of a sane virtual size. Only then is it copied into a pool (as a
//!   standalone qcow2) and used as the base of linked clones.
//! - A **volume** about to be attached or booted must be a qcow2 whose whole backing
//!   chain stays inside its pool's directory, every layer qcow2: a volume crafted (or
//!   rebased) to point at `/etc/shadow` or `/dev/sda` is refused.
//!
//! The headers are read by [`crate::qcow2`], never by following them with QEMU.

use std::path::{Path, PathBuf};

use crate::qcow2;

/// Largest virtual size accepted for a template or volume (64 TiB, CloudStack's
/// ceiling for a KVM volume).
pub const MAX_VIRTUAL_SIZE: u64 = 64 << 40;
/// Longest backing chain followed (template + snapshots + active layer).
const MAX_CHAIN: usize = 64;

/// A disk image format this driver reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Qcow2,
    Raw,
}

impl ImageFormat {
    /// From CloudStack's format names (`QCOW2`, `RAW`); others are unsupported.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "qcow2" => Some(Self::Qcow2),
            "raw" | "img" => Some(Self::Raw),
            _ => None,
        }
    }

    /// The name QEMU uses (`qcow2`, `raw`).
    pub fn qemu_name(self) -> &'static str {
        match self {
            Self::Qcow2 => "qcow2",
            Self::Raw => "raw",
        }
    }
}

/// Why an image was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("{path}: {message}")]
    Refused { path: String, message: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

fn refused(path: &Path, message: impl Into<String>) -> ImageError {
    ImageError::Refused {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn io(path: &Path, e: &std::io::Error) -> ImageError {
    ImageError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// A template that passed [`check_template`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedTemplate {
    pub format: ImageFormat,
    pub virtual_size: u64,
}

/// Checks an untrusted template file. `declared` is the format the server gave
/// (`QCOW2`, `RAW`); without one the file's magic decides.
pub fn check_template(path: &Path, declared: Option<&str>) -> Result<CheckedTemplate, ImageError> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, &e))?;
    if !meta.is_file() {
        return Err(refused(path, "a template must be a regular file"));
    }
    let head = qcow2::read_head(path).map_err(|e| io(path, &e))?;
    let format = match declared {
        Some(name) => ImageFormat::from_name(name).ok_or_else(|| {
            refused(
                path,
                format!("template format {name} is not supported (QCOW2 or RAW)"),
            )
        })?,
        None if qcow2::is_qcow2(&head) => ImageFormat::Qcow2,
        None => ImageFormat::Raw,
    };
    let virtual_size = match format {
        ImageFormat::Qcow2 => {
            let header = qcow2::parse(&head).map_err(|e| refused(path, e.to_string()))?;
            if let Some(backing) = &header.backing_file {
                return Err(refused(
                    path,
                    format!("a template must not have a backing file (it names {backing:?})"),
                ));
            }
            if header.data_file.is_some() {
                return Err(refused(
                    path,
                    "a template must not use an external data file",
                ));
            }
            if header.corrupt() {
                return Err(refused(path, "the qcow2 image is marked corrupt"));
            }
            header.virtual_size
        }
        ImageFormat::Raw => {
            if qcow2::is_qcow2(&head) {
                return Err(refused(path, "declared RAW but the file is a qcow2 image"));
            }
            meta.len()
        }
    };
    if virtual_size == 0 || virtual_size > MAX_VIRTUAL_SIZE {
        return Err(refused(
            path,
            format!("virtual size {virtual_size} bytes is out of range"),
        ));
    }
    Ok(CheckedTemplate {
        format,
        virtual_size,
    })
}

/// A layer of a checked chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub path: PathBuf,
    pub virtual_size: u64,
    /// The next layer down, resolved.
    pub backing: Option<PathBuf>,
}

/// Checks that `path` is a qcow2 whose every backing layer is a qcow2 inside
/// `pool_dir`; returns the chain, top first.
pub fn check_chain(path: &Path, pool_dir: &Path) -> Result<Vec<Layer>, ImageError> {
    let root = pool_dir.canonicalize().map_err(|e| io(pool_dir, &e))?;
    let mut chain: Vec<Layer> = Vec::new();
    let mut next = Some(path.to_path_buf());
    while let Some(current) = next.take() {
        if chain.len() >= MAX_CHAIN {
            return Err(refused(path, "the backing chain is too long (or loops)"));
        }
        let real = current.canonicalize().map_err(|e| io(&current, &e))?;
        if !real.starts_with(&root) {
            return Err(refused(
                path,
                format!(
                    "layer {} lies outside the storage pool {}",
                    real.display(),
                    root.display()
                ),
            ));
        }
        if !std::fs::metadata(&real)
            .map_err(|e| io(&real, &e))?
            .is_file()
        {
            return Err(refused(&real, "not a regular file"));
        }
        let head = qcow2::read_head(&real).map_err(|e| io(&real, &e))?;
        let header = qcow2::parse(&head).map_err(|e| refused(&real, e.to_string()))?;
        if header.data_file.is_some() {
            return Err(refused(&real, "external data files are not allowed"));
        }
        if header.virtual_size > MAX_VIRTUAL_SIZE {
            return Err(refused(&real, "virtual size out of range"));
        }
        let backing = match &header.backing_file {
            None => None,
            Some(name) => {
                if header.backing_format.as_deref() != Some("qcow2") {
                    return Err(refused(
                        &real,
                        format!(
                            "backing file {name:?} must be declared qcow2 (it is {:?})",
                            header.backing_format
                        ),
                    ));
                }
                if name.contains(':') {
                    return Err(refused(
                        &real,
                        format!("backing file {name:?} is not a plain path"),
                    ));
                }
                let p = Path::new(name);
                Some(if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    real.parent().unwrap_or(&root).join(p)
                })
            }
        };
        next.clone_from(&backing);
        chain.push(Layer {
            path: real,
            virtual_size: header.virtual_size,
            backing,
        });
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qcow2::tests::header;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write test file");
        p
    }

    #[test]
    fn templates_with_backing_files_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = write(dir.path(), "good", &header(1 << 30, None, 0));
        let checked = check_template(&good, Some("QCOW2")).expect("a clean qcow2");
        assert_eq!(checked.format, ImageFormat::Qcow2);
        assert_eq!(checked.virtual_size, 1 << 30);
        let evil = write(
            dir.path(),
            "evil",
            &header(1 << 30, Some(("/etc/passwd", "raw")), 0),
        );
        let err = check_template(&evil, Some("QCOW2")).expect_err("backing file");
        assert!(err.to_string().contains("/etc/passwd"), "{err}");
        // Undeclared: the magic makes it a qcow2, so it is refused too.
        assert!(check_template(&evil, None).is_err());
        // Declared RAW but really qcow2.
        assert!(check_template(&evil, Some("RAW")).is_err());
        assert!(check_template(&good, Some("VHD")).is_err());
        let raw = write(dir.path(), "raw", &[0u8; 4096]);
        assert_eq!(
            check_template(&raw, Some("RAW")).map(|c| c.virtual_size),
            Ok(4096)
        );
        assert!(check_template(dir.path(), None).is_err(), "a directory");
    }

    #[test]
    fn chains_must_stay_inside_the_pool() {
        let pool = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let base = write(pool.path(), "base", &header(1 << 20, None, 0));
        let top = write(
            pool.path(),
            "top",
            &header(1 << 20, Some(("base", "qcow2")), 0),
        );
        let chain = check_chain(&top, pool.path()).expect("inside");
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[1].path, base.canonicalize().expect("canonical"));
        let foreign = write(outside.path(), "foreign", &header(1 << 20, None, 0));
        let escape = write(
            pool.path(),
            "escape",
            &header(1 << 20, Some((foreign.to_str().unwrap_or(""), "qcow2")), 0),
        );
        let err = check_chain(&escape, pool.path()).expect_err("outside");
        assert!(err.to_string().contains("outside"), "{err}");
        let passwd = write(
            pool.path(),
            "passwd",
            &header(1 << 20, Some(("/etc/passwd", "raw")), 0),
        );
        assert!(check_chain(&passwd, pool.path()).is_err());
        let url = write(
            pool.path(),
            "url",
            &header(1 << 20, Some(("nbd://x/y", "qcow2")), 0),
        );
        assert!(check_chain(&url, pool.path()).is_err());
        let looped = write(
            pool.path(),
            "loop",
            &header(1 << 20, Some(("loop", "qcow2")), 0),
        );
        assert!(check_chain(&looped, pool.path()).is_err());
    }
}
