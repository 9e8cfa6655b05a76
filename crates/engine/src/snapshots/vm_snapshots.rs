//! VM snapshots on the Simulator: a snapshot of every volume of the VM, named after the
//! VM snapshot. createVMSnapshot is a saga (record → volume snapshots → Ready);
//! revertToVMSnapshot (VM stopped) and deleteVMSnapshot go through Reverting and
//! Expunging, so an interrupted one can be run again.

use serde::{Deserialize, Serialize};
use strato_agent_proto::Command;
use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};
use strato_schema::Conn;
use strato_schema::vm_snapshot::{NewVmSnapshot, VmSnapshotFilter, VmSnapshotRow};

use super::create::volume_and_host;
use crate::caller::Caller;
use crate::sagas::{self, EngineSaga};
use crate::vms::host_ops;
use crate::volumes::{attach, storage};
use crate::{Ctx, Engine, access, paging};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VmSnapshotParams {
    pub vm_id: i64,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub account_id: i64,
    pub domain_id: i64,
}

pub struct CreateVmSnapshot;

impl Saga for CreateVmSnapshot {
    const NAME: &'static str = "create-vm-snapshot";
    type Params = VmSnapshotParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        Step::new_id("vm_snapshot_uuid"),
        step!("create_record", create_record, remove_record),
        step!(
            "snapshot_volumes",
            snapshot_volumes,
            delete_volume_snapshots
        ),
        step!("mark_ready", mark_ready),
    ];
}

impl EngineSaga for CreateVmSnapshot {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("create_record").map_err(|e| e.0)?;
            let s = engine
                .store
                .acquire()
                .await?
                .c()
                .vm_snapshot_by_id(id)
                .await?
                .ok_or_else(|| ApiError::internal("the VM snapshot is gone"))?;
            Ok(Reply::Object(vm_snapshot_obj(&s, "vmsnapshot")))
        })
    }
}

async fn create_record(ctx: &SagaCtx<CreateVmSnapshot>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let uuid: String = ctx.lookup("vm_snapshot_uuid").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    if let Some(s) = c.vm_snapshot_by_uuid(&uuid).await? {
        return Ok(s.id);
    }
    let volumes: Vec<i64> = c
        .volumes_of_vms(&[p.vm_id])
        .await?
        .into_iter()
        .filter(|v| v.state == "Ready")
        .map(|v| v.id)
        .collect();
    let parent = c.current_vm_snapshot(p.vm_id).await?;
    let id = c
        .insert_vm_snapshot(
            &NewVmSnapshot {
                uuid: &uuid,
                name: &p.name,
                display_name: &p.display_name,
                description: p.description.as_deref(),
                account_id: p.account_id,
                domain_id: p.domain_id,
                vm_id: p.vm_id,
            },
            &volumes,
            strato_schema::now(),
        )
        .await?;
    c.set_vm_snapshot_parent(id, parent).await?;
    tx.commit().await?;
    Ok(id)
}

async fn remove_record(ctx: &SagaCtx<CreateVmSnapshot>) -> Result<(), ApiError> {
    let uuid: String = ctx.lookup("vm_snapshot_uuid").map_err(|e| e.0)?;
    let mut db = ctx.context().store.acquire().await?;
    let mut c = db.c();
    if let Some(s) = c.vm_snapshot_by_uuid(&uuid).await? {
        c.remove_vm_snapshot(s.id, strato_schema::now()).await?;
    }
    Ok(())
}

/// Sends `cmd(volume, snapshot name)` for every live volume the VM snapshot covers.
async fn each_volume(
    engine: &Engine,
    id: i64,
    uuid: &str,
    cmd: fn(strato_agent_proto::VolumeRef, String) -> Command,
) -> Result<(), ApiError> {
    let volumes = engine
        .store
        .acquire()
        .await?
        .c()
        .vm_snapshot_volumes(id)
        .await?;
    for volume_id in volumes {
        let live = engine
            .store
            .acquire()
            .await?
            .c()
            .volume_by_id(volume_id)
            .await?;
        if live.is_none_or(|v| v.pool_id.is_none()) {
            continue;
        }
        let (v, pool, host) = volume_and_host(engine, volume_id).await?;
        host_ops::call(
            engine,
            &host,
            cmd(storage::volume_ref(&pool, &v.uuid), uuid.to_string()),
        )
        .await?;
    }
    Ok(())
}

