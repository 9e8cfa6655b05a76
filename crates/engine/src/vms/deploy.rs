//! deployVirtualMachine: checks everything the caller can get wrong before anything is
//! written, then runs the deploy saga:
//!
//! ids → the account's default network (when none is named and it has none) → VM and
//! root volume records (+ limits) → NICs (networks implemented) → host and pool
//! capacity → root volume on the host → StartVm → Running.
//!
//! Each step undoes itself on failure of a later one, so a failed deploy leaves no VM,
//! volume, NIC, capacity or limit count behind; the job reports the failing step's
//! error (e.g. 533 when nothing fits).

use serde::{Deserialize, Serialize};
use strato_agent_proto::{Command, TemplateRef};
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};
use strato_schema::Conn;
use strato_schema::offering::OfferingKind;
use strato_schema::placement::PlacementFilter;
use strato_schema::vm::NewVm;
use strato_schema::volume::NewVolume;

use super::{host_ops, nics, planner, view};
use crate::handlers::instance_groups;
use crate::handlers::offering_scope::Limits;
use crate::limits::{self, ResourceType};
use crate::sagas::{self, EngineSaga};
use crate::{Ctx, Engine, access};

/// Everything the saga needs, resolved and checked by the command.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeployParams {
    pub account_id: i64,
    pub domain_id: i64,
    pub zone_id: i64,
    pub template_id: i64,
    pub template_uuid: String,
    pub template_size: i64,
    pub template_format: String,
    pub template_path: Option<String>,
    pub guest_os_id: i64,
    pub service_offering_id: i64,
    pub cpus: i32,
    pub cpu_speed: i32,
    pub memory_mb: i64,
    pub root_bytes: i64,
    pub provisioning: String,
    pub local_storage: bool,
    pub hypervisor: String,
    pub host_tags: Vec<String>,
    pub ha_enabled: bool,
    /// The VM's NICs, in device order.
    #[serde(default)]
    pub nics: Vec<nics::NicRequest>,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub group: Option<String>,
    pub user_data: Option<String>,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub host_id: Option<i64>,
    /// Affinity groups the VM joins.
    #[serde(default)]
    pub affinity_group_ids: Vec<i64>,
    /// SSH key pair names, comma-joined.
    #[serde(default)]
    pub keypairs: Option<String>,
}

/// Where the deploy put the VM (output of `reserve_capacity`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Placed {
    pub host_id: i64,
    pub host_guid: String,
    pub pool_id: i64,
    pub pool_bytes: i64,
}

/// Deploy and start.
pub struct DeployVm;

impl Saga for DeployVm {
    const NAME: &'static str = "deploy-vm";
    type Params = DeployParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        Step::new_id("vm_uuid"),
        Step::new_id("root_uuid"),
        Step::new_id("network_uuid"),
        step!(
            "default_network",
            default_network::<DeployVm>,
            remove_default_network::<DeployVm>
        ),
        step!(
            "create_records",
            create_records::<DeployVm>,
            remove_records::<DeployVm>
        ),
        step!(
            "allocate_nics",
            allocate_nics::<DeployVm>,
            release_nics::<DeployVm>
        ),
        step!("reserve_capacity", reserve_capacity, release_capacity),
        step!("create_root_volume", create_root_volume, delete_root_volume),
        step!("start_on_host", start_on_host, stop_on_host),
        step!("mark_running", mark_running),
    ];
}

/// Deploy with startvm=false: the VM is Stopped, its root volume only a record until
/// its first start.
pub struct DeployStoppedVm;

impl Saga for DeployStoppedVm {
    const NAME: &'static str = "deploy-stopped-vm";
    type Params = DeployParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        Step::new_id("vm_uuid"),
        Step::new_id("root_uuid"),
        Step::new_id("network_uuid"),
        step!(
            "default_network",
            default_network::<DeployStoppedVm>,
            remove_default_network::<DeployStoppedVm>
        ),
        step!(
            "create_records",
            create_records::<DeployStoppedVm>,
            remove_records::<DeployStoppedVm>
        ),
        step!(
            "allocate_nics",
            allocate_nics::<DeployStoppedVm>,
            release_nics::<DeployStoppedVm>
        ),
        step!("mark_stopped", mark_stopped),
    ];
}

