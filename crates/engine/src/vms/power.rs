//! startVirtualMachine, stopVirtualMachine and rebootVirtualMachine. Start and stop are
//! sagas: start reserves capacity on a host (its last one when it still fits), creates
//! a root volume never created yet, and boots the VM; stop shuts it down and gives the
//! capacity back. A failure at any step leaves the VM as it was.

use serde::{Deserialize, Serialize};
use strato_agent_proto::Command;
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};

use super::{bad_state, host_ops, nic_spec, nics, planner, view, vm_by_param};
use crate::sagas::{self, EngineSaga};
use crate::{Ctx, Engine};

/// Boots VM `id` on the host (StartVm is idempotent on the host).
pub async fn start_on(engine: &Engine, id: i64, host_guid: &str) -> Result<(), ApiError> {
    let (vm, volumes, nics) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let vm = c
            .vm_by_id(id)
            .await?
            .ok_or_else(|| ApiError::internal("the VM record is gone"))?;
        let volumes = c.volumes_of_vms(&[id]).await?;
        let nics = nic_spec::nic_specs(&mut c, id).await?;
        (vm, volumes, nics)
    };
    let pools: Vec<i64> = volumes.iter().filter_map(|v| v.pool_id).collect();
    host_ops::mount_pools(engine, host_guid, &pools).await?;
    let spec = host_ops::vm_spec(&vm, &volumes, nics);
    host_ops::call(engine, host_guid, Command::StartVm(spec)).await?;
    super::iso::insert_at_start(engine, &vm, host_guid).await?;
    Ok(())
}

/// Stops VM `id` on the host; a VM that is not there counts as stopped.
pub async fn stop_on(
    engine: &Engine,
    id: i64,
    host_guid: &str,
    force: bool,
) -> Result<(), ApiError> {
    let name = {
        let mut db = engine.store.acquire().await?;
        db.c()
            .vm_by_id(id)
            .await?
            .map(|v| v.instance_name)
            .ok_or_else(|| ApiError::internal("the VM record is gone"))?
    };
    host_ops::call(engine, host_guid, Command::StopVm { name, force }).await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StartParams {
    pub vm_id: i64,
    /// An admin's choice of host.
    pub host_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Started {
    pub host_id: i64,
    pub host_guid: String,
    pub pool_id: i64,
}

pub struct StartVm;

impl Saga for StartVm {
    const NAME: &'static str = "start-vm";
    type Params = StartParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        step!("mark_starting", mark_starting, unmark_starting),
        step!("implement_networks", implement_networks),
        step!("reserve_capacity", reserve_capacity, release_capacity),
        step!("ensure_root_volume", ensure_root_volume),
        step!("start_on_host", start_on_host, stop_on_host),
        step!("mark_running", mark_running),
    ];
}

impl EngineSaga for StartVm {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("mark_starting").map_err(|e| e.0)?;
            view::vm_reply(engine, id).await
        })
    }
}

async fn mark_starting(ctx: &SagaCtx<StartVm>) -> Result<i64, ApiError> {
    let id = ctx.params().vm_id;
    let mut db = ctx.context().store.write().await?;
    let mut c = db.c();
    if !c
        .set_vm_state(id, &["Stopped", "Starting"], "Starting")
        .await?
    {
        let vm = c
            .vm_by_id(id)
            .await?
            .ok_or_else(|| ApiError::internal("the VM record is gone"))?;
        return Err(bad_state(&vm, "start"));
    }
    Ok(id)
}

async fn unmark_starting(ctx: &SagaCtx<StartVm>) -> Result<(), ApiError> {
    let mut db = ctx.context().store.write().await?;
    db.c()
        .set_vm_state(ctx.params().vm_id, &["Starting"], "Stopped")
        .await?;
    Ok(())
}

/// Networks of the VM's NICs that are only Allocated get their VLAN/VNI (and source
/// NAT address); they stay implemented, as the stopped VM keeps its NICs there.
async fn implement_networks(ctx: &SagaCtx<StartVm>) -> Result<(), ApiError> {
    nics::implement_networks_of(ctx.context(), ctx.params().vm_id).await
}

