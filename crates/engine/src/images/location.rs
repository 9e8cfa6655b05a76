//! Where an image store's files are on this machine, and where a template goes in it.
//!
//! `file:///path` is a local directory. `nfs://server/export` is the directory where the
//! operator mounted that export: `$STRATO_NFS_MOUNT_ROOT/server/export` (default root
//! `/mnt/strato`). Strato never mounts anything itself and never passes these paths to a
//! shell.

use std::path::{Component, Path, PathBuf};

/// Environment variable naming the directory under which NFS exports are mounted.
pub const NFS_MOUNT_ROOT_ENV: &str = "STRATO_NFS_MOUNT_ROOT";
const DEFAULT_NFS_MOUNT_ROOT: &str = "/mnt/strato";

/// The local directory of an image store URL.
pub fn store_dir(url: &str) -> Result<PathBuf, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("image store URL {url}: {e}"))?;
    let path = percent_decode(parsed.path());
    let dir = match parsed.scheme() {
        "file" => PathBuf::from(&path),
        "nfs" => {
            let host = parsed
                .host_str()
                .ok_or_else(|| format!("image store URL {url} has no server"))?;
            let root = std::env::var(NFS_MOUNT_ROOT_ENV)
                .unwrap_or_else(|_| DEFAULT_NFS_MOUNT_ROOT.to_string());
            // nfs://server:/export and nfs://server/export name the same export.
            Path::new(&root)
                .join(host)
                .join(path.trim_start_matches([':', '/']))
        }
        other => return Err(format!("image stores of type {other} are not supported")),
    };
    if dir.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!("image store URL {url} must not contain '..'"));
    }
    if !dir.is_dir() {
        return Err(format!(
            "the image store directory {} does not exist (for nfs:// stores, mount the \
             export there)",
            dir.display()
        ));
    }
    Ok(dir)
}

/// Directory of a template inside its store, as CloudStack lays stores out:
/// `template/tmpl/<account id>/<template id>`.
pub fn template_dir(account_id: i64, template_id: i64) -> PathBuf {
    Path::new("template")
        .join("tmpl")
        .join(account_id.to_string())
        .join(template_id.to_string())
}

/// Directory of an uploaded volume inside its store: `volumes/<account id>/<volume id>`.
pub fn volume_dir(account_id: i64, volume_id: i64) -> PathBuf {
    Path::new("volumes")
        .join(account_id.to_string())
        .join(volume_id.to_string())
}

/// File name of a template: its uuid plus the format's extension.
pub fn file_name(uuid: &str, format: &str) -> String {
    let ext = match format {
        "QCOW2" => "qcow2",
        "RAW" => "img",
        "VHD" => "vhd",
        "VMDK" => "vmdk",
        "OVA" => "ova",
        "ISO" => "iso",
        _ => "bin",
    };
    format!("{uuid}.{ext}")
}

/// The URL of a stored file for a host: the store's URL plus the file's path in it
/// (`file:///secondary/template/tmpl/2/201/<uuid>.qcow2`). Hosts resolve it against their
/// own mount of the store, as CloudStack's agents do with a store URL and an install path.
pub fn file_url(store_url: &str, install_path: &str) -> String {
    format!(
        "{}/{}",
        store_url.trim_end_matches('/'),
        install_path.trim_start_matches('/')
    )
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_join_the_store_and_the_install_path() {
        assert_eq!(
            file_url("file:///srv/ss/", "template/tmpl/2/201/t.qcow2"),
            "file:///srv/ss/template/tmpl/2/201/t.qcow2"
        );
        assert_eq!(
            file_url("nfs://10.0.0.1:/export", "/template/t.qcow2"),
            "nfs://10.0.0.1:/export/template/t.qcow2"
        );
    }

    #[test]
    fn file_urls_are_directories_that_must_exist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("file://{}", dir.path().display());
        assert_eq!(store_dir(&url).expect("dir"), dir.path());
        assert!(store_dir("file:///nonexistent-strato-dir").is_err());
        assert!(store_dir("s3://bucket/x").is_err());
    }

    #[test]
    fn nfs_urls_map_under_the_mount_root() {
        let err = store_dir("nfs://10.1.1.1:/export/secondary").expect_err("not mounted");
        assert!(err.contains("10.1.1.1/export/secondary"), "{err}");
    }

    #[test]
    fn layout_matches_cloudstack() {
        assert_eq!(template_dir(2, 201), Path::new("template/tmpl/2/201"));
        assert_eq!(volume_dir(2, 7), Path::new("volumes/2/7"));
        assert_eq!(file_name("abc", "QCOW2"), "abc.qcow2");
        assert_eq!(file_name("abc", "ISO"), "abc.iso");
    }
}
