//! migrateVirtualMachine (live, same storage) and findHostsForMigration. Migration is a
//! saga: the target's capacity is held next to the source's while the VM moves, and
//! the source's is given back only once the VM runs on the target; a failure at any
//! step leaves the VM Running where it was.

use serde::{Deserialize, Serialize};
use strato_agent_proto::{Command, DiskSource, VolumeMigration};
use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};
use strato_schema::Conn;
use strato_schema::host::HostRow;
use strato_schema::vm::VmRow;

use super::migrate_with_volume::VolumeMove;
use super::{bad_state, host_ops, planner, view};
use crate::sagas::{self, EngineSaga};
use crate::{Ctx, Engine, access, paging};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MigrateParams {
    pub vm_id: i64,
    /// The admin's choice; the planner picks one otherwise.
    pub host_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Target {
    pub source_id: i64,
    pub source_guid: String,
    pub host_id: i64,
    pub host_guid: String,
}

pub struct MigrateVm;

impl Saga for MigrateVm {
    const NAME: &'static str = "migrate-vm";
    type Params = MigrateParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        step!("mark_migrating", mark_migrating, unmark_migrating),
        step!("reserve_target", reserve_target, release_target),
        step!("prepare_target", prepare_target),
        step!("migrate", migrate),
        step!("switch_host", switch_host),
    ];
}

impl EngineSaga for MigrateVm {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("mark_migrating").map_err(|e| e.0)?;
            view::vm_reply(engine, id).await
        })
    }
}

async fn vm(c: &mut Conn<'_>, id: i64) -> Result<VmRow, ApiError> {
    c.vm_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM record is gone"))
}

async fn mark_migrating(ctx: &SagaCtx<MigrateVm>) -> Result<i64, ApiError> {
    let id = ctx.params().vm_id;
    let mut db = ctx.context().store.acquire().await?;
    let mut c = db.c();
    if !c
        .set_vm_state(id, &["Running", "Migrating"], "Migrating")
        .await?
    {
        return Err(bad_state(&vm(&mut c, id).await?, "migrate"));
    }
    Ok(id)
}

async fn unmark_migrating(ctx: &SagaCtx<MigrateVm>) -> Result<(), ApiError> {
    let mut db = ctx.context().store.acquire().await?;
    db.c()
        .set_vm_state(ctx.params().vm_id, &["Migrating"], "Running")
        .await?;
    Ok(())
}

async fn reserve_target(ctx: &SagaCtx<MigrateVm>) -> Result<Target, ApiError> {
    let engine = ctx.context();
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let v = vm(&mut c, ctx.params().vm_id).await?;
    let (Some(source_id), Some(source_guid)) = (v.host_id, v.host_guid.clone()) else {
        return Err(bad_state(&v, "migrate"));
    };
    let host_id = held_target(&mut c, v.id, source_id)
        .await?
        .or(ctx.params().host_id);
    let req = planner::vm_request(&mut c, &v, host_id, v.host_id).await?;
    let placed = planner::reserve(&mut c, engine, v.id, &req).await?;
    tx.commit().await?;
    Ok(Target {
        source_id,
        source_guid,
        host_id: placed.host.id,
        host_guid: placed.host.guid,
    })
}

/// The target a replayed reservation took already (a host other than the VM's): the
/// planner could pick another one and hold capacity on a third host.
pub(super) async fn held_target(
    c: &mut Conn<'_>,
    vm_id: i64,
    source_id: i64,
) -> Result<Option<i64>, ApiError> {
    let held = c.host_reservations_of(vm_id).await?;
    Ok(held.into_iter().find(|h| *h != source_id))
}

async fn release_target(ctx: &SagaCtx<MigrateVm>) -> Result<(), ApiError> {
    let t: Target = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let mut db = ctx.context().store.acquire().await?;
    db.c()
        .release_host_capacity(ctx.params().vm_id, Some(t.host_id))
        .await?;
    Ok(())
}

/// Readies `host_guid` to receive VM `vm_id`: its pools mounted (moved volumes'
/// destinations instead of their sources) and PrepareForMigration with the disks where
/// they will be.
pub(super) async fn prepare_on(
    engine: &Engine,
    vm_id: i64,
    host_guid: &str,
    moves: &[VolumeMove],
) -> Result<(), ApiError> {
    let (v, volumes, nics) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let v = vm(&mut c, vm_id).await?;
        let volumes = c.volumes_of_vms(&[v.id]).await?;
        let nics = super::nic_spec::nic_specs(&mut c, v.id).await?;
        (v, volumes, nics)
    };
    let pools: Vec<i64> = volumes
        .iter()
        .filter_map(|x| match moves.iter().find(|m| m.volume_id == x.id) {
            Some(m) => Some(m.dest_pool),
            None => x.pool_id,
        })
        .collect();
    host_ops::mount_pools(engine, host_guid, &pools).await?;
    let mut spec = host_ops::vm_spec(&v, &volumes, nics);
    for disk in &mut spec.volumes {
        if let DiskSource::Volume(r) = &mut disk.source
            && let Some(m) = moves.iter().find(|m| m.volume_uuid == r.volume_uuid)
        {
            *r = m.migration().dest;
        }
    }
    host_ops::call(engine, host_guid, Command::PrepareForMigration(spec)).await?;
    Ok(())
}