fn create_cmd(volume: strato_agent_proto::VolumeRef, snapshot_uuid: String) -> Command {
    Command::CreateSnapshot {
        volume,
        snapshot_uuid,
    }
}

fn delete_cmd(volume: strato_agent_proto::VolumeRef, snapshot_uuid: String) -> Command {
    Command::DeleteSnapshot {
        volume,
        snapshot_uuid,
    }
}

fn revert_cmd(volume: strato_agent_proto::VolumeRef, snapshot_uuid: String) -> Command {
    Command::RevertSnapshot {
        volume,
        snapshot_uuid,
    }
}

async fn snapshot_volumes(ctx: &SagaCtx<CreateVmSnapshot>) -> Result<(), ApiError> {
    let id: i64 = ctx.lookup("create_record").map_err(|e| e.0)?;
    let uuid: String = ctx.lookup("vm_snapshot_uuid").map_err(|e| e.0)?;
    each_volume(ctx.context(), id, &uuid, create_cmd).await
}

async fn delete_volume_snapshots(ctx: &SagaCtx<CreateVmSnapshot>) -> Result<(), ApiError> {
    let id: i64 = ctx.lookup("create_record").map_err(|e| e.0)?;
    let uuid: String = ctx.lookup("vm_snapshot_uuid").map_err(|e| e.0)?;
    each_volume(ctx.context(), id, &uuid, delete_cmd).await
}

async fn mark_ready(ctx: &SagaCtx<CreateVmSnapshot>) -> Result<(), ApiError> {
    let id: i64 = ctx.lookup("create_record").map_err(|e| e.0)?;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    c.set_vm_snapshot_state(id, &["Creating", "Ready"], "Ready")
        .await?;
    c.make_vm_snapshot_current(id, ctx.params().vm_id).await?;
    tx.commit().await?;
    Ok(())
}

pub fn vm_snapshot_obj(s: &VmSnapshotRow, name: &str) -> Obj {
    Obj::new(name)
        .str("id", &s.uuid)
        .str("name", &s.name)
        .str("displayname", &s.display_name)
        .opt_str("description", s.description.clone())
        .str("account", &s.account_name)
        .str("domainid", &s.domain_uuid)
        .str("domain", &s.domain_name)
        .str("domainpath", &s.domain_path)
        .str("virtualmachineid", &s.vm_uuid)
        .str("virtualmachinename", &s.vm_name)
        .str("zoneid", &s.zone_uuid)
        .str("zonename", &s.zone_name)
        .str("hypervisor", &s.vm_hypervisor)
        .opt_str("parent", s.parent_uuid.clone())
        .opt_str("parentName", s.parent_name.clone())
        .bool("current", s.current)
        .str("type", &s.snapshot_type)
        .str("state", &s.state)
        .date("created", &s.created)
        .node("tags", Node::Objs(Vec::new()))
        .bool("hasannotations", false)
}

async fn vm_snapshot_by_param(
    c: &mut Conn<'_>,
    caller: &Caller,
    id: &str,
) -> Result<VmSnapshotRow, ApiError> {
    let s = c
        .vm_snapshot_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("vmsnapshotid", id, "VM snapshot"))?;
    let owner = c
        .account_by_id(s.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM snapshot's owner is gone"))?;
    access::check_account(caller, &owner)?;
    Ok(s)
}

