//! [`Simulator`]: the driver, its hosts, mocks and inspection helpers.
//!
//! One simulator may hold any number of hosts (tested with 10,000); all share one state
//! lock, held for microseconds per command and never across an `.await`. Mock delays
//! (`wait:<ms>`) sleep before the lock is taken.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use strato_agent_proto::{
    AgentError, Answer, BoxFuture, Command, DriverEvent, HostEvent, HostInfo, HostNetwork,
    HypervisorDriver, HypervisorType, Placement, PowerState, VmSpec, VolumeRef,
};
use tokio::sync::broadcast;

use crate::capacity::HostCapacity;
use crate::mock::{Effect, MockError, MockRecord, MockRegistry, MockRule};
use crate::state::{SimHost, State};
use crate::{host, storage, vm};

/// Reported as the hosts' hypervisor version.
const SIM_VERSION: &str = concat!("strato-sim-", env!("CARGO_PKG_VERSION"));

/// Buffered host events per subscriber before the slowest one loses some.
const EVENT_BUFFER: usize = 4096;

/// What a new simulated host looks like.
#[derive(Debug, Clone)]
pub struct SimHostSpec {
    pub guid: String,
    pub name: String,
    pub capacity: HostCapacity,
    pub placement: Placement,
    pub private_ip: String,
}

impl SimHostSpec {
    /// A host with CloudStack's default simulator capacity, unplaced, on 127.0.0.1.
    pub fn new(guid: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            guid: guid.into(),
            name: name.into(),
            capacity: HostCapacity::default(),
            placement: Placement::default(),
            private_ip: "127.0.0.1".into(),
        }
    }
}

/// A volume as the simulator holds it (for tests and diagnostics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeView {
    pub size_bytes: u64,
    pub format: String,
    pub template: Option<String>,
    /// Snapshot uuid and where it was backed up, if it was.
    pub snapshots: Vec<(String, Option<String>)>,
}

