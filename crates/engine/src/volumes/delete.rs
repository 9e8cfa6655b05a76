//! deleteVolume, destroyVolume and recoverVolume. A destroyed volume keeps its storage
//! until it is expunged (destroyVolume with expunge=true, or deleteVolume). Expunging
//! is a forward-only saga of idempotent steps, finished by recovery after a crash.

use serde::{Deserialize, Serialize};
use strato_agent_proto::Command;
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, step};
use strato_schema::volume::VolumeView;

use super::{counted, storage, view, volume_by_param};
use crate::sagas::{self, EngineSaga};
use crate::vms::host_ops;
use crate::{Ctx, Engine, RoleType, limits};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExpungeParams {
    pub volume_id: i64,
}

pub struct ExpungeVolume;

impl Saga for ExpungeVolume {
    const NAME: &'static str = "expunge-volume";
    type Params = ExpungeParams;
    type Context = Engine;
    const STEPS: &'static [strato_saga::Step<Self>] = &[
        step!("mark_expunging", mark_expunging),
        step!("delete_on_pool", delete_on_pool),
        step!("remove_record", remove_record),
    ];
}

impl EngineSaga for ExpungeVolume {
    fn reply(_: &Engine, _: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async { Ok(Reply::success()) })
    }
}

async fn mark_expunging(ctx: &SagaCtx<ExpungeVolume>) -> Result<(), ApiError> {
    let id = ctx.params().volume_id;
    let mut db = ctx.context().store.acquire().await?;
    let mut c = db.c();
    let Some(v) = c.volume_view(id).await? else {
        // Removed by an earlier run.
        return Ok(());
    };
    if !c
        .set_volume_state(
            id,
            &["Allocated", "Ready", "Destroy", "Expunging"],
            "Expunging",
        )
        .await?
    {
        return Err(super::bad_state(&v, "delete"));
    }
    Ok(())
}

async fn delete_on_pool(ctx: &SagaCtx<ExpungeVolume>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let id = ctx.params().volume_id;
    let v = engine.store.acquire().await?.c().volume_by_id(id).await?;
    let Some(v) = v else {
        return Ok(());
    };
    let (Some(pool_id), Some(_)) = (v.pool_id, &v.path) else {
        // Never created on its pool.
        return Ok(());
    };
    let pool = storage::pool(engine, pool_id).await?;
    let host = storage::host_for(engine, v.zone_id, &pool, None).await?;
    host_ops::call(
        engine,
        &host,
        Command::DeleteVolume {
            volume: storage::volume_ref(&pool.uuid, &v.uuid),
        },
    )
    .await?;
    Ok(())
}

async fn remove_record(ctx: &SagaCtx<ExpungeVolume>) -> Result<(), ApiError> {
    let id = ctx.params().volume_id;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    let Some(v) = c.volume_by_id(id).await? else {
        return Ok(());
    };
    let now = strato_schema::now();
    if let Some(pool) = v.pool_id {
        c.release_pool_capacity(pool, v.size).await?;
    }
    // An extracted image in the image store goes with the volume.
    let copies = super::upload::take_copies(&mut c, id).await?;
    c.remove_volume(id, now).await?;
    c.remove_snapshot_policies(&[], Some(id), now).await?;
    limits::release(&mut c, v.account_id, &counted(v.size)).await?;
    tx.commit().await?;
    super::upload::remove_files(&copies).await;
    Ok(())
}

/// CloudStack's refusal to delete or destroy an attached volume.
fn attached(v: &VolumeView) -> Option<ApiError> {
    v.instance_id.map(|_| {
        ApiError::param(format!(
            "Please specify a volume that is not attached to any VM (volume {} is attached to \
             VM {})",
            v.uuid,
            v.vm_uuid.as_deref().unwrap_or_default()
        ))
    })
}

async fn expunge(ctx: &Ctx, id: i64) -> Result<Reply, ApiError> {
    sagas::run::<ExpungeVolume>(ctx, ExpungeParams { volume_id: id }).await
}

pub async fn delete_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let v = {
        let mut db = ctx.engine.store.acquire().await?;
        volume_by_param(&mut db.c(), &ctx.caller, args.required_str("id")?, "id").await?
    };
    if let Some(e) = attached(&v) {
        return Err(e);
    }
    if super::UPLOAD_STATES.contains(&v.state.as_str()) {
        return super::upload::delete_uploaded(&ctx, &v).await;
    }
    if !matches!(
        v.state.as_str(),
        "Allocated" | "Ready" | "Destroy" | "Expunging"
    ) {
        return Err(super::bad_state(&v, "delete"));
    }
    expunge(&ctx, v.id).await
}

fn may_expunge(ctx: &Ctx) -> bool {
    ctx.caller.role_type != RoleType::User
        || ctx
            .engine
            .settings
            .bool("allow.user.expunge.recover.volume")
}

pub async fn destroy_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let v = {
        let mut db = ctx.engine.store.acquire().await?;
        volume_by_param(&mut db.c(), &ctx.caller, args.required_str("id")?, "id").await?
    };
    if let Some(e) = attached(&v) {
        return Err(e);
    }
    let expunge_now = args.flag("expunge");
    if expunge_now && !may_expunge(&ctx) {
        return Err(ApiError::permission(
            "Only admins may expunge a volume (allow.user.expunge.recover.volume is false)",
        ));
    }
    if v.state != "Destroy" {
        let mut db = ctx.engine.store.acquire().await?;
        if !db
            .c()
            .set_volume_state(v.id, &["Allocated", "Ready"], "Destroy")
            .await?
        {
            return Err(super::bad_state(&v, "destroy"));
        }
    }
    let reply =
        view::volume_reply(&ctx.engine, v.id, view::sees_storage(ctx.caller.role_type)).await?;
    if expunge_now {
        expunge(&ctx, v.id).await?;
    }
    Ok(reply)
}

pub async fn recover_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    if !may_expunge(&ctx) {
        return Err(ApiError::permission(
            "Only admins may recover a volume (allow.user.expunge.recover.volume is false)",
        ));
    }
    let v = {
        let mut db = ctx.engine.store.acquire().await?;
        volume_by_param(&mut db.c(), &ctx.caller, args.required_str("id")?, "id").await?
    };
    let back = if v.path.is_some() {
        "Ready"
    } else {
        "Allocated"
    };
    let mut db = ctx.engine.store.acquire().await?;
    if !db.c().set_volume_state(v.id, &["Destroy"], back).await? {
        return Err(super::bad_state(&v, "recover"));
    }
    drop(db);
    view::volume_reply(&ctx.engine, v.id, view::sees_storage(ctx.caller.role_type)).await
}
