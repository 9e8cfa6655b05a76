//! destroyVirtualMachine, recoverVirtualMachine, expungeVirtualMachine and the expunge
//! task: a destroyed VM stays recoverable for `expunge.delay` seconds, then the task
//! (every `expunge.interval` seconds) expunges it: volumes deleted on their pools,
//! capacity and records released. Expunging is a forward-only saga of idempotent steps:
//! a crash in the middle is finished by recovery.

use serde::{Deserialize, Serialize};
use strato_agent_proto::{Command, VolumeRef};
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};

use super::power::{StopParams, StopVm};
use super::{bad_state, host_ops, planner, view, vm_by_param};
use crate::limits::{self, ResourceType};
use crate::sagas::{self, EngineSaga};
use crate::{Ctx, Engine};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExpungeParams {
    pub vm_id: i64,
}

pub struct ExpungeVm;

impl Saga for ExpungeVm {
    const NAME: &'static str = "expunge-vm";
    type Params = ExpungeParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        step!("mark_expunging", mark_expunging),
        step!("delete_volumes", delete_volumes),
        step!("remove_records", remove_records),
    ];
}

impl EngineSaga for ExpungeVm {
    fn reply(_: &Engine, _: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async { Ok(Reply::success()) })
    }
}

async fn mark_expunging(ctx: &SagaCtx<ExpungeVm>) -> Result<(), ApiError> {
    let id = ctx.params().vm_id;
    let mut db = ctx.context().store.acquire().await?;
    let mut c = db.c();
    if !c
        .set_vm_state(id, &["Destroyed", "Expunging", "Error"], "Expunging")
        .await?
    {
        let vm = c
            .vm_by_id(id)
            .await?
            .ok_or_else(|| ApiError::internal("the VM record is gone"))?;
        return Err(bad_state(&vm, "expunge"));
    }
    Ok(())
}

/// Undefines the VM on its last host (a stopped VM stays defined there), then deletes
/// its volumes on that host, which mounts their pools.
async fn delete_volumes(ctx: &SagaCtx<ExpungeVm>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let id = ctx.params().vm_id;
    let (volumes, host, name) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let vm = c
            .vm_by_id(id)
            .await?
            .ok_or_else(|| ApiError::internal("the VM record is gone"))?;
        let host = match vm.last_host_id.or(vm.host_id) {
            Some(h) => c.host_by_id(h).await?.map(|h| h.guid),
            None => None,
        };
        (c.volumes_of_vms(&[id]).await?, host, vm.instance_name)
    };
    if let Some(host) = &host {
        host_ops::call(engine, host, Command::DestroyVm { name }).await?;
    }
    for v in volumes.iter().filter(|v| v.state == "Ready") {
        let (Some(pool), Some(pool_id), Some(host)) = (&v.pool_uuid, v.pool_id, &host) else {
            continue;
        };
        host_ops::mount_pools(engine, host, &[pool_id]).await?;
        host_ops::call(
            engine,
            host,
            Command::DeleteVolume {
                volume: VolumeRef {
                    pool_uuid: pool.clone(),
                    volume_uuid: v.uuid.clone(),
                },
            },
        )
        .await?;
    }
    Ok(())
}

