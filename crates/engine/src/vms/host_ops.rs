//! Agent commands the VM sagas send: what a host needs to run a VM, and the calls.

use std::time::Duration;

use strato_agent_proto::{
    AnswerData, Command, DiskKind, DiskSource, DiskSpec, PoolKind, PoolSpec, TemplateRef, VmSpec,
    VolumeRef,
};
use strato_common::ApiError;
use strato_schema::placement::PoolCandidate;
use strato_schema::vm::VmRow;
use strato_schema::volume::VolumeRow;

use crate::{Engine, agents};

/// Long enough for a real host to clone a template or boot a guest.
const TIMEOUT: Duration = Duration::from_secs(600);

pub async fn call(
    engine: &Engine,
    host_guid: &str,
    mut cmd: Command,
) -> Result<AnswerData, ApiError> {
    let name = cmd.name();
    // Every VM gets its console password here, wherever it is started or moved to.
    if let Command::StartVm(spec) | Command::PrepareForMigration(spec) = &mut cmd {
        spec.vnc_password = Some(crate::console::vnc_password(engine, &spec.uuid)?);
    }
    agents::call(engine, host_guid, cmd, TIMEOUT)
        .await?
        .map_err(|e| ApiError::internal(format!("{name} failed on the host: {e}")))
}

/// The pool as a host mounts it.
pub fn pool_spec(p: &PoolCandidate) -> PoolSpec {
    let kind = match p.pool_type.as_str() {
        "Filesystem" => PoolKind::Filesystem,
        "SharedMountPoint" => PoolKind::SharedMountPoint,
        "RBD" => PoolKind::Rbd,
        _ => PoolKind::NetworkFilesystem,
    };
    PoolSpec {
        uuid: p.uuid.clone(),
        kind,
        host: p.host_address.clone(),
        path: p.path.clone(),
        capacity_bytes: u64::try_from(p.capacity_bytes).ok(),
    }
}

/// Mounts these pools on the host (idempotent). Hosts forget their mounts when they
/// restart, so every command that touches a volume mounts its pool first.
pub async fn mount_pools(
    engine: &Engine,
    host_guid: &str,
    pool_ids: &[i64],
) -> Result<(), ApiError> {
    let mut pools = Vec::new();
    {
        let mut db = engine.store.acquire().await?;
        for id in pool_ids {
            if let Some(p) = db.c().pool_candidate(*id).await? {
                pools.push(p);
            }
        }
    }
    for p in pools {
        call(engine, host_guid, Command::ModifyStoragePool(pool_spec(&p))).await?;
    }
    Ok(())
}

/// Mounts the pool (idempotent) and creates the root volume as a clone of the template.
pub async fn create_root_volume(
    engine: &Engine,
    host_guid: &str,
    pool: &PoolCandidate,
    volume_uuid: &str,
    size_bytes: i64,
    template: TemplateRef,
) -> Result<(String, i64), ApiError> {
    call(
        engine,
        host_guid,
        Command::ModifyStoragePool(pool_spec(pool)),
    )
    .await?;
    let answer = call(
        engine,
        host_guid,
        Command::CreateVolume {
            pool_uuid: pool.uuid.clone(),
            volume_uuid: volume_uuid.to_string(),
            size_bytes: u64::try_from(size_bytes).unwrap_or(0),
            template: Some(template),
            provisioning: None,
        },
    )
    .await?;
    match answer {
        AnswerData::Volume(v) => Ok((v.path, i64::try_from(v.size_bytes).unwrap_or(i64::MAX))),
        other => Err(ApiError::internal(format!(
            "CreateVolume answered {other:?} instead of a volume"
        ))),
    }
}

/// What StartVm needs: the offering's size and the VM's volumes.
pub fn vm_spec(
    vm: &VmRow,
    volumes: &[VolumeRow],
    nics: Vec<strato_agent_proto::NicSpec>,
) -> VmSpec {
    let disks = volumes
        .iter()
        .filter_map(|v| {
            Some(DiskSpec {
                device_id: u32::try_from(v.device_id.unwrap_or(0)).unwrap_or(0),
                kind: if v.volume_type == "ROOT" {
                    DiskKind::Root
                } else {
                    DiskKind::Data
                },
                source: DiskSource::Volume(VolumeRef {
                    pool_uuid: v.pool_uuid.clone()?,
                    volume_uuid: v.uuid.clone(),
                }),
            })
        })
        .collect();
    VmSpec {
        name: vm.instance_name.clone(),
        uuid: vm.uuid.clone(),
        cpus: u32::try_from(vm.cpus).unwrap_or(1),
        cpu_speed_mhz: u64::try_from(vm.cpu_speed).unwrap_or(0),
        memory_bytes: u64::try_from(vm.memory_mb).unwrap_or(0) << 20,
        os_type: None,
        nics,
        volumes: disks,
        boot: Vec::new(),
        vnc_password: None,
        details: Default::default(),
    }
}
