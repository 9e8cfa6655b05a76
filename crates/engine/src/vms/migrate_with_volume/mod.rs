//! migrateVirtualMachineWithVolume: a running VM moves to another host and some of its
//! volumes to other pools at the same time (storage motion: the hypervisor copies the
//! disks while the VM runs); a stopped VM only has its volumes copied.
//!
//! The saga holds the target host's capacity and the destination pools' bytes next to
//! the source's (taken in the transaction that chooses the host), creates the
//! destination volumes, migrates (undone by migrating back), points the records at the
//! destinations, and only then gives the source's capacity back and deletes the source
//! copies. A failure at any step leaves the VM and its volumes where they were.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use strato_agent_proto::{Command, VolumeMigration};
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::{ApiError, ErrorCode};
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};
use strato_schema::Conn;
use strato_schema::host::HostRow;
use strato_schema::placement::PoolCandidate;
use strato_schema::vm::VmRow;
use strato_schema::volume::VolumeView;

use super::migrate::{self, Target};
use super::{bad_state, host_ops, planner, view, vm_record};
use crate::sagas::{self, EngineSaga};
use crate::volumes::{migrate as volume_migrate, storage};
use crate::{Ctx, Engine};

/// One volume of the VM and the pool it goes to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VolumeMove {
    pub volume_id: i64,
    pub volume_uuid: String,
    pub size: i64,
    pub src_pool: i64,
    pub src_pool_uuid: String,
    pub dest_pool: i64,
    pub dest_pool_uuid: String,
}

impl VolumeMove {
    /// The move as an agent sees it.
    pub fn migration(&self) -> VolumeMigration {
        VolumeMigration {
            src: storage::volume_ref(&self.src_pool_uuid, &self.volume_uuid),
            dest: storage::volume_ref(&self.dest_pool_uuid, &self.volume_uuid),
        }
    }

    /// The way back.
    fn reversed(&self) -> VolumeMigration {
        let m = self.migration();
        VolumeMigration {
            src: m.dest,
            dest: m.src,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MigrateWithVolumeParams {
    pub vm_id: i64,
    pub zone_id: i64,
    /// The VM runs (host and volumes move) rather than being stopped (volumes only).
    pub live: bool,
    /// The admin's choice of host for a running VM; the planner picks one otherwise.
    pub host_id: Option<i64>,
    pub moves: Vec<VolumeMove>,
}

impl MigrateWithVolumeParams {
    fn vm_state(&self) -> &'static str {
        if self.live { "Running" } else { "Stopped" }
    }
}

pub struct MigrateVmWithVolume;

impl Saga for MigrateVmWithVolume {
    const NAME: &'static str = "migrate-vm-with-volume";
    type Params = MigrateWithVolumeParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        step!("mark_migrating", mark_migrating, unmark_migrating),
        step!("reserve_target", reserve_target, release_target),
        step!(
            "create_dest_volumes",
            create_dest_volumes,
            delete_dest_volumes
        ),
        step!("prepare_target", prepare_target),
        step!("migrate", migrate, migrate_back),
        step!("switch_over", switch_over, switch_back),
        step!("release_source", release_source),
    ];
}

impl EngineSaga for MigrateVmWithVolume {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("mark_migrating").map_err(|e| e.0)?;
            view::vm_reply(engine, id).await
        })
    }
}

/// The VM and the moving volumes become Migrating (nothing else may start, stop or
/// touch them meanwhile).
async fn mark_migrating(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if !c
        .set_vm_state(p.vm_id, &[p.vm_state(), "Migrating"], "Migrating")
        .await?
    {
        return Err(bad_state(&vm_record(&mut c, p.vm_id).await?, "migrate"));
    }
    for m in &p.moves {
        if !c
            .set_volume_state(m.volume_id, &["Ready", "Migrating"], "Migrating")
            .await?
        {
            return Err(ApiError::param(format!(
                "Volume {} is no longer Ready (parameter migrateto)",
                m.volume_uuid
            )));
        }
    }
    tx.commit().await?;
    Ok(p.vm_id)
}