/// The Simulator hypervisor. Cheap to clone; clones share the same hosts.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    mocks: Mutex<MockRegistry>,
    events: broadcast::Sender<DriverEvent>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Handlers never leave state half-updated across a panic point that matters more
    // than losing the simulator; keep serving.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                mocks: Mutex::new(MockRegistry::default()),
                events: broadcast::channel(EVENT_BUFFER).0,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    /// Adds a host, or updates the description of an existing one (keeping its VMs).
    pub fn add_host(&self, spec: SimHostSpec) -> HostInfo {
        let info = describe(&spec);
        let mut state = self.state();
        match state.hosts.get_mut(&spec.guid) {
            Some(existing) => existing.info = info.clone(),
            None => {
                state
                    .hosts
                    .insert(spec.guid.clone(), SimHost::new(info.clone()));
            }
        }
        info
    }

    /// Removes a host and its VMs; it unmounts its pools. False if unknown.
    pub fn remove_host(&self, guid: &str) -> bool {
        let mut state = self.state();
        let Some(host) = state.hosts.remove(guid) else {
            return false;
        };
        for pool in host.pools {
            if let Some(p) = state.pools.get_mut(&pool) {
                p.hosts.remove(guid);
            }
        }
        true
    }

    /// Every host, sorted by name.
    pub fn hosts(&self) -> Vec<HostInfo> {
        let mut hosts: Vec<HostInfo> = self
            .state()
            .hosts
            .values()
            .map(|h| h.info.clone())
            .collect();
        hosts.sort_by(|a, b| a.name.cmp(&b.name));
        hosts
    }

    pub fn host_count(&self) -> usize {
        self.state().hosts.len()
    }

    /// Records where the server placed a host (used by mock scopes). False if unknown.
    pub fn set_placement(&self, guid: &str, placement: Placement) -> bool {
        match self.state().hosts.get_mut(guid) {
            Some(host) => {
                host.info.placement = placement;
                true
            }
            None => false,
        }
    }

    /// `configureSimulator`: adds a mock, or updates the one with the same name and scope.
    pub fn configure_mock(&self, rule: MockRule) -> Result<MockRecord, MockError> {
        lock(&self.shared.mocks).configure(rule)
    }

    /// `querySimulatorMock`.
    pub fn query_mock(&self, id: u64) -> Option<MockRecord> {
        lock(&self.shared.mocks).query(id)
    }

    /// `cleanupSimulatorMock`: false if there was no such mock.
    pub fn cleanup_mock(&self, id: u64) -> bool {
        lock(&self.shared.mocks).cleanup(id)
    }

    pub fn list_mocks(&self) -> Vec<MockRecord> {
        lock(&self.shared.mocks).list()
    }

    /// The power state of a VM on a host (`None`: unknown host or VM).
    pub fn vm_state(&self, host: &str, vm: &str) -> Option<PowerState> {
        Some(self.state().hosts.get(host)?.vms.get(vm)?.state)
    }

    /// The spec a VM runs with (after attach/detach).
    pub fn vm_spec(&self, host: &str, vm: &str) -> Option<VmSpec> {
        Some(self.state().hosts.get(host)?.vms.get(vm)?.spec.clone())
    }

    /// The bridges a host has set up.
    pub fn bridges(&self, host: &str) -> Vec<String> {
        self.state()
            .hosts
            .get(host)
            .map(|h| h.bridges.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A volume, wherever its pool is mounted.
    pub fn volume(&self, v: &VolumeRef) -> Option<VolumeView> {
        let state = self.state();
        let vol = state.pools.get(&v.pool_uuid)?.volumes.get(&v.volume_uuid)?;
        Some(VolumeView {
            size_bytes: vol.size_bytes,
            format: vol.format.clone(),
            template: vol.template.clone(),
            snapshots: vol
                .snapshots
                .iter()
                .map(|(id, s)| (id.clone(), s.backup_path.clone()))
                .collect(),
        })
    }

    /// Changes a VM's power state behind the server's back (a guest shutdown, a crash,
    /// a manual power-on) and emits the [`HostEvent`] the agent forwards.
    pub fn set_power_out_of_band(
        &self,
        host: &str,
        vm: &str,
        running: bool,
    ) -> Result<(), AgentError> {
        {
            let mut state = self.state();
            let h = state.host_mut(host)?;
            let memory = h
                .vms
                .get(vm)
                .map(|v| v.spec.memory_bytes)
                .ok_or_else(|| crate::state::vm_not_found(host, vm))?;
            if running {
                h.check_memory(vm, memory)?;
            }
            let port = if running { h.free_vnc_port() } else { None };
            if let Some(v) = h.vms.get_mut(vm) {
                v.state = if running {
                    PowerState::Running
                } else {
                    PowerState::Stopped
                };
                v.vnc_port = port;
            }
        }
        let state = if running {
            PowerState::Running
        } else {
            PowerState::Stopped
        };
        // No subscriber (no agent connected) is fine: the server syncs states on connect.
        let _ = self.shared.events.send(DriverEvent {
            host_guid: host.to_owned(),
            event: HostEvent::VmPowerChanged {
                vm_name: vm.to_owned(),
                state,
            },
        });
        Ok(())
    }

    /// Looks up the mock for a command on a host, consuming one use.
    fn mock_effect(&self, host: &str, command: &Command) -> Result<Option<Effect>, AgentError> {
        let state = self.state();
        let placement = &state.host(host)?.info.placement;
        let mut names = vec![command.name()];
        names.extend(command.cloudstack_name());
        // Lock order: state, then mocks (the only place both are held).
        Ok(lock(&self.shared.mocks).apply(&names, host, placement))
    }
}

impl HypervisorDriver for Simulator {
    fn hypervisor(&self) -> HypervisorType {
        HypervisorType::Simulator
    }

    fn host_info(&self, host_guid: &str) -> Option<HostInfo> {
        self.state().hosts.get(host_guid).map(|h| h.info.clone())
    }

    fn handle<'a>(&'a self, host_guid: &'a str, command: Command) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            if let Some(effect) = self.mock_effect(host_guid, &command)? {
                if let Some(wait) = effect.wait {
                    tokio::time::sleep(wait).await;
                }
                if let Some(answer) = effect.answer {
                    return answer;
                }
            }
            let mut state = self.state();
            execute(&mut state, host_guid, command)
        })
    }

    fn subscribe(&self) -> broadcast::Receiver<DriverEvent> {
        self.shared.events.subscribe()
    }
}

