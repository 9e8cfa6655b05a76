//! VM operations against libvirt, one blocking function per step (the driver runs them
//! on blocking threads and does the waiting in between).

use strato_agent_proto::{AgentError, PowerState, VmInfo, VmStateReport, VmStats};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use crate::libvirt::{lookup, power_state, to_agent};
use crate::xml::{self, LiveDomain};

/// The domain's XML, parsed.
pub(crate) fn live(dom: &Domain) -> Result<LiveDomain, AgentError> {
    let text = dom.xml_desc(0).map_err(|e| to_agent(&e))?;
    xml::parse_domain(&text).map_err(AgentError::invalid_argument)
}

/// Every domain Strato defined (it carries our metadata), with its state.
pub(crate) fn ours(conn: &Connect) -> Result<Vec<(LiveDomain, PowerState)>, AgentError> {
    let domains = conn.list_all_domains(0).map_err(|e| to_agent(&e))?;
    let mut out = Vec::new();
    for dom in domains {
        // A domain may vanish between the list and the read: skip it.
        let Ok(l) = live(&dom) else { continue };
        if l.strato_uuid.is_some() {
            out.push((l, power_state(&dom)));
        }
    }
    Ok(out)
}

fn info(host: &str, dom: &Domain, uuid: &str) -> Result<VmInfo, AgentError> {
    let l = live(dom)?;
    Ok(VmInfo {
        name: l.name,
        uuid: uuid.to_owned(),
        state: power_state(dom),
        host_guid: host.to_owned(),
        vnc_port: l.vnc_port,
    })
}

/// A running domain of ours, as `VmInfo` (for `GetVncPort`).
pub(crate) fn running_info(conn: &Connect, host: &str, name: &str) -> Result<VmInfo, AgentError> {
    let dom = lookup(conn, name)?
        .filter(|d| power_state(d) == PowerState::Running)
        .ok_or_else(|| AgentError::not_found(format!("VM {name} is not running on this host")))?;
    let uuid = live(&dom)?
        .strato_uuid
        .ok_or_else(|| AgentError::not_found(format!("domain {name} was not defined by Strato")))?;
    info(host, &dom, &uuid)
}

/// Defines (or redefines) and powers on a domain. A domain already running with the
/// same VM uuid is answered as is; one running under another uuid is `invalid_state`.
pub(crate) fn start(
    conn: &Connect,
    host: &str,
    name: &str,
    uuid: &str,
    domain_xml: &str,
) -> Result<VmInfo, AgentError> {
    if let Some(dom) = lookup(conn, name)? {
        let existing = live(&dom)?;
        let same = existing.strato_uuid.as_deref() == Some(uuid);
        if power_state(&dom) == PowerState::Running {
            if same {
                return info(host, &dom, uuid);
            }
            return Err(AgentError::invalid_state(format!(
                "another VM named {name} (uuid {}) runs on this host",
                existing
                    .strato_uuid
                    .as_deref()
                    .unwrap_or("not defined by Strato")
            )));
        }
        if !same {
            // A stopped leftover under the same name: libvirt refuses a definition with
            // another <uuid>, so it goes first.
            undefine(&dom)?;
        }
    }
    let dom = conn
        .define_domain_xml(domain_xml)
        .map_err(|e| to_agent(&e))?;
    if let Err(e) = dom.create() {
        // Leave no half-started definition with a broken config behind.
        let err = to_agent(&e);
        let _ = dom.undefine();
        return Err(err);
    }
    info(host, &dom, uuid)
}

fn undefine(dom: &Domain) -> Result<(), AgentError> {
    let flags = sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
        | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
        | sys::VIR_DOMAIN_UNDEFINE_NVRAM;
    dom.undefine_flags(flags).map_err(|e| to_agent(&e))
}

/// Asks the guest to power off (ACPI power button). False if it is not running.
pub(crate) fn request_shutdown(conn: &Connect, name: &str) -> Result<bool, AgentError> {
    let Some(dom) = lookup(conn, name)? else {
        return Ok(false);
    };
    if power_state(&dom) != PowerState::Running {
        return Ok(false);
    }
    match dom.shutdown_flags(sys::VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) {
        Ok(()) => Ok(true),
        // It stopped meanwhile.
        Err(_) if power_state(&dom) != PowerState::Running => Ok(false),
        Err(e) => Err(to_agent(&e)),
    }
}

