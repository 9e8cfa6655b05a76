//! The work loop: claims pending copies (templates' and uploaded volumes') and runs each
//! one as a download, a copy from another store, or a simulation.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use strato_common::{ApiError, ErrorCode};
use strato_image_download::{AllowedSites, DownloadRequest, ImageFormat, parse_checksum};
use strato_schema::store_copy::CopyOf;
use strato_schema::template::{NewTemplateRef, state};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::{StoreCopy, location, zone_is_simulated};
use crate::Engine;
use crate::limits::{self, ResourceType};

/// Copies worked on at once by one server; downloads stream, so this bounds sockets and
/// disk bandwidth rather than memory.
const SLOTS: usize = 16;
/// Pending copies looked at per pass.
const BATCH: i64 = 64;
/// Sizes a simulated copy reports (CloudStack's simulator reports fixed sizes too).
const SIMULATED_SIZE: i64 = 2 * 1024 * 1024 * 1024;
/// Tries to record a copy's end before giving up (the row then stays claimed).
const RECORD_ATTEMPTS: u64 = 5;
/// How often progress is written to the database at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Starts the image service loop. Aborting the returned task aborts the copies it
/// runs too (they live in its `JoinSet`), as a process exit would.
pub fn start(engine: &Engine) -> tokio::task::JoinHandle<()> {
    let engine = engine.clone();
    tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(SLOTS));
        let mut copies = JoinSet::new();
        loop {
            while copies.try_join_next().is_some() {}
            if let Err(e) = pass(&engine, &slots, &mut copies).await {
                tracing::warn!(error = %e, "image service pass failed");
            }
            let _ =
                tokio::time::timeout(Duration::from_secs(1), engine.images.wake.notified()).await;
        }
    })
}

async fn pass(
    engine: &Engine,
    slots: &Arc<Semaphore>,
    copies: &mut JoinSet<()>,
) -> Result<(), ApiError> {
    add_cross_zone_copies(engine).await?;
    let mut db = engine.store.acquire().await?;
    let now = strato_schema::now();
    let timeout = chrono::Duration::minutes(engine.settings.i64("upload.operation.timeout").max(1));
    db.c().abandon_stale_uploads(now - timeout, now).await?;
    let mut pending: Vec<(CopyOf, i64)> = db
        .c()
        .pending_template_refs(BATCH)
        .await?
        .iter()
        .map(|r| (CopyOf::Template, r.id))
        .collect();
    pending.extend(
        db.c()
            .pending_volume_refs(BATCH)
            .await?
            .iter()
            .map(|r| (CopyOf::Volume, r.id)),
    );
    let live_since = strato_schema::now() - engine.settings.heartbeat_threshold();
    for key in pending {
        if is_running(engine, key) {
            continue;
        }
        // Claim only what can start now: the rest stays free for other servers.
        if running_count(engine) >= SLOTS {
            break;
        }
        let (of, id) = key;
        if !db
            .c()
            .claim_copy(of, id, &engine.msid, live_since, strato_schema::now())
            .await?
        {
            continue;
        }
        if let Ok(mut running) = engine.images.running.lock() {
            running.insert(key);
        }
        let engine = engine.clone();
        let slots = slots.clone();
        copies.spawn(async move {
            let permit = slots.acquire_owned().await;
            if let Err(e) = work(&engine, of, id).await {
                tracing::warn!(copy = id, ?of, error = %e, "image copy failed to record its end");
            }
            drop(permit);
            if let Ok(mut running) = engine.images.running.lock() {
                running.remove(&key);
            }
        });
    }
    Ok(())
}

fn running_count(engine: &Engine) -> usize {
    engine
        .images
        .running
        .lock()
        .map(|r| r.len())
        .unwrap_or(SLOTS)
}

fn is_running(engine: &Engine, key: (CopyOf, i64)) -> bool {
    engine
        .images
        .running
        .lock()
        .map(|r| r.contains(&key))
        .unwrap_or(false)
}

