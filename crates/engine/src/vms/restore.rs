//! restoreVirtualMachine: a VM gets a fresh root volume from its template (or another
//! one, `templateid`); the old root volume is expunged.
//!
//! The saga records the new root volume (counted against the owner's limits), then
//! swaps it in for the old one in one transaction that also checks the VM's state; a
//! failure before the swap removes the new record again. A stopped VM's new volume is
//! created on a pool at its next start, as for a VM deployed stopped. A running VM is
//! stopped first (it keeps its host's capacity), its new root volume is created on the
//! old one's pool (or one its host reaches), and it is started again on the same host;
//! undone, it runs again from its old root volume. The old volume is then expunged by
//! the volume expunge saga (forward-only, resumed after a crash).

use serde::{Deserialize, Serialize};
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};
use strato_schema::volume::NewVolume;

use super::{bad_state, iso, planner, power, view, vm_by_named};
use crate::sagas::{self, EngineSaga};
use crate::volumes::delete::{ExpungeParams, ExpungeVolume};
use crate::volumes::storage::{self, Reach};
use crate::volumes::{counted, migrate as volume_migrate};
use crate::{Ctx, Engine, limits};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RestoreParams {
    pub vm_id: i64,
    pub old_root_id: i64,
    pub template_id: i64,
    pub guest_os_id: i64,
    pub root_bytes: i64,
    pub provisioning: String,
    /// The template and guest OS the VM ran before (what an undone swap gives back).
    #[serde(default)]
    pub old_template: Option<(i64, i64)>,
    /// The VM runs: it is stopped, restored and started again on its host.
    #[serde(default)]
    pub running: bool,
}

impl RestoreParams {
    /// The state the VM is in while its root volume is swapped.
    fn swap_state(&self) -> &'static str {
        if self.running { "Stopping" } else { "Stopped" }
    }
}

pub struct RestoreVm;