/// Runs one command against the state (one handler per command, as CloudStack's
/// `CommandWrapper`s).
fn execute(state: &mut State, h: &str, command: Command) -> Answer {
    match command {
        Command::ReadyCheck | Command::MaintainHost => host::ready(state, h),
        Command::GetHostStats => host::stats(state, h),
        Command::CheckHealth => host::health(state, h),
        Command::StartVm(spec) => vm::start(state, h, spec),
        Command::StopVm { name, .. } => vm::stop(state, h, &name),
        Command::RebootVm { name } => vm::reboot(state, h, &name),
        Command::DestroyVm { name } => vm::destroy(state, h, &name),
        Command::GetVmState { names } => vm::get_state(state, h, &names),
        Command::GetVncPort { name } => vm::vnc_port(state, h, &name),
        Command::GetVmStats { names } => vm::get_stats(state, h, &names),
        Command::PrepareForMigration(spec) => vm::prepare_for_migration(state, h, &spec),
        Command::MigrateVm {
            name,
            dest_host_guid,
            volume_map,
            ..
        } => vm::migrate(state, h, &name, &dest_host_guid, &volume_map),
        Command::CreateVolume {
            pool_uuid,
            volume_uuid,
            size_bytes,
            template,
            provisioning: _,
        } => {
            let v = VolumeRef {
                pool_uuid,
                volume_uuid,
            };
            storage::create_volume(state, h, &v, size_bytes, template.as_ref())
        }
        Command::PrepareTemplate { pool_uuid, .. } => {
            storage::prepare_template(state, h, &pool_uuid)
        }
        Command::CopyVolume { src, dest } => storage::copy_volume(state, h, &src, &dest),
        Command::DeleteVolume { volume } => storage::delete_volume(state, h, &volume),
        Command::ResizeVolume {
            volume,
            new_size_bytes,
            shrink_ok,
        } => storage::resize_volume(state, h, &volume, new_size_bytes, shrink_ok),
        Command::AttachVolume {
            vm_name,
            volume,
            device_id,
        } => vm::attach_volume(state, h, &vm_name, &volume, device_id),
        Command::DetachVolume { vm_name, volume } => vm::detach_volume(state, h, &vm_name, &volume),
        Command::AttachIso { vm_name, iso } => vm::attach_iso(state, h, &vm_name, &iso),
        Command::DetachIso { vm_name } => vm::detach_iso(state, h, &vm_name),
        Command::CreateSnapshot {
            volume,
            snapshot_uuid,
        } => storage::create_snapshot(state, h, &volume, &snapshot_uuid),
        Command::DeleteSnapshot {
            volume,
            snapshot_uuid,
        } => storage::delete_snapshot(state, h, &volume, &snapshot_uuid),
        Command::RevertSnapshot {
            volume,
            snapshot_uuid,
        } => storage::revert_snapshot(state, h, &volume, &snapshot_uuid),
        Command::BackupSnapshot {
            volume,
            snapshot_uuid,
            secondary_url,
        } => storage::backup_snapshot(state, h, &volume, &snapshot_uuid, &secondary_url),
        Command::SetupNetwork(spec) => host::setup_network(state, h, &spec),
        Command::ModifyStoragePool(spec) => storage::modify_pool(state, h, spec),
        Command::DeleteStoragePool { pool_uuid } => storage::delete_pool(state, h, &pool_uuid),
    }
}

/// The `HostInfo` a simulated host announces.
fn describe(spec: &SimHostSpec) -> HostInfo {
    let c = &spec.capacity;
    HostInfo {
        guid: spec.guid.clone(),
        name: spec.name.clone(),
        hypervisor: HypervisorType::Simulator,
        hypervisor_version: SIM_VERSION.into(),
        cpu_sockets: 1,
        cpus: c.cpu_cores,
        cpu_speed_mhz: c.cpu_speed_mhz,
        memory_bytes: c.memory_bytes,
        local_storage_bytes: c.local_storage_bytes,
        arch: c.arch.clone(),
        private_ip: spec.private_ip.clone(),
        private_netmask: Some("255.255.0.0".into()),
        private_mac: Some(fake_mac(&spec.guid)),
        networks: vec![HostNetwork {
            name: "cloudbr0".into(),
            traffic: None,
            ip: Some(spec.private_ip.clone()),
        }],
        placement: spec.placement.clone(),
        host_token: None,
        capabilities: vec!["hvm".into(), "snapshot".into()],
    }
}

/// A stable, locally administered MAC derived from the guid (FNV-1a).
fn fake_mac(guid: &str) -> String {
    let hash = guid.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let b = hash.to_be_bytes();
    format!("02:00:{:02x}:{:02x}:{:02x}:{:02x}", b[4], b[5], b[6], b[7])
}
