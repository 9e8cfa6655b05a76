//! Primary storage on a KVM host: pools are directories (`Filesystem`: a local path the
//! agent may create; `SharedMountPoint`: a directory some other means mounted on every
//! host of the cluster), volumes are qcow2 files in them.
//!
//! Layout of a pool directory:
//!
//! ```text
//! <pool>/<volume uuid>                          active layer of a volume (qcow2)
//! <pool>/templates/<template uuid>.qcow2        a template, copied once, never written
//! <pool>/snapshots/<volume uuid>/<snap>.qcow2   frozen snapshot layers
//! ```
//!
//! A root volume is a linked clone (`qemu-img create -b template`). A snapshot freezes the
//! volume's current active layer as `snapshots/<vol>/<snap>.qcow2` and puts a fresh
//! overlay on top at the volume's own path, so the path a VM uses never changes and
//! nothing ever writes into a template or an older snapshot. Revert replaces the active
//! layer by a fresh overlay of the snapshot; deleting a snapshot first rebases (safe
//! mode: data copied up) the layers that sit on it.
//!
//! Every handler is idempotent and serialised per file; new files are written under a
//! temporary name and renamed into place, so a timeout or crash never leaves a
//! half-made volume under its real name. These are offline operations: the driver
//! refuses or redirects (to libvirt) those on a disk a running VM holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use strato_agent_proto::{
    AgentError, Answer, AnswerData, ErrorKind, PoolInfo, PoolKind, PoolSpec, Provisioning,
    SnapshotInfo, TemplateRef, VolumeInfo, VolumeRef,
};

use crate::host::fs_space;
use crate::image::{self, ImageError, ImageFormat};
use crate::qcow2;
use crate::qemu_img::{self, Preallocation, QemuImgError};

/// Quick `qemu-img` operations (create, resize, info).
const QUICK: Duration = Duration::from_secs(120);
/// Copies (template into a pool, volume copies, rebases, backups).
const COPY: Duration = Duration::from_secs(6 * 3600);

const TEMPLATES_DIR: &str = "templates";
const SNAPSHOTS_DIR: &str = "snapshots";

/// A mounted pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    pub spec: PoolSpec,
    /// The pool's directory, canonical.
    pub dir: PathBuf,
}

/// The pools this host has mounted, and per-file locks.
#[derive(Default)]
pub struct Storage {
    pools: Mutex<HashMap<String, Pool>>,
    locks: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
    /// The only directories templates and ISOs may be read from (secondary storage
    /// mounts).
    image_roots: Vec<PathBuf>,
}

pub(crate) fn failed(message: impl Into<String>) -> AgentError {
    AgentError::new(ErrorKind::Failed, message)
}

async fn qimg(args: &[std::ffi::OsString], timeout: Duration) -> Result<String, AgentError> {
    qemu_img::run(args, timeout)
        .await
        .map_err(|e: QemuImgError| failed(e.to_string()))
}

pub(crate) fn image_error(e: ImageError) -> AgentError {
    match e {
        ImageError::Refused { .. } => AgentError::invalid_argument(e.to_string()),
        ImageError::Io { .. } => failed(e.to_string()),
    }
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> AgentError {
    failed(format!("cannot {what} {}: {e}", path.display()))
}

/// Uuids become file names: letters, digits, `-`, `_`, `.`; not starting with `.`.
pub fn validate_component(kind: &str, s: &str) -> Result<(), AgentError> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AgentError::invalid_argument(format!(
            "{kind} {s:?} must be 1-128 letters, digits, '-', '_' or '.'"
        )))
    }
}

/// A local path from an absolute path or a `file://` URL.
pub fn local_path(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("file://").unwrap_or(url);
    let path = Path::new(path);
    path.is_absolute().then(|| path.to_path_buf())
}

fn tmp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", uuid::Uuid::new_v4().simple()))
}

/// Removes a temporary file when dropped unless it was renamed into place.
struct TmpFile(Option<PathBuf>);

impl TmpFile {
    fn new(path: PathBuf) -> Self {
        Self(Some(path))
    }

    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn persist(mut self, dest: &Path) -> Result<(), AgentError> {
        let tmp = self.0.take().unwrap_or_default();
        std::fs::rename(&tmp, dest).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io_error("move into place", dest, &e)
        })
    }
}

