//! `qemu-img`: the argument lists (pure, unit-tested) and one way to run them (as a
//! process with arguments, never through a shell).

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// The binary; found on `PATH`.
pub const QEMU_IMG: &str = "qemu-img";

/// How a new qcow2 volume reserves its space (CloudStack's provisioning types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preallocation {
    /// Thin: nothing reserved (`preallocation=off`).
    Off,
    /// Sparse: metadata written up front (`preallocation=metadata`).
    Metadata,
    /// Fat: every block reserved with `fallocate` (`preallocation=falloc`): the same
    /// guarantee as `full` without writing zeros.
    Falloc,
}

impl Preallocation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Metadata => "metadata",
            Self::Falloc => "falloc",
        }
    }
}

fn os(parts: &[&str]) -> Vec<OsString> {
    parts.iter().map(OsString::from).collect()
}

/// `qemu-img info --output=json -f FORMAT PATH` (`-U`: also while a VM has it open).
/// Only for images whose backing chain has been checked ([`crate::image`]), since
/// `info` opens the backing files.
pub fn info_args(path: &Path, format: &str) -> Vec<OsString> {
    let mut args = os(&["info", "--output=json", "-U", "-f", format]);
    args.push(path.into());
    args
}

/// A qcow2 linked clone of `backing` (a qcow2), `size` bytes virtual.
pub fn create_overlay_args(backing: &Path, dest: &Path, size: u64) -> Vec<OsString> {
    let mut args = os(&["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b"]);
    args.push(backing.into());
    args.push(dest.into());
    args.push(size.to_string().into());
    args
}

/// An empty qcow2 of `size` bytes.
pub fn create_args(dest: &Path, size: u64, prealloc: Preallocation) -> Vec<OsString> {
    let mut args = os(&["create", "-q", "-f", "qcow2", "-o"]);
    args.push(format!("preallocation={}", prealloc.as_str()).into());
    args.push(dest.into());
    args.push(size.to_string().into());
    args
}

/// Resize a qcow2 to `size` bytes (`--shrink` is needed to make it smaller).
pub fn resize_args(path: &Path, size: u64, shrink: bool) -> Vec<OsString> {
    let mut args = os(&["resize", "-q", "-f", "qcow2"]);
    if shrink {
        args.push("--shrink".into());
    }
    args.push(path.into());
    args.push(size.to_string().into());
    args
}

/// A standalone qcow2 copy of `src` (read as `src_format`), its backing chain flattened.
pub fn convert_args(src: &Path, src_format: &str, dest: &Path) -> Vec<OsString> {
    let mut args = os(&["convert", "-q", "-f", src_format, "-O", "qcow2"]);
    args.push(src.into());
    args.push(dest.into());
    args
}

/// Safe rebase of `path` onto `backing` (a qcow2), or onto nothing: the data that
/// differs is copied into `path` first, so what `path` shows does not change.
pub fn rebase_args(path: &Path, backing: Option<&Path>) -> Vec<OsString> {
    let mut args = os(&["rebase", "-q", "-f", "qcow2"]);
    match backing {
        Some(b) => {
            args.extend(os(&["-F", "qcow2", "-b"]));
            args.push(b.into());
        }
        None => args.extend(os(&["-b", ""])),
    }
    args.push(path.into());
    args
}

/// `qemu-img check`: consistency of a qcow2's metadata.
pub fn check_args(path: &Path) -> Vec<OsString> {
    let mut args = os(&["check", "-q", "-U", "-f", "qcow2"]);
    args.push(path.into());
    args
}

/// What `qemu-img info --output=json` says about one image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ImageInfo {
    pub format: String,
    #[serde(rename = "virtual-size")]
    pub virtual_size: u64,
    #[serde(rename = "actual-size", default)]
    pub actual_size: Option<u64>,
    #[serde(rename = "backing-filename", default)]
    pub backing_filename: Option<String>,
    #[serde(rename = "format-specific", default)]
    pub format_specific: Option<serde_json::Value>,
}

