//! migrateVolume: moves a volume that no running VM uses to another pool that a host
//! of the source's scope reaches too.
//!
//! Ready → Migrating, taking the bytes on the destination → copy through one host →
//! the volume points at the destination, the source's bytes given back → the source
//! copy deleted. Each step undoes itself, so a failure leaves the volume where it was.

use serde::{Deserialize, Serialize};
use strato_agent_proto::Command;
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::{ApiError, ErrorCode};
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, step};
use strato_schema::Conn;
use strato_schema::placement::PoolCandidate;

use super::{storage, view, volume_by_param};
use crate::sagas::{self, EngineSaga};
use crate::vms::host_ops;
use crate::{Ctx, Engine};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MigrateParams {
    pub volume_id: i64,
    pub volume_uuid: String,
    pub zone_id: i64,
    pub size: i64,
    pub src_pool: i64,
    pub dest_pool: i64,
}

pub struct MigrateVolume;

impl Saga for MigrateVolume {
    const NAME: &'static str = "migrate-volume";
    type Params = MigrateParams;
    type Context = Engine;
    const STEPS: &'static [strato_saga::Step<Self>] = &[
        step!("mark_migrating", mark_migrating, unmark_migrating),
        step!("copy_to_dest", copy_to_dest, delete_dest),
        step!("switch_pool", switch_pool, switch_back),
        step!("delete_source", delete_source),
    ];
}

impl EngineSaga for MigrateVolume {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("switch_pool").map_err(|e| e.0)?;
            view::volume_reply(engine, id, false).await
        })
    }
}

async fn mark_migrating(ctx: &SagaCtx<MigrateVolume>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let mut tx = engine.store.begin().await?;
    take_destination(&mut tx.c(), engine, p.volume_id, p.dest_pool, p.size).await?;
    tx.commit().await?;
    Ok(())
}

async fn unmark_migrating(ctx: &SagaCtx<MigrateVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let mut tx = ctx.context().store.begin().await?;
    give_back_destination(&mut tx.c(), p.volume_id, p.dest_pool, p.size).await?;
    tx.commit().await?;
    Ok(())
}

/// A Ready volume becomes Migrating and takes its bytes on the destination pool, in the
/// caller's transaction; one Migrating already (a replayed step) holds them.
pub(crate) async fn take_destination(
    c: &mut Conn<'_>,
    engine: &Engine,
    volume_id: i64,
    dest_pool: i64,
    size: i64,
) -> Result<(), ApiError> {
    if c.set_volume_state(volume_id, &["Ready"], "Migrating")
        .await?
    {
        let factor = engine
            .settings
            .f64("storage.overprovisioning.factor")
            .max(0.1);
        if !c.reserve_pool_capacity(dest_pool, size, factor).await? {
            return Err(ApiError::new(
                ErrorCode::InsufficientCapacity,
                Some(4340),
                "The destination pool has no room for the volume",
            ));
        }
    } else if !c
        .set_volume_state(volume_id, &["Migrating"], "Migrating")
        .await?
    {
        return Err(ApiError::param("The volume is no longer Ready"));
    }
    Ok(())
}

/// Undoes [`take_destination`] (once: the volume leaves Migrating).
pub(crate) async fn give_back_destination(
    c: &mut Conn<'_>,
    volume_id: i64,
    dest_pool: i64,
    size: i64,
) -> Result<(), ApiError> {
    if c.set_volume_state(volume_id, &["Migrating"], "Ready")
        .await?
    {
        c.release_pool_capacity(dest_pool, size).await?;
    }
    Ok(())
}

/// A host that reaches both pools: one of the cluster of a cluster-wide pool, else any.
async fn host_for_both(
    engine: &Engine,
    zone_id: i64,
    a: &PoolCandidate,
    b: &PoolCandidate,
) -> Result<String, ApiError> {
    let (first, second) = if a.scope == "CLUSTER" { (a, b) } else { (b, a) };
    let host = storage::host_for(engine, zone_id, first, None).await?;
    storage::host_for(engine, zone_id, second, Some(&host)).await
}

/// Copies volume `volume_uuid` from one pool to another through a host reaching both
/// (the copy keeps the uuid); returns the copy's path.
pub(crate) async fn copy_between(
    engine: &Engine,
    zone_id: i64,
    volume_uuid: &str,
    src_pool: i64,
    dest_pool: i64,
) -> Result<String, ApiError> {
    let src = storage::pool(engine, src_pool).await?;
    let dest = storage::pool(engine, dest_pool).await?;
    let host = host_for_both(engine, zone_id, &src, &dest).await?;
    let answer = host_ops::call(
        engine,
        &host,
        Command::CopyVolume {
            src: storage::volume_ref(&src.uuid, volume_uuid),
            dest: storage::volume_ref(&dest.uuid, volume_uuid),
        },
    )
    .await?;
    Ok(storage::volume_answer(answer, "CopyVolume")?.0)
}