/// Writes a small file whole: under a temporary name, then renamed into place (a reader
/// sees the old or the new content, never half of it).
pub(crate) fn write_atomic(path: &Path, content: &[u8]) -> Result<(), AgentError> {
    let tmp = TmpFile::new(tmp_name(path));
    std::fs::write(tmp.path(), content).map_err(|e| io_error("write", tmp.path(), &e))?;
    tmp.persist(path)
}

impl Drop for TmpFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The virtual size recorded in a qcow2 file's header.
pub fn virtual_size(path: &Path) -> Result<u64, AgentError> {
    let head = qcow2::read_head(path).map_err(|e| io_error("read", path, &e))?;
    qcow2::parse(&head)
        .map(|h| h.virtual_size)
        .map_err(|e| failed(format!("{}: {e}", path.display())))
}

fn backing_of(path: &Path) -> Result<Option<PathBuf>, AgentError> {
    let head = qcow2::read_head(path).map_err(|e| io_error("read", path, &e))?;
    let header = qcow2::parse(&head).map_err(|e| failed(format!("{}: {e}", path.display())))?;
    Ok(header.backing_file.map(|b| {
        let b = PathBuf::from(b);
        if b.is_absolute() {
            b
        } else {
            path.parent().unwrap_or(Path::new("/")).join(b)
        }
    }))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

impl Storage {
    /// Storage reading templates and ISOs only from `image_roots`.
    pub fn new(image_roots: Vec<PathBuf>) -> Self {
        Self {
            image_roots: image_roots
                .into_iter()
                .map(|r| r.canonicalize().unwrap_or(r))
                .collect(),
            ..Self::default()
        }
    }

    fn lock_for(&self, path: &Path) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        locks.retain(|_, l| Arc::strong_count(l) > 1);
        locks.entry(path.to_path_buf()).or_default().clone()
    }

    /// Every mounted pool.
    pub fn pools(&self) -> Vec<Pool> {
        self.pools
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    pub fn pool(&self, uuid: &str) -> Result<Pool, AgentError> {
        self.pools
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(uuid)
            .cloned()
            .ok_or_else(|| {
                AgentError::not_found(format!("storage pool {uuid} is not mounted on this host"))
            })
    }

    /// `ModifyStoragePool`: registers a directory pool (creating a local one).
    pub async fn modify_pool(&self, spec: PoolSpec) -> Answer {
        validate_component("pool uuid", &spec.uuid)?;
        let dir = PathBuf::from(&spec.path);
        match spec.kind {
            PoolKind::Filesystem | PoolKind::SharedMountPoint => {}
            PoolKind::NetworkFilesystem | PoolKind::Rbd => {
                return Err(AgentError::new(
                    ErrorKind::Unsupported,
                    format!(
                        "the KVM agent mounts no {:?} pools yet: mount it on every host and \
                         add it as SharedMountPoint",
                        spec.kind
                    ),
                ));
            }
        }
        if !dir.is_absolute() {
            return Err(AgentError::invalid_argument(format!(
                "pool path {} must be absolute",
                spec.path
            )));
        }
        if spec.kind == PoolKind::Filesystem {
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| io_error("create pool directory", &dir, &e))?;
        } else if !dir.is_dir() {
            return Err(AgentError::not_found(format!(
                "shared mount point {} does not exist on this host",
                dir.display()
            )));
        }
        let dir = dir
            .canonicalize()
            .map_err(|e| io_error("resolve", &dir, &e))?;
        let pool = Pool {
            spec: spec.clone(),
            dir,
        };
        {
            let mut pools = self.pools.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(existing) = pools.get(&spec.uuid)
                && existing.dir != pool.dir
            {
                return Err(AgentError::invalid_state(format!(
                    "storage pool {} is already mounted at {}",
                    spec.uuid,
                    existing.dir.display()
                )));
            }
            pools.insert(spec.uuid.clone(), pool.clone());
        }
        Ok(AnswerData::Pool(self.pool_info(&pool)?))
    }

    /// Capacity and allocation of a pool.
    pub fn pool_info(&self, pool: &Pool) -> Result<PoolInfo, AgentError> {
        let space = fs_space(&pool.dir).map_err(|e| io_error("measure", &pool.dir, &e))?;
        Ok(PoolInfo {
            pool_uuid: pool.spec.uuid.clone(),
            local_path: pool.dir.display().to_string(),
            capacity_bytes: space.total_bytes,
            available_bytes: space.available_bytes,
            allocated_bytes: allocated_bytes(&pool.dir),
        })
    }

    /// `DeleteStoragePool`: forgets the pool (its files stay).
    pub fn delete_pool(&self, uuid: &str) -> Answer {
        self.pools
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uuid);
        Ok(AnswerData::Done)
    }

    /// The file of a volume (which need not exist).
    pub fn volume_path(&self, v: &VolumeRef) -> Result<PathBuf, AgentError> {
        validate_component("volume uuid", &v.volume_uuid)?;
        Ok(self.pool(&v.pool_uuid)?.dir.join(&v.volume_uuid))
    }

    fn snapshot_path(&self, v: &VolumeRef, snap: &str) -> Result<PathBuf, AgentError> {
        validate_component("snapshot uuid", snap)?;
        Ok(self.snapshot_dir(v)?.join(format!("{snap}.qcow2")))
    }

    fn snapshot_dir(&self, v: &VolumeRef) -> Result<PathBuf, AgentError> {
        validate_component("volume uuid", &v.volume_uuid)?;
        Ok(self
            .pool(&v.pool_uuid)?
            .dir
            .join(SNAPSHOTS_DIR)
            .join(&v.volume_uuid))
    }

    /// A volume that must exist: its path, after checking its whole backing chain stays
    /// in the pool (what the driver calls before QEMU opens it).
    pub fn checked_volume(&self, v: &VolumeRef) -> Result<PathBuf, AgentError> {
        let pool = self.pool(&v.pool_uuid)?;
        let path = self.volume_path(v)?;
        if !path.exists() {
            return Err(volume_not_found(v));
        }
        image::check_chain(&path, &pool.dir).map_err(image_error)?;
        Ok(path)
    }

    fn info(&self, v: &VolumeRef, path: &Path) -> Result<VolumeInfo, AgentError> {
        Ok(VolumeInfo {
            pool_uuid: v.pool_uuid.clone(),
            volume_uuid: v.volume_uuid.clone(),
            path: v.volume_uuid.clone(),
            size_bytes: virtual_size(path)?,
            format: "QCOW2".into(),
        })
    }

    /// Describes an existing volume.
    pub fn volume_info(&self, v: &VolumeRef) -> Result<VolumeInfo, AgentError> {
        let path = self.volume_path(v)?;
        if !path.exists() {
            return Err(volume_not_found(v));
        }
        self.info(v, &path)
    }

    /// Is `path` (canonical) inside one of the image roots? Pools are not: a "template"
    /// pointing into a pool could be another tenant's disk.
    fn readable_image(&self, path: &Path) -> bool {
        self.image_roots.iter().any(|r| path.starts_with(r))
    }

    /// Resolves a template or ISO location to a regular file under an allowed root.
    pub fn resolve_image(&self, what: &str, url: &str) -> Result<PathBuf, AgentError> {
        let path = local_path(url).ok_or_else(|| {
            AgentError::new(
                ErrorKind::Unsupported,
                format!(
                    "{what} location {url:?}: the KVM agent reads images from local paths or \
                     file:// URLs (mount secondary storage and pass --kvm-image-dir)"
                ),
            )
        })?;
        let real = path
            .canonicalize()
            .map_err(|e| AgentError::not_found(format!("{what} {}: {e}", path.display())))?;
        if !self.readable_image(&real) {
            return Err(AgentError::invalid_argument(format!(
                "{what} {} is outside the image directories this agent reads from (--kvm-image-dir)",
                real.display()
            )));
        }
        if !real.is_file() {
            return Err(AgentError::invalid_argument(format!(
                "{what} {} is not a regular file",
                real.display()
            )));
        }
        Ok(real)
    }

    /// The template in the pool, copied there (checked, as a standalone qcow2) on first
    /// use.
    async fn pool_template(&self, pool: &Pool, t: &TemplateRef) -> Result<PathBuf, AgentError> {
        validate_component("template uuid", &t.uuid)?;
        let dir = pool.dir.join(TEMPLATES_DIR);
        let dest = dir.join(format!("{}.qcow2", t.uuid));
        let lock = self.lock_for(&dest);
        let _guard = lock.lock().await;
        if dest.exists() {
            // Copied before; re-check (a pool is writable by others on shared storage).
            image::check_template(&dest, Some("QCOW2")).map_err(image_error)?;
            return Ok(dest);
        }
        let url = t.url.as_deref().ok_or_else(|| {
            AgentError::invalid_argument(format!(
                "template {} is not in pool {} and has no URL to copy it from",
                t.uuid, pool.spec.uuid
            ))
        })?;
        let source = self.resolve_image("template", url)?;
        let checked = image::check_template(&source, t.format.as_deref()).map_err(image_error)?;
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error("create", &dir, &e))?;
        let tmp = TmpFile::new(tmp_name(&dest));
        let started = std::time::Instant::now();
        qimg(
            &qemu_img::convert_args(&source, checked.format.qemu_name(), tmp.path()),
            COPY,
        )
        .await?;
        // The copy is ours now: make sure it is what we think it is before publishing.
        let copy = image::check_template(tmp.path(), Some("QCOW2")).map_err(image_error)?;
        if copy.format != ImageFormat::Qcow2 {
            return Err(failed("template copy is not qcow2"));
        }
        tmp.persist(&dest)?;
        tracing::info!(
            template = %t.uuid,
            pool = %pool.spec.uuid,
            secs = started.elapsed().as_secs_f64(),
            "copied template into the pool"
        );
        Ok(dest)
    }

    /// `PrepareTemplate`: the template copied into the pool now rather than at the first
    /// volume made from it.
    pub async fn prepare_template(&self, pool_uuid: &str, t: &TemplateRef) -> Answer {
        let pool = self.pool(pool_uuid)?;
        self.pool_template(&pool, t).await?;
        Ok(AnswerData::Done)
    }

    /// `CreateVolume`: a linked clone of a template, or an empty qcow2.
    pub async fn create_volume(
        &self,
        v: &VolumeRef,
        size_bytes: u64,
        template: Option<&TemplateRef>,
        provisioning: Option<Provisioning>,
    ) -> Answer {
        let pool = self.pool(&v.pool_uuid)?;
        let path = self.volume_path(v)?;
        let lock = self.lock_for(&path);
        let _guard = lock.lock().await;
        if path.exists() {
            return Ok(AnswerData::Volume(self.info(v, &path)?));
        }
        let tmp = TmpFile::new(tmp_name(&path));
        match template {
            Some(t) => {
                let base = self.pool_template(&pool, t).await?;
                let size = size_bytes.max(virtual_size(&base)?);
                qimg(
                    &qemu_img::create_overlay_args(&base, tmp.path(), size),
                    QUICK,
                )
                .await?;
            }
            None => {
                if size_bytes == 0 {
                    return Err(AgentError::invalid_argument(format!(
                        "volume {} needs a size or a template",
                        v.volume_uuid
                    )));
                }
                if size_bytes > image::MAX_VIRTUAL_SIZE {
                    return Err(AgentError::invalid_argument(format!(
                        "volume {} would be larger than 64 TiB",
                        v.volume_uuid
                    )));
                }
                let prealloc = match provisioning {
                    None | Some(Provisioning::Thin) => Preallocation::Off,
                    Some(Provisioning::Sparse) => Preallocation::Metadata,
                    Some(Provisioning::Fat) => Preallocation::Falloc,
                };
                qimg(
                    &qemu_img::create_args(tmp.path(), size_bytes, prealloc),
                    COPY,
                )
                .await?;
            }
        }
        tmp.persist(&path)?;
        Ok(AnswerData::Volume(self.info(v, &path)?))
    }

    /// `CopyVolume`: a standalone (flattened) qcow2 copy.
    pub async fn copy_volume(&self, src: &VolumeRef, dest: &VolumeRef) -> Answer {
        if src == dest {
            return Err(AgentError::invalid_argument(
                "a volume cannot be copied onto itself",
            ));
        }
        let dest_path = self.volume_path(dest)?;
        let lock = self.lock_for(&dest_path);
        let _guard = lock.lock().await;
        if dest_path.exists() {
            return Ok(AnswerData::Volume(self.info(dest, &dest_path)?));
        }
        let src_path = self.checked_volume(src)?;
        let tmp = TmpFile::new(tmp_name(&dest_path));
        qimg(
            &qemu_img::convert_args(&src_path, "qcow2", tmp.path()),
            COPY,
        )
        .await?;
        tmp.persist(&dest_path)?;
        Ok(AnswerData::Volume(self.info(dest, &dest_path)?))
    }

    /// `DeleteVolume`: the volume and its snapshots (offline: the driver checks first).
    pub async fn delete_volume(&self, v: &VolumeRef) -> Answer {
        let Ok(pool) = self.pool(&v.pool_uuid) else {
            // Not mounted here: nothing of it can be deleted here; a retry after the
            // pool went away succeeds.
            return Ok(AnswerData::Done);
        };
        let path = self.volume_path(v)?;
        let lock = self.lock_for(&path);
        let _guard = lock.lock().await;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("delete", &path, &e)),
        }
        let snaps = pool.dir.join(SNAPSHOTS_DIR).join(&v.volume_uuid);
        match tokio::fs::remove_dir_all(&snaps).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("delete", &snaps, &e)),
        }
        Ok(AnswerData::Done)
    }

    /// `ResizeVolume` of a volume no VM runs with.
    pub async fn resize_volume(&self, v: &VolumeRef, new_size: u64, shrink_ok: bool) -> Answer {
        let path = self.volume_path(v)?;
        let lock = self.lock_for(&path);
        let _guard = lock.lock().await;
        let current = self.volume_info(v)?.size_bytes;
        check_resize(v, current, new_size, shrink_ok)?;
        if new_size != current {
            qimg(
                &qemu_img::resize_args(&path, new_size, new_size < current),
                QUICK,
            )
            .await?;
        }
        Ok(AnswerData::Volume(self.info(v, &path)?))
    }

    fn snapshot_info(
        &self,
        v: &VolumeRef,
        snap: &str,
        path: &Path,
    ) -> Result<SnapshotInfo, AgentError> {
        Ok(SnapshotInfo {
            snapshot_uuid: snap.to_owned(),
            volume_uuid: v.volume_uuid.clone(),
            path: format!("{SNAPSHOTS_DIR}/{}/{snap}.qcow2", v.volume_uuid),
            size_bytes: virtual_size(path)?,
        })
    }

    /// `CreateSnapshot` of a volume no VM runs with: freeze the active layer, put a new
    /// overlay on top.
    pub async fn create_snapshot(&self, v: &VolumeRef, snap: &str) -> Answer {
        let path = self.volume_path(v)?;
        let snap_path = self.snapshot_path(v, snap)?;
        let lock = self.lock_for(&path);
        let _guard = lock.lock().await;
        if snap_path.exists() && !same_inode(&snap_path, &path) {
            return Ok(AnswerData::Snapshot(
                self.snapshot_info(v, snap, &snap_path)?,
            ));
        }
        let _ = self.checked_volume(v)?;
        let dir = self.snapshot_dir(v)?;
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error("create", &dir, &e))?;
        if !snap_path.exists() {
            // A hard link first: if we stop here, a retry sees the same inode and
            // finishes the job instead of answering a snapshot that still changes.
            std::fs::hard_link(&path, &snap_path)
                .map_err(|e| io_error("link snapshot", &snap_path, &e))?;
        }
        let size = virtual_size(&snap_path)?;
        let tmp = TmpFile::new(tmp_name(&path));
        qimg(
            &qemu_img::create_overlay_args(&snap_path, tmp.path(), size),
            QUICK,
        )
        .await?;
        tmp.persist(&path)?;
        Ok(AnswerData::Snapshot(
            self.snapshot_info(v, snap, &snap_path)?,
        ))
    }

    /// The snapshot if it exists (complete), for an idempotent answer.
    pub fn existing_snapshot(
        &self,
        v: &VolumeRef,
        snap: &str,
    ) -> Result<Option<SnapshotInfo>, AgentError> {
        let path = self.volume_path(v)?;
        let snap_path = self.snapshot_path(v, snap)?;
        if snap_path.exists() && !same_inode(&snap_path, &path) {
            return Ok(Some(self.snapshot_info(v, snap, &snap_path)?));
        }
        Ok(None)
    }

    /// Where the driver parks a running disk's writes while its volume file is frozen
    /// for a live snapshot.
    pub fn live_overlay_path(&self, v: &VolumeRef, snap: &str) -> Result<PathBuf, AgentError> {
        validate_component("snapshot uuid", snap)?;
        let path = self.volume_path(v)?;
        Ok(path.with_file_name(format!(".{}.live-{snap}", v.volume_uuid)))
    }

    /// Live snapshot, middle step: the volume file is frozen (a running VM writes to an
    /// overlay), so a plain copy of it (keeping its backing file) is the snapshot.
    pub async fn snapshot_frozen_volume(&self, v: &VolumeRef, snap: &str) -> Answer {
        let path = self.volume_path(v)?;
        let snap_path = self.snapshot_path(v, snap)?;
        let dir = self.snapshot_dir(v)?;
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error("create", &dir, &e))?;
        let tmp = TmpFile::new(tmp_name(&snap_path));
        tokio::fs::copy(&path, tmp.path())
            .await
            .map_err(|e| io_error("copy", &path, &e))?;
        tmp.persist(&snap_path)?;
        Ok(AnswerData::Snapshot(
            self.snapshot_info(v, snap, &snap_path)?,
        ))
    }

    /// `RevertSnapshot` of a volume no VM runs with: a fresh overlay of the snapshot
    /// replaces the active layer.
    pub async fn revert_snapshot(&self, v: &VolumeRef, snap: &str) -> Answer {
        let path = self.volume_path(v)?;
        let snap_path = self.snapshot_path(v, snap)?;
        let lock = self.lock_for(&path);
        let _guard = lock.lock().await;
        if !snap_path.exists() || same_inode(&snap_path, &path) {
            return Err(snapshot_not_found(v, snap));
        }
        let pool = self.pool(&v.pool_uuid)?;
        image::check_chain(&snap_path, &pool.dir).map_err(image_error)?;
        let size = virtual_size(&snap_path)?;
        let tmp = TmpFile::new(tmp_name(&path));
        qimg(
            &qemu_img::create_overlay_args(&snap_path, tmp.path(), size),
            QUICK,
        )
        .await?;
        tmp.persist(&path)?;
        Ok(AnswerData::Volume(self.info(v, &path)?))
    }

    /// Whether the active layer of `v` sits directly on snapshot `snap`.
    pub fn active_layer_uses(&self, v: &VolumeRef, snap: &str) -> Result<bool, AgentError> {
        let path = self.volume_path(v)?;
        let snap_path = self.snapshot_path(v, snap)?;
        Ok(path.exists()
            && snap_path.exists()
            && backing_of(&path)?.is_some_and(|b| same_file(&b, &snap_path)))
    }

    /// `DeleteSnapshot`: the layers on top of it are rebased onto what it sits on, then
    /// it is removed. The driver refuses when a running VM's active layer sits on it.
    pub async fn delete_snapshot(&self, v: &VolumeRef, snap: &str) -> Answer {
        let path = self.volume_path(v)?;
        let snap_path = self.snapshot_path(v, snap)?;
        let lock = self.lock_for(&path);
        let _guard = lock.lock().await;
        if !snap_path.exists() {
            return Ok(AnswerData::Done);
        }
        if same_inode(&snap_path, &path) {
            // A snapshot that never finished: only the link goes.
            std::fs::remove_file(&snap_path).map_err(|e| io_error("delete", &snap_path, &e))?;
            return Ok(AnswerData::Done);
        }
        let below = backing_of(&snap_path)?;
        let mut children = Vec::new();
        if path.exists() && backing_of(&path)?.is_some_and(|b| same_file(&b, &snap_path)) {
            children.push(path.clone());
        }
        let dir = self.snapshot_dir(v)?;
        for entry in std::fs::read_dir(&dir).map_err(|e| io_error("list", &dir, &e))? {
            let other = entry.map_err(|e| io_error("list", &dir, &e))?.path();
            if other != snap_path
                && other.extension().is_some_and(|e| e == "qcow2")
                && backing_of(&other)?.is_some_and(|b| same_file(&b, &snap_path))
            {
                children.push(other);
            }
        }
        for child in &children {
            qimg(&qemu_img::rebase_args(child, below.as_deref()), COPY).await?;
        }
        std::fs::remove_file(&snap_path).map_err(|e| io_error("delete", &snap_path, &e))?;
        Ok(AnswerData::Done)
    }

    /// `BackupSnapshot` to a local directory (`file://` or absolute path): a standalone
    /// qcow2 under `snapshots/<volume>/<snapshot>.qcow2`.
    pub async fn backup_snapshot(&self, v: &VolumeRef, snap: &str, secondary_url: &str) -> Answer {
        let snap_path = self.snapshot_path(v, snap)?;
        if !snap_path.exists() {
            return Err(snapshot_not_found(v, snap));
        }
        let root = local_path(secondary_url).ok_or_else(|| {
            AgentError::new(
                ErrorKind::Unsupported,
                format!(
                    "snapshot backups go to local directories (file://); {secondary_url:?} is not one"
                ),
            )
        })?;
        let rel = format!("{SNAPSHOTS_DIR}/{}/{snap}.qcow2", v.volume_uuid);
        let dest = root.join(&rel);
        let lock = self.lock_for(&dest);
        let _guard = lock.lock().await;
        if !dest.exists() {
            if let Some(dir) = dest.parent() {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| io_error("create", dir, &e))?;
            }
            let tmp = TmpFile::new(tmp_name(&dest));
            qimg(
                &qemu_img::convert_args(&snap_path, "qcow2", tmp.path()),
                COPY,
            )
            .await?;
            tmp.persist(&dest)?;
        }
        let size_bytes = std::fs::metadata(&dest)
            .map_err(|e| io_error("measure", &dest, &e))?
            .len();
        Ok(AnswerData::SnapshotBackup {
            path: rel,
            size_bytes,
        })
    }
}

