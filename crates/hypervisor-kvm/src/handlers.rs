//! The command handlers of [`crate::KvmDriver`]: one per agent command (CloudStack's
//! `CommandWrapper`s), over libvirt (`vm`), storage and networks.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strato_agent_proto::{
    AgentError, Answer, AnswerData, Command, DiskKind, DiskSource, ErrorKind, HostStats,
    PowerState, VmSpec, VolumeRef,
};

use crate::driver::{Busy, Inner, lock};
use crate::host;
use crate::network;
use crate::router::{RouterSpec, Wanted};
use crate::storage;
use crate::vm;
use crate::xml::{self, DiskBus, DomainParams, ResolvedDisk, ResolvedNic};

/// How often `StopVm` presses the ACPI power button again while waiting.
const ACPI_REPEAT: Duration = Duration::from_secs(5);

impl Inner {
    pub(crate) fn vm_lock(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = lock(&self.vm_locks);
        locks.retain(|_, l| Arc::strong_count(l) > 1);
        locks.entry(name.to_owned()).or_default().clone()
    }

    pub(crate) fn busy(&self, name: &str) -> Busy<'_> {
        lock(&self.busy).insert(name.to_owned());
        Busy {
            inner: self,
            name: name.to_owned(),
        }
    }

    /// What a command just made of a VM (no longer expected by a migration, if it was).
    fn set_known(&self, name: &str, state: Option<PowerState>) {
        lock(&self.incoming).remove(name);
        let mut known = lock(&self.known);
        match state {
            Some(s) => known.insert(name.to_owned(), s),
            None => known.remove(name),
        };
    }

    pub(crate) fn console_log(&self, vm: &str) -> PathBuf {
        self.config
            .state_dir
            .join("console")
            .join(format!("{vm}.log"))
    }

    pub(crate) fn console_socket(&self, vm: &str) -> PathBuf {
        self.console_log(vm).with_extension("sock")
    }

    pub(crate) async fn execute(&self, command: Command) -> Answer {
        match command {
            Command::ReadyCheck | Command::MaintainHost => {
                self.libvirt
                    .call(|c| c.is_alive().map_err(|e| crate::libvirt::to_agent(&e)))
                    .await?;
                Ok(AnswerData::Done)
            }
            Command::CheckHealth => Ok(
                match self
                    .libvirt
                    .call(|c| c.is_alive().map_err(|e| crate::libvirt::to_agent(&e)))
                    .await
                {
                    Ok(_) => AnswerData::Health {
                        healthy: true,
                        detail: format!(
                            "libvirt {}; guests run under {}",
                            self.config.uri,
                            self.accel.accel.as_str()
                        ),
                    },
                    Err(e) => AnswerData::Health {
                        healthy: false,
                        detail: e.message,
                    },
                },
            ),
            Command::GetHostStats => self.host_stats().await,
            Command::StartVm(spec) => self.start(spec).await,
            Command::StopVm { name, force } => self.stop(&name, force).await,
            Command::RebootVm { name } => {
                let lock = self.vm_lock(&name);
                let _g = lock.lock().await;
                let host = self.config.guid.clone();
                self.libvirt
                    .call(move |c| vm::reboot(c, &host, &name))
                    .await?;
                Ok(AnswerData::Done)
            }
            Command::DestroyVm { name } => self.destroy(&name).await,
            Command::GetVmState { names } => {
                let vms = self.libvirt.call(move |c| vm::states(c, &names)).await?;
                Ok(AnswerData::VmStates { vms })
            }
            Command::GetVncPort { name } => {
                let host = self.config.guid.clone();
                let info = self
                    .libvirt
                    .call(move |c| vm::running_info(c, &host, &name))
                    .await?;
                Ok(AnswerData::Vm(info))
            }
            Command::GetVmStats { names } => self.vm_stats(names).await,
            Command::PrepareForMigration(spec) => self.prepare_migration(spec).await,
            Command::MigrateVm {
                name,
                dest_host_guid,
                dest_ip,
                volume_map,
            } => {
                if !volume_map.is_empty() {
                    return Err(AgentError::new(
                        ErrorKind::Unsupported,
                        format!(
                            "VM {name} cannot move its volumes while it migrates: the KVM \
                             agent migrates VMs on shared storage only"
                        ),
                    ));
                }
                self.migrate(&name, &dest_host_guid, dest_ip.as_deref())
                    .await
            }
            Command::CreateVolume {
                pool_uuid,
                volume_uuid,
                size_bytes,
                template,
                provisioning,
            } => {
                let v = VolumeRef {
                    pool_uuid,
                    volume_uuid,
                };
                self.storage
                    .create_volume(&v, size_bytes, template.as_ref(), provisioning)
                    .await
            }
            Command::PrepareTemplate {
                pool_uuid,
                template,
            } => self.storage.prepare_template(&pool_uuid, &template).await,
            Command::CopyVolume { src, dest } => self.storage.copy_volume(&src, &dest).await,
            Command::DeleteVolume { volume } => {
                self.refuse_if_running(&volume, "delete").await?;
                self.storage.delete_volume(&volume).await
            }
            Command::ResizeVolume {
                volume,
                new_size_bytes,
                shrink_ok,
            } => self.resize(&volume, new_size_bytes, shrink_ok).await,
            Command::AttachVolume {
                vm_name,
                volume,
                device_id,
            } => self.attach_volume(vm_name, &volume, device_id).await,
            Command::DetachVolume { vm_name, volume } => {
                let path = self.storage.volume_path(&volume)?.display().to_string();
                let host = self.config.guid.clone();
                let lock = self.vm_lock(&vm_name);
                let _g = lock.lock().await;
                self.libvirt
                    .call(move |c| vm::detach_disk(c, &host, &vm_name, &path))
                    .await?;
                Ok(AnswerData::Done)
            }
            Command::AttachIso { vm_name, iso } => {
                let path = self.storage.resolve_image("ISO", &iso.path)?;
                self.media(vm_name, Some(path)).await
            }
            Command::DetachIso { vm_name } => self.media(vm_name, None).await,
            Command::CreateSnapshot {
                volume,
                snapshot_uuid,
            } => self.snapshot(&volume, &snapshot_uuid).await,
            Command::DeleteSnapshot {
                volume,
                snapshot_uuid,
            } => {
                if self.storage.pool(&volume.pool_uuid).is_ok()
                    && self.storage.active_layer_uses(&volume, &snapshot_uuid)?
                {
                    self.refuse_if_running(&volume, "delete the newest snapshot of")
                        .await?;
                }
                self.storage.delete_snapshot(&volume, &snapshot_uuid).await
            }
            Command::RevertSnapshot {
                volume,
                snapshot_uuid,
            } => {
                self.refuse_if_running(&volume, "revert").await?;
                self.storage.revert_snapshot(&volume, &snapshot_uuid).await
            }
            Command::BackupSnapshot {
                volume,
                snapshot_uuid,
                secondary_url,
            } => {
                self.storage
                    .backup_snapshot(&volume, &snapshot_uuid, &secondary_url)
                    .await
            }
            Command::SetupNetwork(spec) => {
                let router = RouterSpec::for_network(&spec, None)?;
                let _plug = network::PLUG.read().await;
                let bridge = network::ensure(&spec).await?;
                if let Some(router) = router {
                    self.routers.setup(router).await?;
                }
                Ok(AnswerData::Network { bridge })
            }
            Command::ModifyStoragePool(spec) => self.storage.modify_pool(spec).await,
            Command::DeleteStoragePool { pool_uuid } => {
                if let Ok(pool) = self.storage.pool(&pool_uuid) {
                    let dir = pool.dir.clone();
                    let users = self
                        .libvirt
                        .call(move |c| {
                            Ok(vm::ours(c)?
                                .into_iter()
                                .filter(|(l, s)| {
                                    *s == PowerState::Running
                                        && l.disks.iter().any(|d| {
                                            d.source.as_deref().is_some_and(|p| {
                                                std::path::Path::new(p).starts_with(&dir)
                                            })
                                        })
                                })
                                .map(|(l, _)| l.name)
                                .collect::<Vec<_>>())
                        })
                        .await?;
                    if let Some(name) = users.first() {
                        return Err(AgentError::invalid_state(format!(
                            "VM {name} runs from storage pool {pool_uuid}"
                        )));
                    }
                }
                self.storage.delete_pool(&pool_uuid)
            }
        }
    }

    /// Fails if a running VM holds the volume.
    async fn refuse_if_running(&self, v: &VolumeRef, what: &str) -> Result<(), AgentError> {
        let Ok(path) = self.storage.volume_path(v) else {
            return Ok(());
        };
        let path = path.display().to_string();
        let users = self.libvirt.call(move |c| vm::users_of(c, &path)).await?;
        if let Some((name, _, _)) = users.iter().find(|(_, running, _)| *running) {
            return Err(AgentError::invalid_state(format!(
                "cannot {what} volume {} while VM {name} runs with it",
                v.volume_uuid
            )));
        }
        Ok(())
    }

    /// Disks and NICs of a spec, checked and plugged (bridges created).
    pub(crate) async fn resolve(
        &self,
        spec: &VmSpec,
    ) -> Result<(Vec<ResolvedDisk>, Vec<ResolvedNic>), AgentError> {
        xml::validate_name(&spec.name).map_err(AgentError::invalid_argument)?;
        if spec.cpus == 0 || spec.memory_bytes < (16 << 20) {
            return Err(AgentError::invalid_argument(format!(
                "VM {} needs at least one CPU and 16 MiB of memory",
                spec.name
            )));
        }
        let root_bus =
            DiskBus::from_detail(spec.details.get("rootDiskController").map(String::as_str));
        let data_bus = spec
            .details
            .get("dataDiskController")
            .map_or(root_bus, |d| DiskBus::from_detail(Some(d)));
        let mut disks = Vec::new();
        for d in &spec.volumes {
            let path = match &d.source {
                DiskSource::Volume(v) => Some(self.storage.checked_volume(v)?),
                DiskSource::Iso(iso) => Some(self.storage.resolve_image("ISO", &iso.path)?),
                DiskSource::Empty => None,
            };
            let bus = match d.kind {
                DiskKind::Root => root_bus,
                DiskKind::Data => data_bus,
                DiskKind::Cdrom => DiskBus::Ide,
            };
            disks.push(ResolvedDisk {
                device_id: d.device_id,
                kind: d.kind,
                path,
                bus,
            });
        }
        let model = spec
            .details
            .get("nicAdapter")
            .map(|m| m.to_ascii_lowercase())
            .filter(|m| matches!(m.as_str(), "virtio" | "e1000" | "rtl8139"))
            .unwrap_or_else(|| "virtio".into());
        let mut nic_specs = spec.nics.clone();
        nic_specs.sort_by_key(|n| n.device_id);
        let mut nics = Vec::new();
        for nic in &nic_specs {
            xml::validate_mac(&nic.mac).map_err(AgentError::invalid_argument)?;
            nics.push(ResolvedNic {
                mac: nic.mac.to_ascii_lowercase(),
                bridge: network::ensure(&nic.network).await?,
                model: model.clone(),
            });
        }
        Ok((disks, nics))
    }

    async fn start(&self, spec: VmSpec) -> Answer {
        xml::validate_name(&spec.name).map_err(AgentError::invalid_argument)?;
        let lock = self.vm_lock(&spec.name);
        let _g = lock.lock().await;
        let _busy = self.busy(&spec.name);
        let _plug = network::PLUG.read().await;
        // Checked before anything is made: every NIC's router and lease.
        let wanted = Wanted::for_vm(&spec)?;
        let (disks, nics) = self.resolve(&spec).await?;
        self.attach_routers(&spec.name, wanted).await?;
        let password: String = spec
            .vnc_password
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
            .chars()
            .take(8)
            .collect();
        let serial_log = self.console_log(&spec.name);
        let serial_socket = self.console_socket(&spec.name);
        let domain = xml::domain_xml(&DomainParams {
            spec: &spec,
            accel: self.accel.accel,
            machine: &self.config.machine,
            disks,
            nics,
            serial_log,
            serial_socket,
            vnc_listen: &self.config.vnc_listen,
            vnc_password: &password,
        });
        let host = self.config.guid.clone();
        let (name, uuid) = (spec.name.clone(), spec.uuid.clone());
        let started = Instant::now();
        let info = self
            .libvirt
            .call(move |c| vm::start(c, &host, &name, &uuid, &domain))
            .await?;
        tracing::info!(vm = %spec.name, accel = self.accel.accel.as_str(), ms = started.elapsed().as_millis(), vnc = ?info.vnc_port, "VM started");
        self.set_known(&spec.name, Some(PowerState::Running));
        Ok(AnswerData::Vm(info))
    }

    async fn stop(&self, name: &str, force: bool) -> Answer {
        let lock = self.vm_lock(name);
        let _g = lock.lock().await;
        let _busy = self.busy(name);
        if !force {
            let n = name.to_owned();
            let asked = self
                .libvirt
                .call(move |c| vm::request_shutdown(c, &n))
                .await?;
            if asked {
                let started = Instant::now();
                let mut pressed = started;
                while started.elapsed() < self.config.stop_timeout {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    let n = name.to_owned();
                    if self.libvirt.call(move |c| vm::state(c, &n)).await? != PowerState::Running {
                        break;
                    }
                    // A guest still booting may not listen to the button yet: press it
                    // again now and then.
                    if pressed.elapsed() >= ACPI_REPEAT {
                        pressed = Instant::now();
                        let n = name.to_owned();
                        self.libvirt
                            .call(move |c| vm::request_shutdown(c, &n))
                            .await?;
                    }
                }
            }
        }
        let n = name.to_owned();
        let state = self
            .libvirt
            .call(move |c| {
                vm::destroy(c, &n)?;
                vm::state(c, &n)
            })
            .await?;
        if state == PowerState::Missing {
            self.set_known(name, None);
        } else {
            self.set_known(name, Some(PowerState::Stopped));
        }
        Ok(AnswerData::Done)
    }

    async fn destroy(&self, name: &str) -> Answer {
        let lock = self.vm_lock(name);
        let _g = lock.lock().await;
        let _busy = self.busy(name);
        let n = name.to_owned();
        self.libvirt
            .call(move |c| vm::destroy_and_undefine(c, &n))
            .await?;
        self.forget(name).await?;
        Ok(AnswerData::Done)
    }

    /// Gives a VM the leases of its NICs in their networks' routers (made if missing).
    /// Callers hold [`network::PLUG`] shared.
    pub(crate) async fn attach_routers(
        &self,
        name: &str,
        wanted: Vec<Wanted>,
    ) -> Result<(), AgentError> {
        if wanted.is_empty() {
            return Ok(());
        }
        // A lease held by a VM libvirt no longer knows is stale and may be taken over.
        let defined: HashSet<String> = self
            .libvirt
            .call(|c| vm::states(c, &[]))
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect();
        self.routers
            .attach_vm(name, wanted, &|n| defined.contains(n))
            .await
    }

    /// Drops what this host keeps for a VM that left it (destroyed, or migrated away):
    /// its known state, its leases (with routers and bridges nothing uses any more) and
    /// its console files.
    pub(crate) async fn forget(&self, name: &str) -> Result<(), AgentError> {
        self.set_known(name, None);
        self.routers.detach_vm(name).await?;
        network::release_idle().await?;
        if xml::validate_name(name).is_ok() {
            let _ = std::fs::remove_file(self.console_log(name));
            let _ = std::fs::remove_file(self.console_socket(name));
        }
        Ok(())
    }

    /// `virsh` on this host's libvirt, for what the bindings lack.
    pub(crate) fn virsh(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new("virsh");
        cmd.arg("-q")
            .arg("-c")
            .arg(&self.config.uri)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        cmd
    }

    /// `CreateSnapshot`: offline by the storage layer; for a disk a running VM holds,
    /// live: freeze the volume file (the VM writes to an overlay meanwhile), copy it as
    /// the snapshot, commit the overlay back and pivot (`virsh blockcommit`).
    async fn snapshot(&self, v: &VolumeRef, snap: &str) -> Answer {
        let path = self.storage.volume_path(v)?;
        let p = path.display().to_string();
        // A VM left on the overlay by an interrupted live snapshot counts as a user.
        let o = self
            .storage
            .live_overlay_path(v, snap)?
            .display()
            .to_string();
        let users = self
            .libvirt
            .call(move |c| vm::users_matching(c, |s| s == p || s == o))
            .await?;
        let Some((name, _, target)) = users.into_iter().find(|(_, running, _)| *running) else {
            return self.storage.create_snapshot(v, snap).await;
        };
        self.storage.checked_volume(v)?;
        let lock = self.vm_lock(&name);
        let _g = lock.lock().await;
        let overlay = self.storage.live_overlay_path(v, snap)?;
        let started = Instant::now();
        let (n, t) = (name.clone(), target.clone());
        let current = self
            .libvirt
            .call(move |c| vm::disk_source(c, &n, &t))
            .await?;
        // A retry may find the disk still on the overlay (the commit did not happen):
        // finish the job then, even if the snapshot file is already there.
        let on_overlay = current.as_deref() == Some(overlay.display().to_string().as_str());
        let existing = self.storage.existing_snapshot(v, snap)?;
        if !on_overlay {
            if let Some(done) = existing {
                return Ok(AnswerData::Snapshot(done));
            }
            let (n, t, o) = (name.clone(), target.clone(), overlay.clone());
            self.libvirt
                .call(move |c| vm::freeze_disk(c, &n, &t, &o))
                .await?;
        }
        // Whatever the copy does, the overlay goes back into the volume file.
        let copied = match existing {
            Some(done) => Ok(AnswerData::Snapshot(done)),
            None => self.storage.snapshot_frozen_volume(v, snap).await,
        };
        let committed = self.commit_overlay(&name, &target, &overlay, &path).await;
        let _ = std::fs::remove_file(&overlay);
        committed?;
        tracing::info!(vm = %name, volume = %v.volume_uuid, snapshot = snap, ms = started.elapsed().as_millis(), "live snapshot");
        copied
    }

    /// `virsh blockcommit --active --pivot` of `overlay` into `base` (libvirt's API for
    /// it is not in the bindings; `--base` is explicit so nothing is ever committed
    /// into a template).
    async fn commit_overlay(
        &self,
        name: &str,
        target: &str,
        overlay: &std::path::Path,
        base: &std::path::Path,
    ) -> Result<(), AgentError> {
        let out = self
            .virsh()
            .args([
                "blockcommit",
                name,
                target,
                "--active",
                "--pivot",
                "--wait",
                "--top",
            ])
            .arg(overlay)
            .arg("--base")
            .arg(base)
            .output()
            .await
            .map_err(|e| storage::failed(format!("cannot run virsh: {e}")))?;
        if !out.status.success() {
            return Err(storage::failed(format!(
                "virsh blockcommit of VM {name} disk {target} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }

    async fn resize(&self, v: &VolumeRef, new_size: u64, shrink_ok: bool) -> Answer {
        let path = self.storage.volume_path(v)?;
        let p = path.display().to_string();
        let users = self.libvirt.call(move |c| vm::users_of(c, &p)).await?;
        let Some((name, _, target)) = users.into_iter().find(|(_, running, _)| *running) else {
            return self.storage.resize_volume(v, new_size, shrink_ok).await;
        };
        let current = self.storage.volume_info(v)?.size_bytes;
        storage::check_resize(v, current, new_size, shrink_ok)?;
        if new_size < current {
            return Err(AgentError::invalid_state(format!(
                "volume {} cannot shrink while VM {name} runs with it",
                v.volume_uuid
            )));
        }
        if new_size > current {
            self.libvirt
                .call(move |c| vm::live_resize(c, &name, &target, new_size))
                .await?;
        }
        Ok(AnswerData::Volume(self.storage.volume_info(v)?))
    }

    async fn attach_volume(&self, vm_name: String, v: &VolumeRef, device_id: u32) -> Answer {
        let path = self.storage.checked_volume(v)?;
        let p = path.display().to_string();
        let users = self.libvirt.call(move |c| vm::users_of(c, &p)).await?;
        if let Some((other, _, _)) = users.iter().find(|(n, _, _)| *n != vm_name) {
            return Err(AgentError::invalid_state(format!(
                "volume {} is attached to VM {other}",
                v.volume_uuid
            )));
        }
        let lock = self.vm_lock(&vm_name);
        let _g = lock.lock().await;
        let host = self.config.guid.clone();
        let disk = ResolvedDisk {
            device_id,
            kind: DiskKind::Data,
            path: Some(path),
            bus: DiskBus::Virtio,
        };
        self.libvirt
            .call(move |c| vm::attach_disk(c, &host, &vm_name, &disk))
            .await?;
        Ok(AnswerData::Done)
    }

    async fn media(&self, vm_name: String, iso: Option<PathBuf>) -> Answer {
        let lock = self.vm_lock(&vm_name);
        let _g = lock.lock().await;
        let host = self.config.guid.clone();
        self.libvirt
            .call(move |c| vm::change_media(c, &host, &vm_name, iso.as_deref()))
            .await?;
        Ok(AnswerData::Done)
    }

    async fn vm_stats(&self, names: Vec<String>) -> Answer {
        let counters = self.libvirt.call(move |c| vm::counters(c, &names)).await?;
        let now = Instant::now();
        let mut samples = lock(&self.cpu_samples);
        let vms = counters
            .iter()
            .map(|c| {
                let pct = vm::cpu_pct(samples.get(&c.name).copied(), c, now);
                samples.insert(c.name.clone(), (c.cpu_time_ns, now));
                vm::to_stats(c, pct)
            })
            .collect();
        Ok(AnswerData::VmStats { vms })
    }

    async fn host_stats(&self) -> Answer {
        let counters = self.libvirt.call(|c| vm::counters(c, &[])).await?;
        let space = host::fs_space(&self.config.local_storage_dir)
            .map_err(|e| storage::failed(format!("cannot measure local storage: {e}")))?;
        let cpu_pct = host_cpu_pct(&self.host_cpu);
        let (rx, tx) = counters
            .iter()
            .fold((0, 0), |(r, t), c| (r + c.net_rx_bytes, t + c.net_tx_bytes));
        Ok(AnswerData::HostStats(HostStats {
            cpu_total_mhz: u64::from(self.info.cpus) * self.info.cpu_speed_mhz,
            cpu_allocated_mhz: counters
                .iter()
                .map(|c| u64::from(c.vcpus) * self.info.cpu_speed_mhz)
                .sum(),
            cpu_utilization_pct: cpu_pct,
            memory_total_bytes: self.info.memory_bytes,
            memory_used_bytes: counters.iter().map(|c| c.memory_bytes).sum(),
            running_vms: u32::try_from(counters.len()).unwrap_or(u32::MAX),
            local_storage_total_bytes: space.total_bytes,
            local_storage_used_bytes: space.total_bytes.saturating_sub(space.available_bytes),
            network_rx_bytes: rx,
            network_tx_bytes: tx,
        }))
    }
}

/// Host CPU utilisation since the previous call, from `/proc/stat`'s first line.
fn host_cpu_pct(prev: &Mutex<Option<(u64, u64)>>) -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0.0;
    };
    let Some(line) = stat.lines().next() else {
        return 0.0;
    };
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().sum();
    // idle + iowait
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    let mut prev = lock(prev);
    let pct = match *prev {
        Some((pt, pi)) if total > pt => {
            let dt = (total - pt) as f64;
            (1.0 - (idle.saturating_sub(pi)) as f64 / dt) * 100.0
        }
        _ => 0.0,
    };
    *prev = Some((total, idle));
    pct.clamp(0.0, 100.0)
}
