//! Storage commands: pools (mount/unmount), volumes (create/copy/delete/resize) and
//! snapshots (create/delete/revert/backup).
//!
//! Pools are shared by the hosts that mounted them, so a volume created through one host
//! is visible to every host with the same pool mounted (what makes migration work). A
//! `Filesystem` pool is local: only its first host may mount it. Volumes are thin: their
//! virtual sizes are tracked and reported, not refused against the pool's capacity (the
//! management server does that, with its over-provisioning factor).

use std::collections::{BTreeMap, BTreeSet};

use strato_agent_proto::{
    AgentError, Answer, AnswerData, PoolInfo, PoolSpec, SnapshotInfo, TemplateRef, VolumeInfo,
    VolumeRef,
};

use crate::state::{SimPool, SimSnapshot, SimVolume, State};

/// Capacity assumed for a shared pool whose spec gives none (5 TiB).
const DEFAULT_SHARED_POOL_BYTES: u64 = 5 << 40;

fn pool_info(pool: &SimPool) -> PoolInfo {
    let allocated_bytes = pool.volumes.values().map(|v| v.size_bytes).sum();
    let local_path = if pool.spec.kind.is_shared() {
        format!("/mnt/{}", pool.spec.uuid)
    } else {
        pool.spec.path.clone()
    };
    PoolInfo {
        pool_uuid: pool.spec.uuid.clone(),
        local_path,
        capacity_bytes: pool.capacity_bytes,
        available_bytes: pool.capacity_bytes.saturating_sub(allocated_bytes),
        allocated_bytes,
    }
}

fn volume_info(v: &VolumeRef, vol: &SimVolume) -> VolumeInfo {
    VolumeInfo {
        pool_uuid: v.pool_uuid.clone(),
        volume_uuid: v.volume_uuid.clone(),
        path: v.volume_uuid.clone(),
        size_bytes: vol.size_bytes,
        format: vol.format.clone(),
    }
}

pub(crate) fn modify_pool(state: &mut State, host: &str, spec: PoolSpec) -> Answer {
    if spec.uuid.trim().is_empty() || spec.path.trim().is_empty() {
        return Err(AgentError::invalid_argument(
            "a storage pool needs a uuid and a path",
        ));
    }
    let local_bytes = state.host(host)?.info.local_storage_bytes;
    let uuid = spec.uuid.clone();
    let pool = match state.pools.get_mut(&uuid) {
        Some(pool) => {
            if pool.spec.kind != spec.kind {
                return Err(AgentError::invalid_argument(format!(
                    "storage pool {uuid} is a {:?} pool, not {:?}",
                    pool.spec.kind, spec.kind
                )));
            }
            if let Some(owner) = pool.owner.as_deref().filter(|o| *o != host) {
                return Err(AgentError::invalid_state(format!(
                    "local storage pool {uuid} belongs to host {owner}"
                )));
            }
            if let Some(capacity) = spec.capacity_bytes {
                pool.capacity_bytes = capacity;
            }
            pool
        }
        None => {
            let shared = spec.kind.is_shared();
            let capacity_bytes = spec.capacity_bytes.unwrap_or(if shared {
                DEFAULT_SHARED_POOL_BYTES
            } else {
                local_bytes
            });
            state.pools.entry(uuid.clone()).or_insert(SimPool {
                owner: (!shared).then(|| host.to_owned()),
                spec,
                capacity_bytes,
                hosts: BTreeSet::new(),
                volumes: BTreeMap::new(),
            })
        }
    };
    pool.hosts.insert(host.to_owned());
    let info = pool_info(pool);
    state.host_mut(host)?.pools.insert(uuid);
    Ok(AnswerData::Pool(info))
}

pub(crate) fn delete_pool(state: &mut State, host: &str, pool_uuid: &str) -> Answer {
    let h = state.host(host)?;
    if !h.pools.contains(pool_uuid) {
        return Ok(AnswerData::Done);
    }
    if let Some((name, _)) = h
        .running()
        .find(|(_, vm)| vm.volume_refs().any(|v| v.pool_uuid == pool_uuid))
    {
        return Err(AgentError::invalid_state(format!(
            "VM {name} runs from storage pool {pool_uuid} on host {host}"
        )));
    }
    state.host_mut(host)?.pools.remove(pool_uuid);
    if let Some(pool) = state.pools.get_mut(pool_uuid) {
        pool.hosts.remove(host);
    }
    Ok(AnswerData::Done)
}

/// Simulated pools hold no template files: only the pool must be mounted.
pub(crate) fn prepare_template(state: &mut State, host: &str, pool_uuid: &str) -> Answer {
    state.mounted_pool_mut(host, pool_uuid)?;
    Ok(AnswerData::Done)
}

pub(crate) fn create_volume(
    state: &mut State,
    host: &str,
    v: &VolumeRef,
    size_bytes: u64,
    template: Option<&TemplateRef>,
) -> Answer {
    let pool = state.mounted_pool_mut(host, &v.pool_uuid)?;
    if let Some(existing) = pool.volumes.get(&v.volume_uuid) {
        return Ok(AnswerData::Volume(volume_info(v, existing)));
    }
    let size_bytes = size_bytes.max(template.map_or(0, |t| t.size_bytes));
    if size_bytes == 0 {
        return Err(AgentError::invalid_argument(format!(
            "volume {} needs a size or a template",
            v.volume_uuid
        )));
    }
    let vol = SimVolume {
        size_bytes,
        format: template
            .and_then(|t| t.format.clone())
            .unwrap_or_else(|| "QCOW2".into()),
        template: template.map(|t| t.uuid.clone()),
        snapshots: BTreeMap::new(),
    };
    let info = volume_info(v, &vol);
    pool.volumes.insert(v.volume_uuid.clone(), vol);
    Ok(AnswerData::Volume(info))
}

