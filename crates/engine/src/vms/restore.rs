//! restoreVirtualMachine: a stopped VM gets a fresh root volume from its template (or
//! another one, `templateid`); the old root volume is expunged.
//!
//! The saga records the new root volume (counted against the owner's limits), then
//! swaps it in for the old one in one transaction that also checks the VM is still
//! Stopped; a failure before the swap removes the new record again. The new volume
//! is created on a pool at the VM's next start, as for a VM deployed stopped. The old
//! one is then expunged by the volume expunge saga (forward-only, resumed after a
//! crash).

use serde::{Deserialize, Serialize};
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};
use strato_schema::volume::NewVolume;

use super::{bad_state, iso, planner, view, vm_by_named};
use crate::sagas::{self, EngineSaga};
use crate::volumes::counted;
use crate::volumes::delete::{ExpungeParams, ExpungeVolume};
use crate::{Ctx, Engine, limits};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RestoreParams {
    pub vm_id: i64,
    pub old_root_id: i64,
    pub template_id: i64,
    pub guest_os_id: i64,
    pub root_bytes: i64,
    pub provisioning: String,
}

pub struct RestoreVm;

impl Saga for RestoreVm {
    const NAME: &'static str = "restore-vm";
    type Params = RestoreParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        Step::new_id("root_uuid"),
        step!("record_new_root", record_new_root, remove_new_root),
        step!("swap_root", swap_root),
    ];
}

impl EngineSaga for RestoreVm {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let vm_id: i64 = outputs.lookup("swap_root").map_err(|e| e.0)?;
            view::vm_reply(engine, vm_id).await
        })
    }
}

/// The new root volume's record, not yet the VM's (found by uuid on replay).
async fn record_new_root(ctx: &SagaCtx<RestoreVm>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let uuid: String = ctx.lookup("root_uuid").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if let Some(v) = c.volume_by_uuid(&uuid).await? {
        return Ok(v.id);
    }
    let vm = super::vm_record(&mut c, p.vm_id).await?;
    let id = c
        .insert_volume(
            &NewVolume {
                uuid: &uuid,
                name: &format!("ROOT-{}", vm.id),
                account_id: vm.account_id,
                domain_id: vm.domain_id,
                zone_id: vm.zone_id,
                pool_id: None,
                instance_id: None,
                device_id: None,
                volume_type: "ROOT",
                size: p.root_bytes,
                disk_offering_id: None,
                template_id: Some(p.template_id),
                state: "Allocated",
                provisioning: &p.provisioning,
            },
            strato_schema::now(),
        )
        .await?;
    limits::reserve(&mut c, vm.account_id, &counted(p.root_bytes)).await?;
    tx.commit().await?;
    Ok(id)
}

async fn remove_new_root(ctx: &SagaCtx<RestoreVm>) -> Result<(), ApiError> {
    let uuid: String = ctx.lookup("root_uuid").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if let Some(v) = c.volume_by_uuid(&uuid).await? {
        c.remove_volume(v.id, strato_schema::now()).await?;
        limits::release(&mut c, v.account_id, &counted(v.size)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The new volume becomes the root of the still stopped VM, which now runs its
/// template (a replay finds the swap done).
async fn swap_root(ctx: &SagaCtx<RestoreVm>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let new_root: i64 = ctx.lookup("record_new_root").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    let root = planner::root_volume(&mut c, p.vm_id).await?;
    if root.id == new_root {
        return Ok(p.vm_id);
    }
    // The same state (a no-op update) only if the VM is still stopped.
    if !c.set_vm_state(p.vm_id, &["Stopped"], "Stopped").await? {
        let vm = super::vm_record(&mut c, p.vm_id).await?;
        return Err(bad_state(&vm, "restore (stop it first)"));
    }
    c.swap_root_volume(p.vm_id, p.old_root_id, new_root).await?;
    c.set_vm_template(p.vm_id, p.template_id, p.guest_os_id)
        .await?;
    tx.commit().await?;
    Ok(p.vm_id)
}

pub async fn restore_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let params = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let vm = vm_by_named(&mut c, &ctx.caller, &args, "virtualmachineid").await?;
        if vm.state != "Stopped" {
            return Err(bad_state(&vm, "restore (stop it first)"));
        }
        let template = match args.uuid("templateid") {
            Some(id) => c
                .template_by_uuid(id)
                .await?
                .filter(|t| !t.is_iso())
                .ok_or_else(|| ApiError::not_found("templateid", id, "template"))?,
            None => c
                .template_by_id(vm.template_id)
                .await?
                .ok_or_else(|| ApiError::internal("the VM's template is gone"))?,
        };
        iso::check_launch(&mut c, &ctx.caller, &template, &vm).await?;
        if !template.hypervisor.eq_ignore_ascii_case(&vm.hypervisor) {
            return Err(ApiError::param(format!(
                "Template {} is for {}, not {} (parameter templateid)",
                template.uuid, template.hypervisor, vm.hypervisor
            )));
        }
        let copy = iso::ready_copy(&mut c, template.id, &vm).await?;
        let old = c
            .volumes_of_vms(&[vm.id])
            .await?
            .into_iter()
            .find(|v| v.volume_type == "ROOT")
            .ok_or_else(|| ApiError::internal("the VM has no root volume"))?;
        let template_bytes = copy.size.unwrap_or(0);
        let gib = 1i64 << 30;
        let root_bytes = match args.int("rootdisksize") {
            Some(gb) if gb <= 0 || gb * gib < template_bytes => {
                return Err(ApiError::param(format!(
                    "Invalid parameter rootdisksize={gb}: it must be at least the template's \
                     {} GB",
                    (template_bytes + gib - 1) / gib
                )));
            }
            Some(gb) => gb * gib,
            None => old.size.max(template_bytes),
        };
        RestoreParams {
            vm_id: vm.id,
            old_root_id: old.id,
            template_id: template.id,
            guest_os_id: template.guest_os_id,
            root_bytes,
            provisioning: old.provisioning.clone(),
        }
    };
    let old_root = params.old_root_id;
    let reply = sagas::run::<RestoreVm>(&ctx, params).await?;
    // Not tied to the job: the job's answer is the restored VM, even if this part
    // is finished by recovery.
    let background = Ctx {
        job: None,
        ..ctx.clone()
    };
    sagas::run::<ExpungeVolume>(
        &background,
        ExpungeParams {
            volume_id: old_root,
        },
    )
    .await?;
    Ok(reply)
}