/// Live-migrates VM `vm_id` from one host to another, the volumes of `volume_map`
/// copied to their destinations on the way.
pub(super) async fn migrate_on(
    engine: &Engine,
    vm_id: i64,
    from_guid: &str,
    to_guid: &str,
    volume_map: Vec<VolumeMigration>,
) -> Result<(), ApiError> {
    // The destination's private address: where a KVM source sends the VM's memory.
    let (name, dest_ip) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let name = vm(&mut c, vm_id).await?.instance_name;
        (
            name,
            c.host_by_guid(to_guid).await?.and_then(|h| h.private_ip),
        )
    };
    host_ops::call(
        engine,
        from_guid,
        Command::MigrateVm {
            name,
            dest_host_guid: to_guid.to_string(),
            dest_ip,
            volume_map,
        },
    )
    .await?;
    Ok(())
}

async fn prepare_target(ctx: &SagaCtx<MigrateVm>) -> Result<(), ApiError> {
    let t: Target = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    prepare_on(ctx.context(), ctx.params().vm_id, &t.host_guid, &[]).await
}

async fn migrate(ctx: &SagaCtx<MigrateVm>) -> Result<(), ApiError> {
    let t: Target = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let id = ctx.params().vm_id;
    migrate_on(ctx.context(), id, &t.source_guid, &t.host_guid, Vec::new()).await
}

async fn switch_host(ctx: &SagaCtx<MigrateVm>) -> Result<(), ApiError> {
    let t: Target = ctx.lookup("reserve_target").map_err(|e| e.0)?;
    let id = ctx.params().vm_id;
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    let target = c
        .host_by_id(t.host_id)
        .await?
        .ok_or_else(|| ApiError::internal("the target host is gone"))?;
    c.release_host_capacity(id, Some(t.source_id)).await?;
    c.set_vm_host(id, Some((target.id, target.pod_id, target.cluster_id)))
        .await?;
    c.set_vm_state(id, &["Migrating", "Running"], "Running")
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn migrate_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let (v, host) = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        (
            vm_param(&mut c, &ctx, &args).await?,
            host_param(&mut c, &args).await?,
        )
    };
    if v.state != "Running" {
        return Err(bad_state(&v, "migrate"));
    }
    let host_id = host.map(|h| h.id);
    check_not_current(&v, host_id)?;
    sagas::run::<MigrateVm>(
        &ctx,
        MigrateParams {
            vm_id: v.id,
            host_id,
        },
    )
    .await
}

/// The optional `hostid` of a migration.
pub(super) async fn host_param(c: &mut Conn<'_>, args: &Args) -> Result<Option<HostRow>, ApiError> {
    match args.uuid("hostid") {
        Some(h) => Ok(Some(
            c.host_by_uuid(h)
                .await?
                .ok_or_else(|| ApiError::not_found("hostid", h, "host"))?,
        )),
        None => Ok(None),
    }
}

/// A migration target must be another host than the VM's.
pub(super) fn check_not_current(v: &VmRow, host_id: Option<i64>) -> Result<(), ApiError> {
    if host_id.is_some() && host_id == v.host_id {
        return Err(ApiError::param(
            "Invalid parameter hostid: the VM already runs on that host",
        ));
    }
    Ok(())
}

/// `virtualmachineid`, for admins only (CloudStack's migration commands are admin ones).
pub(super) async fn vm_param(c: &mut Conn<'_>, ctx: &Ctx, args: &Args) -> Result<VmRow, ApiError> {
    let id = args.required_str("virtualmachineid")?;
    let v = c
        .vm_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("virtualmachineid", id, "virtual machine"))?;
    let owner = c
        .account_by_id(v.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM's owner is gone"))?;
    access::check_account(&ctx.caller, &owner)?;
    Ok(v)
}

/// Hosts with room for the VM that reach its storage, each marked suitable.
pub async fn find_hosts_for_migration(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let v = vm_param(&mut c, &ctx, &args).await?;
    let req = planner::vm_request(&mut c, &v, None, v.host_id).await?;
    let fits = planner::candidates_with_room(&mut c, &ctx.engine, v.id, &req).await?;
    let total = fits.len();
    let start = usize::try_from(page.offset).unwrap_or(0);
    let take = page
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(0));
    let mut items = Vec::new();
    for h in fits.into_iter().skip(start).take(take) {
        let row = c
            .host_by_id(h.id)
            .await?
            .ok_or_else(|| ApiError::internal("a host vanished"))?;
        items.push(
            Obj::new("host")
                .str("id", &row.uuid)
                .str("name", &row.name)
                .str("state", &row.status)
                .str("zoneid", &row.zone_uuid)
                .str("zonename", &row.zone_name)
                .opt_str("podid", row.pod_uuid.clone())
                .opt_str("clusterid", row.cluster_uuid.clone())
                .opt_str("clustername", row.cluster_name.clone())
                .str("hypervisor", &row.hypervisor)
                .int("cpunumber", row.cpus)
                .int("cpuspeed", row.cpu_speed)
                .str(
                    "cpuallocated",
                    crate::handlers::hosts::percent(row.cpu_used_mhz, row.cpus * row.cpu_speed),
                )
                .int("memorytotal", row.ram)
                .int("memoryallocated", row.ram_used_bytes)
                .bool("suitableformigration", true)
                .bool("requiresStorageMotion", false)
                .bool("hasenoughcapacity", true),
        );
    }
    Ok(Reply::list(total, items))
}