fn reply<'a>(engine: &'a Engine, outputs: Outputs) -> BoxFuture<'a, Result<Reply, ApiError>> {
    Box::pin(async move {
        let id: i64 = outputs.lookup("create_records").map_err(|e| e.0)?;
        let vm = view::vm_reply(engine, id).await?;
        super::passwords::with_new_password(engine, id, vm).await
    })
}

impl EngineSaga for DeployVm {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        reply(engine, outputs)
    }
}

impl EngineSaga for DeployStoppedVm {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        reply(engine, outputs)
    }
}

/// The params any VM saga starts from.
trait HasDeploy: Saga<Params = DeployParams, Context = Engine> {
    /// The deploy starts the VM: its networks must be implemented.
    const STARTS: bool;
}
impl HasDeploy for DeployVm {
    const STARTS: bool = true;
}
impl HasDeploy for DeployStoppedVm {
    const STARTS: bool = false;
}

/// Creates the account's default network when the deploy names none and it has none.
async fn default_network<S: HasDeploy>(ctx: &SagaCtx<S>) -> Result<Option<i64>, ApiError> {
    let p = ctx.params();
    let uuid: String = ctx.lookup("network_uuid").map_err(|e| e.0)?;
    nics::ensure_default_network(ctx.context(), &p.nics, p.account_id, p.zone_id, &uuid).await
}

async fn remove_default_network<S: HasDeploy>(ctx: &SagaCtx<S>) -> Result<(), ApiError> {
    let uuid: String = ctx.lookup("network_uuid").map_err(|e| e.0)?;
    nics::remove_default_network(ctx.context(), &uuid).await
}

/// NICs with MAC and address on the requested networks (implemented first when the VM
/// starts).
async fn allocate_nics<S: HasDeploy>(ctx: &SagaCtx<S>) -> Result<(), ApiError> {
    let id: i64 = ctx.lookup("create_records").map_err(|e| e.0)?;
    let default: Option<i64> = ctx.lookup("default_network").map_err(|e| e.0)?;
    nics::allocate(ctx.context(), id, &ctx.params().nics, default, S::STARTS).await
}

async fn release_nics<S: HasDeploy>(ctx: &SagaCtx<S>) -> Result<(), ApiError> {
    let id: i64 = ctx.lookup("create_records").map_err(|e| e.0)?;
    let default: Option<i64> = ctx.lookup("default_network").map_err(|e| e.0)?;
    nics::release(ctx.context(), id, &ctx.params().nics, default).await
}

/// Inserts the VM and its root volume record (idempotent: found by uuid on replay).
async fn create_records<S: HasDeploy>(ctx: &SagaCtx<S>) -> Result<i64, ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let uuid: String = ctx.lookup("vm_uuid").map_err(|e| e.0)?;
    let root_uuid: String = ctx.lookup("root_uuid").map_err(|e| e.0)?;
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    if let Some(vm) = c.vm_by_uuid(&uuid).await? {
        return Ok(vm.id);
    }
    // CloudStack names an unnamed VM after its id; the uuid is unique from the start.
    let name = p.name.clone().unwrap_or_else(|| format!("VM-{uuid}"));
    let display = p.display_name.clone().unwrap_or_else(|| name.clone());
    let now = strato_schema::now();
    let id = c
        .insert_vm(
            &NewVm {
                uuid: &uuid,
                name: &name,
                display_name: &display,
                account_id: p.account_id,
                domain_id: p.domain_id,
                zone_id: p.zone_id,
                template_id: p.template_id,
                iso_id: None,
                service_offering_id: p.service_offering_id,
                cpus: p.cpus,
                cpu_speed: p.cpu_speed,
                memory_mb: p.memory_mb,
                hypervisor: &p.hypervisor,
                guest_os_id: p.guest_os_id,
                ha_enabled: p.ha_enabled,
                instance_group: p.group.as_deref(),
                user_data: p.user_data.as_deref(),
                keypairs: p.keypairs.as_deref(),
            },
            now,
        )
        .await?;
    c.insert_volume(
        &NewVolume {
            uuid: &root_uuid,
            name: &format!("ROOT-{id}"),
            account_id: p.account_id,
            domain_id: p.domain_id,
            zone_id: p.zone_id,
            pool_id: None,
            instance_id: Some(id),
            device_id: Some(0),
            volume_type: "ROOT",
            size: p.root_bytes,
            disk_offering_id: None,
            template_id: Some(p.template_id),
            state: "Allocated",
            provisioning: &p.provisioning,
        },
        now,
    )
    .await?;
    if let Some(name) = &p.group {
        let g = instance_groups::group_by_name_or_create(&mut c, p.account_id, name).await?;
        instance_groups::set_group_of_vm(&mut c, id, Some(g.id)).await?;
    }
    super::affinity::join(&mut c, id, &p.affinity_group_ids).await?;
    limits::reserve(&mut c, p.account_id, &held_by(p)).await?;
    tx.commit().await?;
    Ok(id)
}

