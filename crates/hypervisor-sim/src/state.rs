//! The simulator's in-memory world: hosts with their VMs and bridges, and storage pools
//! (shared between the hosts that mounted them) with their volumes and snapshots.
//!
//! Everything sits behind one mutex in [`crate::Simulator`]; handlers take `&mut State`
//! and never await, so each command is atomic.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use strato_agent_proto::{
    AgentError, DiskSource, HostInfo, IsoRef, PoolSpec, PowerState, VmSpec, VolumeRef,
};

/// First VNC port (display :0).
const VNC_BASE: u16 = 5900;

#[derive(Default)]
pub(crate) struct State {
    pub hosts: HashMap<String, SimHost>,
    pub pools: HashMap<String, SimPool>,
}

pub(crate) struct SimHost {
    pub info: HostInfo,
    pub vms: BTreeMap<String, SimVm>,
    pub bridges: BTreeSet<String>,
    /// Pools this host has mounted.
    pub pools: BTreeSet<String>,
}

pub(crate) struct SimVm {
    /// The spec it was started with, with attach/detach applied to `volumes`.
    pub spec: VmSpec,
    pub state: PowerState,
    pub vnc_port: Option<u16>,
}

pub(crate) struct SimPool {
    pub spec: PoolSpec,
    pub capacity_bytes: u64,
    /// For host-local pools, the host that owns it.
    pub owner: Option<String>,
    pub hosts: BTreeSet<String>,
    pub volumes: BTreeMap<String, SimVolume>,
}

#[derive(Clone)]
pub(crate) struct SimVolume {
    pub size_bytes: u64,
    pub format: String,
    pub template: Option<String>,
    pub snapshots: BTreeMap<String, SimSnapshot>,
}

#[derive(Clone)]
pub(crate) struct SimSnapshot {
    pub size_bytes: u64,
    pub backup_path: Option<String>,
}

impl SimHost {
    pub fn new(info: HostInfo) -> Self {
        Self {
            info,
            vms: BTreeMap::new(),
            bridges: BTreeSet::new(),
            pools: BTreeSet::new(),
        }
    }

    /// Memory of running VMs, not counting `except`.
    pub fn memory_used(&self, except: Option<&str>) -> u64 {
        self.running()
            .filter(|(name, _)| Some(name.as_str()) != except)
            .map(|(_, vm)| vm.spec.memory_bytes)
            .sum()
    }

    pub fn running(&self) -> impl Iterator<Item = (&String, &SimVm)> {
        self.vms
            .iter()
            .filter(|(_, vm)| vm.state == PowerState::Running)
    }

    /// The lowest VNC port no running VM uses.
    pub fn free_vnc_port(&self) -> Option<u16> {
        let used: BTreeSet<u16> = self.running().filter_map(|(_, vm)| vm.vnc_port).collect();
        (VNC_BASE..=u16::MAX).find(|p| !used.contains(p))
    }

    /// Fails unless `memory` more bytes fit next to the running VMs (other than `vm`).
    pub fn check_memory(&self, vm: &str, memory: u64) -> Result<(), AgentError> {
        let used = self.memory_used(Some(vm));
        let total = self.info.memory_bytes;
        if used.saturating_add(memory) > total {
            return Err(AgentError::insufficient_capacity(format!(
                "host {} has {} MiB of {} MiB memory free; VM {vm} needs {} MiB",
                self.info.name,
                total.saturating_sub(used) >> 20,
                total >> 20,
                memory >> 20,
            )));
        }
        Ok(())
    }
}

impl SimVm {
    pub fn volume_refs(&self) -> impl Iterator<Item = &VolumeRef> {
        self.spec.volumes.iter().filter_map(|d| match &d.source {
            DiskSource::Volume(v) => Some(v),
            _ => None,
        })
    }

    pub fn iso(&self) -> Option<&IsoRef> {
        self.spec.volumes.iter().find_map(|d| match &d.source {
            DiskSource::Iso(iso) => Some(iso),
            _ => None,
        })
    }
}

impl State {
    pub fn host(&self, guid: &str) -> Result<&SimHost, AgentError> {
        self.hosts.get(guid).ok_or_else(|| unknown_host(guid))
    }

    pub fn host_mut(&mut self, guid: &str) -> Result<&mut SimHost, AgentError> {
        self.hosts.get_mut(guid).ok_or_else(|| unknown_host(guid))
    }

    /// The pool, if `host` has mounted it.
    pub fn mounted_pool(&self, host: &str, pool: &str) -> Result<&SimPool, AgentError> {
        self.pools
            .get(pool)
            .filter(|p| p.hosts.contains(host))
            .ok_or_else(|| not_mounted(host, pool))
    }

    pub fn mounted_pool_mut(&mut self, host: &str, pool: &str) -> Result<&mut SimPool, AgentError> {
        self.pools
            .get_mut(pool)
            .filter(|p| p.hosts.contains(host))
            .ok_or_else(|| not_mounted(host, pool))
    }

    /// A volume on a pool `host` has mounted.
    pub fn volume(&self, host: &str, v: &VolumeRef) -> Result<&SimVolume, AgentError> {
        self.mounted_pool(host, &v.pool_uuid)?
            .volumes
            .get(&v.volume_uuid)
            .ok_or_else(|| volume_not_found(v))
    }

    pub fn volume_mut(&mut self, host: &str, v: &VolumeRef) -> Result<&mut SimVolume, AgentError> {
        self.mounted_pool_mut(host, &v.pool_uuid)?
            .volumes
            .get_mut(&v.volume_uuid)
            .ok_or_else(|| volume_not_found(v))
    }

    /// The (host, VM) a volume is attached to, on any host of the simulator.
    pub fn attached_to(&self, v: &VolumeRef) -> Option<(&str, &str, &SimVm)> {
        self.hosts.iter().find_map(|(guid, host)| {
            host.vms
                .iter()
                .find(|(_, vm)| vm.volume_refs().any(|r| r == v))
                .map(|(name, vm)| (guid.as_str(), name.as_str(), vm))
        })
    }

    /// Fails if a running VM uses the volume.
    pub fn check_not_in_use(&self, v: &VolumeRef, what: &str) -> Result<(), AgentError> {
        match self.attached_to(v) {
            Some((host, vm_name, vm)) if vm.state == PowerState::Running => {
                Err(AgentError::invalid_state(format!(
                    "cannot {what} volume {} while VM {vm_name} runs with it on host {host}",
                    v.volume_uuid
                )))
            }
            _ => Ok(()),
        }
    }

    /// Checks that every volume of `spec` exists on a pool `host` has mounted.
    pub fn check_disks(&self, host: &str, spec: &VmSpec) -> Result<(), AgentError> {
        for disk in &spec.volumes {
            if let DiskSource::Volume(v) = &disk.source {
                self.volume(host, v)?;
            }
        }
        Ok(())
    }
}

fn unknown_host(guid: &str) -> AgentError {
    AgentError::new(
        strato_agent_proto::ErrorKind::UnknownHost,
        format!("host {guid} is not simulated here"),
    )
}

fn not_mounted(host: &str, pool: &str) -> AgentError {
    AgentError::not_found(format!("storage pool {pool} is not mounted on host {host}"))
}

pub(crate) fn volume_not_found(v: &VolumeRef) -> AgentError {
    AgentError::not_found(format!(
        "volume {} does not exist on pool {}",
        v.volume_uuid, v.pool_uuid
    ))
}

pub(crate) fn vm_not_found(host: &str, name: &str) -> AgentError {
    AgentError::not_found(format!("VM {name} is not on host {host}"))
}
