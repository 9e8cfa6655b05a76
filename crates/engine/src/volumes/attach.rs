//! attachVolume: the attach saga.
//!
//! record the attachment → place a never-created volume on a pool the VM's host (or
//! its root volume's pool) reaches, taking its bytes → create it there (an uploaded
//! volume: copied from its image store) → hot-plug it into a running VM → drop an
//! uploaded volume's image store copy. A stopped VM only gets the record (its next start
//! plugs it). Every step undoes itself when a later one fails.

use serde::{Deserialize, Serialize};
use strato_agent_proto::{Command, Provisioning, TemplateRef};
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, step};
use strato_schema::Conn;
use strato_schema::vm::VmRow;

use super::storage::{self, Reach};
use super::{DATADISK, ROOT, UPLOADED, counted_bytes, upload, view, volume_by_param};
use crate::caller::Caller;
use crate::sagas::{self, EngineSaga};
use crate::vms::host_ops;
use crate::{Ctx, Engine, limits};

/// Data volumes a VM may have at once.
pub const MAX_DATA_VOLUMES: i64 = 6;
/// Device slot of the CD-ROM drive.
const CDROM_DEVICE: i64 = 3;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttachParams {
    pub volume_id: i64,
    pub vm_id: i64,
    pub device_id: i32,
    /// The volume was never created: it is placed and created by this saga.
    pub create: bool,
}

pub struct AttachVolume;

impl Saga for AttachVolume {
    const NAME: &'static str = "attach-volume";
    type Params = AttachParams;
    type Context = Engine;
    const STEPS: &'static [strato_saga::Step<Self>] = &[
        step!("record_attachment", record_attachment, clear_attachment),
        step!("place_volume", place_volume, unplace_volume),
        step!("create_on_pool", create_on_pool, delete_from_pool),
        step!("attach_on_host", attach_on_host, detach_on_host),
        step!("drop_upload_copy", drop_upload_copy),
    ];
}

impl EngineSaga for AttachVolume {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("record_attachment").map_err(|e| e.0)?;
            view::volume_reply(engine, id, false).await
        })
    }
}