async fn unmark_migrating(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    c.set_vm_state(p.vm_id, &["Migrating"], p.vm_state())
        .await?;
    for m in &p.moves {
        c.set_volume_state(m.volume_id, &["Migrating"], "Ready")
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// CloudStack's InsufficientStorageCapacityException.
const NO_STORAGE: i32 = 4340;

/// Chooses the target host of a running VM (the planner, with the root volume where
/// it will be) and takes its capacity and the destination pools' bytes, in one
/// transaction. Output: the target, `None` for a stopped VM.
async fn reserve_target(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<Option<Target>, ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let target = if p.live {
        Some(choose_host(&mut c, engine, p).await?)
    } else {
        None
    };
    let factor = engine
        .settings
        .f64("storage.overprovisioning.factor")
        .max(0.1);
    for m in &p.moves {
        if !c.reserve_pool_capacity(m.dest_pool, m.size, factor).await? {
            return Err(ApiError::new(
                ErrorCode::InsufficientCapacity,
                Some(NO_STORAGE),
                format!(
                    "Storage pool {} has no room for volume {} (parameter migrateto)",
                    m.dest_pool_uuid, m.volume_uuid
                ),
            ));
        }
    }
    tx.commit().await?;
    Ok(target)
}

/// The host the running VM goes to, its capacity held there; every volume of the VM
/// must be reachable from it where it will be.
async fn choose_host(
    c: &mut Conn<'_>,
    engine: &Engine,
    p: &MigrateWithVolumeParams,
) -> Result<Target, ApiError> {
    let v = vm_record(c, p.vm_id).await?;
    let (Some(source_id), Some(source_guid)) = (v.host_id, v.host_guid.clone()) else {
        return Err(bad_state(&v, "migrate"));
    };
    let mut req = planner::vm_request(c, &v, p.host_id, v.host_id).await?;
    let target_pool = |pool: Option<i64>, volume: i64| {
        p.moves
            .iter()
            .find(|m| m.volume_id == volume)
            .map(|m| m.dest_pool)
            .or(pool)
    };
    req.root.pool_id = target_pool(req.root.pool_id, req.root.id);
    if let Some(root_pool) = req.root.pool_id {
        let pool = storage_pool(c, root_pool).await?;
        req.local_storage = pool.scope == "HOST";
    }
    let placed = planner::reserve(c, engine, v.id, &req).await?;
    for vol in c.volumes_of_vms(&[v.id]).await? {
        let Some(pool_id) = target_pool(vol.pool_id, vol.id) else {
            continue;
        };
        let pool = storage_pool(c, pool_id).await?;
        let reached = match pool.scope.as_str() {
            "ZONE" => true,
            "CLUSTER" => pool.cluster_id.is_some() && pool.cluster_id == placed.host.cluster_id,
            _ => pool.host_id == Some(placed.host.id),
        };
        if !reached {
            return Err(ApiError::param(format!(
                "Host {} cannot reach storage pool {} of volume {}: give the volume a pool \
                 the host reaches (parameter migrateto)",
                placed.host.name, pool.name, vol.uuid
            )));
        }
    }
    Ok(Target {
        source_id,
        source_guid,
        host_id: placed.host.id,
        host_guid: placed.host.guid,
    })
}

async fn storage_pool(c: &mut Conn<'_>, id: i64) -> Result<PoolCandidate, ApiError> {
    c.pool_candidate(id)
        .await?
        .ok_or_else(|| ApiError::internal("the storage pool is gone"))
}

async fn release_target(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let target: Option<Target> = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if let Some(t) = target {
        c.release_host_capacity(p.vm_id, Some(t.host_id)).await?;
    }
    for m in &p.moves {
        c.release_pool_capacity(m.dest_pool, m.size).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A running VM's destination volumes are created empty on the target host (the
/// migration fills them); a stopped VM's are copies. Output: their paths, in `moves`
/// order.
async fn create_dest_volumes(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<Vec<String>, ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let target: Option<Target> = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let mut paths = Vec::with_capacity(p.moves.len());
    for m in &p.moves {
        let path = match &target {
            Some(t) => {
                let pool = storage::pool(engine, m.dest_pool).await?;
                let host = storage::host_for(engine, p.zone_id, &pool, Some(&t.host_guid)).await?;
                let answer = host_ops::call(
                    engine,
                    &host,
                    Command::CreateVolume {
                        pool_uuid: m.dest_pool_uuid.clone(),
                        volume_uuid: m.volume_uuid.clone(),
                        size_bytes: u64::try_from(m.size).unwrap_or(0),
                        template: None,
                        provisioning: None,
                    },
                )
                .await?;
                storage::volume_answer(answer, "CreateVolume")?.0
            }
            None => {
                volume_migrate::copy_between(
                    engine,
                    p.zone_id,
                    &m.volume_uuid,
                    m.src_pool,
                    m.dest_pool,
                )
                .await?
            }
        };
        paths.push(path);
    }
    Ok(paths)
}

async fn delete_dest_volumes(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    for m in &p.moves {
        volume_migrate::delete_on(ctx.context(), p.zone_id, &m.volume_uuid, m.dest_pool).await?;
    }
    Ok(())
}

async fn prepare_target(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let target: Option<Target> = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    match target {
        Some(t) => migrate::prepare_on(ctx.context(), p.vm_id, &t.host_guid, &p.moves).await,
        None => Ok(()),
    }
}

async fn migrate(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let target: Option<Target> = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let Some(t) = target else {
        return Ok(());
    };
    let map = p.moves.iter().map(VolumeMove::migration).collect();
    migrate::migrate_on(ctx.context(), p.vm_id, &t.source_guid, &t.host_guid, map).await
}

/// The VM goes back to the source host, its disks back to the source volumes (still
/// there: they are deleted only by the last step).
async fn migrate_back(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let target: Option<Target> = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let Some(t) = target else {
        return Ok(());
    };
    migrate::prepare_on(engine, p.vm_id, &t.source_guid, &[]).await?;
    let map = p.moves.iter().map(VolumeMove::reversed).collect();
    migrate::migrate_on(engine, p.vm_id, &t.host_guid, &t.source_guid, map).await
}

/// The records follow: the VM is on the target host, the volumes on their new pools
/// (still Migrating; a replay finds them moved).
async fn switch_over(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let target: Option<Target> = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if let Some(t) = target {
        let host = c
            .host_by_id(t.host_id)
            .await?
            .ok_or_else(|| ApiError::internal("the target host is gone"))?;
        c.set_vm_host(p.vm_id, Some((host.id, host.pod_id, host.cluster_id)))
            .await?;
    }
    for m in &p.moves {
        c.move_volume(m.volume_id, m.src_pool, m.dest_pool, "Migrating")
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn switch_back(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let target: Option<Target> = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if let Some(t) = target {
        let host = c
            .host_by_id(t.source_id)
            .await?
            .ok_or_else(|| ApiError::internal("the source host is gone"))?;
        c.set_vm_host(p.vm_id, Some((host.id, host.pod_id, host.cluster_id)))
            .await?;
    }
    for m in &p.moves {
        c.move_volume(m.volume_id, m.dest_pool, m.src_pool, "Migrating")
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Last: the source host's capacity and pools' bytes are given back, the VM and its
/// volumes leave Migrating, and the source copies are deleted. A source copy that
/// cannot be deleted does not undo a finished migration: it is logged and left.
async fn release_source(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let target: Option<Target> = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let paths: Vec<String> = ctx.lookup("create_dest_volumes").map_err(|e| e.0)?;
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    if let Some(t) = &target {
        c.release_host_capacity(p.vm_id, Some(t.source_id)).await?;
    }
    for (m, path) in p.moves.iter().zip(&paths) {
        // Once only: a replay finds the volume Ready and its bytes given back.
        if c.set_volume_state(m.volume_id, &["Migrating"], "Ready")
            .await?
        {
            c.release_pool_capacity(m.src_pool, m.size).await?;
            c.volume_ready(m.volume_id, path, m.size).await?;
        }
    }
    c.set_vm_state(p.vm_id, &["Migrating"], p.vm_state())
        .await?;
    tx.commit().await?;
    for m in &p.moves {
        if let Err(e) =
            volume_migrate::delete_on(engine, p.zone_id, &m.volume_uuid, m.src_pool).await
        {
            tracing::warn!(
                volume = %m.volume_uuid,
                pool = %m.src_pool_uuid,
                "the source copy of a migrated volume was left behind: {e}"
            );
        }
    }
    Ok(())
}

pub async fn migrate_virtual_machine_with_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let params = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let v = migrate::vm_param(&mut c, &ctx, &args).await?;
        let host = migrate::host_param(&mut c, &args).await?;
        let live = match v.state.as_str() {
            "Running" => true,
            "Stopped" => false,
            _ => return Err(bad_state(&v, "migrate")),
        };
        match &host {
            Some(_) if !live => {
                return Err(ApiError::param(
                    "Invalid parameter hostid: the volumes of a stopped VM move without it; \
                     leave hostid out",
                ));
            }
            Some(h) => check_host(&v, h)?,
            None if live && !args.flag("autoselect") => {
                return Err(ApiError::param(
                    "Invalid parameter hostid: give the destination host of the running VM, \
                     or autoselect=true",
                ));
            }
            None => {}
        }
        let host_id = host.map(|h| h.id);
        migrate::check_not_current(&v, host_id)?;
        let moves = volume_moves(&mut c, &v, args.map("migrateto").unwrap_or_default()).await?;
        if !live {
            check_stopped_moves(&mut c, &v, &moves).await?;
        }
        MigrateWithVolumeParams {
            vm_id: v.id,
            zone_id: v.zone_id,
            live,
            host_id,
            moves,
        }
    };
    sagas::run::<MigrateVmWithVolume>(&ctx, params).await
}

/// The chosen host must be able to run the VM at all (capacity is the planner's).
fn check_host(v: &VmRow, h: &HostRow) -> Result<(), ApiError> {
    let why = if h.host_type != "Routing" {
        "is not a hypervisor host"
    } else if h.zone_id != v.zone_id {
        "is in another zone"
    } else if !h.hypervisor.eq_ignore_ascii_case(&v.hypervisor) {
        "runs another hypervisor"
    } else if h.status != "Up" || h.resource_state != "Enabled" {
        "is not Up and Enabled"
    } else {
        return Ok(());
    };
    Err(ApiError::param(format!(
        "Invalid parameter hostid: host {} {why}",
        h.name
    )))
}

/// `migrateto[i].volume` / `migrateto[i].pool`: volumes of the VM, each to another Up
/// pool of its zone carrying the storage tags its offering asks for.
async fn volume_moves(
    c: &mut Conn<'_>,
    v: &VmRow,
    entries: &[BTreeMap<String, String>],
) -> Result<Vec<VolumeMove>, ApiError> {
    let mut moves: Vec<VolumeMove> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let (Some(vol), Some(pool)) = (e.get("volume"), e.get("pool")) else {
            return Err(ApiError::param(format!(
                "Invalid parameter migrateto: entry {i} needs both volume and pool"
            )));
        };
        let vol = c
            .volume_view_by_uuid(vol)
            .await?
            .filter(|x| x.instance_id == Some(v.id))
            .ok_or_else(|| ApiError::not_found("migrateto", vol, "volume of this VM"))?;
        let pool = c
            .storage_pool_by_uuid(pool)
            .await?
            .ok_or_else(|| ApiError::not_found("migrateto", pool, "storage pool"))?;
        if moves.iter().any(|m| m.volume_id == vol.id) {
            return Err(ApiError::param(format!(
                "Invalid parameter migrateto: volume {} is given twice",
                vol.uuid
            )));
        }
        if vol.state != "Ready" {
            return Err(crate::volumes::bad_state(&vol, "migrate"));
        }
        let (Some(src_pool), Some(src_pool_uuid)) = (vol.pool_id, vol.pool_uuid.clone()) else {
            return Err(ApiError::internal("a Ready volume has no pool"));
        };
        let refuse = |why: &str| {
            Err(ApiError::param(format!(
                "Invalid parameter migrateto: storage pool {} {why} (volume {})",
                pool.name, vol.uuid
            )))
        };
        if pool.id == src_pool {
            return refuse("already holds the volume");
        }
        if pool.state != "Up" || pool.zone_id != v.zone_id {
            return refuse("is not Up in the VM's zone");
        }
        let have = c.storage_pool_tags(pool.id).await?;
        if !storage_tags(c, v, &vol)
            .await?
            .iter()
            .all(|t| have.contains(t))
        {
            return refuse("lacks the storage tags of the volume's offering");
        }
        moves.push(VolumeMove {
            volume_id: vol.id,
            volume_uuid: vol.uuid.clone(),
            size: vol.size,
            src_pool,
            src_pool_uuid,
            dest_pool: pool.id,
            dest_pool_uuid: pool.uuid.clone(),
        });
    }
    Ok(moves)
}

/// The storage tags a volume's offering asks for (a root volume's: the VM's compute
/// offering's).
async fn storage_tags(
    c: &mut Conn<'_>,
    v: &VmRow,
    vol: &VolumeView,
) -> Result<Vec<String>, ApiError> {
    let tags = if vol.volume_type == crate::volumes::ROOT {
        c.service_offering_by_id(v.service_offering_id)
            .await?
            .and_then(|o| o.disk.tags)
    } else {
        match vol.disk_offering_id {
            Some(id) => c.disk_offering_by_id(id).await?.and_then(|o| o.props.tags),
            None => None,
        }
    };
    Ok(planner::host_tags(tags.as_deref()))
}

/// A stopped VM's volumes are copied through one host each, and the VM must still
/// start afterwards: at least one move, and every pair of its pools (moved or not)
/// reachable from one host.
async fn check_stopped_moves(
    c: &mut Conn<'_>,
    v: &VmRow,
    moves: &[VolumeMove],
) -> Result<(), ApiError> {
    if moves.is_empty() {
        return Err(ApiError::param(
            "Invalid parameter migrateto: a stopped VM needs at least one volume to move",
        ));
    }
    let mut pools = Vec::new();
    for vol in c.volumes_of_vms(&[v.id]).await? {
        let pool_id = match moves.iter().find(|m| m.volume_id == vol.id) {
            Some(m) => {
                let src = storage_pool(c, m.src_pool).await?;
                let dest = storage_pool(c, m.dest_pool).await?;
                if !volume_migrate::reachable_together(&src, &dest) {
                    return Err(ApiError::param(format!(
                        "Invalid parameter migrateto: no host reaches both storage pool {} \
                         and {}",
                        src.name, dest.name
                    )));
                }
                m.dest_pool
            }
            None => match vol.pool_id {
                Some(p) => p,
                None => continue,
            },
        };
        pools.push(storage_pool(c, pool_id).await?);
    }
    for (i, a) in pools.iter().enumerate() {
        if let Some(b) = pools[i + 1..]
            .iter()
            .find(|b| !volume_migrate::reachable_together(a, b))
        {
            return Err(ApiError::param(format!(
                "Invalid parameter migrateto: the VM could not start with volumes on both \
                 storage pool {} and {}",
                a.name, b.name
            )));
        }
    }
    Ok(())
}
