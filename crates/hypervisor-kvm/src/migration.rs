//! Live migration between KVM hosts of VMs whose disks sit on shared storage.
//!
//! `PrepareForMigration` runs on the destination: every volume must be on a
//! SharedMountPoint pool mounted there (the same path on every host, so no disk is
//! copied), the NICs' bridges are plugged and their routers and leases made, as for
//! `StartVm`, and the VM is expected, so its arrival is not reported as an event.
//!
//! `MigrateVm` runs on the source: this host's libvirtd hands the running domain over
//! peer to peer to the destination's libvirtd at `qemu+tcp://<dest_ip>/system` (hosts
//! run libvirtd with its TCP listener on their private address, see
//! scripts/setup-kvm-host.sh) and QEMU streams the guest's memory to `tcp://<dest_ip>`:
//! live, defined on the destination, undefined here. A migration that outlasts
//! [`KvmConfig::migrate_timeout`](crate::KvmConfig) is aborted and the VM keeps running
//! here. After a success the VM's leases leave this host's routers (and idle bridges go).
//! A VM that is no longer here but runs on the destination is a retried migration: done.

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use strato_agent_proto::{
    AgentError, Answer, AnswerData, DiskSource, ErrorKind, PoolKind, PowerState, VmSpec,
};
use virt::connect::Connect;
use virt::domain::MigrateParameters;
use virt::sys;

use crate::driver::{Inner, lock};
use crate::libvirt::{lookup, power_state, to_agent};
use crate::network;
use crate::router::Wanted;
use crate::storage::failed;
use crate::vm;
use crate::xml::LiveDisk;

/// libvirtd's TCP port (its `tcp_port` default).
pub(crate) const LIBVIRTD_TCP_PORT: u16 = 16509;
/// How long the destination's libvirtd gets to accept a connection before the migration
/// is refused (an unreachable address would otherwise hang for minutes in TCP retries).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Live, peer to peer, defined on the destination, undefined here. `UNSAFE` because
/// libvirt trusts only file systems it knows to be shared (NFS, GFS2, …), while a
/// SharedMountPoint pool is shared by whatever the operator mounted there: the agent
/// checks beforehand that every disk is on such a pool.
pub(crate) const FLAGS: u32 = sys::VIR_MIGRATE_LIVE
    | sys::VIR_MIGRATE_PEER2PEER
    | sys::VIR_MIGRATE_PERSIST_DEST
    | sys::VIR_MIGRATE_UNDEFINE_SOURCE
    | sys::VIR_MIGRATE_UNSAFE;

/// Where a VM migrates to: the destination host's private address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    host_guid: String,
    ip: IpAddr,
}

impl Destination {
    /// `dest_ip` of a `MigrateVm`: required, an IP address (the address the destination
    /// reported as its private IP).
    pub(crate) fn parse(host_guid: &str, dest_ip: Option<&str>) -> Result<Self, AgentError> {
        let Some(text) = dest_ip.map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(AgentError::invalid_argument(format!(
                "MigrateVm to host {host_guid} needs dest_ip, the destination's private address"
            )));
        };
        let ip: IpAddr = text.parse().map_err(|_| {
            AgentError::invalid_argument(format!("dest_ip {text:?} is not an IP address"))
        })?;
        if ip.is_unspecified() || ip.is_multicast() {
            return Err(AgentError::invalid_argument(format!(
                "dest_ip {ip} cannot be a host's address"
            )));
        }
        Ok(Self {
            host_guid: host_guid.to_owned(),
            ip,
        })
    }

    /// The address as it goes into a URI (IPv6 in brackets).
    fn uri_host(&self) -> String {
        match self.ip {
            IpAddr::V4(a) => a.to_string(),
            IpAddr::V6(a) => format!("[{a}]"),
        }
    }

    /// The destination's libvirtd.
    pub(crate) fn libvirt_uri(&self) -> String {
        format!("qemu+tcp://{}/system", self.uri_host())
    }

    /// Where QEMU sends the guest's memory (the destination's QEMU listens there; the
    /// port is libvirt's choice).
    pub(crate) fn migration_uri(&self) -> String {
        format!("tcp://{}", self.uri_host())
    }

    fn libvirtd(&self) -> SocketAddr {
        SocketAddr::new(self.ip, LIBVIRTD_TCP_PORT)
    }

    /// Fails, saying why, unless the destination's libvirtd accepts a connection.
    async fn check_reachable(&self) -> Result<(), AgentError> {
        let addr = self.libvirtd();
        let connected =
            tokio::task::spawn_blocking(move || TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT))
                .await
                .map_err(|e| AgentError::new(ErrorKind::Internal, e.to_string()))?;
        connected.map(drop).map_err(|e| {
            failed(format!(
                "cannot reach the libvirtd of host {} at {addr}: {e} (every KVM host runs \
                 libvirtd with its TCP listener on its private address: scripts/setup-kvm-host.sh)",
                self.host_guid
            ))
        })
    }

    /// The state of `name` on the destination.
    async fn state_of(&self, name: &str) -> Result<PowerState, AgentError> {
        let (uri, name) = (self.libvirt_uri(), name.to_owned());
        tokio::task::spawn_blocking(move || {
            let conn = Connect::open(Some(&uri))
                .map_err(|e| failed(format!("cannot connect to {uri}: {}", e.message())))?;
            let state = lookup(&conn, &name)?.map_or(PowerState::Missing, |d| power_state(&d));
            Ok(state)
        })
        .await
        .map_err(|e| AgentError::new(ErrorKind::Internal, e.to_string()))?
    }
}