async fn remove_records(ctx: &SagaCtx<ExpungeVm>) -> Result<(), ApiError> {
    let id = ctx.params().vm_id;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    let now = strato_schema::now();
    // A replay after the VM went: nothing left to release.
    let Some(vm) = c.vm_by_id(id).await? else {
        return Ok(());
    };
    let mut freed = vec![
        (ResourceType::UserVm, 1),
        (ResourceType::Cpu, i64::from(vm.cpus)),
        (ResourceType::Memory, vm.memory_mb),
    ];
    for v in c.volumes_of_vms(&[id]).await? {
        if let Some(pool) = v.pool_id {
            c.release_pool_capacity(pool, v.size).await?;
        }
        freed.push((ResourceType::Volume, 1));
        freed.push((ResourceType::PrimaryStorage, v.size));
        c.remove_volume(v.id, now).await?;
    }
    planner::release(&mut c, id).await?;
    // Expunging (not destroying) frees the VM's addresses, as in CloudStack.
    crate::guestnet::release_nics(&mut c, id).await?;
    crate::handlers::tags::delete_tags_of(&mut c, "UserVm", id).await?;
    crate::handlers::instance_groups::set_group_of_vm(&mut c, id, None).await?;
    super::affinity::leave_all(&mut c, id).await?;
    c.remove_vm(id, now).await?;
    limits::release(&mut c, vm.account_id, &freed).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn destroy_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let vm = {
        let mut db = ctx.engine.store.acquire().await?;
        vm_by_param(&mut db.c(), &ctx.caller, &args).await?
    };
    let expunge = args.flag("expunge");
    if expunge && !may_expunge(&ctx) {
        return Err(ApiError::permission(
            "Only admins may expunge a VM (allow.user.expunge.recover.vm is false)",
        ));
    }
    match vm.state.as_str() {
        "Running" => {
            // The stop is part of this job but not its saga: it finishes on its own.
            let outcome = ctx
                .engine
                .sagas
                .exec
                .run::<StopVm>(
                    &ctx.engine,
                    StopParams {
                        vm_id: vm.id,
                        force: ctx.engine.settings.bool("vm.destroy.forcestop"),
                    },
                    None,
                )
                .await
                .map_err(|e| ApiError::internal(format!("stopping the VM stopped: {e}")))?;
            outcome.into_result()?;
        }
        "Stopped" | "Error" | "Allocated" => {}
        "Destroyed" if expunge => {}
        _ => return Err(bad_state(&vm, "destroy")),
    }
    let mut db = ctx.engine.store.acquire().await?;
    if vm.state != "Destroyed"
        && !db
            .c()
            .set_vm_state(vm.id, &["Stopped", "Error", "Allocated"], "Destroyed")
            .await?
    {
        return Err(super::super::handlers::concurrent_change("virtual machine"));
    }
    drop(db);
    let reply = view::vm_reply(&ctx.engine, vm.id).await?;
    if expunge {
        sagas::run::<ExpungeVm>(&ctx, ExpungeParams { vm_id: vm.id }).await?;
    }
    Ok(reply)
}

pub async fn recover_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    if !may_expunge(&ctx) {
        return Err(ApiError::permission(
            "Only admins may recover a VM (allow.user.expunge.recover.vm is false)",
        ));
    }
    let vm = {
        let mut db = ctx.engine.store.acquire().await?;
        vm_by_param(&mut db.c(), &ctx.caller, &args).await?
    };
    let mut db = ctx.engine.store.acquire().await?;
    if !db
        .c()
        .set_vm_state(vm.id, &["Destroyed"], "Stopped")
        .await?
    {
        return Err(bad_state(&vm, "recover"));
    }
    drop(db);
    view::vm_reply(&ctx.engine, vm.id).await
}

pub async fn expunge_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    if !may_expunge(&ctx) {
        return Err(ApiError::permission(
            "Only admins may expunge a VM (allow.user.expunge.recover.vm is false)",
        ));
    }
    let vm = {
        let mut db = ctx.engine.store.acquire().await?;
        vm_by_param(&mut db.c(), &ctx.caller, &args).await?
    };
    if !matches!(vm.state.as_str(), "Destroyed" | "Expunging" | "Error") {
        return Err(bad_state(&vm, "expunge"));
    }
    sagas::run::<ExpungeVm>(&ctx, ExpungeParams { vm_id: vm.id }).await
}

fn may_expunge(ctx: &Ctx) -> bool {
    ctx.caller.role_type != crate::RoleType::User
        || ctx.engine.settings.bool("allow.user.expunge.recover.vm")
}

/// The expunge task: destroyed VMs older than `expunge.delay` are expunged.
pub fn start_expunger(engine: &Engine) -> tokio::task::JoinHandle<()> {
    let engine = engine.clone();
    tokio::spawn(async move {
        loop {
            let interval = engine.settings.i64("expunge.interval").clamp(1, 86_400);
            tokio::time::sleep(std::time::Duration::from_secs(interval.unsigned_abs())).await;
            if let Err(e) = expunge_due(&engine).await {
                tracing::warn!(error = %e, "expunging destroyed VMs failed");
            }
        }
    })
}

async fn expunge_due(engine: &Engine) -> Result<(), ApiError> {
    let delay = engine.settings.i64("expunge.delay").max(0);
    let before = strato_schema::now() - chrono::Duration::seconds(delay);
    let due = engine
        .store
        .acquire()
        .await?
        .c()
        .vms_to_expunge(before)
        .await?;
    for id in due {
        let outcome = engine
            .sagas
            .exec
            .run::<ExpungeVm>(engine, ExpungeParams { vm_id: id }, None)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if let Err(e) = outcome.into_result() {
            tracing::warn!(vm = id, error = %e, "expunge failed; will retry");
        }
    }
    Ok(())
}
