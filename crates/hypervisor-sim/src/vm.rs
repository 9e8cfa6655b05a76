//! VM commands: start, stop, reboot, destroy, state, stats, migration, and hot-plugging
//! volumes and ISOs. Every handler is idempotent (see `strato_agent_proto::Command`).

use strato_agent_proto::{
    AgentError, Answer, AnswerData, DiskKind, DiskSource, DiskSpec, IsoRef, PowerState, VmInfo,
    VmSpec, VmStateReport, VmStats, VolumeMigration, VolumeRef,
};

use crate::host::bridge_name;
use crate::state::{SimVm, State, vm_not_found};
use crate::storage;

/// CloudStack puts the CD-ROM at device id 3.
const CDROM_DEVICE: u32 = 3;

fn validate(spec: &VmSpec) -> Result<(), AgentError> {
    if spec.name.trim().is_empty() {
        return Err(AgentError::invalid_argument("the VM needs a name"));
    }
    if spec.cpus == 0 || spec.memory_bytes == 0 {
        return Err(AgentError::invalid_argument(format!(
            "VM {} needs at least one CPU and some memory",
            spec.name
        )));
    }
    Ok(())
}

/// Checks that `spec` could run on `host`: memory, disks, and no volume in use by
/// another running VM.
fn check_placement(state: &State, host: &str, spec: &VmSpec) -> Result<(), AgentError> {
    state
        .host(host)?
        .check_memory(&spec.name, spec.memory_bytes)?;
    state.check_disks(host, spec)?;
    for disk in &spec.volumes {
        if let DiskSource::Volume(v) = &disk.source
            && let Some((owner_host, owner_vm, vm)) = state.attached_to(v)
            && vm.state == PowerState::Running
            && owner_vm != spec.name
        {
            return Err(AgentError::invalid_state(format!(
                "volume {} is in use by VM {owner_vm} on host {owner_host}",
                v.volume_uuid
            )));
        }
    }
    Ok(())
}

fn vm_info(host: &str, vm: &SimVm) -> VmInfo {
    VmInfo {
        name: vm.spec.name.clone(),
        uuid: vm.spec.uuid.clone(),
        state: vm.state,
        host_guid: host.to_owned(),
        vnc_port: vm.vnc_port,
    }
}

pub(crate) fn start(state: &mut State, host: &str, spec: VmSpec) -> Answer {
    validate(&spec)?;
    if let Some(vm) = state.host(host)?.vms.get(&spec.name)
        && vm.state == PowerState::Running
    {
        if vm.spec.uuid == spec.uuid {
            return Ok(AnswerData::Vm(vm_info(host, vm)));
        }
        return Err(AgentError::invalid_state(format!(
            "another VM named {} (uuid {}) runs on host {host}",
            spec.name, vm.spec.uuid
        )));
    }
    check_placement(state, host, &spec)?;
    let h = state.host_mut(host)?;
    for nic in &spec.nics {
        h.bridges.insert(bridge_name(&nic.network));
    }
    let vm = SimVm {
        vnc_port: h.free_vnc_port(),
        state: PowerState::Running,
        spec,
    };
    let info = vm_info(host, &vm);
    h.vms.insert(vm.spec.name.clone(), vm);
    Ok(AnswerData::Vm(info))
}

/// The simulated console port (nothing listens there: the Simulator has no screens).
pub(crate) fn vnc_port(state: &State, host: &str, name: &str) -> Answer {
    match state.host(host)?.vms.get(name) {
        Some(vm) if vm.state == PowerState::Running => Ok(AnswerData::Vm(vm_info(host, vm))),
        _ => Err(AgentError::not_found(format!(
            "VM {name} is not running on host {host}"
        ))),
    }
}

pub(crate) fn stop(state: &mut State, host: &str, name: &str) -> Answer {
    if let Some(vm) = state.host_mut(host)?.vms.get_mut(name) {
        vm.state = PowerState::Stopped;
        vm.vnc_port = None;
    }
    Ok(AnswerData::Done)
}

