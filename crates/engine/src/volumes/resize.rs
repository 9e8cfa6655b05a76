//! resizeVolume. A volume never created is resized in its record; a Ready one by the
//! resize saga:
//!
//! Ready → Resizing, taking a growth's bytes (limits and pool) → resize on the host →
//! new size recorded, Ready, a shrink's bytes given back.

use serde::{Deserialize, Serialize};
use strato_agent_proto::Command;
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::{ApiError, ErrorCode};
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, step};
use strato_schema::Conn;
use strato_schema::volume::VolumeView;

use super::{counted_bytes, storage, view, volume_by_param};
use crate::sagas::{self, EngineSaga};
use crate::vms::host_ops;
use crate::{Ctx, Engine, limits};

const GIB: i64 = 1 << 30;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResizeParams {
    pub volume_id: i64,
    pub account_id: i64,
    pub zone_id: i64,
    pub pool_id: i64,
    pub old_size: i64,
    pub new_size: i64,
    pub disk_offering_id: Option<i64>,
    pub shrink_ok: bool,
}

impl ResizeParams {
    fn growth(&self) -> i64 {
        (self.new_size - self.old_size).max(0)
    }
    fn shrink(&self) -> i64 {
        (self.old_size - self.new_size).max(0)
    }
}

pub struct ResizeVolume;

impl Saga for ResizeVolume {
    const NAME: &'static str = "resize-volume";
    type Params = ResizeParams;
    type Context = Engine;
    const STEPS: &'static [strato_saga::Step<Self>] = &[
        step!("mark_resizing", mark_resizing, unmark_resizing),
        step!("resize_on_host", resize_on_host, resize_back),
        step!("finish", finish),
    ];
}

impl EngineSaga for ResizeVolume {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("finish").map_err(|e| e.0)?;
            view::volume_reply(engine, id, false).await
        })
    }
}

/// Takes `bytes` more of the volume's pool.
async fn take_pool(
    c: &mut Conn<'_>,
    engine: &Engine,
    pool: i64,
    bytes: i64,
) -> Result<(), ApiError> {
    let factor = engine
        .settings
        .f64("storage.overprovisioning.factor")
        .max(0.1);
    if bytes > 0 && !c.reserve_pool_capacity(pool, bytes, factor).await? {
        return Err(ApiError::new(
            ErrorCode::InsufficientCapacity,
            Some(4340),
            format!("The volume's storage pool has no room for {bytes} more bytes"),
        ));
    }
    Ok(())
}

async fn mark_resizing(ctx: &SagaCtx<ResizeVolume>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    if c.set_volume_state(p.volume_id, &["Ready"], "Resizing")
        .await?
    {
        limits::reserve(&mut c, p.account_id, &counted_bytes(p.growth())).await?;
        take_pool(&mut c, engine, p.pool_id, p.growth()).await?;
    } else if !c
        .set_volume_state(p.volume_id, &["Resizing"], "Resizing")
        .await?
    {
        return Err(ApiError::param("The volume is no longer Ready"));
    }
    tx.commit().await?;
    Ok(())
}

