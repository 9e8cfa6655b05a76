//! The image service: puts templates and ISOs into image stores. It replaces
//! CloudStack's secondary storage VM: registration records what should be where
//! (`template_store_ref` rows), and this service downloads, copies or (in Simulator
//! zones) simulates each copy, with progress in the row.
//!
//! The rows are the work queue, so nothing is lost in a crash: a copy whose server died
//! is claimed again once that server's heartbeat is stale, and the download resumes
//! from its `.part` file.

pub mod extract;
pub mod location;
pub mod prepare;
pub mod seed;
mod service;
pub mod upload;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::cluster::ClusterFilter;
use strato_schema::sql::Page;
use strato_schema::template::{TemplateRefRow, TemplateRow, state};
use tokio::sync::Notify;

use crate::Engine;

pub use service::start;

/// State of this server's image service.
#[derive(Default)]
pub struct ImageService {
    wake: Notify,
    /// Copies this server is working on.
    running: Mutex<HashSet<i64>>,
    /// Secret signing extract URLs, loaded at start.
    pub(crate) extract_secret: Mutex<String>,
    /// Base URL of this server's API listener (`http://host:port`), set at start.
    pub(crate) public_base: Mutex<Option<String>>,
}

impl ImageService {
    /// Asks the service to look for new work now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Tells the service where clients reach this server (for extract URLs).
    pub fn set_public_base(&self, base: String) {
        if let Ok(mut slot) = self.public_base.lock() {
            *slot = Some(base);
        }
    }
}

/// CloudStack's rule: a zone whose clusters are all Simulator clusters keeps its image
/// store simulated — URLs are checked but never fetched.
pub async fn zone_is_simulated(c: &mut Conn<'_>, zone_id: i64) -> Result<bool, ApiError> {
    let filter = ClusterFilter {
        zone_id: Some(zone_id),
        ..ClusterFilter::default()
    };
    let (_, clusters) = c.list_clusters(&filter, Page::ALL).await?;
    Ok(!clusters.is_empty() && clusters.iter().all(|c| c.hypervisor == "Simulator"))
}

/// The directory holding a template's files in one store.
pub fn template_dir(r: &TemplateRefRow, t: &TemplateRow) -> Result<PathBuf, String> {
    Ok(location::store_dir(&r.store_url)?.join(location::template_dir(t.account_id, t.id)))
}

/// Deletes a copy's files (finished or partial); a missing directory is fine.
pub async fn remove_files(r: &TemplateRefRow, t: &TemplateRow) {
    if r.simulated {
        return;
    }
    let Ok(dir) = template_dir(r, t) else {
        return;
    };
    if let Err(e) = tokio::fs::remove_dir_all(&dir).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::error!(dir = %dir.display(), error = %e, "cannot remove template files");
    }
}

/// Waits until none of these copies is pending any more; returns their final rows
/// (a deleted copy is left out).
pub async fn wait_for(engine: &Engine, ids: &[i64]) -> Result<Vec<TemplateRefRow>, ApiError> {
    loop {
        let mut rows = Vec::new();
        let mut db = engine.store.acquire().await?;
        for id in ids {
            if let Some(r) = db.c().template_ref_by_id(*id).await? {
                rows.push(r);
            }
        }
        drop(db);
        let pending = rows.iter().any(|r| {
            matches!(
                r.download_state.as_str(),
                state::NOT_DOWNLOADED | state::DOWNLOAD_IN_PROGRESS
            )
        });
        if !pending {
            return Ok(rows);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
