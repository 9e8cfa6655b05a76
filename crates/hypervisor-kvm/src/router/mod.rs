//! The router of each guest network on this host (CloudStack's virtual router role, in a
//! network namespace instead of a VM): the network's gateway address, DHCP with the
//! server's MAC → IP map and DNS (dnsmasq), and source NAT to the host's uplink.
//!
//! - [`spec`]: what a router is, derived from `NetworkSpec`/`NicSpec`, and its names;
//! - [`plumbing`]: the namespace and veth pairs (`ip`);
//! - [`dnsmasq`]: its configuration, hosts file and process;
//! - [`nat`]: the nftables tables.
//!
//! State lives in `<dir>/<bridge>/router.json` (the spec, the link slot, the leases and
//! which VM holds each), so a restarted agent finds its routers, and their dnsmasq by its
//! pid file, and repairs rather than duplicates. Leases are added by `StartVm` and removed
//! by `DestroyVm`; the router goes when its last lease does. One lock serialises all router
//! work on the host (each step takes milliseconds).

pub mod dnsmasq;
pub mod nat;
pub mod plumbing;
pub mod spec;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use strato_agent_proto::AgentError;

use crate::network;
use crate::storage::{failed, write_atomic};
pub use spec::{Lease, RouterSpec};

pub(crate) fn write_file(path: &Path, content: &str) -> Result<(), AgentError> {
    write_atomic(path, content.as_bytes())
}

/// What the agent remembers of one router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    spec: RouterSpec,
    /// Which /30 of the link range (and which `vr<slot>g`/`vr<slot>p`) it uses.
    slot: u32,
    #[serde(default)]
    leases: Vec<Lease>,
}

/// A router as seen from outside (inspection, tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterStatus {
    pub netns: String,
    pub slot: u32,
    pub dnsmasq_pid: Option<i32>,
    pub leases: Vec<Lease>,
    pub dir: PathBuf,
}

/// The routers of this host.
pub struct Routers {
    dir: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

/// The leases a VM wants on one network.
pub struct Wanted {
    pub spec: RouterSpec,
    pub leases: Vec<Lease>,
}

impl Routers {
    /// Routers keep their files under `dir` (`<data dir>/kvm/routers`).
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    fn router_dir(&self, bridge: &str) -> PathBuf {
        self.dir.join(bridge)
    }

    fn load(&self, bridge: &str) -> Option<State> {
        let text = std::fs::read(self.router_dir(bridge).join("router.json")).ok()?;
        serde_json::from_slice(&text).ok()
    }

