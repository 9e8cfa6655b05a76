//! A 200 MiB download must stream: resident memory may grow only a little.
//! Alone in its own test binary so no other test's allocations blur the numbers.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use strato_image_download::{ImageFormat, download, parse_checksum};
use support::{Fixture, digest};

const MIB: u64 = 1 << 20;
const SIZE: u64 = 200 * MIB;
const MAX_GROWTH: u64 = 64 * MIB;

/// This process's resident set size, from /proc/self/status (kB there).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .expect("value")
        .parse()
        .expect("number");
    kb * 1024
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_mib_download_streams_in_small_memory() {
    let fx = Fixture::start("memory");
    let file = std::fs::File::create(fx.file("big.raw")).expect("create");
    file.set_len(SIZE).expect("sparse file");
    drop(file);
    let checksum = parse_checksum(&format!(
        "{{SHA-256}}{}",
        digest("sha256sum", &fx.file("big.raw"))
    ))
    .expect("sum");

    let before = rss();
    let peak = AtomicU64::new(before);
    let started = Instant::now();
    let done = download(
        fx.request("big.raw", "big.raw", ImageFormat::Raw, Some(checksum)),
        |_| {
            peak.fetch_max(rss(), Ordering::Relaxed);
        },
    )
    .await
    .expect("200 MiB download");
    let elapsed = started.elapsed();
    let after = rss();
    let peak = peak.load(Ordering::Relaxed).max(after);

    assert_eq!(done.physical_size, SIZE);
    assert_eq!(done.virtual_size, SIZE);
    let growth = peak.saturating_sub(before);
    println!(
        "200 MiB in {elapsed:.2?} ({:.0} MiB/s); RSS before {} MiB, peak {} MiB, after {} MiB, growth {:.1} MiB",
        SIZE as f64 / MIB as f64 / elapsed.as_secs_f64(),
        before / MIB,
        peak / MIB,
        after / MIB,
        growth as f64 / MIB as f64
    );
    assert!(growth < MAX_GROWTH, "RSS grew by {} MiB", growth / MIB);
}