/// The disks (not CD-ROMs) of a domain outside every directory of `shared`: they would
/// not be found on the destination.
pub(crate) fn unshared_disks<'a>(disks: &'a [LiveDisk], shared: &[PathBuf]) -> Vec<&'a str> {
    disks
        .iter()
        .filter(|d| d.device == "disk")
        .filter_map(|d| d.source.as_deref())
        .filter(|p| !shared.iter().any(|dir| Path::new(p).starts_with(dir)))
        .collect()
}

/// A domain's XML with its VNC server moved from this host's address `here` to the
/// destination's `there` (`--kvm-vnc-listen` set to the host's private IP: that address
/// does not exist on the destination). `None` when the VNC server listens elsewhere (all
/// addresses, loopback): the XML travels as it is.
pub(crate) fn retarget_vnc(xml: &str, here: &str, there: &str) -> Option<String> {
    let start = xml.find("<graphics ")?;
    let rest = &xml[start..];
    let len = match (rest.find("/>"), rest.find('>'), rest.find("</graphics>")) {
        // `<graphics …/>`: no children.
        (Some(slash), Some(gt), _) if slash + 1 == gt => gt + 1,
        (_, _, Some(close)) => close + "</graphics>".len(),
        _ => return None,
    };
    let element = &rest[..len];
    let mut moved = element.to_owned();
    for attr in ["listen", "address"] {
        for quote in ['"', '\''] {
            moved = moved.replace(
                &format!("{attr}={quote}{here}{quote}"),
                &format!("{attr}={quote}{there}{quote}"),
            );
        }
    }
    (moved != element).then(|| format!("{}{moved}{}", &xml[..start], &rest[len..]))
}

impl Inner {
    /// `PrepareForMigration`, on the destination.
    pub(crate) async fn prepare_migration(&self, spec: VmSpec) -> Answer {
        let vm_lock = self.vm_lock(&spec.name);
        let _g = vm_lock.lock().await;
        let _plug = network::PLUG.read().await;
        let wanted = Wanted::for_vm(&spec)?;
        for d in &spec.volumes {
            let DiskSource::Volume(v) = &d.source else {
                continue;
            };
            let pool = self.storage.pool(&v.pool_uuid)?;
            if pool.spec.kind != PoolKind::SharedMountPoint {
                return Err(AgentError::new(
                    ErrorKind::Unsupported,
                    format!(
                        "VM {} cannot migrate live: its volume {} is on the {:?} pool {}, \
                         not shared storage (the KVM agent does not copy disks)",
                        spec.name, v.volume_uuid, pool.spec.kind, v.pool_uuid
                    ),
                ));
            }
        }
        self.resolve(&spec).await?;
        self.attach_routers(&spec.name, wanted).await?;
        lock(&self.incoming).insert(spec.name.clone());
        Ok(AnswerData::Done)
    }