/// Resize rules shared by the offline and the live path.
pub fn check_resize(
    v: &VolumeRef,
    current: u64,
    new_size: u64,
    shrink_ok: bool,
) -> Result<(), AgentError> {
    if new_size == 0 || (new_size < current && !shrink_ok) {
        return Err(AgentError::invalid_argument(format!(
            "volume {} is {current} bytes; resizing to {new_size} bytes needs shrinkok",
            v.volume_uuid
        )));
    }
    if new_size > image::MAX_VIRTUAL_SIZE {
        return Err(AgentError::invalid_argument(format!(
            "volume {} would be larger than 64 TiB",
            v.volume_uuid
        )));
    }
    Ok(())
}

pub(crate) fn volume_not_found(v: &VolumeRef) -> AgentError {
    AgentError::not_found(format!(
        "volume {} does not exist on pool {}",
        v.volume_uuid, v.pool_uuid
    ))
}

fn snapshot_not_found(v: &VolumeRef, snap: &str) -> AgentError {
    AgentError::not_found(format!(
        "snapshot {snap} of volume {} does not exist",
        v.volume_uuid
    ))
}

/// Sum of the virtual sizes of the volumes directly in a pool directory.
fn allocated_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| virtual_size(&e.path()).ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_urls() {
        assert!(validate_component("v", "0b1a9b4e-8a57").is_ok());
        for bad in ["", "..", "../x", "a/b", ".x", "a b"] {
            assert!(validate_component("v", bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            local_path("file:///srv/t.qcow2"),
            Some("/srv/t.qcow2".into())
        );
        assert_eq!(local_path("/srv/t.qcow2"), Some("/srv/t.qcow2".into()));
        assert_eq!(local_path("http://x/t.qcow2"), None);
        assert_eq!(local_path("nfs://h/p"), None);
        assert_eq!(local_path("relative/t.qcow2"), None);
    }

    #[test]
    fn resize_rules() {
        let v = VolumeRef {
            pool_uuid: "p".into(),
            volume_uuid: "v".into(),
        };
        assert!(check_resize(&v, 10, 20, false).is_ok());
        assert!(check_resize(&v, 10, 10, false).is_ok());
        assert!(check_resize(&v, 10, 5, false).is_err());
        assert!(check_resize(&v, 10, 5, true).is_ok());
        assert!(check_resize(&v, 10, 0, true).is_err());
    }

    #[test]
    fn temporary_files_are_hidden_siblings() {
        let tmp = tmp_name(Path::new("/pool/vol"));
        assert_eq!(tmp.parent(), Some(Path::new("/pool")));
        assert!(
            tmp.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".vol.tmp-"))
        );
    }
}