pub(crate) fn reboot(state: &mut State, host: &str, name: &str) -> Answer {
    match state.host(host)?.vms.get(name) {
        Some(vm) if vm.state == PowerState::Running => Ok(AnswerData::Done),
        Some(_) => Err(AgentError::invalid_state(format!(
            "VM {name} is not running on host {host}"
        ))),
        None => Err(vm_not_found(host, name)),
    }
}

pub(crate) fn destroy(state: &mut State, host: &str, name: &str) -> Answer {
    state.host_mut(host)?.vms.remove(name);
    Ok(AnswerData::Done)
}

pub(crate) fn get_state(state: &State, host: &str, names: &[String]) -> Answer {
    let h = state.host(host)?;
    let report = |name: &str| match h.vms.get(name) {
        Some(vm) => VmStateReport {
            name: name.to_owned(),
            uuid: vm.spec.uuid.clone(),
            state: vm.state,
        },
        None => VmStateReport {
            name: name.to_owned(),
            uuid: String::new(),
            state: PowerState::Missing,
        },
    };
    let vms = if names.is_empty() {
        h.vms.keys().map(|n| report(n)).collect()
    } else {
        names.iter().map(|n| report(n)).collect()
    };
    Ok(AnswerData::VmStates { vms })
}

pub(crate) fn get_stats(state: &State, host: &str, names: &[String]) -> Answer {
    let h = state.host(host)?;
    let vms = h
        .running()
        .filter(|(name, _)| names.is_empty() || names.contains(name))
        .map(|(name, vm)| VmStats {
            name: name.clone(),
            memory_bytes: vm.spec.memory_bytes,
            ..VmStats::default()
        })
        .collect();
    Ok(AnswerData::VmStats { vms })
}

pub(crate) fn prepare_for_migration(state: &mut State, host: &str, spec: &VmSpec) -> Answer {
    validate(spec)?;
    check_placement(state, host, spec)?;
    let h = state.host_mut(host)?;
    for nic in &spec.nics {
        h.bridges.insert(bridge_name(&nic.network));
    }
    Ok(AnswerData::Done)
}

/// Points the disks of `spec` named in `volume_map` at their destinations; fails if one
/// is not a disk of the VM.
fn move_disks(spec: &mut VmSpec, volume_map: &[VolumeMigration]) -> Result<(), AgentError> {
    for m in volume_map {
        let disk = spec
            .volumes
            .iter_mut()
            .find(|d| matches!(&d.source, DiskSource::Volume(v) if *v == m.src))
            .ok_or_else(|| {
                AgentError::invalid_argument(format!(
                    "volume {} on pool {} is not a disk of VM {}",
                    m.src.volume_uuid, m.src.pool_uuid, spec.name
                ))
            })?;
        disk.source = DiskSource::Volume(m.dest.clone());
    }
    Ok(())
}

/// Live migration; with a `volume_map`, the listed volumes' contents go to the
/// destination volumes (which must exist on pools `dest` has mounted) and the VM runs
/// from those. The source volumes stay until deleted.
pub(crate) fn migrate(
    state: &mut State,
    host: &str,
    name: &str,
    dest: &str,
    volume_map: &[VolumeMigration],
) -> Answer {
    if dest == host {
        return Err(AgentError::invalid_argument(format!(
            "VM {name} cannot migrate to the host it runs on"
        )));
    }
    let running_here = state
        .host(host)?
        .vms
        .get(name)
        .filter(|vm| vm.state == PowerState::Running);
    let Some(vm) = running_here else {
        // A retried migration finds the VM already on the destination.
        let arrived = state
            .hosts
            .get(dest)
            .and_then(|d| d.vms.get(name))
            .is_some_and(|vm| vm.state == PowerState::Running);
        if arrived {
            return Ok(AnswerData::Done);
        }
        return Err(AgentError::not_found(format!(
            "VM {name} is not running on host {host}"
        )));
    };
    let dest_host = state.hosts.get(dest).ok_or_else(|| {
        AgentError::not_found(format!("destination host {dest} is not in this simulator"))
    })?;
    if dest_host
        .vms
        .get(name)
        .is_some_and(|v| v.state == PowerState::Running)
    {
        return Err(AgentError::invalid_state(format!(
            "a VM named {name} already runs on host {dest}"
        )));
    }
    let mut spec = vm.spec.clone();
    dest_host.check_memory(name, spec.memory_bytes)?;
    move_disks(&mut spec, volume_map)?;
    state.check_disks(dest, &spec).map_err(|e| {
        AgentError::invalid_state(format!(
            "cannot migrate VM {name} to host {dest}: {}",
            e.message
        ))
    })?;
    for m in volume_map {
        storage::mirror_volume(state, (host, &m.src), (dest, &m.dest))?;
    }
    let source = state.host_mut(host)?;
    source.vms.remove(name);
    let d = state.host_mut(dest)?;
    for nic in &spec.nics {
        d.bridges.insert(bridge_name(&nic.network));
    }
    let vnc_port = d.free_vnc_port();
    d.vms.insert(
        name.to_owned(),
        SimVm {
            spec,
            state: PowerState::Running,
            vnc_port,
        },
    );
    Ok(AnswerData::Done)
}