/// Deletes the copy of volume `volume_uuid` on a pool (idempotent on the host).
pub(crate) async fn delete_on(
    engine: &Engine,
    zone_id: i64,
    volume_uuid: &str,
    pool_id: i64,
) -> Result<(), ApiError> {
    let pool = storage::pool(engine, pool_id).await?;
    let host = storage::host_for(engine, zone_id, &pool, None).await?;
    host_ops::call(
        engine,
        &host,
        Command::DeleteVolume {
            volume: storage::volume_ref(&pool.uuid, volume_uuid),
        },
    )
    .await?;
    Ok(())
}

/// Output: the path of the copy.
async fn copy_to_dest(ctx: &SagaCtx<MigrateVolume>) -> Result<String, ApiError> {
    let p = ctx.params();
    copy_between(
        ctx.context(),
        p.zone_id,
        &p.volume_uuid,
        p.src_pool,
        p.dest_pool,
    )
    .await
}

async fn delete_dest(ctx: &SagaCtx<MigrateVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    delete_on(ctx.context(), p.zone_id, &p.volume_uuid, p.dest_pool).await
}

async fn switch_pool(ctx: &SagaCtx<MigrateVolume>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let path: String = ctx.lookup("copy_to_dest").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if c.move_volume(p.volume_id, p.src_pool, p.dest_pool, "Ready")
        .await?
    {
        c.release_pool_capacity(p.src_pool, p.size).await?;
        c.volume_ready(p.volume_id, &path, p.size).await?;
    }
    tx.commit().await?;
    Ok(p.volume_id)
}

async fn switch_back(ctx: &SagaCtx<MigrateVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if c.move_volume(p.volume_id, p.dest_pool, p.src_pool, "Migrating")
        .await?
    {
        c.take_pool_bytes(p.src_pool, p.size).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn delete_source(ctx: &SagaCtx<MigrateVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    delete_on(ctx.context(), p.zone_id, &p.volume_uuid, p.src_pool).await
}

/// Whether one host can reach both pools (so the copy can run there).
pub(crate) fn reachable_together(a: &PoolCandidate, b: &PoolCandidate) -> bool {
    match (a.scope.as_str(), b.scope.as_str()) {
        ("ZONE", "ZONE") | ("ZONE", "CLUSTER") | ("CLUSTER", "ZONE") => true,
        ("CLUSTER", "CLUSTER") => a.cluster_id == b.cluster_id,
        ("HOST", "HOST") => a.host_id == b.host_id,
        _ => false,
    }
}

pub async fn migrate_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let (v, dest_zone) = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let v = volume_by_param(
            &mut c,
            &ctx.caller,
            args.required_str("volumeid")?,
            "volumeid",
        )
        .await?;
        let s = args.required_str("storageid")?;
        let dest = c
            .storage_pool_by_uuid(s)
            .await?
            .ok_or_else(|| ApiError::not_found("storageid", s, "storage pool"))?;
        (v, (dest.id, dest.zone_id, dest.state))
    };
    let (dest_id, zone_id, dest_state) = dest_zone;
    if v.state != "Ready" {
        return Err(super::bad_state(&v, "migrate"));
    }
    if v.vm_state.as_deref() == Some("Running") {
        return Err(ApiError::param(format!(
            "Volume {} is in use by running VM {}; stop the VM first (live migration of \
             volumes is not supported)",
            v.uuid,
            v.vm_uuid.as_deref().unwrap_or_default()
        )));
    }
    let src_id = v
        .pool_id
        .ok_or_else(|| ApiError::internal("a Ready volume has no pool"))?;
    if dest_id == src_id {
        return Err(ApiError::param(format!(
            "Volume {} is on that storage pool already (parameter storageid)",
            v.uuid
        )));
    }
    if zone_id != v.zone_id || dest_state != "Up" {
        return Err(ApiError::param(
            "The destination pool must be Up and in the volume's zone (parameter storageid)",
        ));
    }
    let src = storage::pool(&ctx.engine, src_id).await?;
    let dest = storage::pool(&ctx.engine, dest_id).await?;
    if !reachable_together(&src, &dest) {
        return Err(ApiError::param(format!(
            "No host reaches both storage pool {} and {} (parameter storageid)",
            src.name, dest.name
        )));
    }
    sagas::run::<MigrateVolume>(
        &ctx,
        MigrateParams {
            volume_id: v.id,
            volume_uuid: v.uuid.clone(),
            zone_id: v.zone_id,
            size: v.size,
            src_pool: src_id,
            dest_pool: dest_id,
        },
    )
    .await
}