    fn load_all(&self) -> Vec<State> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| self.load(&e.file_name().to_string_lossy()))
            .collect()
    }

    fn save(&self, state: &State) -> Result<(), AgentError> {
        let dir = self.router_dir(&state.spec.bridge);
        std::fs::create_dir_all(&dir)
            .map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
        let json = serde_json::to_vec_pretty(state).map_err(|e| failed(e.to_string()))?;
        write_atomic(&dir.join("router.json"), &json)
    }

    /// The lowest link slot no router of ours uses and whose devices are free on the host.
    fn free_slot(&self) -> Result<u32, AgentError> {
        let used: BTreeSet<u32> = self.load_all().iter().map(|s| s.slot).collect();
        (0..spec::LINK_SLOTS)
            .find(|n| {
                let (g, p) = spec::host_ifs(*n);
                !used.contains(n) && !network::exists(&g) && !network::exists(&p)
            })
            .ok_or_else(|| failed("every router link slot is in use"))
    }

    /// What is known of the router on `bridge`.
    pub fn status(&self, bridge: &str) -> Option<RouterStatus> {
        let state = self.load(bridge)?;
        let dir = self.router_dir(bridge);
        Some(RouterStatus {
            netns: state.spec.netns(),
            slot: state.slot,
            dnsmasq_pid: dnsmasq::running(&dnsmasq::Files::in_dir(&dir)),
            leases: state.leases,
            dir,
        })
    }

    /// `SetupNetwork` of a network with a gateway: its router, with the leases it has.
    pub async fn setup(&self, spec: RouterSpec) -> Result<(), AgentError> {
        let _g = self.lock.lock().await;
        let prev = self.load(&spec.bridge);
        let state = match &prev {
            Some(p) => State { spec, ..p.clone() },
            None => State {
                spec,
                slot: self.free_slot()?,
                leases: Vec::new(),
            },
        };
        self.bring_up(&state, prev.as_ref()).await
    }

    /// `StartVm`: the VM's leases are exactly `wanted` (one entry per network with a
    /// router). Leases it held on other networks go (and routers left empty with them).
    /// An address or MAC another VM holds is refused, unless `defined` says that VM no
    /// longer exists here (a `DestroyVm` that never came): its lease is dropped then.
    pub async fn attach_vm(
        &self,
        vm: &str,
        wanted: Vec<Wanted>,
        defined: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<(), AgentError> {
        let _g = self.lock.lock().await;
        let keep: BTreeSet<&str> = wanted.iter().map(|w| w.spec.bridge.as_str()).collect();
        for state in self.load_all() {
            if !keep.contains(state.spec.bridge.as_str()) && state.leases.iter().any(|l| l.vm == vm)
            {
                self.drop_leases(state, |l| l.vm == vm).await?;
            }
        }
        for w in wanted {
            let prev = self.load(&w.spec.bridge);
            let mut leases: Vec<Lease> = prev
                .as_ref()
                .map(|p| p.leases.iter().filter(|l| l.vm != vm).cloned().collect())
                .unwrap_or_default();
            for new in &w.leases {
                if let Some(holder) = leases
                    .iter()
                    .find(|l| l.ip == new.ip || l.mac == new.mac)
                    .map(|l| l.vm.clone())
                {
                    if defined(&holder) {
                        return Err(AgentError::invalid_state(format!(
                            "{} / {} on bridge {} is held by VM {holder}",
                            new.mac, new.ip, w.spec.bridge
                        )));
                    }
                    tracing::warn!(vm = %holder, bridge = %w.spec.bridge, "dropping the leases of a VM that no longer exists");
                    leases.retain(|l| l.vm != holder);
                }
            }
            leases.extend(w.leases);
            let slot = match &prev {
                Some(p) => p.slot,
                None => self.free_slot()?,
            };
            let state = State {
                spec: w.spec,
                slot,
                leases,
            };
            self.bring_up(&state, prev.as_ref()).await?;
        }
        Ok(())
    }

    /// `DestroyVm`: the VM's leases go; a router left without leases goes too.
    pub async fn detach_vm(&self, vm: &str) -> Result<(), AgentError> {
        let _g = self.lock.lock().await;
        for state in self.load_all() {
            if state.leases.iter().any(|l| l.vm == vm) {
                self.drop_leases(state, |l| l.vm == vm).await?;
            }
        }
        Ok(())
    }

    /// At agent start: every known router is checked and repaired (a dnsmasq that died
    /// while the agent was down is started again). One that cannot be (its bridge went
    /// with a host reboot) is logged and left for its VMs' next `StartVm`. Returns how
    /// many routers are up.
    pub async fn recover(&self) -> usize {
        let _g = self.lock.lock().await;
        let mut up = 0;
        for s in self.load_all() {
            match self.bring_up(&s, Some(&s)).await {
                Ok(()) => up += 1,
                Err(e) => tracing::warn!(netns = %s.spec.netns(), "cannot restore the router: {e}"),
            }
        }
        up
    }

    async fn drop_leases(
        &self,
        mut state: State,
        gone: impl Fn(&Lease) -> bool,
    ) -> Result<(), AgentError> {
        let prev = state.clone();
        state.leases.retain(|l| !gone(l));
        if state.leases.is_empty() {
            self.remove(&state).await
        } else {
            self.bring_up(&state, Some(&prev)).await
        }
    }

    /// Makes the router of `state` exist and serve its leases; `prev` is what was there.
    async fn bring_up(&self, state: &State, prev: Option<&State>) -> Result<(), AgentError> {
        if prev.is_none() {
            plumbing::clear_stale(&state.spec.netns()).await?;
        }
        // Recorded first: a failure half way leaves a router that a retry, the next
        // start or its last VM's DestroyVm finds and finishes or removes.
        self.save(state)?;
        let spec = &state.spec;
        let dir = self.router_dir(&spec.bridge);
        let readdress =
            prev.is_some_and(|p| p.spec.gateway != spec.gateway || p.spec.prefix != spec.prefix);
        plumbing::ensure(spec, state.slot, readdress).await?;
        let ns = spec.netns();
        nat::apply(Some(&ns), &nat::router_script(spec), &dir.join("nat.nft")).await?;
        let host_nft = self.dir.join("host-nat.nft");
        nat::apply(None, &nat::host_script(), &host_nft).await?;
        let files = dnsmasq::Files::in_dir(&dir);
        let conf = dnsmasq::config(spec, &files, &dnsmasq::upstream(spec))?;
        let hosts = dnsmasq::hosts(&state.leases);
        // A MAC whose address went, or an address that moved to another MAC, must leave
        // dnsmasq's lease database, or it would keep the address for the old owner.
        let removed: Vec<String> = prev
            .map(|p| {
                p.leases
                    .iter()
                    .filter(|old| !state.leases.contains(old))
                    .map(|old| old.mac.clone())
                    .collect()
            })
            .unwrap_or_default();
        let conf_changed = std::fs::read_to_string(&files.conf).ok().as_deref() != Some(&conf);
        if conf_changed || !removed.is_empty() {
            dnsmasq::stop(&files).await?;
            dnsmasq::forget_leases(&files, &removed)?;
        }
        let hosts_changed = std::fs::read_to_string(&files.hosts).ok().as_deref() != Some(&hosts);
        write_file(&files.conf, &conf)?;
        write_file(&files.hosts, &hosts)?;
        match dnsmasq::running(&files) {
            Some(pid) if hosts_changed => dnsmasq::reload(pid)?,
            Some(_) => {}
            None => {
                let pid = dnsmasq::start(&ns, &files).await?;
                tracing::info!(netns = %ns, pid, cidr = %spec.cidr(), "router dnsmasq started");
            }
        }
        Ok(())
    }

    async fn remove(&self, state: &State) -> Result<(), AgentError> {
        let dir = self.router_dir(&state.spec.bridge);
        dnsmasq::stop(&dnsmasq::Files::in_dir(&dir)).await?;
        plumbing::remove(&state.spec.bridge, state.slot).await?;
        std::fs::remove_dir_all(&dir)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            })
            .map_err(|e| failed(format!("cannot remove {}: {e}", dir.display())))?;
        tracing::info!(netns = %state.spec.netns(), "router removed");
        Ok(())
    }
}

impl Wanted {
    /// The routers and leases of a VM's NICs, one entry per network with a gateway.
    pub fn for_vm(vm: &strato_agent_proto::VmSpec) -> Result<Vec<Self>, AgentError> {
        let mut by_bridge: std::collections::BTreeMap<String, Self> = Default::default();
        for nic in &vm.nics {
            let Some(spec) = RouterSpec::for_network(&nic.network, Some(nic))? else {
                continue;
            };
            let lease = spec.lease(&vm.name, nic)?;
            let w = by_bridge
                .entry(spec.bridge.clone())
                .or_insert_with(|| Self {
                    spec,
                    leases: Vec::new(),
                });
            w.leases.extend(lease);
        }
        Ok(by_bridge.into_values().collect())
    }
}
