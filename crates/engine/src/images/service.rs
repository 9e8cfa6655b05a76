//! The work loop: claims pending copies and runs each one as a download, a copy from
//! another store, or a simulation.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use strato_common::{ApiError, ErrorCode};
use strato_image_download::{AllowedSites, DownloadRequest, ImageFormat, parse_checksum};
use strato_schema::template::{NewTemplateRef, TemplateRefRow, TemplateRow, state};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::{location, template_dir, zone_is_simulated};
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
    let pending = db.c().pending_template_refs(BATCH).await?;
    let live_since = strato_schema::now() - engine.settings.heartbeat_threshold();
    for r in pending {
        if is_running(engine, r.id) {
            continue;
        }
        // Claim only what can start now: the rest stays free for other servers.
        if running_count(engine) >= SLOTS {
            break;
        }
        if !db
            .c()
            .claim_template_ref(r.id, &engine.msid, live_since, strato_schema::now())
            .await?
        {
            continue;
        }
        if let Ok(mut running) = engine.images.running.lock() {
            running.insert(r.id);
        }
        let engine = engine.clone();
        let slots = slots.clone();
        copies.spawn(async move {
            let permit = slots.acquire_owned().await;
            let id = r.id;
            if let Err(e) = work(&engine, r).await {
                tracing::warn!(copy = id, error = %e, "template copy failed to record its end");
            }
            drop(permit);
            if let Ok(mut running) = engine.images.running.lock() {
                running.remove(&id);
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

fn is_running(engine: &Engine, id: i64) -> bool {
    engine
        .images
        .running
        .lock()
        .map(|r| r.contains(&id))
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
                        .finish_template_ref(
                            id,
                            &simulated_path(template_id),
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
async fn work(engine: &Engine, r: TemplateRefRow) -> Result<(), ApiError> {
    let t = {
        let mut db = engine.store.acquire().await?;
        db.c().template_by_id(r.template_id).await?
    };
    let Some(t) = t else {
        return Ok(());
    };
    let outcome = if r.simulated {
        simulate(engine, &r).await
    } else if let Some(source) = r.source_ref_id {
        copy_from(engine, &r, &t, source).await
    } else {
        download(engine, &r, &t).await
    };
    if let Err(reason) = &outcome {
        tracing::warn!(template = %t.uuid, store = %r.store_name, %reason, "template copy failed");
    }
    // The bytes are in place (or the failure is known): a database hiccup must not send
    // the copy back to the queue to be fetched again, so the end is recorded patiently.
    let mut attempt = 0;
    let recorded = loop {
        match record(engine, &r, &t, &outcome).await {
            Ok(recorded) => break recorded,
            Err(e) if attempt < RECORD_ATTEMPTS => {
                attempt += 1;
                tracing::warn!(copy = r.id, error = %e, attempt, "cannot record a copy's end yet");
                tokio::time::sleep(Duration::from_secs(2 * attempt)).await;
            }
            Err(e) => return Err(e),
        }
    };
    // Deleted while we worked: the bytes belong to nobody.
    if !recorded {
        super::remove_files(&r, &t).await;
    }
    Ok(())
}

/// Writes a copy's outcome; false when the copy was deleted (or refused) meanwhile.
async fn record(
    engine: &Engine,
    r: &TemplateRefRow,
    t: &TemplateRow,
    outcome: &Result<Done, String>,
) -> Result<bool, ApiError> {
    let now = strato_schema::now();
    match outcome {
        Ok(done) => finish(engine, r, t, done, now).await,
        Err(reason) => Ok(engine
            .store
            .acquire()
            .await?
            .c()
            .fail_template_ref(r.id, state::DOWNLOAD_ERROR, reason, now)
            .await?),
    }
}

/// Records a finished copy and counts its bytes as the owner's secondary storage, in
/// one transaction. Returns false when the copy was deleted meanwhile, or failed because
/// it would exceed the owner's secondary storage limit.
async fn finish(
    engine: &Engine,
    r: &TemplateRefRow,
    t: &TemplateRow,
    done: &Done,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, ApiError> {
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let bytes = [(ResourceType::SecondaryStorage, done.physical_size)];
    match limits::reserve(&mut c, t.account_id, &bytes).await {
        Ok(()) => {
            if !c
                .finish_template_ref(r.id, &done.path, done.size, done.physical_size, now)
                .await?
            {
                // Rolled back: nothing stays counted.
                return Ok(false);
            }
        }
        Err(e) if e.code == ErrorCode::ResourceAllocation => {
            c.fail_template_ref(r.id, state::DOWNLOAD_ERROR, &e.text, now)
                .await?;
            tx.commit().await?;
            return Ok(false);
        }
        Err(e) => return Err(e),
    }
    tx.commit().await?;
    Ok(true)
}

struct Done {
    /// Relative to the store's directory.
    path: String,
    size: i64,
    physical_size: i64,
}

async fn simulate(engine: &Engine, r: &TemplateRefRow) -> Result<Done, String> {
    for pct in [30, 70] {
        let mut db = engine.store.acquire().await.map_err(|e| e.to_string())?;
        let _ = db
            .c()
            .set_template_ref_progress(r.id, pct, strato_schema::now())
            .await;
        drop(db);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Done {
        path: simulated_path(r.template_id),
        size: SIMULATED_SIZE,
        physical_size: SIMULATED_SIZE,
    })
}

/// Writes download progress to the row at most every [`PROGRESS_EVERY`].
fn progress_writer(
    engine: &Engine,
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
                    .set_template_ref_progress(ref_id, pct, strato_schema::now())
                    .await;
            }
            tokio::time::sleep(PROGRESS_EVERY).await;
        }
    });
    (tx, task)
}

async fn download(engine: &Engine, r: &TemplateRefRow, t: &TemplateRow) -> Result<Done, String> {
    let url = r
        .source_url
        .as_deref()
        .or(t.url.as_deref())
        .ok_or("the template has no URL to download from")?;
    let url = url::Url::parse(url).map_err(|e| format!("bad URL {url}: {e}"))?;
    let format: ImageFormat = t.format.parse()?;
    let checksum = t.checksum.as_deref().map(parse_checksum).transpose()?;
    let allowed_sites =
        AllowedSites::parse(&engine.settings.get("secstorage.allowed.internal.sites"))
            .map_err(|e| format!("secstorage.allowed.internal.sites: {e}"))?;
    let dir = template_dir(r, t)?;
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = location::file_name(&t.uuid, &t.format);
    let (tx, writer) = progress_writer(engine, r.id);
    let result = strato_image_download::download(
        DownloadRequest {
            url,
            dest_dir: dir.clone(),
            name: name.clone(),
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
        path: relative(&location::template_dir(t.account_id, t.id).join(name)),
        size: i64::try_from(done.virtual_size).unwrap_or(i64::MAX),
        physical_size: i64::try_from(done.physical_size).unwrap_or(i64::MAX),
    })
}

/// Copies a ready copy from another store (another zone's) into this one.
async fn copy_from(
    engine: &Engine,
    r: &TemplateRefRow,
    t: &TemplateRow,
    source_id: i64,
) -> Result<Done, String> {
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
    let rel =
        location::template_dir(t.account_id, t.id).join(location::file_name(&t.uuid, &t.format));
    let to = location::store_dir(&r.store_url)?.join(&rel);
    let part = to.with_extension("part");
    let (tx, writer) = progress_writer(engine, r.id);
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
        path: relative(&rel),
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

fn simulated_path(template_id: i64) -> String {
    format!("template/tmpl/simulated/{template_id}")
}

fn relative(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
