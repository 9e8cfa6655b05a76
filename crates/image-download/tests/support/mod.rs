//! Shared by the download tests: a namespace host serving a directory, a store
//! directory, and request/oracle helpers (digests come from coreutils, not from the
//! crate under test).

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use strato_image_download::{
    AllowedSites, Checksum, DownloadOptions, DownloadRequest, ImageFormat,
};
use strato_test_host::{HttpServer, NetnsHost};
use tempfile::TempDir;
use url::Url;

pub struct Fixture {
    pub host: NetnsHost,
    pub server: HttpServer,
    /// What the server serves.
    pub files: TempDir,
    /// The image store downloads go to.
    pub store: TempDir,
}

impl Fixture {
    pub fn start(tag: &str) -> Fixture {
        let files = tempfile::tempdir().expect("files dir");
        let store = tempfile::tempdir().expect("store dir");
        // Failing here (not root, no iproute2/python3) fails the test: never skipped.
        let host =
            NetnsHost::start(tag).expect("network namespace test host (needs root and iproute2)");
        let server = host
            .serve(files.path())
            .expect("HTTP server in the namespace");
        Fixture {
            host,
            server,
            files,
            store,
        }
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.files.path().join(name)
    }

    /// Allowed sites containing exactly the namespace host.
    pub fn allowed(&self) -> AllowedSites {
        AllowedSites::parse(&format!("{}/32", self.host.ip())).expect("sites")
    }

    /// A request for `path` on the namespace host, into the store as `name`, with
    /// fast retries.
    pub fn request(
        &self,
        path: &str,
        name: &str,
        format: ImageFormat,
        checksum: Option<Checksum>,
    ) -> DownloadRequest {
        request(
            &self.host.url(path),
            self.store.path(),
            name,
            format,
            checksum,
            self.allowed(),
        )
    }

    pub fn store_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.store.path())
            .expect("read store")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    pub fn assert_store_empty(&self) {
        assert_eq!(
            self.store_entries(),
            Vec::<String>::new(),
            "files left in the store"
        );
    }
}

pub fn request(
    url: &str,
    store: &Path,
    name: &str,
    format: ImageFormat,
    checksum: Option<Checksum>,
    allowed_sites: AllowedSites,
) -> DownloadRequest {
    DownloadRequest {
        url: Url::parse(url).expect("url"),
        dest_dir: store.to_path_buf(),
        name: name.to_string(),
        format,
        checksum,
        allowed_sites,
        options: DownloadOptions {
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(10),
            max_attempts: 3,
            retry_backoff: Duration::from_millis(100),
        },
    }
}

/// The hex digest `tool` (md5sum, sha1sum, sha256sum, sha512sum) prints for `path`.
pub fn digest(tool: &str, path: &Path) -> String {
    let out = Command::new(tool)
        .arg(path)
        .output()
        .expect("coreutils digest");
    assert!(out.status.success(), "{tool} failed");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

/// `len` pseudo-random bytes (xorshift), so a resumed transfer that stitched the
/// wrong pieces together cannot match by accident.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Percent-encodes a URL for the server's `/redirect?to=`.
pub fn redirect_to(target: &str) -> String {
    let encoded: String = target
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("redirect?to={encoded}")
}
