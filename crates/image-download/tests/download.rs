//! Real downloads from an HTTP server in a network namespace, checked by the real
//! qemu-img.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use strato_image_download::{
    AllowedSites, DownloadError, ImageFormat, Progress, check_registration_url, download,
    parse_checksum,
};
use strato_test_host::{
    make_image, make_iso, make_qcow2, make_qcow2_with_backing, make_qcow2_with_data_file,
};
use support::{Fixture, digest, random_bytes, redirect_to, request};

const MIB: u64 = 1 << 20;

fn ignore(_: Progress) {}

#[tokio::test]
async fn qcow2_downloads_with_every_checksum_form() {
    let fx = Fixture::start("checksums");
    let image = fx.file("img.qcow2");
    make_qcow2(&image, 64 * MIB).expect("qcow2");
    let len = std::fs::metadata(&image).expect("meta").len();
    let forms = [
        format!("{{MD5}}{}", digest("md5sum", &image)),
        format!("{{sha-1}}{}", digest("sha1sum", &image)),
        format!("{{SHA-256}}{}", digest("sha256sum", &image)),
        format!("{{Sha-512}}{}", digest("sha512sum", &image)),
        digest("md5sum", &image),
        digest("sha1sum", &image).to_uppercase(),
        digest("sha256sum", &image),
        digest("sha512sum", &image),
    ];
    for (i, form) in forms.iter().enumerate() {
        let checksum = parse_checksum(form).expect("checksum parses");
        let name = format!("t{i}.qcow2");
        let req = fx.request("img.qcow2", &name, ImageFormat::Qcow2, Some(checksum));
        let done = download(req, ignore)
            .await
            .unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(done.format, ImageFormat::Qcow2);
        assert_eq!(done.virtual_size, 64 * MIB);
        assert_eq!(done.physical_size, len);
        assert_eq!(
            done.path,
            fx.store.path().canonicalize().expect("canon").join(&name)
        );
        assert_eq!(
            std::fs::read(&done.path).expect("read"),
            std::fs::read(&image).expect("read")
        );
    }
    assert_eq!(fx.store_entries().len(), forms.len());
    assert!(fx.store_entries().iter().all(|n| !n.ends_with(".part")));
}

#[tokio::test]
async fn iso_is_recognised_by_its_magic() {
    let fx = Fixture::start("iso");
    make_iso(&fx.file("x.iso")).expect("iso");
    let checksum = parse_checksum(&digest("sha256sum", &fx.file("x.iso"))).expect("checksum");
    let done = download(
        fx.request("x.iso", "x.iso", ImageFormat::Iso, Some(checksum)),
        ignore,
    )
    .await
    .expect("ISO download");
    assert_eq!(done.format, ImageFormat::Iso);
    assert_eq!(done.virtual_size, 64 * 1024);
    assert_eq!(fx.store_entries(), vec!["x.iso"]);
}

#[tokio::test]
async fn raw_data_registered_as_iso_is_rejected() {
    let fx = Fixture::start("fake-iso");
    std::fs::write(fx.file("fake.iso"), random_bytes(100_000, 7)).expect("write");
    let err = download(
        fx.request("fake.iso", "fake.iso", ImageFormat::Iso, None),
        ignore,
    )
    .await
    .expect_err("no CD001 magic");
    assert!(matches!(err, DownloadError::FormatMismatch { .. }), "{err}");
    fx.assert_store_empty();
}

#[tokio::test]
async fn vhd_vmdk_and_raw_are_accepted_as_registered() {
    let fx = Fixture::start("formats");
    make_image(&fx.file("a.vhd"), "vpc", 8 * MIB).expect("vhd");
    make_image(&fx.file("a.vmdk"), "vmdk", 8 * MIB).expect("vmdk");
    std::fs::write(fx.file("a.raw"), random_bytes(MIB as usize, 3)).expect("raw");
    for (file, format) in [
        ("a.vhd", ImageFormat::Vhd),
        ("a.vmdk", ImageFormat::Vmdk),
        ("a.raw", ImageFormat::Raw),
    ] {
        let done = download(fx.request(file, file, format, None), ignore)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(done.format, format);
        assert!(done.virtual_size >= 8 * MIB || format == ImageFormat::Raw);
    }
    assert_eq!(fx.store_entries(), vec!["a.raw", "a.vhd", "a.vmdk"]);
}