impl ImageInfo {
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The qcow2 corrupt flag.
    pub fn corrupt(&self) -> bool {
        self.format_specific
            .as_ref()
            .and_then(|f| f.pointer("/data/corrupt"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }
}

/// A failed `qemu-img` run.
#[derive(Debug, thiserror::Error)]
pub enum QemuImgError {
    #[error("cannot run qemu-img: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("qemu-img {op} failed: {stderr}")]
    Failed { op: String, stderr: String },
    #[error("qemu-img {op} did not finish within {} s", .timeout.as_secs())]
    Timeout { op: String, timeout: Duration },
    #[error("cannot read qemu-img's answer: {0}")]
    Parse(#[from] serde_json::Error),
}

/// Runs `qemu-img ARGS`; its stdout on success. The process is killed if the future is
/// dropped (a request timeout) or after `timeout`.
pub async fn run(args: &[OsString], timeout: Duration) -> Result<String, QemuImgError> {
    let op = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let child = tokio::process::Command::new(QEMU_IMG)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(QemuImgError::Spawn)?;
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| QemuImgError::Timeout {
            op: op.clone(),
            timeout,
        })?
        .map_err(QemuImgError::Spawn)?;
    if !out.status.success() {
        return Err(QemuImgError::Failed {
            op,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `qemu-img info` of an image whose chain was checked.
pub async fn info(path: &Path, format: &str) -> Result<ImageInfo, QemuImgError> {
    let json = run(&info_args(path, format), Duration::from_secs(60)).await?;
    Ok(ImageInfo::parse(&json)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn linked_clones_name_the_backing_format() {
        let args = create_overlay_args(Path::new("/p/t.qcow2"), Path::new("/p/v"), 10 << 30);
        assert_eq!(
            strs(&args),
            [
                "create",
                "-q",
                "-f",
                "qcow2",
                "-F",
                "qcow2",
                "-b",
                "/p/t.qcow2",
                "/p/v",
                "10737418240"
            ]
        );
    }

    #[test]
    fn provisioning_maps_to_preallocation() {
        let args = create_args(Path::new("/p/v"), 1 << 30, Preallocation::Metadata);
        assert_eq!(
            strs(&args),
            [
                "create",
                "-q",
                "-f",
                "qcow2",
                "-o",
                "preallocation=metadata",
                "/p/v",
                "1073741824"
            ]
        );
        assert_eq!(Preallocation::Falloc.as_str(), "falloc");
        assert_eq!(Preallocation::Off.as_str(), "off");
    }

    #[test]
    fn resize_rebase_convert_and_info() {
        assert_eq!(
            strs(&resize_args(Path::new("/v"), 5, true)),
            ["resize", "-q", "-f", "qcow2", "--shrink", "/v", "5"]
        );
        assert_eq!(
            strs(&rebase_args(Path::new("/v"), None)),
            ["rebase", "-q", "-f", "qcow2", "-b", "", "/v"]
        );
        assert_eq!(
            strs(&rebase_args(Path::new("/v"), Some(Path::new("/t")))),
            [
                "rebase", "-q", "-f", "qcow2", "-F", "qcow2", "-b", "/t", "/v"
            ]
        );
        assert_eq!(
            strs(&convert_args(Path::new("/a"), "raw", Path::new("/b"))),
            ["convert", "-q", "-f", "raw", "-O", "qcow2", "/a", "/b"]
        );
        assert_eq!(
            strs(&info_args(Path::new("/a b"), "qcow2")),
            ["info", "--output=json", "-U", "-f", "qcow2", "/a b"]
        );
    }

    #[test]
    fn info_json_is_parsed() -> Result<(), serde_json::Error> {
        let json = r#"{"virtual-size": 10737418240, "filename": "v", "cluster-size": 65536,
            "format": "qcow2", "actual-size": 200704, "backing-filename": "/p/t.qcow2",
            "format-specific": {"type": "qcow2", "data": {"compat": "1.1", "corrupt": false}},
            "dirty-flag": false}"#;
        let info = ImageInfo::parse(json)?;
        assert_eq!(info.virtual_size, 10 << 30);
        assert_eq!(info.backing_filename.as_deref(), Some("/p/t.qcow2"));
        assert!(!info.corrupt());
        let raw = ImageInfo::parse(r#"{"virtual-size": 1, "format": "raw"}"#)?;
        assert_eq!(raw.actual_size, None);
        Ok(())
    }
}