fn vm_mut<'a>(state: &'a mut State, host: &str, name: &str) -> Result<&'a mut SimVm, AgentError> {
    state
        .host_mut(host)?
        .vms
        .get_mut(name)
        .ok_or_else(|| vm_not_found(host, name))
}

pub(crate) fn attach_volume(
    state: &mut State,
    host: &str,
    name: &str,
    volume: &VolumeRef,
    device_id: u32,
) -> Answer {
    vm_mut(state, host, name)?;
    state.volume(host, volume)?;
    match state.attached_to(volume) {
        Some((h, vm, _)) if h == host && vm == name => return Ok(AnswerData::Done),
        Some((h, vm, _)) => {
            return Err(AgentError::invalid_state(format!(
                "volume {} is attached to VM {vm} on host {h}",
                volume.volume_uuid
            )));
        }
        None => {}
    }
    let vm = vm_mut(state, host, name)?;
    if vm.spec.volumes.iter().any(|d| d.device_id == device_id) {
        return Err(AgentError::invalid_argument(format!(
            "VM {name} already has a disk at device id {device_id}"
        )));
    }
    vm.spec.volumes.push(DiskSpec {
        device_id,
        kind: DiskKind::Data,
        source: DiskSource::Volume(volume.clone()),
    });
    Ok(AnswerData::Done)
}

pub(crate) fn detach_volume(
    state: &mut State,
    host: &str,
    name: &str,
    volume: &VolumeRef,
) -> Answer {
    let vm = vm_mut(state, host, name)?;
    vm.spec
        .volumes
        .retain(|d| !matches!(&d.source, DiskSource::Volume(v) if v == volume));
    Ok(AnswerData::Done)
}

pub(crate) fn attach_iso(state: &mut State, host: &str, name: &str, iso: &IsoRef) -> Answer {
    let vm = vm_mut(state, host, name)?;
    if vm.iso().is_some_and(|current| current.uuid != iso.uuid) {
        return Err(AgentError::invalid_state(format!(
            "VM {name} already has another ISO attached"
        )));
    }
    let source = DiskSource::Iso(iso.clone());
    match vm
        .spec
        .volumes
        .iter_mut()
        .find(|d| d.kind == DiskKind::Cdrom)
    {
        Some(drive) => drive.source = source,
        None => vm.spec.volumes.push(DiskSpec {
            device_id: CDROM_DEVICE,
            kind: DiskKind::Cdrom,
            source,
        }),
    }
    Ok(AnswerData::Done)
}

pub(crate) fn detach_iso(state: &mut State, host: &str, name: &str) -> Answer {
    let vm = vm_mut(state, host, name)?;
    for drive in vm
        .spec
        .volumes
        .iter_mut()
        .filter(|d| d.kind == DiskKind::Cdrom)
    {
        drive.source = DiskSource::Empty;
    }
    Ok(AnswerData::Done)
}
