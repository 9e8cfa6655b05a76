//! [`KvmDriver`]: one KVM host behind the [`HypervisorDriver`] trait.
//!
//! Commands are dispatched to one handler each; VM handlers hold a per-VM lock so two
//! commands for one VM never interleave, and mark the VM busy so the state poller does
//! not mistake our own start/stop for a change behind our back. The poller (every
//! [`KvmConfig::poll_interval`]) compares libvirt's view with the last known states and
//! emits `VmPowerChanged` for guests that powered off, crashed or were started by hand.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use strato_agent_proto::{
    AgentError, Answer, BoxFuture, Command, DriverEvent, ErrorKind, HostEvent, HostInfo,
    HostNetwork, HypervisorDriver, HypervisorType, Placement, PowerState, VolumeRef,
};
use tokio::sync::broadcast;

use crate::accel::{self, Accel, AccelChoice, AccelDecision, KvmSignals};
use crate::host;
use crate::libvirt::Libvirt;
use crate::network;
use crate::router::Routers;
use crate::storage::Storage;
use crate::vm;

/// How the driver is set up (from `strato agent --driver kvm` flags).
#[derive(Debug, Clone)]
pub struct KvmConfig {
    /// The host's stable guid (from the agent's state directory).
    pub guid: String,
    /// libvirt URI (`qemu:///system`).
    pub uri: String,
    /// Where console logs live (`<state_dir>/console/<vm>.log`).
    pub state_dir: PathBuf,
    pub accel: AccelChoice,
    /// The image a trial boot under KVM must bring to userspace (see [`accel`]).
    pub probe_image: Option<PathBuf>,
    /// Address VNC servers listen on.
    pub vnc_listen: String,
    /// QEMU machine type.
    pub machine: String,
    /// Directories templates and ISOs may be read from (secondary storage mounts).
    pub image_roots: Vec<PathBuf>,
    /// The directory whose filesystem counts as the host's local storage.
    pub local_storage_dir: PathBuf,
    /// Interface whose address is the host's private IP (first global IPv4 otherwise).
    pub private_interface: Option<String>,
    /// The host's private IP, when detection should not decide.
    pub private_ip: Option<String>,
    pub placement: Placement,
    /// How often VM states are compared with libvirt's.
    pub poll_interval: Duration,
    /// How long a guest gets to power off after the ACPI button before it is destroyed.
    pub stop_timeout: Duration,
    /// How long a live migration may run before it is aborted (the VM stays here).
    pub migrate_timeout: Duration,
}

impl KvmConfig {
    /// Defaults for a host with guid `guid`.
    pub fn new(guid: impl Into<String>) -> Self {
        Self {
            guid: guid.into(),
            uri: "qemu:///system".into(),
            state_dir: "/var/lib/strato/kvm".into(),
            accel: AccelChoice::Auto,
            probe_image: None,
            vnc_listen: "0.0.0.0".into(),
            machine: "pc".into(),
            image_roots: Vec::new(),
            local_storage_dir: "/var/lib/strato".into(),
            private_interface: None,
            private_ip: None,
            placement: Placement::default(),
            poll_interval: Duration::from_secs(2),
            stop_timeout: Duration::from_secs(60),
            migrate_timeout: Duration::from_secs(3600),
        }
    }
}

/// The KVM driver for one host. Cheap to clone.
#[derive(Clone)]
pub struct KvmDriver {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: KvmConfig,
    pub(crate) accel: AccelDecision,
    pub(crate) libvirt: Libvirt,
    pub(crate) storage: Storage,
    pub(crate) routers: Routers,
    pub(crate) info: HostInfo,
    pub(crate) events: broadcast::Sender<DriverEvent>,
    /// Last known power state of each of our VMs (what the poller compares against).
    pub(crate) known: Mutex<HashMap<String, PowerState>>,
    /// VMs a command is working on right now.
    pub(crate) busy: Mutex<HashSet<String>>,
    /// VMs prepared for an incoming migration: their arrival is no event.
    pub(crate) incoming: Mutex<HashSet<String>>,
    pub(crate) vm_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Previous CPU samples: per VM (cpu ns, when) and for the host (/proc/stat).
    pub(crate) cpu_samples: Mutex<HashMap<String, (u64, Instant)>>,
    pub(crate) host_cpu: Mutex<Option<(u64, u64)>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Marks a VM busy for the poller while a command runs on it.
pub(crate) struct Busy<'a> {
    pub(crate) inner: &'a Inner,
    pub(crate) name: String,
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        lock(&self.inner.busy).remove(&self.name);
    }
}

