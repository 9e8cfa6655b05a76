//! `--scenario templates`: `--templates` templates registered at once, each downloaded
//! by the server from a web server on a private address.
//!
//! 1. `--templates` distinct qcow2 images of `--template-mib` MiB of real data each
//!    (`qemu-img create` + `qemu-io -c "write -P <pattern> …"`), with their SHA-256.
//! 2. A network namespace with a private address (strato-test-host) serves them over
//!    HTTP; `secstorage.allowed.internal.sites` allows exactly that address (loopback is
//!    always refused by the URL policy).
//! 3. One `strato server` (fresh database) with a zone without clusters, so its image
//!    store (`file://<temp dir>`) is real, not simulated.
//! 4. All registerTemplate calls are sent at once (signed, with zoneid, format,
//!    hypervisor=KVM and `{SHA-256}<hex>`); the bench then polls listTemplates until
//!    every template is ready, sampling the server's RSS and the `.part` files in the
//!    store (downloads running) on the way.
//! 5. Checks: every template is "Download Complete" and every stored file has the size
//!    of its source. Any failed template fails the bench.
//!
//! A source file is deleted as soon as its template is ready (the server never reads it
//! again), so sources and stored copies together stay near `templates x MiB` on disk.
//! Everything lives in one temporary directory, removed at the end, also on errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use strato_test_host::NetnsHost;

use crate::child::{self, Backend, ServerProc};
use crate::hosts::{load_average, share};
use crate::report::Latency;
use crate::{Opts, Signed, admin_keys, inner, progress, str_field};

/// How often the bench lists the templates while they download.
const POLL: Duration = Duration::from_millis(250);
/// The image service's limit of copies at once per server (`SLOTS` in
/// crates/engine/src/images/service.rs), shown next to what was observed.
const SERVICE_SLOTS: usize = 16;
const MIB: u64 = 1 << 20;
/// Sequential listTemplates measured once everything is ready.
const IDLE_LISTS: usize = 50;

/// One source image.
struct Image {
    name: String,
    path: PathBuf,
    size: u64,
    sha256: String,
}

/// What the bench knows about one registered template.
struct Tracked {
    image: usize,
    id: String,
    ready_at: Option<Duration>,
    status: String,
    physical_size: Option<u64>,
}

pub struct TemplatesReport {
    backend: String,
    templates: usize,
    template_mib: u64,
    total_bytes: u64,
    load_start: String,
    load_end: String,
    idle_secs: u64,
    make_images_secs: f64,
    register: Latency,
    /// First registerTemplate sent until the last one answered.
    register_wall_secs: f64,
    /// From the first registerTemplate sent.
    first_part_secs: Option<f64>,
    first_ready_secs: f64,
    p50_ready_secs: f64,
    p90_ready_secs: f64,
    all_ready_secs: f64,
    /// Most `.part` files seen in the store at once: downloads actually running.
    max_parts: usize,
    /// Most templates listTemplates showed in progress at once ("Downloading" or
    /// "N% Downloaded"): claimed copies, running or waiting for a slot.
    max_in_progress: usize,
    /// Most templates shown "Download Not Started" at once.
    max_not_started: usize,
    /// The listTemplates polls, each while downloads ran.
    polls: Latency,
    /// The same listTemplates, sequential, once all were ready and the server idle.
    list_idle: Latency,
    rss_before_mb: f64,
    hwm_before_mb: f64,
    rss_max_sampled_mb: f64,
    rss_after_mb: f64,
    hwm_after_mb: f64,
    /// After `--idle-secs` with nothing to do.
    rss_idle_after_mb: f64,
    server_cpu_secs: f64,
    /// WARN and ERROR lines in the server's log.
    log_warnings: usize,
    /// Copies whose end could not be written to the database (they are downloaded
    /// again).
    unrecorded_ends: usize,
    /// "pool timed out" errors in the server's log.
    pool_timeouts: usize,
    /// GET requests the web server answered with the whole file (200).
    full_gets: usize,
    /// GET requests with a Range header (resumed downloads).
    range_gets: usize,
    complete: usize,
    sizes_ok: usize,
    stored_files: usize,
    parts_left: usize,
}