async fn reserve_capacity(ctx: &SagaCtx<StartVm>) -> Result<Started, ApiError> {
    let engine = ctx.context();
    let id = ctx.params().vm_id;
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let vm = c
        .vm_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM record is gone"))?;
    let req = planner::vm_request(&mut c, &vm, ctx.params().host_id, None).await?;
    let placed = planner::reserve(&mut c, engine, id, &req).await?;
    c.set_vm_host(
        id,
        Some((placed.host.id, placed.host.pod_id, placed.host.cluster_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(Started {
        host_id: placed.host.id,
        host_guid: placed.host.guid,
        pool_id: placed.pool.id,
    })
}

async fn release_capacity(ctx: &SagaCtx<StartVm>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let id = ctx.params().vm_id;
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let root = planner::root_volume(&mut c, id).await?;
    planner::release(&mut c, id).await?;
    planner::unplace_volume(&mut c, root).await?;
    c.set_vm_host(id, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates the root volume on first start (a VM deployed with startvm=false).
async fn ensure_root_volume(ctx: &SagaCtx<StartVm>) -> Result<(), ApiError> {
    let s: Started = ctx.lookup("reserve_capacity").map_err(|e| e.0)?;
    create_root_on(ctx.context(), ctx.params().vm_id, &s.host_guid, s.pool_id).await
}

/// Creates VM `id`'s root volume from its template on pool `pool_id` through the host,
/// unless it is created already.
pub async fn create_root_on(
    engine: &Engine,
    id: i64,
    host_guid: &str,
    pool_id: i64,
) -> Result<(), ApiError> {
    let (root, template) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let root = c
            .volumes_of_vms(&[id])
            .await?
            .into_iter()
            .find(|v| v.volume_type == "ROOT")
            .ok_or_else(|| ApiError::internal("the VM has no root volume"))?;
        let template = match root.template_id {
            Some(t) => c.template_by_id(t).await?,
            None => None,
        };
        (root, template)
    };
    if root.state == "Ready" {
        return Ok(());
    }
    let t = template.ok_or_else(|| ApiError::internal("the root volume's template is gone"))?;
    let (pool, template) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let pool = c
            .pool_candidate(pool_id)
            .await?
            .ok_or_else(|| ApiError::internal("the storage pool is gone"))?;
        // Where a real host copies the template from, if the pool does not have it yet.
        let template = crate::images::prepare::template_ref(&mut c, &t, root.zone_id)
            .await?
            .ok_or_else(|| ApiError::param("the VM's template is not ready in its zone"))?;
        (pool, template)
    };
    let (path, size) =
        host_ops::create_root_volume(engine, host_guid, &pool, &root.uuid, root.size, template)
            .await?;
    let mut db = engine.store.write().await?;
    db.c().volume_ready(root.id, &path, size).await?;
    Ok(())
}

async fn start_on_host(ctx: &SagaCtx<StartVm>) -> Result<(), ApiError> {
    let s: Started = ctx.lookup("reserve_capacity").map_err(|e| e.0)?;
    start_on(ctx.context(), ctx.params().vm_id, &s.host_guid).await
}

async fn stop_on_host(ctx: &SagaCtx<StartVm>) -> Result<(), ApiError> {
    let s: Started = ctx.lookup("reserve_capacity").map_err(|e| e.0)?;
    stop_on(ctx.context(), ctx.params().vm_id, &s.host_guid, true).await
}

async fn mark_running(ctx: &SagaCtx<StartVm>) -> Result<(), ApiError> {
    let mut db = ctx.context().store.write().await?;
    db.c()
        .set_vm_state(ctx.params().vm_id, &["Starting", "Running"], "Running")
        .await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StopParams {
    pub vm_id: i64,
    pub force: bool,
}

pub struct StopVm;

impl Saga for StopVm {
    const NAME: &'static str = "stop-vm";
    type Params = StopParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        step!("mark_stopping", mark_stopping, unmark_stopping),
        step!("stop_on_host", stop_host),
        step!("release_capacity", release_and_stop),
    ];
}

impl EngineSaga for StopVm {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let (id, _): (i64, Option<String>) =
                outputs.lookup("mark_stopping").map_err(|e| e.0)?;
            view::vm_reply(engine, id).await
        })
    }
}