    /// `MigrateVm`, on the source.
    pub(crate) async fn migrate(
        &self,
        name: &str,
        dest_host_guid: &str,
        dest_ip: Option<&str>,
    ) -> Answer {
        let dest = Destination::parse(dest_host_guid, dest_ip)?;
        let vm_lock = self.vm_lock(name);
        let _g = vm_lock.lock().await;
        let _busy = self.busy(name);
        let n = name.to_owned();
        let here = self
            .libvirt
            .call(move |c| match lookup(c, &n)? {
                Some(d) => Ok(Some((vm::live(&d)?, power_state(&d)))),
                None => Ok(None),
            })
            .await?;
        let Some((domain, state)) = here else {
            // Gone from here: done if it runs there (a retry after a lost answer).
            dest.check_reachable().await?;
            if dest.state_of(name).await? != PowerState::Running {
                return Err(AgentError::not_found(format!(
                    "VM {name} runs neither on this host nor on host {dest_host_guid}"
                )));
            }
            self.forget_migrated(name).await;
            return Ok(AnswerData::Done);
        };
        if domain.strato_uuid.is_none() {
            return Err(AgentError::invalid_state(format!(
                "domain {name} was not defined by Strato"
            )));
        }
        if state != PowerState::Running {
            return Err(AgentError::invalid_state(format!(
                "VM {name} is not running on this host: only running VMs migrate live"
            )));
        }
        let shared: Vec<PathBuf> = self
            .storage
            .pools()
            .into_iter()
            .filter(|p| p.spec.kind == PoolKind::SharedMountPoint)
            .map(|p| p.dir)
            .collect();
        if let Some(path) = unshared_disks(&domain.disks, &shared).first() {
            return Err(AgentError::new(
                ErrorKind::Unsupported,
                format!(
                    "VM {name} cannot migrate live: its disk {path} is not on a \
                     SharedMountPoint pool (the KVM agent does not copy disks)"
                ),
            ));
        }
        dest.check_reachable().await?;
        let started = Instant::now();
        self.hand_over(name, &dest).await?;
        tracing::info!(vm = %name, dest = %dest_host_guid, ip = %dest.ip, ms = started.elapsed().as_millis(), "VM migrated");
        self.forget_migrated(name).await;
        Ok(AnswerData::Done)
    }

    /// Clean-up after the VM left: a failure is logged, not answered, since the VM runs on
    /// the destination whatever happens here (an error would make the server believe it
    /// still runs here). What is left is retried by the next router or bridge release.
    async fn forget_migrated(&self, name: &str) {
        if let Err(e) = self.forget(name).await {
            tracing::warn!(vm = %name, "VM migrated away, but its clean-up here failed: {e}");
        }
    }

    /// The libvirt migration, aborted after the configured timeout.
    async fn hand_over(&self, name: &str, dest: &Destination) -> Result<(), AgentError> {
        let (n, dconn, uri) = (name.to_owned(), dest.libvirt_uri(), dest.migration_uri());
        let (here, there) = (self.info.private_ip.clone(), dest.ip.to_string());
        let call = self.libvirt.call(move |c| {
            let dom =
                lookup(c, &n)?.ok_or_else(|| AgentError::not_found(format!("VM {n} vanished")))?;
            let xml = |flags: u32| {
                let flags = flags | sys::VIR_DOMAIN_XML_SECURE | sys::VIR_DOMAIN_XML_MIGRATABLE;
                dom.xml_desc(flags).map_err(|e| to_agent(&e))
            };
            // Running and persistent definitions on the destination, when they must differ
            // from here.
            let dest_xml = retarget_vnc(&xml(0)?, &here, &there);
            let persist_xml = retarget_vnc(&xml(sys::VIR_DOMAIN_XML_INACTIVE)?, &here, &there);
            let params = MigrateParameters {
                uri: Some(uri),
                dest_xml,
                persist_xml,
                ..MigrateParameters::default()
            };
            dom.migrate_to_uri3(Some(&dconn), params, FLAGS)
                .map_err(|e| to_agent(&e))
        });
        tokio::pin!(call);
        let what = format!(
            "migration of VM {name} to host {} ({})",
            dest.host_guid,
            dest.libvirt_uri()
        );
        let timeout = self.config.migrate_timeout;
        let outcome = match tokio::time::timeout(timeout, &mut call).await {
            Ok(outcome) => outcome,
            Err(_) => {
                tracing::warn!(vm = %name, ?timeout, "migration too slow: aborting it");
                self.abort_job(name).await;
                // It may have finished before the abort landed: then it is done.
                return call.await.map_err(|e| {
                    AgentError::new(
                        ErrorKind::Failed,
                        format!(
                            "{what} did not finish within {timeout:?} and was aborted; \
                             the VM keeps running here ({})",
                            e.message
                        ),
                    )
                });
            }
        };
        outcome.map_err(|e| AgentError::new(e.kind, format!("{what} failed: {}", e.message)))
    }

    /// `virsh domjobabort` (the bindings lack `virDomainAbortJob`). Failures are logged:
    /// the migration call reports how it ended.
    async fn abort_job(&self, name: &str) {
        let out = self.virsh().args(["domjobabort", name]).output().await;
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                tracing::warn!(vm = %name, "virsh domjobabort: {}", String::from_utf8_lossy(&o.stderr).trim());
            }
            Err(e) => tracing::warn!(vm = %name, "cannot run virsh: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(device: &str, source: Option<&str>) -> LiveDisk {
        LiveDisk {
            device: device.into(),
            target: "vda".into(),
            source: source.map(str::to_owned),
        }
    }