/// What a deployed VM counts against its owner's limits: itself, its size, and its
/// root volume.
fn held_by(p: &DeployParams) -> [(ResourceType, i64); 5] {
    [
        (ResourceType::UserVm, 1),
        (ResourceType::Cpu, i64::from(p.cpus)),
        (ResourceType::Memory, p.memory_mb),
        (ResourceType::Volume, 1),
        (ResourceType::PrimaryStorage, p.root_bytes),
    ]
}

async fn remove_records<S: HasDeploy>(ctx: &SagaCtx<S>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let uuid: String = ctx.lookup("vm_uuid").map_err(|e| e.0)?;
    let root_uuid: String = ctx.lookup("root_uuid").map_err(|e| e.0)?;
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let now = strato_schema::now();
    if let Some(v) = c.volume_by_uuid(&root_uuid).await? {
        c.remove_volume(v.id, now).await?;
    }
    if let Some(vm) = c.vm_by_uuid(&uuid).await? {
        super::affinity::leave_all(&mut c, vm.id).await?;
        c.remove_vm(vm.id, now).await?;
        limits::release(&mut c, vm.account_id, &held_by(ctx.params())).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn reserve_capacity(ctx: &SagaCtx<DeployVm>) -> Result<Placed, ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let id: i64 = ctx.lookup("create_records").map_err(|e| e.0)?;
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let root = root_volume(&mut c, ctx).await?;
    let req = planner::Request {
        filter: PlacementFilter {
            zone_id: p.zone_id,
            pod_id: p.pod_id,
            cluster_id: p.cluster_id,
            host_id: p.host_id,
            hypervisor: Some(p.hypervisor.clone()),
            host_tags: p.host_tags.clone(),
            not_host: None,
        },
        account_id: p.account_id,
        cpu_mhz: i64::from(p.cpus) * i64::from(p.cpu_speed),
        ram_bytes: p.memory_mb << 20,
        root,
        local_storage: p.local_storage,
        migration: false,
    };
    let placed = planner::reserve(&mut c, engine, id, &req).await?;
    c.set_vm_host(
        id,
        Some((placed.host.id, placed.host.pod_id, placed.host.cluster_id)),
    )
    .await?;
    c.set_vm_state(id, &["Allocated", "Starting"], "Starting")
        .await?;
    tx.commit().await?;
    Ok(Placed {
        host_id: placed.host.id,
        host_guid: placed.host.guid,
        pool_id: placed.pool.id,
        pool_bytes: p.root_bytes,
    })
}

/// The deploy's root volume as the planner sees it.
async fn root_volume(
    c: &mut Conn<'_>,
    ctx: &SagaCtx<DeployVm>,
) -> Result<planner::RootVolume, ApiError> {
    let root_uuid: String = ctx.lookup("root_uuid").map_err(|e| e.0)?;
    let v = c
        .volume_by_uuid(&root_uuid)
        .await?
        .ok_or_else(|| ApiError::internal("the root volume record is gone"))?;
    Ok(planner::RootVolume {
        id: v.id,
        pool_id: v.pool_id,
        bytes: ctx.params().root_bytes,
    })
}

async fn release_capacity(ctx: &SagaCtx<DeployVm>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let id: i64 = ctx.lookup("create_records").map_err(|e| e.0)?;
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let root = root_volume(&mut c, ctx).await?;
    planner::release(&mut c, id).await?;
    planner::unplace_volume(&mut c, root).await?;
    c.set_vm_host(id, None).await?;
    c.set_vm_state(id, &["Starting"], "Allocated").await?;
    tx.commit().await?;
    Ok(())
}

async fn create_root_volume(ctx: &SagaCtx<DeployVm>) -> Result<String, ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let placed: Placed = ctx.lookup("reserve_capacity").map_err(|e| e.0)?;
    let root_uuid: String = ctx.lookup("root_uuid").map_err(|e| e.0)?;
    let pool = pool_by_id(engine, placed.pool_id).await?;
    let (path, size) = host_ops::create_root_volume(
        engine,
        &placed.host_guid,
        &pool,
        &root_uuid,
        p.root_bytes,
        TemplateRef {
            uuid: p.template_uuid.clone(),
            url: p.template_path.clone(),
            size_bytes: u64::try_from(p.template_size).unwrap_or(0),
            format: Some(p.template_format.clone()),
        },
    )
    .await?;
    let mut db = engine.store.write().await?;
    let mut c = db.c();
    let vol = c
        .volume_by_uuid(&root_uuid)
        .await?
        .ok_or_else(|| ApiError::internal("the root volume record is gone"))?;
    c.volume_ready(vol.id, &path, size).await?;
    Ok(path)
}

