//! verify_file: the download's checks on a file already on disk (uploads).

use strato_image_download::{DownloadError, ImageFormat, parse_checksum, verify_file};
use strato_test_host::{make_iso, make_qcow2, make_qcow2_with_backing};

fn sha256(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

#[tokio::test]
async fn a_good_upload_is_verified_and_left_in_place() {
    let dir = tempfile::tempdir().expect("dir");
    let image = dir.path().join("up.qcow2.part");
    make_qcow2(&image, 32 << 20).expect("qcow2");
    let checksum = parse_checksum(&sha256(&image)).expect("checksum");
    let found = verify_file(&image, ImageFormat::Qcow2, Some(&checksum))
        .await
        .expect("verified");
    assert_eq!(found.format, ImageFormat::Qcow2);
    assert_eq!(found.virtual_size, 32 << 20);
    assert_eq!(
        found.physical_size,
        std::fs::metadata(&image).expect("meta").len()
    );
    assert_eq!(found.path, image.canonicalize().expect("canonical"));
    assert!(image.exists());

    let iso = dir.path().join("up.iso");
    make_iso(&iso).expect("iso");
    assert_eq!(
        verify_file(&iso, ImageFormat::Iso, None)
            .await
            .expect("iso")
            .format,
        ImageFormat::Iso
    );
}

#[tokio::test]
async fn a_bad_upload_is_refused_but_not_removed() {
    let dir = tempfile::tempdir().expect("dir");
    let base = dir.path().join("base.qcow2");
    make_qcow2(&base, 1 << 20).expect("base");
    let overlay = dir.path().join("overlay.qcow2");
    make_qcow2_with_backing(&overlay, &base, 1 << 20).expect("overlay");
    let err = verify_file(&overlay, ImageFormat::Qcow2, None)
        .await
        .expect_err("backing file");
    assert!(matches!(err, DownloadError::ExternalReference(_)), "{err}");

    let wrong = parse_checksum(&"0".repeat(32)).expect("md5");
    let err = verify_file(&base, ImageFormat::Qcow2, Some(&wrong))
        .await
        .expect_err("checksum");
    assert!(
        matches!(err, DownloadError::ChecksumMismatch { .. }),
        "{err}"
    );

    let err = verify_file(&dir.path().join("missing"), ImageFormat::Raw, None)
        .await
        .expect_err("missing");
    assert!(matches!(err, DownloadError::Io(_)), "{err}");
    assert!(overlay.exists() && base.exists());
}
