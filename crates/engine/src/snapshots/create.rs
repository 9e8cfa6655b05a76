//! createSnapshot: the snapshot saga, also run by the policy scheduler.
//!
//! id → record (Creating, counted against the snapshot limit) → snapshot on the
//! volume's pool (CreatedOnPrimary) → backup to the zone's image store (BackedUp,
//! counted as secondary storage). Each step undoes itself on a later failure.

use serde::{Deserialize, Serialize};
use strato_agent_proto::{AnswerData, Command};
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};
use strato_schema::snapshot::NewSnapshot;
use strato_schema::volume::VolumeView;

use super::view;
use crate::limits::{self, ResourceType};
use crate::sagas::{self, EngineSaga};
use crate::vms::host_ops;
use crate::volumes::{resize, storage, volume_by_param};
use crate::{Ctx, Engine};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapshotParams {
    pub volume_id: i64,
    pub name: String,
    /// MANUAL, or the interval of the policy that takes it.
    pub snapshot_type: String,
    pub policy_id: Option<i64>,
    pub account_id: i64,
    pub domain_id: i64,
    pub zone_id: i64,
    pub hypervisor: String,
}

pub struct CreateSnapshot;

impl Saga for CreateSnapshot {
    const NAME: &'static str = "create-snapshot";
    type Params = SnapshotParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        Step::new_id("snapshot_uuid"),
        step!("create_record", create_record, remove_record),
        step!(
            "snapshot_on_primary",
            snapshot_on_primary,
            delete_on_primary
        ),
        step!("back_up", back_up, forget_backup),
    ];
}

impl EngineSaga for CreateSnapshot {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("create_record").map_err(|e| e.0)?;
            view::snapshot_reply(engine, id).await
        })
    }
}

const ONE: [(ResourceType, i64); 1] = [(ResourceType::Snapshot, 1)];