/// Image stores added after a cross-zone template was registered get a copy too.
async fn add_cross_zone_copies(engine: &Engine) -> Result<(), ApiError> {
    let mut db = engine.store.acquire().await?;
    let missing = db.c().missing_cross_zone_refs().await?;
    for (template_id, store_id, zone_id) in missing {
        let simulated = zone_is_simulated(&mut db.c(), zone_id).await?;
        let Some(t) = db.c().template_by_id(template_id).await? else {
            continue;
        };
        // The built-in Simulator template is ready at once in Simulator zones and
        // does not exist elsewhere, as in CloudStack's simulator builds.
        if t.template_type == "BUILTIN" && t.hypervisor == "Simulator" && !simulated {
            continue;
        }
        let builtin = simulated && t.template_type == "BUILTIN";
        // One transaction, so a built-in copy is never seen unfinished.
        let mut tx = engine.store.begin().await?;
        let inserted = tx
            .c()
            .insert_template_ref(
                &NewTemplateRef {
                    template_id,
                    store_id,
                    zone_id,
                    simulated,
                    // In progress, not pending: finished just below, never claimed.
                    download_state: if builtin {
                        state::DOWNLOAD_IN_PROGRESS
                    } else {
                        state::NOT_DOWNLOADED
                    },
                    source_url: t.url.as_deref(),
                    source_ref_id: None,
                },
                strato_schema::now(),
            )
            .await;
        match inserted {
            // Built-in templates need no download in a simulated store.
            Ok(id) => {
                if builtin {
                    tx.c()
                        .finish_copy(
                            CopyOf::Template,
                            id,
                            &format!("template/tmpl/simulated/{template_id}"),
                            SIMULATED_SIZE,
                            SIMULATED_SIZE,
                            strato_schema::now(),
                        )
                        .await?;
                }
                tx.commit().await?;
            }
            // Another server may have added the same copy first.
            Err(e) if e.is_unique_violation() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Runs one claimed copy to its end and records the outcome.
async fn work(engine: &Engine, of: CopyOf, id: i64) -> Result<(), ApiError> {
    let copy = {
        let mut db = engine.store.acquire().await?;
        StoreCopy::load(&mut db.c(), of, id).await?
    };
    let Some(copy) = copy else {
        return Ok(());
    };
    let outcome = if copy.simulated {
        simulate(engine, &copy).await
    } else if let Some(source) = copy.source_ref_id {
        copy_from(engine, &copy, source).await
    } else {
        download(engine, &copy).await
    };
    if let Err(reason) = &outcome {
        tracing::warn!(uuid = %copy.uuid, ?of, %reason, "image copy failed");
    }
    // The bytes are in place (or the failure is known): a database hiccup must not send
    // the copy back to the queue to be fetched again, so the end is recorded patiently.
    let mut attempt = 0;
    let recorded = loop {
        match record(engine, &copy, &outcome, state::DOWNLOAD_ERROR).await {
            Ok(recorded) => break recorded,
            Err(e) if attempt < RECORD_ATTEMPTS => {
                attempt += 1;
                tracing::warn!(copy = id, error = %e, attempt, "cannot record a copy's end yet");
                tokio::time::sleep(Duration::from_secs(2 * attempt)).await;
            }
            Err(e) => return Err(e),
        }
    };
    // Deleted while we worked: the bytes belong to nobody.
    if !recorded {
        super::remove_files(&copy).await;
    }
    Ok(())
}

/// Writes a copy's outcome (a failure ends in `error_state`); false when the copy was
/// deleted (or refused) meanwhile.
pub(super) async fn record(
    engine: &Engine,
    copy: &StoreCopy,
    outcome: &Result<Done, String>,
    error_state: &str,
) -> Result<bool, ApiError> {
    let now = strato_schema::now();
    match outcome {
        Ok(done) => finish(engine, copy, done, error_state, now).await,
        Err(reason) => Ok(engine
            .store
            .acquire()
            .await?
            .c()
            .fail_copy(copy.of, copy.id, error_state, reason, now)
            .await?),
    }
}

/// Records a finished copy and counts its bytes as the owner's secondary storage, in
/// one transaction. Returns false when the copy was deleted meanwhile, or failed because
/// it would exceed the owner's secondary storage limit.
async fn finish(
    engine: &Engine,
    copy: &StoreCopy,
    done: &Done,
    error_state: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, ApiError> {
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let bytes = [(ResourceType::SecondaryStorage, done.physical_size)];
    match limits::reserve(&mut c, copy.account_id, &bytes).await {
        Ok(()) => {
            if !c
                .finish_copy(
                    copy.of,
                    copy.id,
                    &done.path,
                    done.size,
                    done.physical_size,
                    now,
                )
                .await?
            {
                // Rolled back: nothing stays counted.
                return Ok(false);
            }
        }
        Err(e) if e.code == ErrorCode::ResourceAllocation => {
            c.fail_copy(copy.of, copy.id, error_state, &e.text, now)
                .await?;
            tx.commit().await?;
            return Ok(false);
        }
        Err(e) => return Err(e),
    }
    tx.commit().await?;
    Ok(true)
}

/// A copy whose bytes are in place.
pub(super) struct Done {
    /// Relative to the store's directory.
    pub path: String,
    pub size: i64,
    pub physical_size: i64,
}

impl Done {
    /// What a simulated store records.
    pub fn simulated(copy: &StoreCopy) -> Done {
        Done {
            path: copy.simulated_path(),
            size: SIMULATED_SIZE,
            physical_size: SIMULATED_SIZE,
        }
    }
}

async fn simulate(engine: &Engine, copy: &StoreCopy) -> Result<Done, String> {
    for pct in [30, 70] {
        let mut db = engine.store.acquire().await.map_err(|e| e.to_string())?;
        let _ = db
            .c()
            .set_copy_progress(copy.of, copy.id, pct, strato_schema::now())
            .await;
        drop(db);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Done::simulated(copy))
}

/// Writes download progress to the row at most every [`PROGRESS_EVERY`].
fn progress_writer(
    engine: &Engine,
    of: CopyOf,
    ref_id: i64,
) -> (watch::Sender<i32>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = watch::channel(0);
    let engine = engine.clone();
    let task = tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let pct = *rx.borrow_and_update();
            if let Ok(mut db) = engine.store.acquire().await {
                let _ = db
                    .c()
                    .set_copy_progress(of, ref_id, pct, strato_schema::now())
                    .await;
            }
            tokio::time::sleep(PROGRESS_EVERY).await;
        }
    });
    (tx, task)
}

async fn download(engine: &Engine, copy: &StoreCopy) -> Result<Done, String> {
    let url = copy
        .url
        .as_deref()
        .ok_or("the image has no URL to download from")?;
    let url = url::Url::parse(url).map_err(|e| format!("bad URL {url}: {e}"))?;
    let format: ImageFormat = copy.format.parse()?;
    let checksum = copy.checksum.as_deref().map(parse_checksum).transpose()?;
    let allowed_sites =
        AllowedSites::parse(&engine.settings.get("secstorage.allowed.internal.sites"))
            .map_err(|e| format!("secstorage.allowed.internal.sites: {e}"))?;
    let dir = copy.dir()?;
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (tx, writer) = progress_writer(engine, copy.of, copy.id);
    let result = strato_image_download::download(
        DownloadRequest {
            url,
            dest_dir: dir.clone(),
            name: copy.file_name(),
            format,
            checksum,
            allowed_sites,
            options: Default::default(),
        },
        move |p| {
            if let Some(total) = p.total.filter(|t| *t > 0) {
                // 99% at most until the image is verified.
                let pct = (p.done.saturating_mul(100) / total).min(99);
                let _ = tx.send(i32::try_from(pct).unwrap_or(99));
            }
        },
    )
    .await;
    writer.abort();
    let done = result.map_err(|e| e.to_string())?;
    Ok(Done {
        path: copy.install_path(),
        size: i64::try_from(done.virtual_size).unwrap_or(i64::MAX),
        physical_size: i64::try_from(done.physical_size).unwrap_or(i64::MAX),
    })
}

/// Copies a ready copy from another store (another zone's) into this one.
async fn copy_from(engine: &Engine, copy: &StoreCopy, source_id: i64) -> Result<Done, String> {
    let source = {
        let mut db = engine.store.acquire().await.map_err(|e| e.to_string())?;
        db.c()
            .template_ref_by_id(source_id)
            .await
            .map_err(|e| e.to_string())?
    }
    .filter(|s| s.is_ready())
    .ok_or("the source copy is gone or no longer ready")?;
    let from = location::store_dir(&source.store_url)?.join(
        source
            .install_path
            .as_deref()
            .ok_or("the source copy has no file")?,
    );
    let rel = copy.install_path();
    let to = location::store_dir(&copy.store_url)?.join(&rel);
    let part = to.with_extension("part");
    let (tx, writer) = progress_writer(engine, copy.of, copy.id);
    let result = copy_file(&from, &part, &tx).await;
    writer.abort();
    let result = match result {
        Ok(n) => tokio::fs::rename(&part, &to)
            .await
            .map(|()| n)
            .map_err(|e| format!("cannot finish {}: {e}", to.display())),
        Err(e) => Err(e),
    };
    if result.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    let physical = result?;
    Ok(Done {
        path: rel,
        size: source.size.unwrap_or(physical),
        physical_size: physical,
    })
}

/// Streams `from` into `to` (created), reporting progress; returns the bytes copied.
async fn copy_file(from: &Path, to: &Path, progress: &watch::Sender<i32>) -> Result<i64, String> {
    use tokio::io::AsyncReadExt;
    if let Some(dir) = to.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut src = tokio::fs::File::open(from)
        .await
        .map_err(|e| format!("cannot open {}: {e}", from.display()))?;
    let total = src.metadata().await.map(|m| m.len()).unwrap_or(0);
    let mut dst = tokio::fs::File::create(to)
        .await
        .map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut done: u64 = 0;
    loop {
        let n = src
            .read(&mut buf)
            .await
            .map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n])
            .await
            .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
        done += n as u64;
        if let Some(pct) = (done * 100).checked_div(total) {
            let _ = progress.send(i32::try_from(pct).unwrap_or(99).min(99));
        }
    }
    dst.sync_all()
        .await
        .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    i64::try_from(done).map_err(|_| "file too large".to_string())
}