/// Those of `names` whose domain runs now (not paused, as a guest whose memory is still
/// arriving by migration is).
pub(crate) fn running(conn: &Connect, names: &[String]) -> Result<Vec<String>, AgentError> {
    let mut out = Vec::new();
    for name in names {
        if let Some(dom) = lookup(conn, name)?
            && matches!(
                dom.state(),
                Ok((
                    virt::enumutil::Enum::Known(virt::domain::DomainState::Running),
                    _
                ))
            )
        {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// The state of one domain (`Missing` when libvirt does not know it).
pub(crate) fn state(conn: &Connect, name: &str) -> Result<PowerState, AgentError> {
    Ok(lookup(conn, name)?.map_or(PowerState::Missing, |d| power_state(&d)))
}

/// Powers a domain off at once. Succeeds if it is not running.
pub(crate) fn destroy(conn: &Connect, name: &str) -> Result<(), AgentError> {
    let Some(dom) = lookup(conn, name)? else {
        return Ok(());
    };
    if dom.is_active().unwrap_or(false)
        && let Err(e) = dom.destroy()
        && dom.is_active().unwrap_or(true)
    {
        return Err(to_agent(&e));
    }
    Ok(())
}

/// Powers off and undefines. Succeeds if unknown.
pub(crate) fn destroy_and_undefine(conn: &Connect, name: &str) -> Result<(), AgentError> {
    destroy(conn, name)?;
    if let Some(dom) = lookup(conn, name)? {
        undefine(&dom)?;
    }
    Ok(())
}

/// Reboots a running domain (ACPI, then a reset if the guest ignores it).
pub(crate) fn reboot(conn: &Connect, host: &str, name: &str) -> Result<(), AgentError> {
    let dom = lookup(conn, name)?
        .ok_or_else(|| AgentError::not_found(format!("VM {name} is not on host {host}")))?;
    if power_state(&dom) != PowerState::Running {
        return Err(AgentError::invalid_state(format!(
            "VM {name} is not running on host {host}"
        )));
    }
    if dom.reboot(0).is_err() {
        dom.reset().map_err(|e| to_agent(&e))?;
    }
    Ok(())
}

/// States of the named domains, or of all of ours.
pub(crate) fn states(conn: &Connect, names: &[String]) -> Result<Vec<VmStateReport>, AgentError> {
    if names.is_empty() {
        return Ok(ours(conn)?
            .into_iter()
            .map(|(l, state)| VmStateReport {
                name: l.name,
                uuid: l.strato_uuid.unwrap_or_default(),
                state,
            })
            .collect());
    }
    names
        .iter()
        .map(|name| {
            Ok(match lookup(conn, name)? {
                Some(dom) => VmStateReport {
                    name: name.clone(),
                    uuid: live(&dom)?.strato_uuid.unwrap_or_default(),
                    state: power_state(&dom),
                },
                None => VmStateReport {
                    name: name.clone(),
                    uuid: String::new(),
                    state: PowerState::Missing,
                },
            })
        })
        .collect()
}

/// Raw counters of one running domain.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    pub name: String,
    pub cpu_time_ns: u64,
    pub vcpus: u32,
    pub memory_bytes: u64,
    pub disk_read_bytes: u64,
    pub disk_write_bytes: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
}

fn non_negative(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Counters of the named running domains (all of ours when `names` is empty).
pub(crate) fn counters(conn: &Connect, names: &[String]) -> Result<Vec<Counters>, AgentError> {
    let mut out = Vec::new();
    for (l, state) in ours(conn)? {
        if state != PowerState::Running || (!names.is_empty() && !names.contains(&l.name)) {
            continue;
        }
        let Some(dom) = lookup(conn, &l.name)? else {
            continue;
        };
        let Ok(info) = dom.info() else { continue };
        let mut c = Counters {
            name: l.name.clone(),
            cpu_time_ns: info.cpu_time,
            vcpus: info.nr_virt_cpu,
            memory_bytes: info.memory.saturating_mul(1024),
            ..Counters::default()
        };
        for disk in l.disks.iter().filter(|d| d.device == "disk") {
            if let Ok(s) = dom.block_stats(&disk.target) {
                c.disk_read_bytes += non_negative(s.rd_bytes);
                c.disk_write_bytes += non_negative(s.wr_bytes);
            }
        }
        for nic in &l.nics {
            if let Some(tap) = &nic.target
                && let Ok(s) = dom.interface_stats(tap)
            {
                // The tap's rx is what the guest sent.
                c.net_rx_bytes += non_negative(s.tx_bytes);
                c.net_tx_bytes += non_negative(s.rx_bytes);
            }
        }
        out.push(c);
    }
    Ok(out)
}

/// CPU utilisation between two samples.
pub(crate) fn cpu_pct(
    prev: Option<(u64, std::time::Instant)>,
    now: &Counters,
    at: std::time::Instant,
) -> f64 {
    let Some((prev_ns, prev_at)) = prev else {
        return 0.0;
    };
    let wall = at.duration_since(prev_at).as_nanos() as f64 * f64::from(now.vcpus.max(1));
    if wall <= 0.0 {
        return 0.0;
    }
    (now.cpu_time_ns.saturating_sub(prev_ns) as f64 / wall * 100.0).clamp(0.0, 100.0)
}

pub(crate) fn to_stats(c: &Counters, cpu: f64) -> VmStats {
    VmStats {
        name: c.name.clone(),
        cpu_utilization_pct: cpu,
        memory_bytes: c.memory_bytes,
        network_read_bytes: c.net_rx_bytes,
        network_write_bytes: c.net_tx_bytes,
        disk_read_bytes: c.disk_read_bytes,
        disk_write_bytes: c.disk_write_bytes,
    }
}

/// Which flags reach both the running guest and the definition.
fn affect(dom: &Domain) -> u32 {
    if dom.is_active().unwrap_or(false) {
        sys::VIR_DOMAIN_AFFECT_LIVE | sys::VIR_DOMAIN_AFFECT_CONFIG
    } else {
        sys::VIR_DOMAIN_AFFECT_CONFIG
    }
}

fn domain(conn: &Connect, host: &str, name: &str) -> Result<Domain, AgentError> {
    lookup(conn, name)?
        .ok_or_else(|| AgentError::not_found(format!("VM {name} is not on host {host}")))
}

/// Hot-plugs (or, stopped, adds) a disk. Succeeds if that file is already attached.
pub(crate) fn attach_disk(
    conn: &Connect,
    host: &str,
    name: &str,
    disk: &xml::ResolvedDisk,
) -> Result<(), AgentError> {
    let dom = domain(conn, host, name)?;
    let l = live(&dom)?;
    let path = disk.path.as_ref().map(|p| p.display().to_string());
    if l.disks
        .iter()
        .any(|d| d.device == "disk" && d.source == path)
    {
        return Ok(());
    }
    let target = disk.target();
    if l.disks.iter().any(|d| d.target == target) {
        return Err(AgentError::invalid_argument(format!(
            "VM {name} already has a disk at {target} (device id {})",
            disk.device_id
        )));
    }
    dom.attach_device_flags(&xml::disk_xml(disk), affect(&dom))
        .map_err(|e| to_agent(&e))
}

/// Unplugs the disk backed by `path`. Succeeds if it is not attached.
pub(crate) fn detach_disk(
    conn: &Connect,
    host: &str,
    name: &str,
    path: &str,
) -> Result<(), AgentError> {
    let dom = domain(conn, host, name)?;
    let l = live(&dom)?;
    let Some(disk) = l
        .disks
        .iter()
        .find(|d| d.device == "disk" && d.source.as_deref() == Some(path))
    else {
        return Ok(());
    };
    let element = format!(
        "<disk type='file' device='disk'><source file='{}'/><target dev='{}'/></disk>",
        xml::escape(path),
        xml::escape(&disk.target)
    );
    dom.detach_device_flags(&element, affect(&dom))
        .map_err(|e| to_agent(&e))
}

/// Changes the CD-ROM's media (`None` ejects). Inserting the ISO already there
/// succeeds; inserting over another ISO is `invalid_state`.
pub(crate) fn change_media(
    conn: &Connect,
    host: &str,
    name: &str,
    iso: Option<&std::path::Path>,
) -> Result<(), AgentError> {
    let dom = domain(conn, host, name)?;
    let l = live(&dom)?;
    let current = l
        .disks
        .iter()
        .find(|d| d.device == "cdrom")
        .and_then(|d| d.source.clone());
    let wanted = iso.map(|p| p.display().to_string());
    if current == wanted {
        return Ok(());
    }
    if current.is_some() && wanted.is_some() {
        return Err(AgentError::invalid_state(format!(
            "VM {name} already has another ISO attached"
        )));
    }
    let drive = xml::ResolvedDisk {
        device_id: 3,
        kind: strato_agent_proto::DiskKind::Cdrom,
        path: iso.map(std::path::Path::to_path_buf),
        bus: xml::DiskBus::Ide,
    };
    dom.update_device_flags(
        &xml::disk_xml(&drive),
        affect(&dom) | sys::VIR_DOMAIN_DEVICE_MODIFY_FORCE,
    )
    .map_err(|e| to_agent(&e))
}

/// Domains with a disk backed by `path`: `(name, running, target)`.
pub(crate) fn users_of(
    conn: &Connect,
    path: &str,
) -> Result<Vec<(String, bool, String)>, AgentError> {
    users_matching(conn, |source| source == path)
}

/// Domains with a disk whose source matches: `(name, running, target)`.
pub(crate) fn users_matching(
    conn: &Connect,
    matches: impl Fn(&str) -> bool,
) -> Result<Vec<(String, bool, String)>, AgentError> {
    Ok(ours(conn)?
        .into_iter()
        .filter_map(|(l, state)| {
            let target = l
                .disks
                .iter()
                .find(|d| d.source.as_deref().is_some_and(&matches))?
                .target
                .clone();
            Some((l.name, state == PowerState::Running, target))
        })
        .collect())
}

/// Grows a disk a running guest holds.
pub(crate) fn live_resize(
    conn: &Connect,
    name: &str,
    target: &str,
    bytes: u64,
) -> Result<(), AgentError> {
    let dom =
        lookup(conn, name)?.ok_or_else(|| AgentError::not_found(format!("VM {name} vanished")))?;
    dom.block_resize(target, bytes, sys::VIR_DOMAIN_BLOCK_RESIZE_BYTES)
        .map_err(|e| to_agent(&e))
}

/// Redirects a running domain's writes on disk `target` to a new overlay file (a
/// disk-only external snapshot without libvirt metadata): the file under it is frozen
/// until [`crate::driver`] commits the overlay back.
pub(crate) fn freeze_disk(
    conn: &Connect,
    name: &str,
    target: &str,
    overlay: &std::path::Path,
) -> Result<(), AgentError> {
    let dom =
        lookup(conn, name)?.ok_or_else(|| AgentError::not_found(format!("VM {name} vanished")))?;
    let l = live(&dom)?;
    let mut disks = String::new();
    for d in &l.disks {
        if d.target == target {
            disks.push_str(&format!(
                "<disk name='{}' snapshot='external' type='file'><driver type='qcow2'/><source file='{}'/></disk>",
                xml::escape(target),
                xml::escape(&overlay.display().to_string())
            ));
        } else {
            disks.push_str(&format!(
                "<disk name='{}' snapshot='no'/>",
                xml::escape(&d.target)
            ));
        }
    }
    let snapshot = format!("<domainsnapshot><disks>{disks}</disks></domainsnapshot>");
    dom.create_snapshot_xml(
        &snapshot,
        sys::VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
            | sys::VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
            | sys::VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA,
    )
    .map(drop)
    .map_err(|e| to_agent(&e))
}

/// The file disk `target` of a domain reads and writes now.
pub(crate) fn disk_source(
    conn: &Connect,
    name: &str,
    target: &str,
) -> Result<Option<String>, AgentError> {
    let Some(dom) = lookup(conn, name)? else {
        return Ok(None);
    };
    Ok(live(&dom)?
        .disks
        .into_iter()
        .find(|d| d.target == target)
        .and_then(|d| d.source))
}