async fn create_record(ctx: &SagaCtx<CreateSnapshot>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let uuid: String = ctx.lookup("snapshot_uuid").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if let Some(s) = c.snapshot_by_uuid(&uuid).await? {
        return Ok(s.id);
    }
    let size = c
        .volume_by_id(p.volume_id)
        .await?
        .ok_or_else(|| ApiError::internal("the volume is gone"))?
        .size;
    limits::reserve(&mut c, p.account_id, &ONE).await?;
    let id = c
        .insert_snapshot(
            &NewSnapshot {
                uuid: &uuid,
                name: &p.name,
                account_id: p.account_id,
                domain_id: p.domain_id,
                zone_id: p.zone_id,
                volume_id: p.volume_id,
                snapshot_type: &p.snapshot_type,
                policy_id: p.policy_id,
                size,
                hypervisor: &p.hypervisor,
            },
            strato_schema::now(),
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

async fn remove_record(ctx: &SagaCtx<CreateSnapshot>) -> Result<(), ApiError> {
    let p = ctx.params();
    let uuid: String = ctx.lookup("snapshot_uuid").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if let Some(s) = c.snapshot_by_uuid(&uuid).await?
        && c.remove_snapshot(s.id, strato_schema::now()).await?
    {
        limits::release(&mut c, p.account_id, &ONE).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The volume and the host to reach it through.
pub(crate) async fn volume_and_host(
    engine: &Engine,
    volume_id: i64,
) -> Result<(VolumeView, String, String), ApiError> {
    let v = engine
        .store
        .acquire()
        .await?
        .c()
        .volume_view(volume_id)
        .await?
        .ok_or_else(|| ApiError::internal("the volume is gone"))?;
    let pool_id = v
        .pool_id
        .ok_or_else(|| ApiError::internal("the volume was never created on a pool"))?;
    let pool = storage::pool(engine, pool_id).await?;
    let running = resize::running_host(engine, &v).await?;
    let host = storage::host_for(engine, v.zone_id, &pool, running.as_deref()).await?;
    Ok((v, pool.uuid, host))
}

async fn snapshot_on_primary(ctx: &SagaCtx<CreateSnapshot>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let id: i64 = ctx.lookup("create_record").map_err(|e| e.0)?;
    let uuid: String = ctx.lookup("snapshot_uuid").map_err(|e| e.0)?;
    let (v, pool, host) = volume_and_host(engine, ctx.params().volume_id).await?;
    let answer = host_ops::call(
        engine,
        &host,
        Command::CreateSnapshot {
            volume: storage::volume_ref(&pool, &v.uuid),
            snapshot_uuid: uuid,
        },
    )
    .await?;
    let AnswerData::Snapshot(s) = answer else {
        return Err(ApiError::internal("CreateSnapshot answered no snapshot"));
    };
    let size = i64::try_from(s.size_bytes).unwrap_or(i64::MAX);
    let mut db = engine.store.acquire().await?;
    db.c().snapshot_on_primary(id, &s.path, size).await?;
    Ok(())
}

async fn delete_on_primary(ctx: &SagaCtx<CreateSnapshot>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let uuid: String = ctx.lookup("snapshot_uuid").map_err(|e| e.0)?;
    let (v, pool, host) = volume_and_host(engine, ctx.params().volume_id).await?;
    host_ops::call(
        engine,
        &host,
        Command::DeleteSnapshot {
            volume: storage::volume_ref(&pool, &v.uuid),
            snapshot_uuid: uuid,
        },
    )
    .await?;
    Ok(())
}

async fn back_up(ctx: &SagaCtx<CreateSnapshot>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let id: i64 = ctx.lookup("create_record").map_err(|e| e.0)?;
    let uuid: String = ctx.lookup("snapshot_uuid").map_err(|e| e.0)?;
    let store = {
        let mut db = engine.store.acquire().await?;
        crate::handlers::templates::zone_stores(&mut db.c(), p.zone_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                ApiError::param("The zone has no image store to back the snapshot up to")
            })?
    };
    let (v, pool, host) = volume_and_host(engine, p.volume_id).await?;
    let answer = host_ops::call(
        engine,
        &host,
        Command::BackupSnapshot {
            volume: storage::volume_ref(&pool, &v.uuid),
            snapshot_uuid: uuid,
            secondary_url: store.url.clone(),
        },
    )
    .await?;
    let AnswerData::SnapshotBackup { path, size_bytes } = answer else {
        return Err(ApiError::internal("BackupSnapshot answered no backup"));
    };
    let bytes = i64::try_from(size_bytes).unwrap_or(i64::MAX);
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    if c.snapshot_backed_up(id, store.id, &path, bytes).await? {
        limits::reserve(
            &mut c,
            p.account_id,
            &[(ResourceType::SecondaryStorage, bytes)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn forget_backup(ctx: &SagaCtx<CreateSnapshot>) -> Result<(), ApiError> {
    let p = ctx.params();
    let id: i64 = ctx.lookup("create_record").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    let bytes = c.snapshot_by_id(id).await?.map_or(0, |s| s.physical_size);
    if c.set_snapshot_state(id, &["BackedUp"], "CreatedOnPrimary")
        .await?
    {
        limits::release(
            &mut c,
            p.account_id,
            &[(ResourceType::SecondaryStorage, bytes)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Checks that `v` can be snapshotted now and builds the saga's params.
pub async fn params_for(
    engine: &Engine,
    v: &VolumeView,
    name: Option<&str>,
    snapshot_type: &str,
    policy_id: Option<i64>,
) -> Result<SnapshotParams, ApiError> {
    if v.state != "Ready" {
        return Err(ApiError::param(format!(
            "Volume {} is {}, not Ready; only a volume created on its pool can be snapshotted",
            v.uuid, v.state
        )));
    }
    let simulated = {
        let mut db = engine.store.acquire().await?;
        crate::images::zone_is_simulated(&mut db.c(), v.zone_id).await?
    };
    let name = match name.map(str::trim) {
        Some(n) => {
            crate::handlers::check_name("name", n)?;
            n.to_string()
        }
        None => format!("{}_{}", v.name, strato_schema::now().format("%Y%m%d%H%M%S")),
    };
    Ok(SnapshotParams {
        volume_id: v.id,
        name,
        snapshot_type: snapshot_type.to_string(),
        policy_id,
        account_id: v.account_id,
        domain_id: v.domain_id,
        zone_id: v.zone_id,
        hypervisor: v
            .vm_hypervisor
            .clone()
            .unwrap_or_else(|| if simulated { "Simulator" } else { "KVM" }.to_string()),
    })
}

pub async fn create_snapshot(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let v = {
        let mut db = ctx.engine.store.acquire().await?;
        volume_by_param(
            &mut db.c(),
            &ctx.caller,
            args.required_str("volumeid")?,
            "volumeid",
        )
        .await?
    };
    let params = params_for(&ctx.engine, &v, args.str("name"), "MANUAL", None).await?;
    sagas::run::<CreateSnapshot>(&ctx, params).await
}