async fn unmark_resizing(ctx: &SagaCtx<ResizeVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if c.set_volume_state(p.volume_id, &["Resizing"], "Ready")
        .await?
    {
        limits::release(&mut c, p.account_id, &counted_bytes(p.growth())).await?;
        if p.growth() > 0 {
            c.release_pool_capacity(p.pool_id, p.growth()).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn resize(ctx: &SagaCtx<ResizeVolume>, to: i64, shrink_ok: bool) -> Result<(), ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let v = engine
        .store
        .acquire()
        .await?
        .c()
        .volume_view(p.volume_id)
        .await?
        .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
    let pool = storage::pool(engine, p.pool_id).await?;
    let host = storage::host_for(
        engine,
        p.zone_id,
        &pool,
        running_host(engine, &v).await?.as_deref(),
    )
    .await?;
    host_ops::call(
        engine,
        &host,
        Command::ResizeVolume {
            volume: storage::volume_ref(&pool.uuid, &v.uuid),
            new_size_bytes: u64::try_from(to).unwrap_or(0),
            shrink_ok,
        },
    )
    .await?;
    Ok(())
}

async fn resize_on_host(ctx: &SagaCtx<ResizeVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    resize(ctx, p.new_size, p.shrink_ok).await
}

async fn resize_back(ctx: &SagaCtx<ResizeVolume>) -> Result<(), ApiError> {
    resize(ctx, ctx.params().old_size, true).await
}

async fn finish(ctx: &SagaCtx<ResizeVolume>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if c.set_volume_state(p.volume_id, &["Resizing"], "Ready")
        .await?
    {
        c.set_volume_size(p.volume_id, p.new_size, p.disk_offering_id)
            .await?;
        limits::release(&mut c, p.account_id, &counted_bytes(p.shrink())).await?;
        if p.shrink() > 0 {
            c.release_pool_capacity(p.pool_id, p.shrink()).await?;
        }
    }
    tx.commit().await?;
    Ok(p.volume_id)
}

/// The host of the running VM the volume is attached to.
pub async fn running_host(engine: &Engine, v: &VolumeView) -> Result<Option<String>, ApiError> {
    let (Some(vm), Some("Running")) = (v.instance_id, v.vm_state.as_deref()) else {
        return Ok(None);
    };
    Ok(engine
        .store
        .acquire()
        .await?
        .c()
        .vm_by_id(vm)
        .await?
        .and_then(|vm| vm.host_guid))
}

pub async fn resize_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let v = volume_by_param(&mut c, &ctx.caller, args.required_str("id")?, "id").await?;
    let offering = match args.uuid("diskofferingid") {
        Some(o) => Some(
            c.disk_offering_by_uuid(o)
                .await?
                .filter(|d| !d.compute_only && d.state == "Active")
                .ok_or_else(|| ApiError::not_found("diskofferingid", o, "disk offering"))?,
        ),
        None => None,
    };
    drop(db);
    let new_size = match (args.int("size"), &offering) {
        (_, Some(o)) if !o.customized => o.disk_size_gb * GIB,
        (Some(gb), _) => {
            let s = &ctx.engine.settings;
            let (min, max) = (
                s.i64("custom.diskoffering.size.min"),
                s.i64("custom.diskoffering.size.max"),
            );
            if gb < min || gb > max {
                return Err(ApiError::param(format!(
                    "Invalid parameter size={gb}: a volume is {min} to {max} GB"
                )));
            }
            gb * GIB
        }
        (None, Some(o)) => {
            return Err(ApiError::param(format!(
                "Disk offering {} has a custom size: parameter size (GB) is required",
                o.uuid
            )));
        }
        (None, None) => {
            return Err(ApiError::param(
                "Either size or diskofferingid must be given to resize a volume",
            ));
        }
    };
    let shrink_ok = args.flag("shrinkok");
    if new_size < v.size && !shrink_ok {
        return Err(ApiError::param(format!(
            "Going from {} to {new_size} bytes would shrink volume {}; pass shrinkok=true to \
             allow it",
            v.size, v.uuid
        )));
    }
    let offering_id = offering.map(|o| o.id);
    match v.state.as_str() {
        "Allocated" => {
            let mut tx = ctx.engine.store.begin().await?;
            let mut c = tx.c();
            let (grow, shrink) = ((new_size - v.size).max(0), (v.size - new_size).max(0));
            limits::reserve(&mut c, v.account_id, &counted_bytes(grow)).await?;
            limits::release(&mut c, v.account_id, &counted_bytes(shrink)).await?;
            if !c
                .set_volume_state(v.id, &["Allocated"], "Allocated")
                .await?
            {
                return Err(crate::handlers::concurrent_change("volume"));
            }
            c.set_volume_size(v.id, new_size, offering_id).await?;
            tx.commit().await?;
            view::volume_reply(&ctx.engine, v.id, view::sees_storage(ctx.caller.role_type)).await
        }
        "Ready" => {
            let pool_id = v
                .pool_id
                .ok_or_else(|| ApiError::internal("a Ready volume has no pool"))?;
            sagas::run::<ResizeVolume>(
                &ctx,
                ResizeParams {
                    volume_id: v.id,
                    account_id: v.account_id,
                    zone_id: v.zone_id,
                    pool_id,
                    old_size: v.size,
                    new_size,
                    disk_offering_id: offering_id,
                    shrink_ok,
                },
            )
            .await
        }
        _ => Err(super::bad_state(&v, "resize")),
    }
}