    #[test]
    fn the_destination_is_an_address_in_both_uris() -> Result<(), AgentError> {
        let d = Destination::parse("h2", Some(" 10.1.2.3 "))?;
        assert_eq!(d.libvirt_uri(), "qemu+tcp://10.1.2.3/system");
        assert_eq!(d.migration_uri(), "tcp://10.1.2.3");
        assert_eq!(d.libvirtd().to_string(), "10.1.2.3:16509");
        let d = Destination::parse("h2", Some("fd00::2"))?;
        assert_eq!(d.libvirt_uri(), "qemu+tcp://[fd00::2]/system");
        assert_eq!(d.migration_uri(), "tcp://[fd00::2]");
        Ok(())
    }

    #[test]
    fn a_missing_or_odd_destination_is_refused() {
        for bad in [
            None,
            Some(""),
            Some("host-b"),
            Some("10.0.0.1/system"),
            Some("0.0.0.0"),
        ] {
            let e = Destination::parse("h2", bad).err();
            assert_eq!(
                e.as_ref().map(|e| e.kind),
                Some(ErrorKind::InvalidArgument),
                "{bad:?}: {e:?}"
            );
        }
        let e = Destination::parse("h2", None).err().map(|e| e.message);
        assert!(e.is_some_and(|m| m.contains("dest_ip") && m.contains("h2")));
    }

    #[test]
    fn the_migration_is_live_peer_to_peer_and_moves_the_definition() {
        for flag in [
            sys::VIR_MIGRATE_LIVE,
            sys::VIR_MIGRATE_PEER2PEER,
            sys::VIR_MIGRATE_PERSIST_DEST,
            sys::VIR_MIGRATE_UNDEFINE_SOURCE,
            sys::VIR_MIGRATE_UNSAFE,
        ] {
            assert_eq!(FLAGS & flag, flag);
        }
        // No disk copy, no offline or paused hand-over.
        for flag in [
            sys::VIR_MIGRATE_NON_SHARED_DISK,
            sys::VIR_MIGRATE_NON_SHARED_INC,
            sys::VIR_MIGRATE_OFFLINE,
            sys::VIR_MIGRATE_PAUSED,
        ] {
            assert_eq!(FLAGS & flag, 0);
        }
    }

    #[test]
    fn a_vnc_server_on_this_hosts_address_moves_to_the_destinations() {
        let xml = r#"<domain><name>v</name><devices><disk/>
<graphics type="vnc" port="5901" autoport="yes" listen="10.0.0.1" passwd="10.0.0.1">
<listen type="address" address="10.0.0.1"/></graphics><video/></devices></domain>"#;
        let moved = retarget_vnc(xml, "10.0.0.1", "10.0.0.2").unwrap_or_default();
        assert!(
            moved.contains(r#"listen="10.0.0.2" passwd="10.0.0.1">"#),
            "{moved}"
        );
        assert!(
            moved.contains(r#"<listen type="address" address="10.0.0.2"/></graphics><video/>"#)
        );
        assert!(moved.starts_with("<domain><name>v</name><devices><disk/>"));
        // Listening on every address, or loopback: nothing to move.
        let everywhere = xml.replace("10.0.0.1", "0.0.0.0");
        assert_eq!(retarget_vnc(&everywhere, "10.0.0.1", "10.0.0.2"), None);
        let single = "<domain><devices><graphics type='vnc' listen='10.0.0.1'/></devices></domain>";
        assert_eq!(
            retarget_vnc(single, "10.0.0.1", "10.0.0.2").as_deref(),
            Some("<domain><devices><graphics type='vnc' listen='10.0.0.2'/></devices></domain>")
        );
        assert_eq!(retarget_vnc("<domain/>", "10.0.0.1", "10.0.0.2"), None);
    }

    #[test]
    fn only_disks_outside_shared_pools_stop_a_migration() {
        let shared = vec![PathBuf::from("/mnt/shared")];
        let disks = [
            disk("disk", Some("/mnt/shared/vol-1")),
            disk("cdrom", Some("/mnt/secondary/x.iso")),
            disk("cdrom", None),
            disk("disk", Some("/var/lib/strato/local/vol-2")),
            disk("disk", Some("/mnt/shared-other/vol-3")),
        ];
        assert_eq!(
            unshared_disks(&disks, &shared),
            ["/var/lib/strato/local/vol-2", "/mnt/shared-other/vol-3"]
        );
        assert!(unshared_disks(&disks[..3], &shared).is_empty());
    }
}
