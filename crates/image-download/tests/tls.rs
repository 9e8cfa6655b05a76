//! https: the server's certificate is verified against the system's CA store (which
//! rustls-native-certs reads, honouring SSL_CERT_FILE), with the ring provider.

mod support;

use std::path::Path;
use std::process::Command;

use strato_image_download::{AllowedSites, DownloadError, ImageFormat, Progress, download};
use strato_test_host::make_qcow2;
use support::{Fixture, request};

const CHILD_URL: &str = "STRATO_TLS_TEST_URL";
const CHILD_STORE: &str = "STRATO_TLS_TEST_STORE";
const CHILD_SITES: &str = "STRATO_TLS_TEST_SITES";

fn ignore(_: Progress) {}

#[tokio::test]
async fn https_with_an_untrusted_certificate_is_refused_without_retrying() {
    let fx = Fixture::start("tls-untrusted");
    make_qcow2(&fx.file("img.qcow2"), 1 << 20).expect("qcow2");
    let tls = fx.host.serve_tls(fx.files.path()).expect("https server");
    let req = request(
        &fx.host.https_url("img.qcow2"),
        fx.store.path(),
        "img.qcow2",
        ImageFormat::Qcow2,
        None,
        fx.allowed(),
    );
    let err = download(req, ignore)
        .await
        .expect_err("self-signed certificate");
    assert!(matches!(err, DownloadError::Network(_)), "{err}");
    let text = err.to_string();
    assert!(text.contains("certificate"), "{text}");
    assert!(
        !text.contains("attempts"),
        "a certificate error is not retried: {text}"
    );
    assert!(tls.requests().is_empty());
    fx.assert_store_empty();
}

/// Trusting the test certificate means setting SSL_CERT_FILE, which only a fresh
/// process can do safely: the test runs itself again as a child with it set.
#[test]
fn https_with_a_trusted_certificate_downloads() {
    if let Ok(url) = std::env::var(CHILD_URL) {
        return child_download(&url);
    }
    let fx = Fixture::start("tls-trusted");
    make_qcow2(&fx.file("img.qcow2"), 1 << 20).expect("qcow2");
    let tls = fx.host.serve_tls(fx.files.path()).expect("https server");
    let ca = tempfile::NamedTempFile::new().expect("ca file");
    std::fs::write(ca.path(), tls.certificate_pem().expect("certificate")).expect("write ca");

    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "https_with_a_trusted_certificate_downloads",
            "--exact",
            "--nocapture",
        ])
        .env("SSL_CERT_FILE", ca.path())
        .env(CHILD_URL, fx.host.https_url("img.qcow2"))
        .env(CHILD_STORE, fx.store.path())
        .env(CHILD_SITES, format!("{}/32", fx.host.ip()))
        .output()
        .expect("run the child test");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains("1 passed"),
        "the child ran no test: {output}"
    );
    assert_eq!(fx.store_entries(), vec!["img.qcow2"]);
    assert_eq!(tls.requests(), vec!["/img.qcow2 range=- status=200"]);
}

fn child_download(url: &str) {
    let store = std::env::var(CHILD_STORE).expect("store");
    let sites = AllowedSites::parse(&std::env::var(CHILD_SITES).expect("sites")).expect("parse");
    let req = request(
        url,
        Path::new(&store),
        "img.qcow2",
        ImageFormat::Qcow2,
        None,
        sites,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let done = runtime
        .block_on(download(req, ignore))
        .expect("https download");
    assert_eq!(done.format, ImageFormat::Qcow2);
}