async fn delete_root_volume(ctx: &SagaCtx<DeployVm>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let placed: Placed = ctx.lookup("reserve_capacity").map_err(|e| e.0)?;
    let root_uuid: String = ctx.lookup("root_uuid").map_err(|e| e.0)?;
    let pool = pool_by_id(engine, placed.pool_id).await?;
    host_ops::mount_pools(engine, &placed.host_guid, &[pool.id]).await?;
    host_ops::call(
        engine,
        &placed.host_guid,
        Command::DeleteVolume {
            volume: strato_agent_proto::VolumeRef {
                pool_uuid: pool.uuid,
                volume_uuid: root_uuid.clone(),
            },
        },
    )
    .await?;
    let mut db = engine.store.acquire().await?;
    if let Some(v) = db.c().volume_by_uuid(&root_uuid).await? {
        db.c().volume_not_created(v.id).await?;
    }
    Ok(())
}

async fn start_on_host(ctx: &SagaCtx<DeployVm>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let id: i64 = ctx.lookup("create_records").map_err(|e| e.0)?;
    let placed: Placed = ctx.lookup("reserve_capacity").map_err(|e| e.0)?;
    super::power::start_on(engine, id, &placed.host_guid).await
}

async fn stop_on_host(ctx: &SagaCtx<DeployVm>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let id: i64 = ctx.lookup("create_records").map_err(|e| e.0)?;
    let placed: Placed = ctx.lookup("reserve_capacity").map_err(|e| e.0)?;
    super::power::stop_on(engine, id, &placed.host_guid, true).await
}

async fn mark_running(ctx: &SagaCtx<DeployVm>) -> Result<(), ApiError> {
    let id: i64 = ctx.lookup("create_records").map_err(|e| e.0)?;
    let mut db = ctx.context().store.write().await?;
    db.c()
        .set_vm_state(id, &["Starting", "Running"], "Running")
        .await?;
    Ok(())
}

async fn mark_stopped(ctx: &SagaCtx<DeployStoppedVm>) -> Result<(), ApiError> {
    let id: i64 = ctx.lookup("create_records").map_err(|e| e.0)?;
    let mut db = ctx.context().store.write().await?;
    db.c()
        .set_vm_state(id, &["Allocated", "Stopped"], "Stopped")
        .await?;
    Ok(())
}