impl KvmDriver {
    /// Connects to libvirt, decides KVM or TCG (a trial boot may take up to 20 s), reads
    /// the host's facts and starts the state poller.
    pub async fn new(config: KvmConfig) -> Result<Self, String> {
        let uri = config.uri.clone();
        let libvirt = tokio::task::spawn_blocking(move || Libvirt::open(&uri))
            .await
            .map_err(|e| e.to_string())??;
        let console = config.state_dir.join("console");
        std::fs::create_dir_all(&console)
            .map_err(|e| format!("cannot create {}: {e}", console.display()))?;
        let cpu = host::cpu_facts().map_err(|e| format!("cannot read /proc/cpuinfo: {e}"))?;
        let decision = accel::decide(
            config.accel,
            KvmSignals::read(&cpu),
            config.probe_image.as_deref(),
        )
        .await;
        let hv_version = libvirt
            .call(|c| c.hyp_version().map_err(|e| crate::libvirt::to_agent(&e)))
            .await
            .map_err(|e| e.to_string())?;
        let info = describe(&config, &cpu, hv_version, decision.accel).await?;
        let inner = Arc::new(Inner {
            storage: Storage::new(config.image_roots.clone()),
            routers: Routers::new(config.state_dir.join("routers")),
            config,
            accel: decision,
            libvirt,
            info,
            events: broadcast::channel(1024).0,
            known: Mutex::new(HashMap::new()),
            busy: Mutex::new(HashSet::new()),
            incoming: Mutex::new(HashSet::new()),
            vm_locks: Mutex::new(HashMap::new()),
            cpu_samples: Mutex::new(HashMap::new()),
            host_cpu: Mutex::new(None),
        });
        // Seed the known states so the first poll reports only real changes.
        if let Ok(states) = inner.libvirt.call(|c| vm::states(c, &[])).await {
            let mut known = lock(&inner.known);
            for s in states {
                known.insert(s.name, s.state);
            }
        }
        // Routers made before a restart: found again, repaired where needed.
        let routers = inner.routers.recover().await;
        if routers > 0 {
            tracing::info!(routers, "guest network routers found");
        }
        // Bridges a crash left behind with nothing on them.
        if let Err(e) = network::release_idle().await {
            tracing::warn!("cannot remove idle network bridges: {e}");
        }
        tokio::spawn(poll(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    /// KVM or TCG, as decided at start.
    pub fn accel(&self) -> Accel {
        self.inner.accel.accel
    }

    /// Why that accelerator was chosen.
    pub fn accel_reason(&self) -> &str {
        &self.inner.accel.reason
    }

    /// The serial console log of a VM (everything the guest wrote to ttyS0).
    pub fn console_log(&self, vm: &str) -> PathBuf {
        self.inner.console_log(vm)
    }

    /// The serial console's unix socket: what is written there is typed on ttyS0.
    pub fn console_socket(&self, vm: &str) -> PathBuf {
        self.inner.console_socket(vm)
    }

    /// The router of the guest network on `bridge`, if this host runs one.
    pub fn router(&self, bridge: &str) -> Option<crate::router::RouterStatus> {
        self.inner.routers.status(bridge)
    }

    /// The file of a volume on a mounted pool.
    pub fn volume_path(&self, v: &VolumeRef) -> Result<PathBuf, AgentError> {
        self.inner.storage.volume_path(v)
    }
}

/// libvirt's version number (`7002022`) as `7.2.22`.
fn version_string(v: u32) -> String {
    format!("{}.{}.{}", v / 1_000_000, v / 1000 % 1000, v % 1000)
}

async fn describe(
    config: &KvmConfig,
    cpu: &host::CpuFacts,
    hv: u32,
    accel: Accel,
) -> Result<HostInfo, String> {
    let memory = host::memory_bytes().map_err(|e| format!("cannot read /proc/meminfo: {e}"))?;
    std::fs::create_dir_all(&config.local_storage_dir)
        .map_err(|e| format!("cannot create {}: {e}", config.local_storage_dir.display()))?;
    let local = host::fs_space(&config.local_storage_dir)
        .map_err(|e| format!("cannot measure {}: {e}", config.local_storage_dir.display()))?;
    let addr = host::private_address(config.private_interface.as_deref()).await;
    let private_ip = config
        .private_ip
        .clone()
        .or_else(|| addr.as_ref().map(|a| a.ip.clone()))
        .unwrap_or_else(|| "127.0.0.1".into());
    let mut networks = Vec::new();
    if std::path::Path::new("/sys/class/net")
        .join(network::DEFAULT_BRIDGE)
        .exists()
    {
        networks.push(HostNetwork {
            name: network::DEFAULT_BRIDGE.into(),
            traffic: None,
            ip: None,
        });
    }
    Ok(HostInfo {
        guid: config.guid.clone(),
        name: host::hostname(),
        hypervisor: HypervisorType::Kvm,
        hypervisor_version: version_string(hv),
        cpu_sockets: cpu.sockets,
        cpus: cpu.threads,
        cpu_speed_mhz: cpu.mhz,
        memory_bytes: memory,
        local_storage_bytes: local.total_bytes,
        arch: std::env::consts::ARCH.into(),
        private_ip,
        private_netmask: addr.as_ref().map(|a| host::netmask(a.prefix)),
        private_mac: addr.and_then(|a| a.mac),
        networks,
        placement: config.placement.clone(),
        host_token: None,
        // `accel:tcg` / `accel:kvm` tells the server (and operators) how guests run.
        capabilities: vec![
            "hvm".into(),
            "snapshot".into(),
            format!("accel:{}", accel.as_str()),
        ],
    })
}

/// The state poller: emits events for VMs that changed behind our back.
async fn poll(weak: Weak<Inner>) {
    loop {
        let interval = match weak.upgrade() {
            Some(inner) => inner.config.poll_interval,
            None => return,
        };
        tokio::time::sleep(interval).await;
        let Some(inner) = weak.upgrade() else { return };
        let Ok(states) = inner.libvirt.call(|c| vm::states(c, &[])).await else {
            continue;
        };
        let busy = lock(&inner.busy).clone();
        // Expected by a migration: only a guest that runs (not paused while its memory
        // arrives) has arrived.
        let expected: Vec<String> = lock(&inner.incoming).iter().cloned().collect();
        let arrived = if expected.is_empty() {
            Vec::new()
        } else {
            inner
                .libvirt
                .call(move |c| vm::running(c, &expected))
                .await
                .unwrap_or_default()
        };
        let mut changes = Vec::new();
        {
            let mut known = lock(&inner.known);
            let mut incoming = lock(&inner.incoming);
            let seen: HashSet<String> = states.iter().map(|s| s.name.clone()).collect();
            for s in states {
                if busy.contains(&s.name) || s.state == PowerState::Unknown {
                    continue;
                }
                if incoming.contains(&s.name) {
                    // Arriving (or a migration that failed): no event. Arrived: known
                    // from now on, not a VM started by hand.
                    if arrived.contains(&s.name) {
                        incoming.remove(&s.name);
                        known.insert(s.name, s.state);
                    }
                    continue;
                }
                let before = known.insert(s.name.clone(), s.state);
                if before != Some(s.state) {
                    changes.push((s.name, s.state));
                }
            }
            // Ours, gone from libvirt without a DestroyVm.
            let vanished: Vec<String> = known
                .keys()
                .filter(|n| !seen.contains(*n) && !busy.contains(*n))
                .cloned()
                .collect();
            for name in vanished {
                known.remove(&name);
                changes.push((name, PowerState::Missing));
            }
        }
        for (vm_name, state) in changes {
            tracing::info!(vm = %vm_name, ?state, "VM changed state outside a command");
            let _ = inner.events.send(DriverEvent {
                host_guid: inner.config.guid.clone(),
                event: HostEvent::VmPowerChanged { vm_name, state },
            });
        }
    }
}

impl HypervisorDriver for KvmDriver {
    fn hypervisor(&self) -> HypervisorType {
        HypervisorType::Kvm
    }

    fn host_info(&self, host_guid: &str) -> Option<HostInfo> {
        (host_guid == self.inner.config.guid).then(|| self.inner.info.clone())
    }

    fn handle<'a>(&'a self, host_guid: &'a str, command: Command) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            if host_guid != self.inner.config.guid {
                return Err(AgentError::new(
                    ErrorKind::UnknownHost,
                    format!("host {host_guid} is not served by this KVM agent"),
                ));
            }
            let name = command.name();
            let answer = self.inner.execute(command).await;
            if let Err(e) = &answer {
                tracing::warn!(command = name, "{e}");
            }
            answer
        })
    }

    fn subscribe(&self) -> broadcast::Receiver<DriverEvent> {
        self.inner.events.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libvirt_versions_read_as_dotted() {
        assert_eq!(version_string(7_002_022), "7.2.22");
        assert_eq!(version_string(9_000_000), "9.0.0");
    }
}