pub async fn run(opts: &Opts, bin: &Path, backend: &mut Backend) -> Result<TemplatesReport> {
    let n = opts.templates;
    let mib = opts.template_mib;
    if n == 0 || mib == 0 {
        bail!("--templates and --template-mib must be at least 1");
    }
    let load_start = load_average();
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    let (server_dir, files_dir, store_dir) = (
        work.path().join("server"),
        work.path().join("files"),
        work.path().join("store"),
    );
    for d in [&server_dir, &files_dir, &store_dir] {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    // Sources are deleted as their templates become ready, but in the worst case all
    // of them and all the copies exist at once.
    let need = 2 * n as u64 * (mib * MIB + MIB) + 512 * MIB;
    let avail = available_bytes(work.path())?;
    if avail < need {
        bail!(
            "{} has {} MiB free; {n} templates of {mib} MiB need up to {} MiB (sources and copies)",
            work.path().display(),
            avail / MIB,
            need / MIB
        );
    }

    // 1. The images (not measured).
    let host = NetnsHost::start("strato-bench")
        .map_err(|e| anyhow!("{e} (the templates scenario needs root, iproute2 and python3)"))?;
    progress(&format!(
        "making {n} qcow2 images of {mib} MiB in {}",
        files_dir.display()
    ));
    let made = Instant::now();
    let images = make_images(&files_dir, n, mib).await?;
    let make_images_secs = made.elapsed().as_secs_f64();
    let total_bytes: u64 = images.iter().map(|i| i.size).sum();
    progress(&format!(
        "made {n} images ({} MiB in all) in {make_images_secs:.1} s",
        total_bytes / MIB
    ));
    let http_server = host
        .serve(&files_dir)
        .map_err(|e| anyhow!("cannot start the test HTTP server: {e}"))?;

    // 2. The server, its zone and its real image store.
    let db = backend.fresh_db().await?;
    let (mut server, took) = ServerProc::start(bin, &server_dir, db.as_deref()).await?;
    progress(&format!(
        "server up in {:.1} s (pid {}); web server at {}",
        took.as_secs_f64(),
        server.pid(),
        host.url("")
    ));
    let http = child::http_client()?;
    let url = server.api_url();
    let (api_key, secret) = admin_keys(&http, &url).await?;
    let api = Signed {
        http,
        url,
        api_key,
        secret,
    };
    api.call(
        "updateConfiguration",
        &[
            ("name", "secstorage.allowed.internal.sites"),
            ("value", &format!("{}/32", host.ip())),
        ],
    )
    .await?;
    let zone = inner(
        &api.call(
            "createZone",
            &[
                ("name", "bench-templates"),
                ("networktype", "Advanced"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
            ],
        )
        .await?,
    )?;
    let zone_id = str_field(&zone["zone"], "id")?;
    api.call(
        "addImageStore",
        &[
            ("zoneid", &zone_id),
            ("name", "bench-store"),
            ("provider", "NFS"),
            ("url", &format!("file://{}", store_dir.display())),
        ],
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(opts.idle_secs)).await;
    let before = server.memory()?;
    let cpu_before = child::cpu_time(server.pid())?;
    progress(&format!(
        "server RSS before the run {:.1} MiB (VmHWM {:.1} MiB)",
        before.rss_mb, before.hwm_mb
    ));

    // 3. Every registerTemplate at once.
    progress(&format!("registering {n} templates at once"));
    let t0 = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for (i, image) in images.iter().enumerate() {
        let api = api.clone();
        let zone_id = zone_id.clone();
        let name = image.name.clone();
        let url = host.url(&image.name);
        let checksum = format!("{{SHA-256}}{}", image.sha256);
        calls.spawn(async move {
            let sent = Instant::now();
            let answer = api
                .call(
                    "registerTemplate",
                    &[
                        ("name", &name),
                        ("displaytext", &name),
                        ("url", &url),
                        ("zoneid", &zone_id),
                        ("format", "QCOW2"),
                        ("hypervisor", "KVM"),
                        ("checksum", &checksum),
                    ],
                )
                .await;
            (i, answer, sent.elapsed())
        });
    }
    let mut samples = Vec::with_capacity(n);
    let mut tracked = Vec::with_capacity(n);
    let mut failures = Vec::new();
    let mut last_body = 0;
    while let Some(joined) = calls.join_next().await {
        let (i, answer, took) = joined.context("a registerTemplate task failed")?;
        samples.push(took);
        let id = answer.and_then(|body| {
            last_body = body.len();
            let v = inner(&body)?;
            str_field(&v["template"][0], "id")
        });
        match id {
            Ok(id) => tracked.push(Tracked {
                image: i,
                id,
                ready_at: None,
                status: String::new(),
                physical_size: None,
            }),
            Err(e) => failures.push(format!("{}: {e:#}", images[i].name)),
        }
    }
    let register_wall = t0.elapsed();
    if !failures.is_empty() {
        bail!(
            "{} of {n} registerTemplate calls failed, e.g.:\n{}",
            failures.len(),
            failures[..failures.len().min(5)].join("\n")
        );
    }
    let register = Latency::new(
        &format!("registerTemplate ({n} at once)"),
        samples,
        register_wall,
        Duration::ZERO,
        last_body,
        None,
        None,
    );
    progress(&format!(
        "{n} registerTemplate answered in {:.2} s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        register_wall.as_secs_f64(),
        register.p50_ms,
        register.p99_ms,
        register.max_ms
    ));

    // 4. Until every template is ready (or one fails).
    let by_id: HashMap<String, usize> = tracked
        .iter()
        .enumerate()
        .map(|(k, t)| (t.id.clone(), k))
        .collect();
    let deadline = t0 + Duration::from_secs(opts.ready_timeout_secs);
    let (mut max_parts, mut max_in_progress, mut max_not_started) = (0, 0, 0);
    let mut first_part = None;
    let mut rss_max = before.rss_mb;
    let mut polls = Vec::new();
    let mut list_bytes;
    let mut said = Instant::now();
    loop {
        server.check()?;
        let asked = Instant::now();
        let (listed, bytes) = list_templates(&api, &zone_id, n).await?;
        polls.push(asked.elapsed());
        list_bytes = bytes;
        let now = t0.elapsed();
        let (mut in_progress, mut not_started) = (0, 0);
        for t in &listed {
            let Some(k) = t
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| by_id.get(id))
            else {
                continue;
            };
            let entry = &mut tracked[*k];
            entry.status = t["status"].as_str().unwrap_or_default().to_string();
            entry.physical_size = t["physicalsize"].as_u64();
            let ready = t["isready"].as_bool() == Some(true);
            if entry.status == "Download Not Started" {
                not_started += 1;
            } else if entry.status == "Downloading" || entry.status.ends_with("% Downloaded") {
                in_progress += 1;
            }
            if ready && entry.ready_at.is_none() {
                entry.ready_at = Some(now);
                // The server never reads the source again: free its disk space.
                let _ = std::fs::remove_file(&images[entry.image].path);
            }
        }
        let parts = count_files(&store_dir, ".part");
        if parts > 0 && first_part.is_none() {
            first_part = Some(now);
        }
        max_parts = max_parts.max(parts);
        max_in_progress = max_in_progress.max(in_progress);
        max_not_started = max_not_started.max(not_started);
        rss_max = rss_max.max(server.memory()?.rss_mb);
        let ready = tracked.iter().filter(|t| t.ready_at.is_some()).count();
        let failed: Vec<&Tracked> = tracked
            .iter()
            .filter(|t| t.ready_at.is_none() && !t.status.is_empty() && !busy(&t.status))
            .collect();
        if !failed.is_empty() {
            let list: Vec<String> = failed
                .iter()
                .take(10)
                .map(|t| format!("  {} ({}): {}", images[t.image].name, t.id, t.status))
                .collect();
            bail!(
                "{} of {n} templates failed after {:.1} s ({ready} ready):\n{}\nserver log:\n{}",
                failed.len(),
                now.as_secs_f64(),
                list.join("\n"),
                server.log_tail()
            );
        }
        if ready == n {
            break;
        }
        if said.elapsed() >= Duration::from_secs(5) {
            said = Instant::now();
            progress(&format!(
                "  {:.0} s: {ready}/{n} ready, {in_progress} in progress ({parts} downloading), \
                 {not_started} not started, server RSS {:.1} MiB",
                now.as_secs_f64(),
                server.memory()?.rss_mb
            ));
        }
        if Instant::now() > deadline {
            bail!(
                "only {ready}/{n} templates were ready after {} s\nserver log:\n{}",
                opts.ready_timeout_secs,
                server.log_tail()
            );
        }
        tokio::time::sleep(POLL).await;
    }
    let all_ready = t0.elapsed();
    let server_cpu = child::cpu_time(server.pid())?.saturating_sub(cpu_before);
    let after = server.memory()?;
    let polls = Latency::new(
        &format!("listTemplates ({n}) while downloading"),
        polls,
        all_ready,
        Duration::ZERO,
        list_bytes,
        Some(n),
        None,
    );
    progress(&format!(
        "all {n} templates ready after {:.2} s: {:.1} MiB/s; server RSS {:.1} MiB, VmHWM {:.1} MiB",
        all_ready.as_secs_f64(),
        mib_per_sec(total_bytes, all_ready),
        after.rss_mb,
        after.hwm_mb
    ));

    // 5. Checks: statuses, listed sizes and the stored files.
    let stored = stored_files(&store_dir);
    let mut problems = Vec::new();
    let (mut complete, mut sizes_ok) = (0, 0);
    for t in &tracked {
        let image = &images[t.image];
        if t.status == "Download Complete" {
            complete += 1;
        } else {
            problems.push(format!("{}: status {:?}", image.name, t.status));
        }
        if t.physical_size != Some(image.size) {
            problems.push(format!(
                "{}: physicalsize {:?}, the source has {} bytes",
                image.name, t.physical_size, image.size
            ));
        }
        match stored.get(&t.id) {
            Some(size) if *size == image.size => sizes_ok += 1,
            Some(size) => problems.push(format!(
                "{}: stored file has {size} bytes, the source {}",
                image.name, image.size
            )),
            None => problems.push(format!("{}: no stored file {}.qcow2", image.name, t.id)),
        }
    }
    let parts_left = count_files(&store_dir, ".part");
    if parts_left > 0 {
        problems.push(format!("{parts_left} .part files left in the store"));
    }
    if stored.len() != n {
        problems.push(format!("{} stored files for {n} templates", stored.len()));
    }
    if !problems.is_empty() {
        bail!(
            "{} problems after the run:\n{}",
            problems.len(),
            problems[..problems.len().min(20)].join("\n")
        );
    }
    tokio::time::sleep(Duration::from_secs(opts.idle_secs)).await;
    let rss_idle_after_mb = server.memory()?.rss_mb;
    let pagesize = n.clamp(1, 500).to_string();
    let list_idle = api
        .measure(
            &format!("listTemplates ({}) idle, sequential", n.min(500)),
            "listTemplates",
            &[
                ("templatefilter", "all"),
                ("zoneid", &zone_id),
                ("page", "1"),
                ("pagesize", &pagesize),
            ],
            "template",
            IDLE_LISTS,
            server.pid(),
        )
        .await?;
    let warnings: Vec<String> = server
        .log()
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .map(str::to_string)
        .collect();
    for w in warnings.iter().take(5) {
        progress(&format!("server log: {w}"));
    }
    let unrecorded_ends = warnings
        .iter()
        .filter(|l| l.contains("failed to record its end"))
        .count();
    let pool_timeouts = warnings
        .iter()
        .filter(|l| l.contains("pool timed out"))
        .count();
    let gets = http_server.requests();
    let full_gets = gets.iter().filter(|l| l.ends_with("status=200")).count();
    let range_gets = gets.iter().filter(|l| !l.contains("range=- ")).count();
    server.stop().await?;

    let mut ready: Vec<Duration> = tracked.iter().filter_map(|t| t.ready_at).collect();
    ready.sort();
    let at = |p: f64| -> f64 {
        let rank = ((p / 100.0) * ready.len() as f64).ceil() as usize;
        ready
            .get(rank.clamp(1, ready.len()) - 1)
            .map(Duration::as_secs_f64)
            .unwrap_or_default()
    };
    Ok(TemplatesReport {
        backend: backend.name(),
        templates: n,
        template_mib: mib,
        total_bytes,
        load_start,
        load_end: load_average(),
        idle_secs: opts.idle_secs,
        make_images_secs,
        register,
        register_wall_secs: register_wall.as_secs_f64(),
        first_part_secs: first_part.map(|d| d.as_secs_f64()),
        first_ready_secs: at(0.0),
        p50_ready_secs: at(50.0),
        p90_ready_secs: at(90.0),
        all_ready_secs: all_ready.as_secs_f64(),
        max_parts,
        max_in_progress,
        max_not_started,
        polls,
        list_idle,
        rss_before_mb: before.rss_mb,
        hwm_before_mb: before.hwm_mb,
        rss_max_sampled_mb: rss_max,
        rss_after_mb: after.rss_mb,
        hwm_after_mb: after.hwm_mb,
        rss_idle_after_mb,
        log_warnings: warnings.len(),
        unrecorded_ends,
        pool_timeouts,
        full_gets,
        range_gets,
        server_cpu_secs: server_cpu.as_secs_f64(),
        complete,
        sizes_ok,
        stored_files: stored.len(),
        parts_left,
    })
}

/// A copy still on its way: not started, claimed, or downloading.
fn busy(status: &str) -> bool {
    status == "Download Not Started" || status == "Downloading" || status.ends_with("% Downloaded")
}

/// Every template of the zone, page by page, and the size of the last answer.
async fn list_templates(api: &Signed, zone_id: &str, n: usize) -> Result<(Vec<Value>, usize)> {
    let pagesize = n.clamp(1, 500);
    let pagesize_s = pagesize.to_string();
    let (mut out, mut bytes) = (Vec::new(), 0);
    for page in 1.. {
        let page_s = page.to_string();
        let body = api
            .call(
                "listTemplates",
                &[
                    ("templatefilter", "all"),
                    ("zoneid", zone_id),
                    ("page", &page_s),
                    ("pagesize", &pagesize_s),
                ],
            )
            .await?;
        bytes = body.len();
        let v = inner(&body)?;
        let items = v
            .get("template")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let got = items.len();
        out.extend(items);
        let count = v.get("count").and_then(Value::as_u64).unwrap_or(0) as usize;
        if got < pagesize || out.len() >= count {
            break;
        }
    }
    Ok((out, bytes))
}

/// Makes `n` distinct qcow2 images of `mib` MiB of data each, one per CPU at a time,
/// with their sizes and SHA-256 digests.
async fn make_images(dir: &Path, n: usize, mib: u64) -> Result<Vec<Image>> {
    let workers = std::thread::available_parallelism()
        .map(|c| c.get())
        .unwrap_or(1)
        .min(n);
    let mut tasks = tokio::task::JoinSet::new();
    let mut out: Vec<Option<Image>> = (0..n).map(|_| None).collect();
    let (mut next, mut done) = (0, 0);
    while done < n {
        while next < n && tasks.len() < workers {
            let i = next;
            let dir = dir.to_path_buf();
            tasks.spawn_blocking(move || make_image(&dir, i, mib).map(|img| (i, img)));
            next += 1;
        }
        let (i, image) = tasks
            .join_next()
            .await
            .ok_or_else(|| anyhow!("image making stopped early"))?
            .context("an image task failed")??;
        out[i] = Some(image);
        done += 1;
        if done % 10 == 0 || done == n {
            progress(&format!("  {done}/{n} images"));
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// Image `i`: its data is one byte value (1..=255 from `i`), its first 64 KiB another
/// (from `i / 255`), so no two of the first 65025 images are alike and none is sparse.
fn make_image(dir: &Path, i: usize, mib: u64) -> Result<Image> {
    let name = format!("bench-{i:05}.qcow2");
    let path = dir.join(&name);
    strato_test_host::make_qcow2(&path, mib * MIB).map_err(|e| anyhow!(e))?;
    let bulk = 1 + i % 255;
    let head = 1 + (i / 255) % 255;
    let out = Command::new("qemu-io")
        .args(["-f", "qcow2", "-c"])
        .arg(format!("write -P {bulk:#04x} 0 {mib}M"))
        .arg("-c")
        .arg(format!("write -P {head:#04x} 0 64k"))
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .context("cannot run qemu-io")?;
    if !out.status.success() {
        bail!(
            "qemu-io on {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    // On disk before the measured part starts: no writeback of the sources competes
    // with the server's writes.
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("cannot sync {}", path.display()))?;
    let size = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size < mib * MIB {
        bail!(
            "{} has {size} bytes after writing {mib} MiB: qemu-io wrote nothing? {}",
            path.display(),
            String::from_utf8_lossy(&out.stdout).trim()
        );
    }
    Ok(Image {
        name,
        sha256: sha256_hex(&path)?,
        path,
        size,
    })
}

fn sha256_hex(path: &Path) -> Result<String> {
    let out = Command::new("sha256sum")
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .context("cannot run sha256sum")?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.split_whitespace().next() {
        Some(hex) if out.status.success() && hex.len() == 64 => Ok(hex.to_string()),
        _ => bail!(
            "sha256sum {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

/// Free bytes of the file system holding `dir` (`df`).
fn available_bytes(dir: &Path) -> Result<u64> {
    let out = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .context("cannot run df")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| anyhow!("cannot read the free space of {}", dir.display()))
}

/// Every file under `dir`, recursively.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn count_files(dir: &Path, suffix: &str) -> usize {
    let mut files = Vec::new();
    walk(dir, &mut files);
    files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .count()
}

/// Finished qcow2 files of the store by template uuid (the file name), with sizes.
fn stored_files(dir: &Path) -> HashMap<String, u64> {
    let mut files = Vec::new();
    walk(dir, &mut files);
    files
        .iter()
        .filter_map(|p| {
            let uuid = p.file_name()?.to_str()?.strip_suffix(".qcow2")?.to_string();
            Some((uuid, std::fs::metadata(p).ok()?.len()))
        })
        .collect()
}

/// A concurrent series' JSON without the per-request server CPU (not measured: the
/// downloads ran meanwhile).
fn without_cpu(l: &Latency) -> Value {
    let mut v = l.to_json();
    if let Some(o) = v.as_object_mut() {
        o.remove("server_cpu_ms_per_request");
    }
    v
}

fn mib_per_sec(bytes: u64, took: Duration) -> f64 {
    if took.is_zero() {
        0.0
    } else {
        bytes as f64 / MIB as f64 / took.as_secs_f64()
    }
}

impl TemplatesReport {
    fn throughput(&self) -> f64 {
        mib_per_sec(
            self.total_bytes,
            Duration::from_secs_f64(self.all_ready_secs),
        )
    }

    fn cpus() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    }

    pub fn to_json(&self) -> Value {
        let downloads = json!({
            "first_download_seen_secs": self.first_part_secs,
            "first_ready_secs": self.first_ready_secs,
            "p50_ready_secs": self.p50_ready_secs,
            "p90_ready_secs": self.p90_ready_secs,
            "all_ready_secs": self.all_ready_secs,
            "throughput_mib_per_sec": self.throughput(),
            "max_running_at_once_part_files": self.max_parts,
            "max_in_progress_listed": self.max_in_progress,
            "max_not_started_listed": self.max_not_started,
            "image_service_slots": SERVICE_SLOTS,
            "web_server_full_gets": self.full_gets,
            "web_server_range_gets": self.range_gets,
        });
        let server = json!({
            "rss_mb_before": self.rss_before_mb,
            "hwm_mb_before": self.hwm_before_mb,
            "rss_mb_max_sampled": self.rss_max_sampled_mb,
            "rss_mb_all_ready": self.rss_after_mb,
            "peak_rss_mb": self.hwm_after_mb,
            "rss_mb_idle_after": self.rss_idle_after_mb,
            "cpu_secs": self.server_cpu_secs,
            "cpu_pct_of_one_core": share(
                Duration::from_secs_f64(self.server_cpu_secs),
                Duration::from_secs_f64(self.all_ready_secs)
            ),
            "log_warnings": self.log_warnings,
            "log_pool_timeouts": self.pool_timeouts,
            "copies_whose_end_was_not_recorded": self.unrecorded_ends,
        });
        json!({
            "scenario": "templates",
            "backend": self.backend,
            "templates": self.templates,
            "template_mib": self.template_mib,
            "format": "QCOW2",
            "total_bytes": self.total_bytes,
            "cpus": Self::cpus(),
            "load_average_start": self.load_start,
            "load_average_end": self.load_end,
            "make_images_secs": self.make_images_secs,
            "register": without_cpu(&self.register),
            "register_all_answered_secs": self.register_wall_secs,
            "list_templates_polls": without_cpu(&self.polls),
            "list_templates_idle": self.list_idle.to_json(),
            "downloads": downloads,
            "server": server,
            "checks": {
                "download_complete": self.complete,
                "stored_sizes_match": self.sizes_ok,
                "stored_files": self.stored_files,
                "part_files_left": self.parts_left,
            },
        })
    }

    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut t = String::new();
        let n = self.templates;
        let _ = writeln!(
            t,
            "strato-bench --scenario templates: backend {}, {n} distinct qcow2 templates x {} MiB \
             of data ({} MiB in all) over HTTP from a network namespace, {} CPUs, load average \
             {} -> {}",
            self.backend,
            self.template_mib,
            self.total_bytes / MIB,
            Self::cpus(),
            self.load_start,
            self.load_end
        );
        let _ = writeln!(
            t,
            "  (images made in {:.1} s beforehand, not measured)",
            self.make_images_secs
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "{:<42} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6}",
            "Signed GET", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms", "n"
        );
        for l in [&self.register, &self.polls, &self.list_idle] {
            let _ = writeln!(
                t,
                "  {:<40} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>6}",
                l.label, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.mean_ms, l.n
            );
        }
        let _ = writeln!(
            t,
            "  all {n} registerTemplate answered {:.2} s after the first was sent; \
             listTemplates polled every {} ms + its own time, one at a time",
            self.register_wall_secs,
            POLL.as_millis()
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "Downloads (from the first registerTemplate sent)       seconds"
        );
        let rows = [
            (
                "first download seen running (.part file)".to_string(),
                self.first_part_secs,
            ),
            (
                "first template ready".to_string(),
                Some(self.first_ready_secs),
            ),
            (
                "50 % of the templates ready".to_string(),
                Some(self.p50_ready_secs),
            ),
            (
                "90 % of the templates ready".to_string(),
                Some(self.p90_ready_secs),
            ),
            (
                format!("all {n} ready (isready, Download Complete)"),
                Some(self.all_ready_secs),
            ),
        ];
        for (label, v) in rows {
            let _ = writeln!(
                t,
                "  {label:<50} {:>9}",
                v.map(|s| format!("{s:.2}")).unwrap_or_else(|| "-".into())
            );
        }
        let _ = writeln!(
            t,
            "  (polls start once every registerTemplate has answered: the first two are upper bounds)"
        );
        let _ = writeln!(
            t,
            "  aggregate throughput ({} MiB / all ready)        {:>9.1} MiB/s",
            self.total_bytes / MIB,
            self.throughput()
        );
        let _ = writeln!(
            t,
            "  downloads running at once, most seen (.part files)  {:>9}   (image service slots: {SERVICE_SLOTS})",
            self.max_parts
        );
        let _ = writeln!(
            t,
            "  listed in progress at once, most seen               {:>9}   (claimed: running or waiting for a slot)",
            self.max_in_progress
        );
        let _ = writeln!(
            t,
            "  listed \"Download Not Started\" at once, most seen    {:>9}",
            self.max_not_started
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "Server                                                     MiB"
        );
        let _ = writeln!(
            t,
            "  RSS before the registrations                       {:>9.1}",
            self.rss_before_mb
        );
        let _ = writeln!(
            t,
            "  RSS, highest sample during the run                 {:>9.1}",
            self.rss_max_sampled_mb
        );
        let _ = writeln!(
            t,
            "  RSS when all were ready                            {:>9.1}",
            self.rss_after_mb
        );
        let _ = writeln!(
            t,
            "  peak RSS (VmHWM; {:>5.1} before the run)            {:>9.1}",
            self.hwm_before_mb, self.hwm_after_mb
        );
        let _ = writeln!(
            t,
            "  RSS after {} s idle at the end                      {:>9.1}",
            self.idle_secs, self.rss_idle_after_mb
        );
        let _ = writeln!(
            t,
            "  CPU time until all ready: {:.1} s ({:.0} % of one core)",
            self.server_cpu_secs,
            share(
                Duration::from_secs_f64(self.server_cpu_secs),
                Duration::from_secs_f64(self.all_ready_secs)
            )
        );
        let _ = writeln!(
            t,
            "  WARN/ERROR lines in the server log: {} ({} \"pool timed out\"; {} copies \
             whose end was not recorded and were downloaded again)",
            self.log_warnings, self.pool_timeouts, self.unrecorded_ends
        );
        let _ = writeln!(
            t,
            "  web server: {} whole-file GETs, {} ranged GETs for {n} templates",
            self.full_gets, self.range_gets
        );
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "Checks: {}/{n} Download Complete, {}/{n} stored files of the source's size, \
             {} stored files, {} .part files left",
            self.complete, self.sizes_ok, self.stored_files, self.parts_left
        );
        t
    }
}
