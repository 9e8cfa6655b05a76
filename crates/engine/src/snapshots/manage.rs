//! deleteSnapshot and revertSnapshot.

use strato_agent_proto::Command;
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;

use super::create::volume_and_host;
use super::{snapshot_by_param, view};
use crate::limits::{self, ResourceType};
use crate::vms::host_ops;
use crate::volumes::storage;
use crate::{Ctx, Engine};

/// Deletes a snapshot's copy on primary storage (while its volume lives) and its
/// record, giving back its counts. Used by the command and the policy scheduler.
pub async fn delete(engine: &Engine, id: i64) -> Result<(), ApiError> {
    let s = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let Some(s) = c.snapshot_by_id(id).await? else {
            return Ok(());
        };
        if !c
            .set_snapshot_state(
                id,
                &["BackedUp", "CreatedOnPrimary", "Error", "Destroying"],
                "Destroying",
            )
            .await?
        {
            return Err(ApiError::param(format!(
                "Unable to delete snapshot {} in state {}",
                s.uuid, s.state
            )));
        }
        s
    };
    if s.primary_path.is_some() && s.volume_state == "Ready" {
        let (v, pool, host) = volume_and_host(engine, s.volume_id).await?;
        host_ops::call(
            engine,
            &host,
            Command::DeleteSnapshot {
                volume: storage::volume_ref(&pool, &v.uuid),
                snapshot_uuid: s.uuid.clone(),
            },
        )
        .await?;
    }
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    if c.remove_snapshot(id, strato_schema::now()).await? {
        let backup = if s.backup_path.is_some() {
            s.physical_size
        } else {
            0
        };
        limits::release(
            &mut c,
            s.account_id,
            &[
                (ResourceType::Snapshot, 1),
                (ResourceType::SecondaryStorage, backup),
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn delete_snapshot(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let s = {
        let mut db = ctx.engine.store.acquire().await?;
        snapshot_by_param(&mut db.c(), &ctx.caller, args.required_str("id")?, "id").await?
    };
    delete(&ctx.engine, s.id).await?;
    Ok(Reply::success())
}

pub async fn revert_snapshot(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let engine = &ctx.engine;
    let s = {
        let mut db = engine.store.acquire().await?;
        snapshot_by_param(&mut db.c(), &ctx.caller, args.required_str("id")?, "id").await?
    };
    if !view::revertable(&s) {
        return Err(ApiError::param(format!(
            "Snapshot {} cannot be reverted to: it must be backed up and still on the primary \
             storage of its Ready volume",
            s.uuid
        )));
    }
    let (v, pool, host) = volume_and_host(engine, s.volume_id).await?;
    // The host would give the volume the snapshot's size back, behind the counts' back.
    if v.size != s.size {
        return Err(ApiError::param(format!(
            "Volume {} was resized since snapshot {} was taken; it cannot be reverted to it",
            v.uuid, s.uuid
        )));
    }
    if v.vm_state.as_deref() == Some("Running") {
        return Err(ApiError::param(format!(
            "Volume {} is in use by running VM {}; stop the VM before reverting it",
            v.uuid,
            v.vm_uuid.as_deref().unwrap_or_default()
        )));
    }
    let mut db = engine.store.acquire().await?;
    if !db
        .c()
        .set_volume_state(v.id, &["Ready"], "RevertSnapshotting")
        .await?
    {
        return Err(crate::volumes::bad_state(&v, "revert"));
    }
    drop(db);
    let result = host_ops::call(
        engine,
        &host,
        Command::RevertSnapshot {
            volume: storage::volume_ref(&pool, &v.uuid),
            snapshot_uuid: s.uuid.clone(),
        },
    )
    .await;
    let mut db = engine.store.acquire().await?;
    db.c()
        .set_volume_state(v.id, &["RevertSnapshotting"], "Ready")
        .await?;
    drop(db);
    result?;
    view::snapshot_reply(engine, s.id).await
}