/// Output: the VM id and the host it ran on.
async fn mark_stopping(ctx: &SagaCtx<StopVm>) -> Result<(i64, Option<String>), ApiError> {
    let id = ctx.params().vm_id;
    let mut db = ctx.context().store.write().await?;
    let mut c = db.c();
    let vm = c
        .vm_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM record is gone"))?;
    if vm.state != "Stopping" && !c.set_vm_state(id, &["Running"], "Stopping").await? {
        return Err(bad_state(&vm, "stop"));
    }
    Ok((id, vm.host_guid))
}

async fn unmark_stopping(ctx: &SagaCtx<StopVm>) -> Result<(), ApiError> {
    let mut db = ctx.context().store.write().await?;
    db.c()
        .set_vm_state(ctx.params().vm_id, &["Stopping"], "Running")
        .await?;
    Ok(())
}

async fn stop_host(ctx: &SagaCtx<StopVm>) -> Result<(), ApiError> {
    let (id, host): (i64, Option<String>) = ctx.lookup("mark_stopping").map_err(|e| e.0)?;
    match host {
        Some(h) => stop_on(ctx.context(), id, &h, ctx.params().force).await,
        None => Ok(()),
    }
}

async fn release_and_stop(ctx: &SagaCtx<StopVm>) -> Result<(), ApiError> {
    let id = ctx.params().vm_id;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    planner::release(&mut c, id).await?;
    c.set_vm_host(id, None).await?;
    c.set_vm_state(id, &["Stopping", "Stopped"], "Stopped")
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn start_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let (vm, host_id) = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let vm = vm_by_param(&mut c, &ctx.caller, &args).await?;
        let host_id = match args.uuid("hostid") {
            Some(h) => {
                if !ctx.caller.is_root_admin() {
                    return Err(ApiError::permission(
                        "Only root admins may choose the host (parameter hostid)",
                    ));
                }
                Some(
                    c.host_by_uuid(h)
                        .await?
                        .ok_or_else(|| ApiError::not_found("hostid", h, "host"))?
                        .id,
                )
            }
            None => None,
        };
        (vm, host_id)
    };
    if vm.state == "Running" {
        return view::vm_reply(&ctx.engine, vm.id).await;
    }
    if vm.state != "Stopped" {
        return Err(bad_state(&vm, "start"));
    }
    sagas::run::<StartVm>(
        &ctx,
        StartParams {
            vm_id: vm.id,
            host_id,
        },
    )
    .await
}

pub async fn stop_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let vm = {
        let mut db = ctx.engine.store.acquire().await?;
        vm_by_param(&mut db.c(), &ctx.caller, &args).await?
    };
    if vm.state == "Stopped" {
        return view::vm_reply(&ctx.engine, vm.id).await;
    }
    if vm.state != "Running" {
        return Err(bad_state(&vm, "stop"));
    }
    sagas::run::<StopVm>(
        &ctx,
        StopParams {
            vm_id: vm.id,
            force: args.flag("forced"),
        },
    )
    .await
}

pub async fn reboot_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let vm = {
        let mut db = ctx.engine.store.acquire().await?;
        vm_by_param(&mut db.c(), &ctx.caller, &args).await?
    };
    let (Some(host), "Running") = (vm.host_guid.as_deref(), vm.state.as_str()) else {
        return Err(bad_state(&vm, "reboot"));
    };
    host_ops::call(
        &ctx.engine,
        host,
        Command::RebootVm {
            name: vm.instance_name.clone(),
        },
    )
    .await?;
    view::vm_reply(&ctx.engine, vm.id).await
}