async fn record_attachment(ctx: &SagaCtx<AttachVolume>) -> Result<i64, ApiError> {
    let p = ctx.params();
    let mut db = ctx.context().store.acquire().await?;
    let recorded = db
        .c()
        .attach_volume_record(p.volume_id, p.vm_id, p.device_id, strato_schema::now())
        .await;
    match recorded {
        Ok(true) => Ok(p.volume_id),
        Ok(false) => Err(ApiError::param(
            "The volume was attached to a VM by another request at the same time",
        )),
        Err(e) if e.is_unique_violation() => Err(ApiError::param(format!(
            "Device id {} of the VM was taken by another request at the same time",
            p.device_id
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn clear_attachment(ctx: &SagaCtx<AttachVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    let mut db = ctx.context().store.acquire().await?;
    db.c().detach_volume_record(p.volume_id, p.vm_id).await?;
    Ok(())
}

/// Output: the pool the volume was placed on; None when it exists already or the VM
/// never ran (then it stays a record).
async fn place_volume(ctx: &SagaCtx<AttachVolume>) -> Result<Option<i64>, ApiError> {
    let p = ctx.params();
    if !p.create {
        return Ok(None);
    }
    let engine = ctx.context();
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let vm = vm_row(&mut c, p.vm_id).await?;
    let volume = c
        .volume_by_id(p.volume_id)
        .await?
        .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
    let reach = match (vm.state.as_str(), vm.host_id) {
        ("Running", Some(host)) => Reach::Host {
            id: host,
            cluster_id: vm.cluster_id,
        },
        _ => match root_pool(&mut c, p.vm_id).await? {
            Some(pool) => Reach::Pool(pool),
            None => return Ok(None),
        },
    };
    // An uploaded volume's bytes count as primary storage from now on.
    if volume.state == UPLOADED && volume.pool_id.is_none() {
        limits::reserve(&mut c, volume.account_id, &counted_bytes(volume.size)).await?;
    }
    let local = match volume.disk_offering_id {
        Some(o) => c
            .disk_offering_by_id(o)
            .await?
            .is_some_and(|d| d.props.use_local_storage),
        None => false,
    };
    let pool = storage::place(
        &mut c,
        engine,
        p.volume_id,
        volume.size,
        vm.zone_id,
        reach,
        local,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(pool))
}

async fn unplace_volume(ctx: &SagaCtx<AttachVolume>) -> Result<(), ApiError> {
    let p = ctx.params();
    if !p.create {
        return Ok(());
    }
    let mut tx = ctx.context().store.begin().await?;
    let mut c = tx.c();
    let Some(v) = c.volume_by_id(p.volume_id).await? else {
        return Ok(());
    };
    if let Some(pool) = c.unplace_volume(p.volume_id).await? {
        c.release_pool_capacity(pool, v.size).await?;
        if v.state == UPLOADED {
            limits::release(&mut c, v.account_id, &counted_bytes(v.size)).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn create_on_pool(ctx: &SagaCtx<AttachVolume>) -> Result<bool, ApiError> {
    let Some(pool_id) = ctx.lookup::<Option<i64>>("place_volume").map_err(|e| e.0)? else {
        return Ok(false);
    };
    let engine = ctx.context();
    let p = ctx.params();
    let (vm, volume, template) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let vm = vm_row(&mut c, p.vm_id).await?;
        let volume = c
            .volume_view(p.volume_id)
            .await?
            .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
        let template = match volume.source_snapshot_id {
            Some(s) => c.snapshot_by_id(s).await?.map(|s| TemplateRef {
                uuid: s.uuid,
                url: s.backup_path,
                size_bytes: u64::try_from(s.size).unwrap_or(0),
                format: Some("QCOW2".into()),
            }),
            None => upload::image_of(&mut c, &volume).await?,
        };
        (vm, volume, template)
    };
    let pool = storage::pool(engine, pool_id).await?;
    let running_on = (vm.state == "Running")
        .then_some(vm.host_guid.as_deref())
        .flatten();
    let host = storage::host_for(engine, vm.zone_id, &pool, running_on).await?;
    let answer = host_ops::call(
        engine,
        &host,
        Command::CreateVolume {
            pool_uuid: pool.uuid.clone(),
            volume_uuid: volume.uuid.clone(),
            size_bytes: u64::try_from(volume.size).unwrap_or(0),
            template,
            provisioning: Some(provisioning(&volume.provisioning)),
        },
    )
    .await?;
    let (path, size) = storage::volume_answer(answer, "CreateVolume")?;
    let mut db = engine.store.acquire().await?;
    db.c().volume_ready(p.volume_id, &path, size).await?;
    Ok(true)
}

async fn delete_from_pool(ctx: &SagaCtx<AttachVolume>) -> Result<(), ApiError> {
    if !ctx.lookup::<bool>("create_on_pool").map_err(|e| e.0)? {
        return Ok(());
    }
    let engine = ctx.context();
    let p = ctx.params();
    let Some(pool_id) = ctx.lookup::<Option<i64>>("place_volume").map_err(|e| e.0)? else {
        return Ok(());
    };
    let (zone_id, uuid) = {
        let mut db = engine.store.acquire().await?;
        let v = db
            .c()
            .volume_by_id(p.volume_id)
            .await?
            .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
        (v.zone_id, v.uuid)
    };
    let pool = storage::pool(engine, pool_id).await?;
    let host = storage::host_for(engine, zone_id, &pool, None).await?;
    host_ops::call(
        engine,
        &host,
        Command::DeleteVolume {
            volume: storage::volume_ref(&pool.uuid, &uuid),
        },
    )
    .await?;
    let mut db = engine.store.acquire().await?;
    db.c().volume_not_created(p.volume_id).await?;
    Ok(())
}

/// Output: the host the volume was hot-plugged on (None for a stopped VM).
async fn attach_on_host(ctx: &SagaCtx<AttachVolume>) -> Result<Option<String>, ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let (vm, volume) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let vm = vm_row(&mut c, p.vm_id).await?;
        let volume = c
            .volume_by_id(p.volume_id)
            .await?
            .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
        (vm, volume)
    };
    let (Some(host), "Running") = (vm.host_guid.clone(), vm.state.as_str()) else {
        return Ok(None);
    };
    let pool = volume
        .pool_uuid
        .ok_or_else(|| ApiError::internal("a running VM's volume has no pool"))?;
    host_ops::call(
        engine,
        &host,
        Command::AttachVolume {
            vm_name: vm.instance_name.clone(),
            volume: storage::volume_ref(&pool, &volume.uuid),
            device_id: u32::try_from(p.device_id).unwrap_or(0),
        },
    )
    .await?;
    Ok(Some(host))
}

async fn detach_on_host(ctx: &SagaCtx<AttachVolume>) -> Result<(), ApiError> {
    let Some(host) = ctx
        .lookup::<Option<String>>("attach_on_host")
        .map_err(|e| e.0)?
    else {
        return Ok(());
    };
    let engine = ctx.context();
    let p = ctx.params();
    let (vm, volume) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let vm = vm_row(&mut c, p.vm_id).await?;
        let volume = c
            .volume_by_id(p.volume_id)
            .await?
            .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
        (vm, volume)
    };
    let Some(pool) = volume.pool_uuid else {
        return Ok(());
    };
    host_ops::call(
        engine,
        &host,
        Command::DetachVolume {
            vm_name: vm.instance_name,
            volume: storage::volume_ref(&pool, &volume.uuid),
        },
    )
    .await?;
    Ok(())
}

/// An uploaded volume now on primary storage (and attached) no longer needs its image
/// store copy: the copy goes and stops counting as secondary storage.
async fn drop_upload_copy(ctx: &SagaCtx<AttachVolume>) -> Result<(), ApiError> {
    if !ctx.lookup::<bool>("create_on_pool").map_err(|e| e.0)? {
        return Ok(());
    }
    upload::drop_copies(ctx.context(), ctx.params().volume_id).await
}

fn provisioning(t: &str) -> Provisioning {
    match t.to_ascii_lowercase().as_str() {
        "sparse" => Provisioning::Sparse,
        "fat" => Provisioning::Fat,
        _ => Provisioning::Thin,
    }
}

pub(crate) async fn vm_row(c: &mut Conn<'_>, id: i64) -> Result<VmRow, ApiError> {
    c.vm_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM record is gone"))
}

/// The pool of a VM's root volume, once it was created.
async fn root_pool(c: &mut Conn<'_>, vm_id: i64) -> Result<Option<i64>, ApiError> {
    Ok(c.volumes_of_vms(&[vm_id])
        .await?
        .into_iter()
        .find(|v| v.volume_type == ROOT)
        .and_then(|v| v.pool_id))
}

/// Whether the host of a running VM mounts (or may mount) the pool.
async fn host_reaches(ctx: &Ctx, vm: &VmRow, host: i64, pool: i64) -> Result<bool, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    for local in [false, true] {
        let pools = c
            .candidate_pools(vm.zone_id, vm.cluster_id, host, local)
            .await?;
        if pools.iter().any(|p| p.id == pool) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The VM named by `uuid` (parameter `virtualmachineid`), if the caller may use it.
pub async fn vm_for(c: &mut Conn<'_>, caller: &Caller, uuid: &str) -> Result<VmRow, ApiError> {
    crate::vms::vm_by_uuid_for(c, caller, "virtualmachineid", uuid).await
}

pub async fn attach_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let (volume_id, vm) = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let v = volume_by_param(&mut c, &ctx.caller, args.required_str("id")?, "id").await?;
        let vm = vm_for(&mut c, &ctx.caller, args.required_str("virtualmachineid")?).await?;
        (v.id, vm)
    };
    attach(&ctx, volume_id, &vm, args.int("deviceid")).await
}

/// Checks that the volume may go to the VM (at `device`, or the first free slot) and
/// runs the attach saga.
pub async fn attach(
    ctx: &Ctx,
    volume_id: i64,
    vm: &VmRow,
    device: Option<i64>,
) -> Result<Reply, ApiError> {
    let (v, used) = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let v = c
            .volume_view(volume_id)
            .await?
            .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
        let used: Vec<(i64, String)> = c
            .volumes_of_vms(&[vm.id])
            .await?
            .into_iter()
            .map(|x| (x.device_id.map_or(0, i64::from), x.volume_type))
            .collect();
        (v, used)
    };
    if let Some(other) = &v.vm_uuid {
        return Err(ApiError::param(format!(
            "Volume {} is already attached to VM {other}; detach it first",
            v.uuid
        )));
    }
    if v.volume_type != DATADISK {
        return Err(ApiError::param(format!(
            "Volume {} is a {} volume; only data volumes can be attached",
            v.uuid, v.volume_type
        )));
    }
    if !matches!(v.state.as_str(), "Allocated" | "Ready" | UPLOADED) {
        return Err(super::bad_state(&v, "attach"));
    }
    if v.zone_id != vm.zone_id {
        return Err(ApiError::param(format!(
            "Volume {} and VM {} are in different zones; a volume is attached to a VM of its \
             own zone (parameter virtualmachineid)",
            v.uuid, vm.uuid
        )));
    }
    if v.account_id != vm.account_id {
        return Err(ApiError::param(format!(
            "Volume {} and VM {} belong to different accounts",
            v.uuid, vm.uuid
        )));
    }
    if !matches!(vm.state.as_str(), "Running" | "Stopped") {
        return Err(crate::vms::bad_state(vm, "attach a volume to"));
    }
    if let (Some(pool), Some(host), "Running") = (v.pool_id, vm.host_id, vm.state.as_str())
        && !host_reaches(ctx, vm, host, pool).await?
    {
        return Err(ApiError::param(format!(
            "Volume {} is on storage pool {} which the host of VM {} does not reach; move it \
             with migrateVolume first",
            v.uuid,
            v.pool_name.as_deref().unwrap_or_default(),
            vm.uuid
        )));
    }
    let data = used.iter().filter(|(_, t)| t == DATADISK).count();
    if i64::try_from(data).unwrap_or(i64::MAX) >= MAX_DATA_VOLUMES {
        return Err(ApiError::param(format!(
            "VM {} has the maximum of {MAX_DATA_VOLUMES} data volumes attached",
            vm.uuid
        )));
    }
    let taken = |d: i64| used.iter().any(|(u, _)| *u == d);
    let device_id = match device {
        Some(d) if d == CDROM_DEVICE => {
            return Err(ApiError::param(
                "Invalid parameter deviceid=3: device 3 is the CD-ROM drive",
            ));
        }
        Some(d) if !(1..=MAX_DATA_VOLUMES + 1).contains(&d) => {
            return Err(ApiError::param(format!(
                "Invalid parameter deviceid={d}: data volumes take devices 1 to {}",
                MAX_DATA_VOLUMES + 1
            )));
        }
        Some(d) if taken(d) => {
            return Err(ApiError::param(format!(
                "Invalid parameter deviceid={d}: VM {} has a volume at that device",
                vm.uuid
            )));
        }
        Some(d) => d,
        None => (1..=MAX_DATA_VOLUMES + 1)
            .find(|d| *d != CDROM_DEVICE && !taken(*d))
            .ok_or_else(|| ApiError::param("The VM has no free device slot"))?,
    };
    sagas::run::<AttachVolume>(
        ctx,
        AttachParams {
            volume_id,
            vm_id: vm.id,
            device_id: i32::try_from(device_id).unwrap_or(1),
            create: v.state == "Allocated" || v.state == UPLOADED,
        },
    )
    .await
}