async fn pool_by_id(
    engine: &Engine,
    id: i64,
) -> Result<strato_schema::placement::PoolCandidate, ApiError> {
    engine
        .store
        .acquire()
        .await?
        .c()
        .pool_candidate(id)
        .await?
        .ok_or_else(|| ApiError::internal("the storage pool is gone"))
}

/// deployVirtualMachine.
pub async fn deploy_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let params = {
        let mut db = ctx.engine.store.acquire().await?;
        check(&mut db.c(), &ctx, &args).await?
    };
    if args.bool("startvm").unwrap_or(true) {
        sagas::run::<DeployVm>(&ctx, params).await
    } else {
        sagas::run::<DeployStoppedVm>(&ctx, params).await
    }
}

/// Resolves and checks every parameter; nothing is written. Public for the saga
/// tests, which run the deploy saga with injected failures.
pub async fn check(c: &mut Conn<'_>, ctx: &Ctx, args: &Args) -> Result<DeployParams, ApiError> {
    let caller = &ctx.caller;
    let owner = crate::handlers::owner_of_new(c, caller, args).await?;
    let zone_id = args.required_str("zoneid")?;
    let zone = c
        .zone_by_uuid(zone_id)
        .await?
        .ok_or_else(|| ApiError::not_found("zoneid", zone_id, "zone"))?;
    if zone.allocation_state != "Enabled" && !caller.is_root_admin() {
        return Err(ApiError::permission(format!(
            "Zone {} is disabled; only root admins may deploy there",
            zone.name
        )));
    }
    let so_id = args.required_str("serviceofferingid")?;
    let so = c
        .service_offering_by_uuid(so_id)
        .await?
        .filter(|o| !o.system_use)
        .ok_or_else(|| ApiError::not_found("serviceofferingid", so_id, "service offering"))?;
    let scope = Limits::load(c, OfferingKind::Service, so.id).await?;
    let path = owner_path(c, owner.domain_id).await;
    if !scope.domains.is_empty() && !scope.domains.iter().any(|d| path.starts_with(&d.path)) {
        return Err(ApiError::param(format!(
            "Service offering {so_id} is not available to the account's domain (parameter \
             serviceofferingid)"
        )));
    }
    if !scope.zones.is_empty() && !scope.zones.contains(&zone.id) {
        return Err(ApiError::param(format!(
            "Service offering {so_id} is not available in zone {} (parameter serviceofferingid)",
            zone.name
        )));
    }
    let (Some(cpus), Some(speed), Some(memory)) = (so.cpu, so.speed, so.ram_size) else {
        return Err(ApiError::param(
            "Custom compute offerings need details[0].cpuNumber/cpuSpeed/memory, which this \
             server does not take yet (parameter serviceofferingid)",
        ));
    };
    let tpl_id = args.str("templateid").ok_or_else(|| {
        ApiError::param(
            "Parameter templateid is required (deploying from an ISO is not supported yet)",
        )
    })?;
    let t = c
        .template_by_uuid(tpl_id)
        .await?
        .filter(|t| !t.is_iso())
        .ok_or_else(|| ApiError::not_found("templateid", tpl_id, "template"))?;
    if !t.is_public && !t.featured && t.account_id != owner.id {
        let shared = c.launch_permissions(t.id).await?.contains(&owner.name);
        let template_owner = c
            .account_by_id(t.account_id)
            .await?
            .ok_or_else(|| ApiError::internal("the template's owner is gone"))?;
        if !shared && access::check_account(caller, &template_owner).is_err() {
            return Err(ApiError::permission(format!(
                "Account {} may not use template {tpl_id}",
                owner.name
            )));
        }
    }
    let copy = crate::images::ready_copy_in_zone(c, t.id, zone.id)
        .await?
        .ok_or_else(|| {
            ApiError::param(format!(
                "Template {tpl_id} is not ready in zone {} (parameter templateid)",
                zone.name
            ))
        })?;
    let hypervisor = match args.str("hypervisor") {
        Some(h) => {
            crate::handlers::one_of("hypervisor", h, crate::handlers::clusters::HYPERVISORS)?
                .to_string()
        }
        None => t.hypervisor.clone(),
    };
    if !t.hypervisor.eq_ignore_ascii_case(&hypervisor) {
        return Err(ApiError::param(format!(
            "Template {tpl_id} is for {}, not {hypervisor} (parameter hypervisor)",
            t.hypervisor
        )));
    }
    let template_size = copy.size.unwrap_or(0);
    let gib = 1i64 << 30;
    let mut root_bytes = template_size.max(so.root_disk_size_gb * gib);
    if let Some(gb) = args.int("rootdisksize") {
        if gb <= 0 || gb * gib < template_size {
            return Err(ApiError::param(format!(
                "Invalid parameter rootdisksize={gb}: it must be at least the template's \
                 {} GB",
                (template_size + gib - 1) / gib
            )));
        }
        root_bytes = gb * gib;
    }
    let admin_place = |param: &str| -> Result<(), ApiError> {
        if caller.is_root_admin() {
            Ok(())
        } else {
            Err(ApiError::permission(format!(
                "Only root admins may choose where a VM runs (parameter {param})"
            )))
        }
    };
    let mut pod_id = None;
    if let Some(p) = args.uuid("podid") {
        admin_place("podid")?;
        pod_id = Some(
            c.pod_by_uuid(p)
                .await?
                .ok_or_else(|| ApiError::not_found("podid", p, "pod"))?
                .id,
        );
    }
    let mut cluster_id = None;
    if let Some(cl) = args.uuid("clusterid") {
        admin_place("clusterid")?;
        cluster_id = Some(
            c.cluster_by_uuid(cl)
                .await?
                .ok_or_else(|| ApiError::not_found("clusterid", cl, "cluster"))?
                .id,
        );
    }
    let mut host_id = None;
    if let Some(h) = args.uuid("hostid") {
        admin_place("hostid")?;
        host_id = Some(
            c.host_by_uuid(h)
                .await?
                .ok_or_else(|| ApiError::not_found("hostid", h, "host"))?
                .id,
        );
    }
    let name = match args.str("name").map(str::trim) {
        Some(n) => {
            check_hostname(n)?;
            Some(n.to_string())
        }
        None => None,
    };
    let nics = nics::requested(c, caller, &owner, &zone, args).await?;
    Ok(DeployParams {
        account_id: owner.id,
        domain_id: owner.domain_id,
        zone_id: zone.id,
        template_id: t.id,
        template_uuid: t.uuid.clone(),
        template_size,
        template_format: t.format.clone(),
        template_path: copy
            .install_path
            .as_deref()
            .map(|p| crate::images::location::file_url(&copy.store_url, p)),
        guest_os_id: t.guest_os_id,
        service_offering_id: so.id,
        cpus: i32::try_from(cpus).unwrap_or(1),
        cpu_speed: i32::try_from(speed).unwrap_or(0),
        memory_mb: memory,
        root_bytes,
        provisioning: so.disk.provisioning_type.clone(),
        local_storage: so.disk.use_local_storage,
        hypervisor,
        host_tags: planner::host_tags(so.host_tags.as_deref()),
        ha_enabled: so.offer_ha,
        nics,
        name,
        display_name: args.str("displayname").map(str::to_string),
        group: args.str("group").map(str::to_string),
        user_data: super::passwords::user_data(&ctx.engine, args)?,
        pod_id,
        cluster_id,
        host_id,
        affinity_group_ids: super::affinity::requested(c, &owner, args).await?,
        keypairs: super::passwords::keypairs(c, &owner, args).await?,
    })
}

async fn owner_path(c: &mut Conn<'_>, domain_id: i64) -> String {
    c.domain_by_id(domain_id)
        .await
        .ok()
        .flatten()
        .map(|d| d.path)
        .unwrap_or_default()
}

/// CloudStack's rule for VM names: an RFC 1123 host name label.
pub(crate) fn check_hostname(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ApiError::param(format!(
            "Invalid parameter name={name}: a VM name is a host name: letters, digits and \
             '-', at most 63 characters, not starting or ending with '-', not all digits"
        )))
    }
}
