//! The image service: puts templates and ISOs into image stores. It replaces
//! CloudStack's secondary storage VM: registration records what should be where
//! (`template_store_ref` rows), and this service downloads, copies or (in Simulator
//! zones) simulates each copy, with progress in the row.
//!
//! The rows are the work queue, so nothing is lost in a crash: a copy whose server died
//! is claimed again once that server's heartbeat is stale, and the download resumes
//! from its `.part` file. Volumes uploaded from a URL or a browser go the same way
//! (`volume_store_ref` rows, see [`StoreCopy`]).

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
use strato_schema::store_copy::{CopyOf, VolumeRefRow};
use strato_schema::template::{TemplateRefRow, TemplateRow, state};
use strato_schema::volume::VolumeRow;
use tokio::sync::Notify;

use crate::Engine;

pub use service::start;

/// State of this server's image service.
#[derive(Default)]
pub struct ImageService {
    wake: Notify,
    /// Copies this server is working on.
    running: Mutex<HashSet<(CopyOf, i64)>>,
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
/// The ready copy of a template (or ISO) in an image store of the zone, if any.
pub async fn ready_copy_in_zone(
    c: &mut Conn<'_>,
    template_id: i64,
    zone_id: i64,
) -> Result<Option<TemplateRefRow>, ApiError> {
    Ok(c.template_refs(&[template_id])
        .await?
        .into_iter()
        .find(|r| r.zone_id == zone_id && r.is_ready()))
}

pub async fn zone_is_simulated(c: &mut Conn<'_>, zone_id: i64) -> Result<bool, ApiError> {
    let filter = ClusterFilter {
        zone_id: Some(zone_id),
        ..ClusterFilter::default()
    };
    let (_, clusters) = c.list_clusters(&filter, Page::ALL).await?;
    Ok(!clusters.is_empty() && clusters.iter().all(|c| c.hypervisor == "Simulator"))
}

/// One copy on an image store, whichever kind: what the image service downloads (or
/// an upload writes) and where it goes.
#[derive(Clone, Debug)]
pub struct StoreCopy {
    pub of: CopyOf,
    /// The copy's row (`template_store_ref` or `volume_store_ref`).
    pub id: i64,
    /// The template's or volume's id and uuid; its owner.
    pub owner_id: i64,
    pub uuid: String,
    pub account_id: i64,
    pub format: String,
    pub checksum: Option<String>,
    pub url: Option<String>,
    pub store_url: String,
    pub simulated: bool,
    /// A copy of another store's copy (templates copied across zones).
    pub source_ref_id: Option<i64>,
}

impl StoreCopy {
    pub fn template(r: &TemplateRefRow, t: &TemplateRow) -> StoreCopy {
        StoreCopy {
            of: CopyOf::Template,
            id: r.id,
            owner_id: t.id,
            uuid: t.uuid.clone(),
            account_id: t.account_id,
            format: t.format.clone(),
            checksum: t.checksum.clone(),
            url: r.source_url.clone().or_else(|| t.url.clone()),
            store_url: r.store_url.clone(),
            simulated: r.simulated,
            source_ref_id: r.source_ref_id,
        }
    }

    pub fn volume(r: &VolumeRefRow, v: &VolumeRow) -> StoreCopy {
        StoreCopy {
            of: CopyOf::Volume,
            id: r.id,
            owner_id: v.id,
            uuid: v.uuid.clone(),
            account_id: v.account_id,
            format: r.format.clone(),
            checksum: r.checksum.clone(),
            url: r.source_url.clone(),
            store_url: r.store_url.clone(),
            simulated: r.simulated,
            source_ref_id: None,
        }
    }

    /// The copy as its row names it now (None once deleted).
    pub async fn load(
        c: &mut Conn<'_>,
        of: CopyOf,
        id: i64,
    ) -> Result<Option<StoreCopy>, ApiError> {
        Ok(match of {
            CopyOf::Template => match c.template_ref_by_id(id).await? {
                Some(r) => c
                    .template_by_id(r.template_id)
                    .await?
                    .map(|t| StoreCopy::template(&r, &t)),
                None => None,
            },
            CopyOf::Volume => match c.volume_ref_by_id(id).await? {
                Some(r) => c
                    .volume_by_id(r.volume_id)
                    .await?
                    .map(|v| StoreCopy::volume(&r, &v)),
                None => None,
            },
        })
    }

    /// Directory of the copy inside its store, as CloudStack lays stores out.
    pub fn relative_dir(&self) -> PathBuf {
        match self.of {
            CopyOf::Template => location::template_dir(self.account_id, self.owner_id),
            CopyOf::Volume => location::volume_dir(self.account_id, self.owner_id),
        }
    }

    /// The directory holding the copy's files.
    pub fn dir(&self) -> Result<PathBuf, String> {
        Ok(location::store_dir(&self.store_url)?.join(self.relative_dir()))
    }

    pub fn file_name(&self) -> String {
        location::file_name(&self.uuid, &self.format)
    }

    /// The file's path relative to the store, as `install_path` records it.
    pub fn install_path(&self) -> String {
        self.relative_dir()
            .join(self.file_name())
            .to_string_lossy()
            .into_owned()
    }

    /// What a simulated store records as the path of a copy that holds no bytes.
    pub fn simulated_path(&self) -> String {
        let dir = match self.of {
            CopyOf::Template => "template/tmpl",
            CopyOf::Volume => "volumes",
        };
        format!("{dir}/simulated/{}", self.owner_id)
    }
}

/// Deletes a copy's files (finished or partial); a missing directory is fine.
pub async fn remove_files(copy: &StoreCopy) {
    if copy.simulated {
        return;
    }
    let Ok(dir) = copy.dir() else {
        return;
    };
    if let Err(e) = tokio::fs::remove_dir_all(&dir).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::error!(dir = %dir.display(), error = %e, "cannot remove image files");
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