impl Saga for RestoreVm {
    const NAME: &'static str = "restore-vm";
    type Params = RestoreParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        Step::new_id("root_uuid"),
        step!("mark_stopping", mark_stopping, unmark_stopping),
        step!("stop_on_host", stop_on_host, start_on_host),
        step!("record_new_root", record_new_root, remove_new_root),
        step!("swap_root", swap_root, swap_back),
        step!("create_new_root", create_new_root, delete_new_root),
        step!("start_on_host", start_on_host, stop_on_host),
        step!("mark_running", mark_running),
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

/// A running VM becomes Stopping for the whole restore. Output: the host it runs on
/// (`None` for a stopped VM, for which this and the other host steps do nothing).
async fn mark_stopping(ctx: &SagaCtx<RestoreVm>) -> Result<Option<String>, ApiError> {
    let p = ctx.params();
    if !p.running {
        return Ok(None);
    }
    let mut db = ctx.context().store.acquire().await?;
    let mut c = db.c();
    let vm = super::vm_record(&mut c, p.vm_id).await?;
    if vm.state != "Stopping" && !c.set_vm_state(vm.id, &["Running"], "Stopping").await? {
        return Err(bad_state(&vm, "restore"));
    }
    vm.host_guid
        .map(Some)
        .ok_or_else(|| ApiError::internal("the running VM has no host"))
}

async fn unmark_stopping(ctx: &SagaCtx<RestoreVm>) -> Result<(), ApiError> {
    let p = ctx.params();
    if p.running {
        let mut db = ctx.context().store.acquire().await?;
        db.c()
            .set_vm_state(p.vm_id, &["Stopping"], "Running")
            .await?;
    }
    Ok(())
}

fn host_of(ctx: &SagaCtx<RestoreVm>) -> Result<Option<String>, ApiError> {
    ctx.lookup("mark_stopping").map_err(|e| e.0)
}

async fn stop_on_host(ctx: &SagaCtx<RestoreVm>) -> Result<(), ApiError> {
    match host_of(ctx)? {
        Some(guid) => power::stop_on(ctx.context(), ctx.params().vm_id, &guid, false).await,
        None => Ok(()),
    }
}

/// Boots the VM on its host with the root volume it has now (the new one; the old one
/// when undoing the stop).
async fn start_on_host(ctx: &SagaCtx<RestoreVm>) -> Result<(), ApiError> {
    match host_of(ctx)? {
        Some(guid) => power::start_on(ctx.context(), ctx.params().vm_id, &guid).await,
        None => Ok(()),
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

/// The new volume becomes the root of the VM (still stopped, or Stopping for a running
/// one), which now runs its template (a replay finds the swap done).
async fn swap_root(ctx: &SagaCtx<RestoreVm>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let new_root: i64 = ctx.lookup("record_new_root").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    let root = planner::root_volume(&mut c, p.vm_id).await?;
    if root.id == new_root {
        return Ok(p.vm_id);
    }
    // The same state (a no-op update) only if the VM is still in it.
    if !c
        .set_vm_state(p.vm_id, &[p.swap_state()], p.swap_state())
        .await?
    {
        let vm = super::vm_record(&mut c, p.vm_id).await?;
        return Err(bad_state(&vm, "restore (stop it first)"));
    }
    c.swap_root_volume(p.vm_id, p.old_root_id, new_root).await?;
    c.set_vm_template(p.vm_id, p.template_id, p.guest_os_id)
        .await?;
    tx.commit().await?;
    Ok(p.vm_id)
}

async fn swap_back(ctx: &SagaCtx<RestoreVm>) -> Result<(), ApiError> {
    let p = ctx.params();
    let new_root: i64 = ctx.lookup("record_new_root").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if planner::root_volume(&mut c, p.vm_id).await?.id == new_root {
        c.swap_root_volume(p.vm_id, new_root, p.old_root_id).await?;
        if let Some((template, guest_os)) = p.old_template {
            c.set_vm_template(p.vm_id, template, guest_os).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A running VM's new root volume is placed (its bytes taken) where the old one is, or
/// on a pool every host reaching that one reaches, and created there through its host.
async fn create_new_root(ctx: &SagaCtx<RestoreVm>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let Some(guid) = host_of(ctx)? else {
        return Ok(());
    };
    let new_root: i64 = ctx.lookup("record_new_root").map_err(|e| e.0)?;
    let pool_id = {
        let mut tx = engine.store.begin().await?;
        let mut c = tx.c();
        let old = c
            .volume_by_id(p.old_root_id)
            .await?
            .ok_or_else(|| ApiError::internal("the old root volume is gone"))?;
        let old_pool = old
            .pool_id
            .ok_or_else(|| ApiError::internal("the old root volume has no pool"))?;
        let local = storage::pool(engine, old_pool).await?.scope == "HOST";
        let reach = Reach::Pool(old_pool);
        let pool = storage::place(
            &mut c,
            engine,
            new_root,
            p.root_bytes,
            old.zone_id,
            reach,
            local,
        )
        .await?;
        tx.commit().await?;
        pool
    };
    power::create_root_on(engine, p.vm_id, &guid, pool_id).await
}

async fn delete_new_root(ctx: &SagaCtx<RestoreVm>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    if host_of(ctx)?.is_none() {
        return Ok(());
    }
    let new_root: i64 = ctx.lookup("record_new_root").map_err(|e| e.0)?;
    let Some(v) = engine
        .store
        .acquire()
        .await?
        .c()
        .volume_by_id(new_root)
        .await?
    else {
        return Ok(());
    };
    if let Some(pool) = v.pool_id {
        volume_migrate::delete_on(engine, v.zone_id, &v.uuid, pool).await?;
    }
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    c.volume_not_created(v.id).await?;
    planner::unplace_volume(
        &mut c,
        planner::RootVolume {
            id: v.id,
            pool_id: v.pool_id,
            bytes: p.root_bytes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn mark_running(ctx: &SagaCtx<RestoreVm>) -> Result<(), ApiError> {
    let p = ctx.params();
    if p.running {
        let mut db = ctx.context().store.acquire().await?;
        db.c()
            .set_vm_state(p.vm_id, &["Stopping", "Running"], "Running")
            .await?;
    }
    Ok(())
}

pub async fn restore_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let params = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let vm = vm_by_named(&mut c, &ctx.caller, &args, "virtualmachineid").await?;
        if vm.state != "Stopped" && vm.state != "Running" {
            return Err(bad_state(&vm, "restore"));
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
            old_template: Some((vm.template_id, vm.guest_os_id)),
            running: vm.state == "Running",
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