pub(crate) fn copy_volume(
    state: &mut State,
    host: &str,
    src: &VolumeRef,
    dest: &VolumeRef,
) -> Answer {
    if src == dest {
        return Err(AgentError::invalid_argument(
            "a volume cannot be copied onto itself",
        ));
    }
    let dest_pool = state.mounted_pool(host, &dest.pool_uuid)?;
    if let Some(existing) = dest_pool.volumes.get(&dest.volume_uuid) {
        return Ok(AnswerData::Volume(volume_info(dest, existing)));
    }
    let source = state.volume(host, src)?;
    let copy = SimVolume {
        snapshots: BTreeMap::new(),
        ..source.clone()
    };
    let info = volume_info(dest, &copy);
    state
        .mounted_pool_mut(host, &dest.pool_uuid)?
        .volumes
        .insert(dest.volume_uuid.clone(), copy);
    Ok(AnswerData::Volume(info))
}

/// Gives the volume `to` (on a pool its host mounted) the contents of `from`: size,
/// format and template; snapshots stay behind, as with a copy.
pub(crate) fn mirror_volume(
    state: &mut State,
    from: (&str, &VolumeRef),
    to: (&str, &VolumeRef),
) -> Result<(), AgentError> {
    let source = state.volume(from.0, from.1)?.clone();
    let target = state.volume_mut(to.0, to.1)?;
    target.size_bytes = source.size_bytes;
    target.format = source.format;
    target.template = source.template;
    Ok(())
}

pub(crate) fn delete_volume(state: &mut State, host: &str, v: &VolumeRef) -> Answer {
    state.check_not_in_use(v, "delete")?;
    state
        .mounted_pool_mut(host, &v.pool_uuid)?
        .volumes
        .remove(&v.volume_uuid);
    Ok(AnswerData::Done)
}

pub(crate) fn resize_volume(
    state: &mut State,
    host: &str,
    v: &VolumeRef,
    new_size: u64,
    shrink_ok: bool,
) -> Answer {
    let vol = state.volume_mut(host, v)?;
    if new_size == 0 || (new_size < vol.size_bytes && !shrink_ok) {
        return Err(AgentError::invalid_argument(format!(
            "volume {} is {} bytes; resizing to {new_size} bytes needs shrinkok",
            v.volume_uuid, vol.size_bytes
        )));
    }
    vol.size_bytes = new_size;
    Ok(AnswerData::Volume(volume_info(v, vol)))
}

fn snapshot_info(v: &VolumeRef, uuid: &str, snap: &SimSnapshot) -> SnapshotInfo {
    SnapshotInfo {
        snapshot_uuid: uuid.to_owned(),
        volume_uuid: v.volume_uuid.clone(),
        path: format!("{}/{uuid}", v.volume_uuid),
        size_bytes: snap.size_bytes,
    }
}

fn snapshot_not_found(v: &VolumeRef, uuid: &str) -> AgentError {
    AgentError::not_found(format!(
        "snapshot {uuid} of volume {} does not exist",
        v.volume_uuid
    ))
}

pub(crate) fn create_snapshot(state: &mut State, host: &str, v: &VolumeRef, uuid: &str) -> Answer {
    let vol = state.volume_mut(host, v)?;
    let size_bytes = vol.size_bytes;
    let snap = vol.snapshots.entry(uuid.to_owned()).or_insert(SimSnapshot {
        size_bytes,
        backup_path: None,
    });
    Ok(AnswerData::Snapshot(snapshot_info(v, uuid, snap)))
}

pub(crate) fn delete_snapshot(state: &mut State, host: &str, v: &VolumeRef, uuid: &str) -> Answer {
    let pool = state.mounted_pool_mut(host, &v.pool_uuid)?;
    if let Some(vol) = pool.volumes.get_mut(&v.volume_uuid) {
        vol.snapshots.remove(uuid);
    }
    Ok(AnswerData::Done)
}

pub(crate) fn revert_snapshot(state: &mut State, host: &str, v: &VolumeRef, uuid: &str) -> Answer {
    state.check_not_in_use(v, "revert")?;
    let vol = state.volume_mut(host, v)?;
    let size = vol
        .snapshots
        .get(uuid)
        .ok_or_else(|| snapshot_not_found(v, uuid))?
        .size_bytes;
    vol.size_bytes = size;
    Ok(AnswerData::Volume(volume_info(v, vol)))
}

pub(crate) fn backup_snapshot(
    state: &mut State,
    host: &str,
    v: &VolumeRef,
    uuid: &str,
    secondary_url: &str,
) -> Answer {
    if secondary_url.trim().is_empty() {
        return Err(AgentError::invalid_argument(
            "the backup needs a secondary storage URL",
        ));
    }
    let vol = state.volume_mut(host, v)?;
    let snap = vol
        .snapshots
        .get_mut(uuid)
        .ok_or_else(|| snapshot_not_found(v, uuid))?;
    let path = format!("snapshots/{}/{uuid}", v.volume_uuid);
    snap.backup_path = Some(path.clone());
    Ok(AnswerData::SnapshotBackup {
        path,
        size_bytes: snap.size_bytes,
    })
}
