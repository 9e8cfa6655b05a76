//! detachVolume: unplug the volume from a running VM, then clear the attachment. A
//! stopped VM's last host is told too (its definition may still list the volume), but
//! a failure there does not stop the detach.

use serde::{Deserialize, Serialize};
use strato_agent_proto::Command;
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, step};

use super::attach::vm_row;
use super::{DATADISK, storage, view, volume_by_param};
use crate::sagas::{self, EngineSaga};
use crate::vms::host_ops;
use crate::{Ctx, Engine};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DetachParams {
    pub volume_id: i64,
    pub vm_id: i64,
    pub device_id: i32,
}

pub struct DetachVolume;

impl Saga for DetachVolume {
    const NAME: &'static str = "detach-volume";
    type Params = DetachParams;
    type Context = Engine;
    const STEPS: &'static [strato_saga::Step<Self>] = &[
        step!("detach_on_host", detach_on_host, reattach_on_host),
        step!("clear_attachment", clear_attachment),
    ];
}

impl EngineSaga for DetachVolume {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("clear_attachment").map_err(|e| e.0)?;
            view::volume_reply(engine, id, false).await
        })
    }
}

/// Output: the host of the running VM it was unplugged from.
async fn detach_on_host(ctx: &SagaCtx<DetachVolume>) -> Result<Option<String>, ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let (vm, volume, last_host) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let vm = vm_row(&mut c, p.vm_id).await?;
        let volume = c
            .volume_by_id(p.volume_id)
            .await?
            .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
        let last = match vm.last_host_id {
            Some(h) => c.host_by_id(h).await?.map(|h| h.guid),
            None => None,
        };
        (vm, volume, last)
    };
    let Some(pool) = volume.pool_uuid else {
        return Ok(None);
    };
    let cmd = Command::DetachVolume {
        vm_name: vm.instance_name.clone(),
        volume: storage::volume_ref(&pool, &volume.uuid),
    };
    match (vm.state.as_str(), vm.host_guid.clone()) {
        ("Running", Some(host)) => {
            host_ops::call(engine, &host, cmd).await?;
            Ok(Some(host))
        }
        _ => {
            if let Some(host) = last_host
                && let Err(e) = host_ops::call(engine, &host, cmd).await
            {
                tracing::debug!(vm = %vm.uuid, error = %e, "stopped VM's host kept no definition");
            }
            Ok(None)
        }
    }
}

async fn reattach_on_host(ctx: &SagaCtx<DetachVolume>) -> Result<(), ApiError> {
    let Some(host) = ctx
        .lookup::<Option<String>>("detach_on_host")
        .map_err(|e| e.0)?
    else {
        return Ok(());
    };
    let engine = ctx.context();
    let p = ctx.params();
    let mut db = engine.store.acquire().await?;
    let mut c = db.c();
    let vm = vm_row(&mut c, p.vm_id).await?;
    let volume = c
        .volume_by_id(p.volume_id)
        .await?
        .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
    drop(db);
    let Some(pool) = volume.pool_uuid else {
        return Ok(());
    };
    host_ops::call(
        engine,
        &host,
        Command::AttachVolume {
            vm_name: vm.instance_name,
            volume: storage::volume_ref(&pool, &volume.uuid),
            device_id: u32::try_from(p.device_id).unwrap_or(0),
        },
    )
    .await?;
    Ok(())
}

async fn clear_attachment(ctx: &SagaCtx<DetachVolume>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let mut db = ctx.context().store.acquire().await?;
    db.c().detach_volume_record(p.volume_id, p.vm_id).await?;
    Ok(p.volume_id)
}

pub async fn detach_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let v = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        match (
            args.uuid("id"),
            args.uuid("virtualmachineid"),
            args.int("deviceid"),
        ) {
            (Some(id), _, _) => volume_by_param(&mut c, &ctx.caller, id, "id").await?,
            (None, Some(vm), Some(device)) => {
                let vm = super::attach::vm_for(&mut c, &ctx.caller, vm).await?;
                let found = c
                    .volumes_of_vms(&[vm.id])
                    .await?
                    .into_iter()
                    .find(|v| v.device_id.map(i64::from) == Some(device))
                    .ok_or_else(|| {
                        ApiError::param(format!(
                            "VM {} has no volume at device {device} (parameter deviceid)",
                            vm.uuid
                        ))
                    })?;
                volume_by_param(&mut c, &ctx.caller, &found.uuid, "id").await?
            }
            _ => {
                return Err(ApiError::param(
                    "Either id or virtualmachineid and deviceid must be given",
                ));
            }
        }
    };
    let (Some(vm_id), Some(device_id)) = (v.instance_id, v.device_id) else {
        return Err(ApiError::param(format!(
            "Volume {} is not attached to any VM",
            v.uuid
        )));
    };
    if v.volume_type != DATADISK {
        return Err(ApiError::param(format!(
            "Volume {} is the VM's ROOT volume; it cannot be detached",
            v.uuid
        )));
    }
    if !matches!(v.vm_state.as_deref(), Some("Running" | "Stopped")) {
        return Err(ApiError::param(format!(
            "Unable to detach volume {}: its VM is {}",
            v.uuid,
            v.vm_state.as_deref().unwrap_or("gone")
        )));
    }
    sagas::run::<DetachVolume>(
        &ctx,
        DetachParams {
            volume_id: v.id,
            vm_id,
            device_id,
        },
    )
    .await
}
