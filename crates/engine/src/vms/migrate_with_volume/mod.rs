//! migrateVirtualMachineWithVolume: a running VM moves to another host and some of its
//! volumes to other pools at the same time (storage motion: the hypervisor copies the
//! disks while the VM runs); a stopped VM only has its volumes copied.
//!
//! The saga holds the target host's capacity and the destination pools' bytes next to
//! the source's (taken in the transaction that chooses the host), creates the
//! destination volumes, migrates (undone by migrating back), points the records at the
//! destinations, and only then gives the source's capacity back and deletes the source
//! copies. A failure at any step leaves the VM and its volumes where they were.

use serde::{Deserialize, Serialize};
use strato_agent_proto::{Command, VolumeMigration};
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};
use strato_schema::Conn;
use strato_schema::placement::PoolCandidate;

use super::migrate::{self, Target};
use super::{bad_state, host_ops, planner, view, vm_record};
use crate::Engine;
use crate::sagas::EngineSaga;
use crate::volumes::{migrate as volume_migrate, storage};

mod command;

pub use command::migrate_virtual_machine_with_volume;

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

/// The VM becomes Migrating (nothing else may start, stop or touch it meanwhile).
async fn mark_migrating(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let mut db = ctx.context().store.acquire().await?;
    let mut c = db.c();
    if !c
        .set_vm_state(p.vm_id, &[p.vm_state(), "Migrating"], "Migrating")
        .await?
    {
        return Err(bad_state(&vm_record(&mut c, p.vm_id).await?, "migrate"));
    }
    Ok(p.vm_id)
}

async fn unmark_migrating(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let mut db = ctx.context().store.acquire().await?;
    db.c()
        .set_vm_state(p.vm_id, &["Migrating"], p.vm_state())
        .await?;
    Ok(())
}

/// Chooses the target host of a running VM (the planner, with the root volume where
/// it will be) and takes its capacity, and the moving volumes (now Migrating) their
/// destination pools' bytes, in one transaction. Output: the target, `None` for a
/// stopped VM.
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
    for m in &p.moves {
        volume_migrate::take_destination(&mut c, engine, m.volume_id, m.dest_pool, m.size)
            .await
            .map_err(|mut e| {
                e.text = format!("{}: volume {} (parameter migrateto)", e.text, m.volume_uuid);
                e
            })?;
    }
    tx.commit().await?;
    Ok(target)
}

/// The host the running VM goes to, its capacity held there; every volume of the VM
/// must be reachable from it where it will be (checked before the planner for an
/// admin's choice, so the answer names the volume rather than the capacity).
async fn choose_host(
    c: &mut Conn<'_>,
    engine: &Engine,
    p: &MigrateWithVolumeParams,
) -> Result<Target, ApiError> {
    let v = vm_record(c, p.vm_id).await?;
    let (Some(source_id), Some(source_guid)) = (v.host_id, v.host_guid.clone()) else {
        return Err(bad_state(&v, "migrate"));
    };
    let host_id = migrate::held_target(c, v.id, source_id)
        .await?
        .or(p.host_id);
    if let Some(h) = host_id {
        let host = c
            .host_by_id(h)
            .await?
            .ok_or_else(|| ApiError::internal("the target host is gone"))?;
        check_reach(c, p, (host.id, host.cluster_id), &host.name).await?;
    }
    let mut req = planner::vm_request(c, &v, host_id, v.host_id).await?;
    req.root.pool_id = target_pool(p, req.root.pool_id, req.root.id);
    if let Some(root_pool) = req.root.pool_id {
        req.local_storage = storage_pool(c, root_pool).await?.scope == "HOST";
    }
    let placed = planner::reserve(c, engine, v.id, &req).await?;
    let h = &placed.host;
    check_reach(c, p, (h.id, h.cluster_id), &h.name).await?;
    Ok(Target {
        source_id,
        source_guid,
        host_id: placed.host.id,
        host_guid: placed.host.guid,
    })
}

/// Where a volume of the VM will be: its destination if it moves.
fn target_pool(p: &MigrateWithVolumeParams, pool: Option<i64>, volume: i64) -> Option<i64> {
    p.moves
        .iter()
        .find(|m| m.volume_id == volume)
        .map(|m| m.dest_pool)
        .or(pool)
}

/// Fails unless host `(id, cluster)` reaches every volume of the VM where it will be.
async fn check_reach(
    c: &mut Conn<'_>,
    p: &MigrateWithVolumeParams,
    (host_id, cluster_id): (i64, Option<i64>),
    host_name: &str,
) -> Result<(), ApiError> {
    for vol in c.volumes_of_vms(&[p.vm_id]).await? {
        let Some(pool_id) = target_pool(p, vol.pool_id, vol.id) else {
            continue;
        };
        let pool = storage_pool(c, pool_id).await?;
        let reached = match pool.scope.as_str() {
            "ZONE" => true,
            "CLUSTER" => pool.cluster_id.is_some() && pool.cluster_id == cluster_id,
            _ => pool.host_id == Some(host_id),
        };
        if !reached {
            return Err(ApiError::param(format!(
                "Host {host_name} cannot reach storage pool {} of volume {}: give the volume \
                 a pool the host reaches (parameter migrateto)",
                pool.name, vol.uuid
            )));
        }
    }
    Ok(())
}

pub(super) async fn storage_pool(c: &mut Conn<'_>, id: i64) -> Result<PoolCandidate, ApiError> {
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
        volume_migrate::give_back_destination(&mut c, m.volume_id, m.dest_pool, m.size).await?;
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
    point_records(ctx, true).await
}

async fn switch_back(ctx: &SagaCtx<MigrateVmWithVolume>) -> Result<(), ApiError> {
    point_records(ctx, false).await
}

/// Points the VM (a running one) at the target host or back at the source, and each
/// moving volume at its destination pool or back at its source pool.
async fn point_records(
    ctx: &SagaCtx<MigrateVmWithVolume>,
    to_target: bool,
) -> Result<(), ApiError> {
    let p = ctx.params();
    let target: Option<Target> = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if let Some(t) = target {
        let id = if to_target { t.host_id } else { t.source_id };
        let host = c
            .host_by_id(id)
            .await?
            .ok_or_else(|| ApiError::internal("a host of the migration is gone"))?;
        c.set_vm_host(p.vm_id, Some((host.id, host.pod_id, host.cluster_id)))
            .await?;
    }
    for m in &p.moves {
        let (from, to) = if to_target {
            (m.src_pool, m.dest_pool)
        } else {
            (m.dest_pool, m.src_pool)
        };
        c.move_volume(m.volume_id, from, to, "Migrating").await?;
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