#[tokio::test]
async fn wrong_checksum_fails_and_leaves_nothing() {
    let fx = Fixture::start("bad-sum");
    make_qcow2(&fx.file("img.qcow2"), 16 * MIB).expect("qcow2");
    let actual = digest("sha256sum", &fx.file("img.qcow2"));
    let wrong = format!("{{SHA-256}}{}", "0".repeat(64));
    let req = fx.request(
        "img.qcow2",
        "img.qcow2",
        ImageFormat::Qcow2,
        Some(parse_checksum(&wrong).expect("parse")),
    );
    let err = download(req, ignore).await.expect_err("mismatch");
    assert!(
        matches!(err, DownloadError::ChecksumMismatch { .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains(&wrong) && text.contains(&actual), "{text}");
    fx.assert_store_empty();
}

#[tokio::test]
async fn not_found_is_reported_without_retrying() {
    let fx = Fixture::start("404");
    let err = download(
        fx.request("missing.qcow2", "m.qcow2", ImageFormat::Qcow2, None),
        ignore,
    )
    .await
    .expect_err("404");
    assert!(
        matches!(err, DownloadError::Http { status: 404, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("HTTP 404"), "{err}");
    assert_eq!(fx.server.requests().len(), 1, "{:?}", fx.server.requests());
    fx.assert_store_empty();
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let fx = Fixture::start("503");
    let err = download(
        fx.request("status/503", "s.qcow2", ImageFormat::Qcow2, None),
        ignore,
    )
    .await
    .expect_err("503");
    assert!(
        matches!(err, DownloadError::Http { status: 503, .. }),
        "{err}"
    );
    assert_eq!(
        fx.server.requests().len(),
        3,
        "three attempts: {:?}",
        fx.server.requests()
    );
    fx.assert_store_empty();
}

#[tokio::test]
async fn loopback_is_refused_at_registration_and_at_download() {
    let err = check_registration_url("http://127.0.0.1:8080/t.qcow2").expect_err("loopback");
    assert!(err.contains("loopback"), "{err}");
    assert!(check_registration_url("http://localhost/t.qcow2").is_err());
    // Even if it slipped past registration, the download itself refuses it.
    let store = tempfile::tempdir().expect("store");
    let everything = AllowedSites::parse("0.0.0.0/0").expect("sites");
    let req = request(
        "http://127.0.0.1:9/t.qcow2",
        store.path(),
        "t.qcow2",
        ImageFormat::Qcow2,
        None,
        everything,
    );
    let err = download(req, ignore).await.expect_err("refused");
    assert!(matches!(err, DownloadError::Refused(_)), "{err}");
    assert_eq!(std::fs::read_dir(store.path()).expect("dir").count(), 0);
}

#[tokio::test]
async fn private_address_outside_allowed_sites_is_refused() {
    let fx = Fixture::start("not-allowed");
    make_qcow2(&fx.file("img.qcow2"), MIB).expect("qcow2");
    // Registration accepts private addresses; the download decides.
    check_registration_url(&fx.host.url("img.qcow2")).expect("private address registers");
    for sites in ["", "192.168.1.0/24"] {
        let mut req = fx.request("img.qcow2", "img.qcow2", ImageFormat::Qcow2, None);
        req.allowed_sites = AllowedSites::parse(sites).expect("sites");
        let err = download(req, ignore).await.expect_err("refused");
        assert!(matches!(err, DownloadError::Refused(_)), "{err}");
        assert!(
            err.to_string()
                .contains("secstorage.allowed.internal.sites"),
            "{err}"
        );
    }
    assert!(
        fx.server.requests().is_empty(),
        "no request may reach the server"
    );
    fx.assert_store_empty();
}

#[tokio::test]
async fn redirect_inside_allowed_sites_is_followed() {
    let fx = Fixture::start("redirect-ok");
    make_qcow2(&fx.file("img.qcow2"), MIB).expect("qcow2");
    let path = redirect_to(&fx.host.url("img.qcow2"));
    let done = download(
        fx.request(&path, "img.qcow2", ImageFormat::Qcow2, None),
        ignore,
    )
    .await
    .expect("followed");
    assert_eq!(done.format, ImageFormat::Qcow2);
    assert_eq!(fx.server.requests().len(), 2);
}

#[tokio::test]
async fn redirect_to_private_address_outside_allowed_sites_is_refused() {
    let fx = Fixture::start("redirect-private");
    // The veth's own address on this side: private, and outside the allowed /32.
    let target = format!("http://{}:8080/img.qcow2", fx.host.host_side_ip());
    let err = download(
        fx.request(&redirect_to(&target), "img.qcow2", ImageFormat::Qcow2, None),
        ignore,
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, DownloadError::Refused(_)), "{err}");
    assert!(
        err.to_string()
            .contains(&fx.host.host_side_ip().to_string()),
        "{err}"
    );
    assert_eq!(fx.server.requests().len(), 1);
    fx.assert_store_empty();
}

#[tokio::test]
async fn redirect_to_loopback_is_refused() {
    let fx = Fixture::start("redirect-loopback");
    for target in [
        "http://127.0.0.1:8080/img.qcow2",
        "http://localhost/x",
        "http://[::1]/x",
        "file:///etc/passwd",
    ] {
        let err = download(
            fx.request(&redirect_to(target), "img.qcow2", ImageFormat::Qcow2, None),
            ignore,
        )
        .await
        .expect_err("refused");
        assert!(matches!(err, DownloadError::Refused(_)), "{target}: {err}");
    }
    fx.assert_store_empty();
}

#[tokio::test]
async fn more_than_five_redirects_are_refused() {
    let fx = Fixture::start("redirect-loop");
    make_qcow2(&fx.file("img.qcow2"), MIB).expect("qcow2");
    let mut url = fx.host.url("img.qcow2");
    for _ in 0..6 {
        url = fx.host.url(&redirect_to(&url));
    }
    let req = support::request(
        &url,
        fx.store.path(),
        "img.qcow2",
        ImageFormat::Qcow2,
        None,
        fx.allowed(),
    );
    let err = download(req, ignore).await.expect_err("too many");
    assert!(matches!(err, DownloadError::TooManyRedirects(5)), "{err}");
    fx.assert_store_empty();
}

#[tokio::test]
async fn qcow2_with_backing_file_is_rejected() {
    let fx = Fixture::start("backing");
    make_qcow2(&fx.file("base.qcow2"), 16 * MIB).expect("base");
    make_qcow2_with_backing(&fx.file("overlay.qcow2"), &fx.file("base.qcow2"), 16 * MIB)
        .expect("overlay");
    let err = download(
        fx.request("overlay.qcow2", "o.qcow2", ImageFormat::Qcow2, None),
        ignore,
    )
    .await
    .expect_err("backing file");
    assert!(matches!(err, DownloadError::ExternalReference(_)), "{err}");
    assert!(err.to_string().contains("backing file"), "{err}");
    fx.assert_store_empty();
}

#[tokio::test]
async fn qcow2_with_external_data_file_is_rejected() {
    let fx = Fixture::start("data-file");
    make_qcow2_with_data_file(&fx.file("d.qcow2"), &fx.file("d.raw"), 16 * MIB).expect("data file");
    let err = download(
        fx.request("d.qcow2", "d.qcow2", ImageFormat::Qcow2, None),
        ignore,
    )
    .await
    .expect_err("data file");
    assert!(matches!(err, DownloadError::ExternalReference(_)), "{err}");
    assert!(err.to_string().contains("data file"), "{err}");
    fx.assert_store_empty();
}

#[tokio::test]
async fn text_registered_as_qcow2_is_rejected() {
    let fx = Fixture::start("html");
    std::fs::write(
        fx.file("index.html"),
        "<html><body>Not Found</body></html>\n",
    )
    .expect("write");
    let err = download(
        fx.request("index.html", "t.qcow2", ImageFormat::Qcow2, None),
        ignore,
    )
    .await
    .expect_err("not an image");
    assert!(
        matches!(
            &err,
            DownloadError::FormatMismatch {
                registered: ImageFormat::Qcow2,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("registered as QCOW2"), "{err}");
    fx.assert_store_empty();
}

#[tokio::test]
async fn qcow2_registered_as_raw_is_rejected() {
    let fx = Fixture::start("qcow2-as-raw");
    make_qcow2(&fx.file("img.qcow2"), MIB).expect("qcow2");
    let err = download(
        fx.request("img.qcow2", "img.raw", ImageFormat::Raw, None),
        ignore,
    )
    .await
    .expect_err("mismatch");
    assert!(matches!(err, DownloadError::FormatMismatch { .. }), "{err}");
    fx.assert_store_empty();
}

#[tokio::test]
async fn a_stalled_transfer_times_out_and_is_retried() {
    let fx = Fixture::start("idle");
    std::fs::write(fx.file("img.raw"), random_bytes(10_000, 4)).expect("write");
    // 10 bytes every 100 ms: each gap is longer than the idle timeout.
    let mut req = fx.request("slow/img.raw?rate=100", "img.raw", ImageFormat::Raw, None);
    req.options.idle_timeout = Duration::from_millis(40);
    req.options.max_attempts = 2;
    let err = download(req, ignore).await.expect_err("stalled");
    assert!(matches!(err, DownloadError::Network(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("no data received") && text.contains("2 attempts"),
        "{text}"
    );
    assert_eq!(fx.server.requests().len(), 2, "{:?}", fx.server.requests());
    fx.assert_store_empty();
}

/// 4 MiB of random data served through `/die/` so the server dies after 1 MiB.
fn dying_file(fx: &Fixture) -> (Vec<u8>, String) {
    let data = random_bytes(4 * MIB as usize, 42);
    std::fs::write(fx.file("big.raw"), &data).expect("write");
    (data, format!("die/big.raw?after={MIB}"))
}

#[tokio::test]
async fn server_dying_mid_download_fails_cleanly_after_retries() {
    let fx = Fixture::start("die");
    let (_, path) = dying_file(&fx);
    let err = download(fx.request(&path, "big.raw", ImageFormat::Raw, None), ignore)
        .await
        .expect_err("server gone");
    assert!(matches!(err, DownloadError::Network(_)), "{err}");
    assert!(err.to_string().contains("3 attempts"), "{err}");
    assert_eq!(
        fx.server.requests().len(),
        1,
        "the server died after the first"
    );
    fx.assert_store_empty();
}

#[tokio::test(flavor = "multi_thread")]
async fn server_dying_mid_download_is_resumed_when_it_comes_back() {
    let mut fx = Fixture::start("die-restart");
    let (data, path) = dying_file(&fx);
    let checksum = parse_checksum(&digest("sha256sum", &fx.file("big.raw"))).expect("sum");
    let mut req = fx.request(&path, "big.raw", ImageFormat::Raw, Some(checksum));
    req.options.max_attempts = 6;
    req.options.retry_backoff = Duration::from_millis(300);

    let fetch = tokio::spawn(download(req, ignore));
    let dead = tokio::task::block_in_place(|| fx.server.wait_exit(Duration::from_secs(10)));
    assert!(dead, "the server should have died mid-transfer");
    let first_log = fx.server.requests();
    fx.server = fx.host.serve(fx.files.path()).expect("restart the server");
    let done = fetch.await.expect("join").expect("resumed download");

    assert_eq!(std::fs::read(&done.path).expect("read"), data);
    assert_eq!(first_log.len(), 1, "{first_log:?}");
    let resumed = fx.server.requests();
    assert!(
        resumed
            .iter()
            .any(|l| l.contains(&format!("range=bytes={MIB}- status=206"))),
        "expected a Range request from byte {MIB}: {resumed:?}"
    );
}

#[tokio::test]
async fn part_file_left_by_a_crash_is_resumed() {
    let fx = Fixture::start("resume");
    let data = random_bytes(3 * MIB as usize + 123, 9);
    std::fs::write(fx.file("img.raw"), &data).expect("write");
    let kept = 1_500_000;
    std::fs::write(fx.store.path().join("img.raw.part"), &data[..kept]).expect("part");
    let checksum =
        parse_checksum(&format!("{{MD5}}{}", digest("md5sum", &fx.file("img.raw")))).expect("sum");
    let seen = Mutex::new(Vec::new());
    let done = download(
        fx.request("img.raw", "img.raw", ImageFormat::Raw, Some(checksum)),
        |p| seen.lock().expect("lock").push(p.done),
    )
    .await
    .expect("resumed");
    assert_eq!(std::fs::read(&done.path).expect("read"), data);
    assert_eq!(
        fx.server.requests(),
        vec![format!("/img.raw range=bytes={kept}- status=206")]
    );
    assert!(seen.lock().expect("lock").iter().all(|&d| d > kept as u64));
    assert_eq!(fx.store_entries(), vec!["img.raw"]);
}

#[tokio::test]
async fn part_file_the_server_cannot_resume_is_restarted() {
    let fx = Fixture::start("resume-416");
    let data = random_bytes(MIB as usize, 5);
    std::fs::write(fx.file("img.raw"), &data).expect("write");
    // Longer than the file: the server answers 416 and we start again from zero.
    std::fs::write(
        fx.store.path().join("img.raw.part"),
        random_bytes(2 * MIB as usize, 6),
    )
    .expect("part");
    let checksum = parse_checksum(&digest("sha1sum", &fx.file("img.raw"))).expect("sum");
    let done = download(
        fx.request("img.raw", "img.raw", ImageFormat::Raw, Some(checksum)),
        ignore,
    )
    .await
    .expect("restarted");
    assert_eq!(std::fs::read(&done.path).expect("read"), data);
    let log = fx.server.requests();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log[0].contains("status=416") && log[1].contains("range=- status=200"),
        "{log:?}"
    );
}

#[tokio::test]
async fn part_file_is_restarted_when_the_server_ignores_range() {
    let fx = Fixture::start("no-range");
    let data = random_bytes(MIB as usize, 21);
    std::fs::write(fx.file("img.raw"), &data).expect("write");
    std::fs::write(fx.store.path().join("img.raw.part"), &data[..300_000]).expect("part");
    let checksum = parse_checksum(&digest("md5sum", &fx.file("img.raw"))).expect("sum");
    let done = download(
        fx.request(
            "norange/img.raw",
            "img.raw",
            ImageFormat::Raw,
            Some(checksum),
        ),
        ignore,
    )
    .await
    .expect("restarted from zero");
    assert_eq!(std::fs::read(&done.path).expect("read"), data);
    assert_eq!(
        fx.server.requests(),
        vec!["/norange/img.raw range=bytes=300000- status=200"]
    );
}

#[tokio::test]
async fn corrupt_part_file_fails_the_checksum_and_is_removed() {
    let fx = Fixture::start("resume-corrupt");
    let data = random_bytes(MIB as usize, 11);
    std::fs::write(fx.file("img.raw"), &data).expect("write");
    std::fs::write(fx.store.path().join("img.raw.part"), random_bytes(1000, 12)).expect("part");
    let checksum = parse_checksum(&digest("sha256sum", &fx.file("img.raw"))).expect("sum");
    let req = fx.request("img.raw", "img.raw", ImageFormat::Raw, Some(checksum));
    let err = download(req.clone(), ignore)
        .await
        .expect_err("corrupt prefix");
    assert!(
        matches!(err, DownloadError::ChecksumMismatch { .. }),
        "{err}"
    );
    fx.assert_store_empty();
    // The next try starts clean and succeeds.
    download(req, ignore).await.expect("second try");
}

#[tokio::test]
async fn progress_is_reported_in_increasing_steps() {
    let fx = Fixture::start("progress");
    let len = 400_000u64;
    std::fs::write(fx.file("img.raw"), random_bytes(len as usize, 1)).expect("write");
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = seen.clone();
    let started = std::time::Instant::now();
    // 400 kB at 800 kB/s: about half a second, in 80 kB pieces.
    download(
        fx.request(
            "slow/img.raw?rate=800000",
            "img.raw",
            ImageFormat::Raw,
            None,
        ),
        move |p| sink.lock().expect("lock").push(p),
    )
    .await
    .expect("download");
    let elapsed = started.elapsed();
    let seen = seen.lock().expect("lock").clone();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0].done < w[1].done),
        "not increasing: {seen:?}"
    );
    assert!(seen.iter().all(|p| p.total == Some(len)), "{seen:?}");
    assert_eq!(seen.last().map(|p| p.done), Some(len));
    assert!(
        seen.len() <= calls_allowed(elapsed),
        "{} calls in {elapsed:?}",
        seen.len()
    );

    // Unthrottled, hundreds of body pieces arrive: still about one call per 1%.
    std::fs::write(fx.file("fast.raw"), random_bytes(64 * MIB as usize, 2)).expect("write");
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let started = std::time::Instant::now();
    download(
        fx.request("fast.raw", "fast.raw", ImageFormat::Raw, None),
        move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        },
    )
    .await
    .expect("download");
    let calls = count.load(Ordering::Relaxed);
    assert!(
        calls >= 50 && calls <= calls_allowed(started.elapsed()),
        "{calls} calls in {:?}",
        started.elapsed()
    );
}

/// At most one call per 1% plus one per 500 ms, plus the final one.
fn calls_allowed(elapsed: Duration) -> usize {
    100 + (elapsed.as_millis() / 500) as usize + 1
}

#[tokio::test]
async fn invalid_names_and_missing_store_are_refused_before_any_request() {
    let fx = Fixture::start("invalid");
    let mut req = fx.request("x", "../escape", ImageFormat::Raw, None);
    assert!(matches!(
        download(req.clone(), ignore).await,
        Err(DownloadError::InvalidRequest(_))
    ));
    req.name = "ok.raw".into();
    req.dest_dir = fx.store.path().join("nope");
    assert!(matches!(
        download(req, ignore).await,
        Err(DownloadError::InvalidRequest(_))
    ));
    assert!(fx.server.requests().is_empty());
}
