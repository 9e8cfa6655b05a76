//! What a downloaded file really is, by `qemu-img info` and the ISO9660 magic, and
//! whether it may enter the store as the format it was registered with.

use std::fmt;
use std::path::Path;
use std::process::Stdio;
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::process::Command;

use crate::DownloadError;

const QEMU_IMG: &str = "qemu-img";
const QEMU_IMG_TIMEOUT: Duration = Duration::from_secs(120);
/// ISO9660: the first volume descriptor is at sector 16 (0x8000); its identifier
/// "CD001" follows the one-byte type.
const ISO_MAGIC_OFFSET: u64 = 0x8001;
const ISO_MAGIC: &[u8; 5] = b"CD001";

/// Image formats a template or ISO may be registered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Qcow2,
    Raw,
    /// qemu-img calls it `vpc`.
    Vhd,
    Vmdk,
    Iso,
}

impl FromStr for ImageFormat {
    type Err = String;

    /// CloudStack's format names (`QCOW2`, `RAW`, `VHD`, `VMDK`, `ISO`), any case.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "QCOW2" => Ok(Self::Qcow2),
            "RAW" => Ok(Self::Raw),
            "VHD" => Ok(Self::Vhd),
            "VMDK" => Ok(Self::Vmdk),
            "ISO" => Ok(Self::Iso),
            _ => Err(format!(
                "unsupported image format '{s}' (QCOW2, RAW, VHD, VMDK or ISO)"
            )),
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Qcow2 => "QCOW2",
            Self::Raw => "RAW",
            Self::Vhd => "VHD",
            Self::Vmdk => "VMDK",
            Self::Iso => "ISO",
        })
    }
}

/// What inspection found in an accepted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inspected {
    pub format: ImageFormat,
    pub virtual_size: u64,
}

/// Inspects `path` and accepts it only as `registered`: a qcow2 must not name a
/// backing file or an external data file, a VMDK must not point at other files, and
/// the detected format must be the registered one (an ISO is `raw` to qemu-img and is
/// recognised by its magic).
pub(crate) async fn inspect(
    path: &Path,
    registered: ImageFormat,
) -> Result<Inspected, DownloadError> {
    let info = qemu_img_info(path).await?;
    let detected = info
        .get("format")
        .and_then(Value::as_str)
        .ok_or_else(|| DownloadError::Inspect("qemu-img info reported no format".into()))?;
    let virtual_size = info
        .get("virtual-size")
        .and_then(Value::as_u64)
        .ok_or_else(|| DownloadError::Inspect("qemu-img info reported no virtual size".into()))?;
    reject_references(&info)?;

    let format = match detected {
        "qcow2" => ImageFormat::Qcow2,
        "vpc" => ImageFormat::Vhd,
        "vmdk" => ImageFormat::Vmdk,
        "raw" if registered == ImageFormat::Iso && has_iso_magic(path).await? => ImageFormat::Iso,
        "raw" => ImageFormat::Raw,
        other => {
            return Err(DownloadError::FormatMismatch {
                registered,
                detected: other.to_string(),
            });
        }
    };
    if format != registered {
        return Err(DownloadError::FormatMismatch {
            registered,
            detected: describe(format, detected),
        });
    }
    Ok(Inspected {
        format,
        virtual_size,
    })
}

/// Names the detected format for an error: a file qemu-img calls raw that was
/// registered as something else is most often an error page, not a disk.
fn describe(format: ImageFormat, qemu_name: &str) -> String {
    match format {
        ImageFormat::Raw => "raw data (not a recognised disk image or ISO)".to_string(),
        _ => format!("{format} (qemu-img: {qemu_name})"),
    }
}

/// Any reference to another file lets a guest read the host's files through the
/// image, so such images are refused whatever they were registered as.
fn reject_references(info: &Value) -> Result<(), DownloadError> {
    if let Some(backing) = info.get("backing-filename").and_then(Value::as_str) {
        return Err(DownloadError::ExternalReference(format!(
            "backing file '{backing}'"
        )));
    }
    let data = info.pointer("/format-specific/data");
    if let Some(file) = data
        .and_then(|d| d.get("data-file"))
        .and_then(Value::as_str)
    {
        return Err(DownloadError::ExternalReference(format!(
            "external data file '{file}'"
        )));
    }
    let own_name = info.get("filename").and_then(Value::as_str);
    let extents = data
        .and_then(|d| d.get("extents"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for extent in extents {
        let name = extent.get("filename").and_then(Value::as_str);
        if name != own_name {
            return Err(DownloadError::ExternalReference(format!(
                "VMDK extent '{}'",
                name.unwrap_or("?")
            )));
        }
    }
    Ok(())
}

async fn qemu_img_info(path: &Path) -> Result<Value, DownloadError> {
    // Arguments go straight to exec, never through a shell. The path is absolute,
    // so qemu-img cannot read it as an option or a `json:`/`nbd:` pseudo-filename.
    let run = Command::new(QEMU_IMG)
        .arg("info")
        .arg("--output=json")
        .arg(path)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(QEMU_IMG_TIMEOUT, run)
        .await
        .map_err(|_| {
            DownloadError::Inspect(format!(
                "qemu-img info took longer than {QEMU_IMG_TIMEOUT:?}"
            ))
        })?
        .map_err(|e| DownloadError::Inspect(format!("cannot run {QEMU_IMG}: {e}")))?;
    if !out.status.success() {
        return Err(DownloadError::Inspect(format!(
            "qemu-img info failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| DownloadError::Inspect(format!("qemu-img info printed unreadable JSON: {e}")))
}

async fn has_iso_magic(path: &Path) -> Result<bool, DownloadError> {
    let io = |e: std::io::Error| DownloadError::Io(format!("cannot read {}: {e}", path.display()));
    let mut file = tokio::fs::File::open(path).await.map_err(io)?;
    file.seek(std::io::SeekFrom::Start(ISO_MAGIC_OFFSET))
        .await
        .map_err(io)?;
    let mut magic = [0u8; 5];
    match file.read_exact(&mut magic).await {
        Ok(_) => Ok(&magic == ISO_MAGIC),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn format_names_parse_like_cloudstack() {
        assert_eq!("qcow2".parse::<ImageFormat>(), Ok(ImageFormat::Qcow2));
        assert_eq!("VHD".parse::<ImageFormat>(), Ok(ImageFormat::Vhd));
        assert_eq!("Iso".parse::<ImageFormat>(), Ok(ImageFormat::Iso));
        assert!("OVA".parse::<ImageFormat>().is_err());
    }

    #[test]
    fn references_to_other_files_are_rejected() {
        let backing =
            json!({"filename": "/s/a", "format": "qcow2", "backing-filename": "/etc/passwd"});
        assert!(reject_references(&backing).is_err());
        let data_file =
            json!({"filename": "/s/a", "format-specific": {"data": {"data-file": "x"}}});
        assert!(reject_references(&data_file).is_err());
        let extent = json!({"filename": "/s/a", "format-specific": {"data": {"extents": [{"filename": "/etc/shadow"}]}}});
        assert!(reject_references(&extent).is_err());
        let own = json!({"filename": "/s/a", "format-specific": {"data": {"extents": [{"filename": "/s/a"}]}}});
        assert!(reject_references(&own).is_ok());
    }
}