pub async fn create_vm_snapshot(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    if args.flag("snapshotmemory") {
        return Err(ApiError::param(
            "Memory snapshots are not supported (parameter snapshotmemory); take a disk \
             snapshot",
        ));
    }
    let (vm, volumes) = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let vm =
            attach::vm_for(&mut c, &ctx.caller, args.required_str("virtualmachineid")?).await?;
        let volumes = c.volumes_of_vms(&[vm.id]).await?;
        (vm, volumes)
    };
    if !matches!(vm.state.as_str(), "Running" | "Stopped") {
        return Err(crate::vms::bad_state(&vm, "snapshot"));
    }
    if let Some(v) = volumes.iter().find(|v| v.state != "Ready") {
        return Err(ApiError::param(format!(
            "Volume {} of VM {} is {}; every volume must be Ready for a VM snapshot",
            v.uuid, vm.uuid, v.state
        )));
    }
    let name = format!(
        "{}_VS_{}",
        vm.instance_name,
        strato_schema::now().format("%Y%m%d%H%M%S")
    );
    let display_name = match args.str("name").map(str::trim) {
        Some(n) => {
            crate::handlers::check_name("name", n)?;
            n.to_string()
        }
        None => name.clone(),
    };
    sagas::run::<CreateVmSnapshot>(
        &ctx,
        VmSnapshotParams {
            vm_id: vm.id,
            name,
            display_name,
            description: args.str("description").map(str::to_string),
            account_id: vm.account_id,
            domain_id: vm.domain_id,
        },
    )
    .await
}

pub async fn list_vm_snapshot(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let mut f = VmSnapshotFilter {
        account_id: scope.account_id,
        domain_id: scope.domain_id,
        subtree: scope.subtree,
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        state: args.str("state").map(str::to_string),
        ..VmSnapshotFilter::default()
    };
    if let Some(id) = args.uuid("vmsnapshotid") {
        f.uuids.push(id.to_string());
    }
    f.uuids.extend(
        args.list("vmsnapshotids")
            .unwrap_or_default()
            .iter()
            .cloned(),
    );
    if let Some(v) = args.uuid("virtualmachineid") {
        f.vm_id = Some(
            c.vm_by_uuid(v)
                .await?
                .ok_or_else(|| ApiError::not_found("virtualmachineid", v, "virtual machine"))?
                .id,
        );
    }
    let (total, rows) = c.list_vm_snapshots(&f, page).await?;
    let items = rows
        .iter()
        .map(|s| vm_snapshot_obj(s, "vmSnapshot"))
        .collect();
    Ok(Reply::list(usize::try_from(total).unwrap_or(0), items))
}

pub async fn revert_to_vm_snapshot(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let engine = &ctx.engine;
    let (s, vm) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let s =
            vm_snapshot_by_param(&mut c, &ctx.caller, args.required_str("vmsnapshotid")?).await?;
        let vm = attach::vm_row(&mut c, s.vm_id).await?;
        (s, vm)
    };
    if vm.state != "Stopped" {
        return Err(ApiError::param(format!(
            "VM {} is {}; stop it before reverting it to a disk snapshot",
            vm.uuid, vm.state
        )));
    }
    let mut db = engine.store.acquire().await?;
    if !db
        .c()
        .set_vm_snapshot_state(s.id, &["Ready", "Reverting"], "Reverting")
        .await?
    {
        return Err(ApiError::param(format!(
            "Unable to revert to VM snapshot {} in state {}",
            s.uuid, s.state
        )));
    }
    drop(db);
    let reverted = each_volume(engine, s.id, &s.uuid, revert_cmd).await;
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    c.set_vm_snapshot_state(s.id, &["Reverting"], "Ready")
        .await?;
    if reverted.is_ok() {
        c.make_vm_snapshot_current(s.id, vm.id).await?;
    }
    tx.commit().await?;
    reverted?;
    crate::vms::view::vm_reply(engine, vm.id).await
}

pub async fn delete_vm_snapshot(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let engine = &ctx.engine;
    let s = {
        let mut db = engine.store.acquire().await?;
        vm_snapshot_by_param(&mut db.c(), &ctx.caller, args.required_str("vmsnapshotid")?).await?
    };
    let mut db = engine.store.acquire().await?;
    if !db
        .c()
        .set_vm_snapshot_state(s.id, &["Ready", "Error", "Expunging"], "Expunging")
        .await?
    {
        return Err(ApiError::param(format!(
            "Unable to delete VM snapshot {} in state {}",
            s.uuid, s.state
        )));
    }
    drop(db);
    each_volume(engine, s.id, &s.uuid, delete_cmd).await?;
    let mut db = engine.store.acquire().await?;
    db.c()
        .remove_vm_snapshot(s.id, strato_schema::now())
        .await?;
    Ok(Reply::success())
}
