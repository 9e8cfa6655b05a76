//! libvirt XML: the domain a `VmSpec` becomes, the disk elements hot-plugged into it,
//! and reading back what libvirt reports about a running domain (disks, NICs, VNC port,
//! our metadata).
//!
//! Built as text with every attribute and text node escaped; names and MACs are
//! validated before they get here (see [`validate_name`], [`validate_mac`]).

use std::fmt::Write as _;
use std::path::PathBuf;

use strato_agent_proto::{BootDevice, DiskKind, VmSpec};

use crate::accel::Accel;

/// Namespace of our `<metadata>` element.
pub const METADATA_NS: &str = "urn:strato:vm:1";
/// CloudStack puts the CD-ROM at device id 3; it is always `hdc` on the IDE bus (IDE
/// CD-ROMs cannot be hot-plugged, only their media changed, so the drive always exists).
pub const CDROM_TARGET: &str = "hdc";

/// Escapes text for an XML attribute value or text node.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A VM name is used in file names (console log) and as the libvirt domain name:
/// letters, digits, `-`, `_`, `.`; not starting with `.`; at most 64 characters.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "VM name {name:?} must be 1-64 letters, digits, '-', '_' or '.'"
        ))
    }
}

/// `52:54:00:0a:00:64`: six two-digit hex octets, unicast.
pub fn validate_mac(mac: &str) -> Result<(), String> {
    let octets: Vec<&str> = mac.split(':').collect();
    let hex = octets.len() == 6
        && octets
            .iter()
            .all(|o| o.len() == 2 && o.chars().all(|c| c.is_ascii_hexdigit()));
    let unicast = octets
        .first()
        .and_then(|o| u8::from_str_radix(o, 16).ok())
        .is_some_and(|b| b & 1 == 0);
    if hex && unicast {
        Ok(())
    } else {
        Err(format!("{mac:?} is not a unicast MAC address"))
    }
}

/// The bus a disk sits on (`rootDiskController` / `dataDiskController` details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskBus {
    Virtio,
    Scsi,
    Sata,
    Ide,
}

impl DiskBus {
    /// From CloudStack's controller names; unknown names fall back to virtio.
    pub fn from_detail(value: Option<&str>) -> Self {
        match value.map(str::to_ascii_lowercase).as_deref() {
            Some("scsi" | "virtio-scsi") => Self::Scsi,
            Some("sata") => Self::Sata,
            Some("ide") => Self::Ide,
            _ => Self::Virtio,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Virtio => "virtio",
            Self::Scsi => "scsi",
            Self::Sata => "sata",
            Self::Ide => "ide",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Virtio => "vd",
            Self::Scsi | Self::Sata => "sd",
            Self::Ide => "hd",
        }
    }
}

/// The target device of disk `device_id` on `bus` (`vda`, `vdb`, ..., `vdaa`).
pub fn target_dev(bus: DiskBus, device_id: u32) -> String {
    let mut n = device_id;
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'a' + u8::try_from(n % 26).unwrap_or(0)));
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    letters.reverse();
    format!(
        "{}{}",
        bus.prefix(),
        letters.into_iter().collect::<String>()
    )
}

/// A disk with its backing file resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDisk {
    pub device_id: u32,
    pub kind: DiskKind,
    /// Volume or ISO file; `None` for an empty CD-ROM drive.
    pub path: Option<PathBuf>,
    pub bus: DiskBus,
}

impl ResolvedDisk {
    pub fn target(&self) -> String {
        if self.kind == DiskKind::Cdrom {
            CDROM_TARGET.to_owned()
        } else {
            target_dev(self.bus, self.device_id)
        }
    }
}

/// The `<disk>` element of a volume (qcow2) or a CD-ROM drive (raw, read-only).
pub fn disk_xml(disk: &ResolvedDisk) -> String {
    let source = disk
        .path
        .as_ref()
        .map(|p| format!("<source file='{}'/>", escape(&p.display().to_string())))
        .unwrap_or_default();
    if disk.kind == DiskKind::Cdrom {
        format!(
            "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>{source}\
             <target dev='{CDROM_TARGET}' bus='ide'/><readonly/></disk>"
        )
    } else {
        format!(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2' discard='unmap'/>\
             {source}<target dev='{}' bus='{}'/><serial>{}</serial></disk>",
            disk.target(),
            disk.bus.name(),
            // The guest sees the device id as the disk's serial (stable /dev/disk/by-id).
            disk.device_id
        )
    }
}

/// One NIC with its bridge resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedNic {
    pub mac: String,
    pub bridge: String,
    /// `virtio` or `e1000` (`nicAdapter` detail).
    pub model: String,
}

/// Everything the domain XML needs beyond the spec.
#[derive(Debug, Clone)]
pub struct DomainParams<'a> {
    pub spec: &'a VmSpec,
    pub accel: Accel,
    /// QEMU machine type (`pc`; `microvm` hangs under TCG).
    pub machine: &'a str,
    pub disks: Vec<ResolvedDisk>,
    pub nics: Vec<ResolvedNic>,
    /// Everything the guest writes to its serial port (ttyS0) is appended here.
    pub serial_log: PathBuf,
    /// The serial port's unix socket (what a client writes there is typed on ttyS0).
    pub serial_socket: PathBuf,
    pub vnc_listen: &'a str,
    pub vnc_password: &'a str,
}

/// TCG translation cache: QEMU's default (a quarter of guest RAM, at least 1 GiB of
/// address space) doubles a small guest's RSS; 32 MiB is enough for small guests.
fn tb_cache_mib(memory_mib: u64) -> u64 {
    if memory_mib <= 512 { 32 } else { 128 }
}

/// The persistent domain definition.
pub fn domain_xml(p: &DomainParams<'_>) -> String {
    let spec = p.spec;
    let memory_kib = spec.memory_bytes / 1024;
    let mut x = String::new();
    let _ = writeln!(x, "<domain type='{}'>", p.accel.domain_type());
    let _ = writeln!(x, "  <name>{}</name>", escape(&spec.name));
    if uuid::Uuid::parse_str(&spec.uuid).is_ok() {
        let _ = writeln!(x, "  <uuid>{}</uuid>", escape(&spec.uuid));
    }
    let _ = writeln!(
        x,
        "  <metadata><strato:vm xmlns:strato='{METADATA_NS}'><strato:uuid>{}</strato:uuid></strato:vm></metadata>",
        escape(&spec.uuid)
    );
    let _ = writeln!(x, "  <memory unit='KiB'>{memory_kib}</memory>");
    let _ = writeln!(
        x,
        "  <currentMemory unit='KiB'>{memory_kib}</currentMemory>"
    );
    let _ = writeln!(x, "  <vcpu placement='static'>{}</vcpu>", spec.cpus);
    let _ = writeln!(
        x,
        "  <os><type arch='x86_64' machine='{}'>hvm</type>",
        escape(p.machine)
    );
    let boot: Vec<BootDevice> = if spec.boot.is_empty() {
        vec![BootDevice::Disk, BootDevice::Cdrom]
    } else {
        spec.boot.clone()
    };
    for dev in boot {
        let name = match dev {
            BootDevice::Disk => "hd",
            BootDevice::Cdrom => "cdrom",
            BootDevice::Network => "network",
        };
        let _ = writeln!(x, "    <boot dev='{name}'/>");
    }
    x.push_str("  </os>\n  <features><acpi/><apic/><pae/>");
    if p.accel == Accel::Tcg {
        let _ = write!(
            x,
            "<tcg><tb-cache unit='MiB'>{}</tb-cache></tcg>",
            tb_cache_mib(memory_kib / 1024)
        );
    }
    x.push_str("</features>\n");
    let cores = spec
        .details
        .get("cpu.corespersocket")
        .and_then(|c| c.parse::<u32>().ok())
        .filter(|c| *c > 0 && spec.cpus.is_multiple_of(*c))
        .unwrap_or(1);
    let topology = format!(
        "<topology sockets='{}' dies='1' cores='{cores}' threads='1'/>",
        spec.cpus / cores
    );
    match p.accel {
        Accel::Kvm => {
            let _ = writeln!(x, "  <cpu mode='host-passthrough'>{topology}</cpu>");
        }
        Accel::Tcg => {
            let _ = writeln!(
                x,
                "  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model>{topology}</cpu>"
            );
        }
    }
    x.push_str(
        "  <clock offset='utc'><timer name='rtc' tickpolicy='catchup'/><timer name='pit' tickpolicy='delay'/><timer name='hpet' present='no'/></clock>\n",
    );
    x.push_str("  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n");
    x.push_str("  <devices>\n");
    if p.disks.iter().any(|d| d.bus == DiskBus::Scsi) {
        x.push_str("    <controller type='scsi' index='0' model='virtio-scsi'/>\n");
    }
    let mut disks = p.disks.clone();
    disks.sort_by_key(|d| d.device_id);
    for disk in &disks {
        let _ = writeln!(x, "    {}", disk_xml(disk));
    }
    if !disks.iter().any(|d| d.kind == DiskKind::Cdrom) {
        let empty = ResolvedDisk {
            device_id: 3,
            kind: DiskKind::Cdrom,
            path: None,
            bus: DiskBus::Ide,
        };
        let _ = writeln!(x, "    {}", disk_xml(&empty));
    }
    for nic in &p.nics {
        let _ = writeln!(
            x,
            "    <interface type='bridge'><mac address='{}'/><source bridge='{}'/><model type='{}'/></interface>",
            escape(&nic.mac),
            escape(&nic.bridge),
            escape(&nic.model)
        );
    }
    let log = escape(&p.serial_log.display().to_string());
    let sock = escape(&p.serial_socket.display().to_string());
    // libvirt adds the matching <console> (the same chardev) itself.
    let _ = writeln!(
        x,
        "    <serial type='unix'><source mode='bind' path='{sock}'/><log file='{log}' append='on'/><target port='0'/></serial>"
    );
    x.push_str("    <input type='tablet' bus='usb'/>\n");
    let _ = writeln!(
        x,
        "    <graphics type='vnc' port='-1' autoport='yes' listen='{0}' passwd='{1}'><listen type='address' address='{0}'/></graphics>",
        escape(p.vnc_listen),
        escape(p.vnc_password)
    );
    x.push_str("    <video><model type='vga'/></video>\n");
    x.push_str("    <memballoon model='virtio'/>\n");
    x.push_str("  </devices>\n</domain>\n");
    x
}

/// A disk of a defined domain, as libvirt reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveDisk {
    /// `disk` or `cdrom`.
    pub device: String,
    pub target: String,
    pub source: Option<String>,
}

/// A NIC of a domain, as libvirt reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveNic {
    pub mac: Option<String>,
    pub bridge: Option<String>,
    /// The tap device (`vnet3`), while running.
    pub target: Option<String>,
}

/// What we read back from a domain's XML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveDomain {
    pub name: String,
    /// Our VM uuid from the metadata; `None` for domains Strato did not define.
    pub strato_uuid: Option<String>,
    pub disks: Vec<LiveDisk>,
    pub nics: Vec<LiveNic>,
    /// The VNC port, once the domain runs.
    pub vnc_port: Option<u16>,
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// Parses a domain's XML (`virDomainGetXMLDesc`).
pub fn parse_domain(xml: &str) -> Result<LiveDomain, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("bad domain XML: {e}"))?;
    let root = doc.root_element();
    let mut live = LiveDomain {
        name: child(root, "name")
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_owned(),
        ..LiveDomain::default()
    };
    live.strato_uuid = root
        .descendants()
        .find(|n| {
            n.is_element()
                && n.tag_name().namespace() == Some(METADATA_NS)
                && n.tag_name().name() == "uuid"
        })
        .and_then(|n| n.text())
        .map(str::to_owned);
    let Some(devices) = child(root, "devices") else {
        return Ok(live);
    };
    for dev in devices.children().filter(roxmltree::Node::is_element) {
        match dev.tag_name().name() {
            "disk" => live.disks.push(LiveDisk {
                device: dev.attribute("device").unwrap_or("disk").to_owned(),
                target: child(dev, "target")
                    .and_then(|t| t.attribute("dev"))
                    .unwrap_or_default()
                    .to_owned(),
                source: child(dev, "source")
                    .and_then(|s| s.attribute("file"))
                    .map(str::to_owned),
            }),
            "interface" => live.nics.push(LiveNic {
                mac: child(dev, "mac")
                    .and_then(|m| m.attribute("address"))
                    .map(str::to_owned),
                bridge: child(dev, "source")
                    .and_then(|s| s.attribute("bridge"))
                    .map(str::to_owned),
                target: child(dev, "target")
                    .and_then(|t| t.attribute("dev"))
                    .map(str::to_owned),
            }),
            "graphics" if dev.attribute("type") == Some("vnc") => {
                live.vnc_port = dev
                    .attribute("port")
                    .and_then(|p| p.parse::<i32>().ok())
                    .and_then(|p| u16::try_from(p).ok());
            }
            _ => {}
        }
    }
    Ok(live)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use strato_agent_proto::VmSpec;

    use super::*;

    fn spec() -> VmSpec {
        VmSpec {
            name: "i-2-10-VM".into(),
            uuid: "0b1a9b4e-8a57-4c52-9a3c-2a8f7f1d2e11".into(),
            cpus: 2,
            cpu_speed_mhz: 1000,
            memory_bytes: 256 << 20,
            os_type: None,
            nics: vec![],
            volumes: vec![],
            boot: vec![],
            vnc_password: None,
            details: BTreeMap::from([("cpu.corespersocket".into(), "2".into())]),
        }
    }

    fn params(spec: &VmSpec, accel: Accel) -> DomainParams<'_> {
        DomainParams {
            spec,
            accel,
            machine: "pc",
            disks: vec![
                ResolvedDisk {
                    device_id: 0,
                    kind: DiskKind::Root,
                    path: Some("/pool/root 'vol'".into()),
                    bus: DiskBus::Virtio,
                },
                ResolvedDisk {
                    device_id: 1,
                    kind: DiskKind::Data,
                    path: Some("/pool/data".into()),
                    bus: DiskBus::Scsi,
                },
            ],
            nics: vec![ResolvedNic {
                mac: "52:54:00:0a:00:64".into(),
                bridge: "cloudbr0".into(),
                model: "virtio".into(),
            }],
            serial_log: "/var/log/strato/i-2-10-VM.log".into(),
            serial_socket: "/var/log/strato/i-2-10-VM.sock".into(),
            vnc_listen: "0.0.0.0",
            vnc_password: "p<&>'\"w",
        }
    }

    #[test]
    fn a_tcg_domain_has_everything_the_spec_asks_for() -> Result<(), String> {
        let spec = spec();
        let xml = domain_xml(&params(&spec, Accel::Tcg));
        // Well-formed, and parses back.
        let doc = roxmltree::Document::parse(&xml).map_err(|e| e.to_string())?;
        assert_eq!(doc.root_element().attribute("type"), Some("qemu"));
        assert!(xml.contains("<memory unit='KiB'>262144</memory>"));
        assert!(xml.contains("<vcpu placement='static'>2</vcpu>"));
        assert!(xml.contains("sockets='1' dies='1' cores='2'"));
        assert!(xml.contains("<tb-cache unit='MiB'>32</tb-cache>"));
        assert!(xml.contains("<uuid>0b1a9b4e-8a57-4c52-9a3c-2a8f7f1d2e11</uuid>"));
        assert!(xml.contains(
            "<source file='/pool/root &apos;vol&apos;'/><target dev='vda' bus='virtio'/>"
        ));
        assert!(xml.contains("<target dev='sdb' bus='scsi'/>"));
        assert!(xml.contains("model='virtio-scsi'"));
        assert!(
            xml.contains("<target dev='hdc' bus='ide'/><readonly/>"),
            "empty CD-ROM drive"
        );
        assert!(xml.contains("<mac address='52:54:00:0a:00:64'/><source bridge='cloudbr0'/>"));
        assert!(xml.contains("<serial type='unix'><source mode='bind' path='/var/log/strato/i-2-10-VM.sock'/><log file='/var/log/strato/i-2-10-VM.log' append='on'/>"));
        assert!(xml.contains("passwd='p&lt;&amp;&gt;&apos;&quot;w'"));
        assert!(xml.contains("<boot dev='hd'/>\n    <boot dev='cdrom'/>"));
        let live = parse_domain(&xml)?;
        assert_eq!(live.name, "i-2-10-VM");
        assert_eq!(live.strato_uuid.as_deref(), Some(spec.uuid.as_str()));
        assert_eq!(live.disks.len(), 3);
        assert_eq!(live.disks[0].source.as_deref(), Some("/pool/root 'vol'"));
        assert_eq!(live.nics[0].bridge.as_deref(), Some("cloudbr0"));
        assert_eq!(live.vnc_port, None, "autoport before start");
        Ok(())
    }

    #[test]
    fn a_kvm_domain_passes_the_host_cpu_through() {
        let spec = spec();
        let xml = domain_xml(&params(&spec, Accel::Kvm));
        assert!(xml.starts_with("<domain type='kvm'>"));
        assert!(xml.contains("<cpu mode='host-passthrough'>"));
        assert!(!xml.contains("tb-cache"));
    }

    #[test]
    fn live_xml_gives_the_vnc_port_and_taps() -> Result<(), String> {
        let xml = "<domain type='qemu' id='3'><name>v</name><devices>\
            <disk type='file' device='disk'><source file='/p/v'/><target dev='vda' bus='virtio'/></disk>\
            <interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='br0'/><target dev='vnet7'/></interface>\
            <graphics type='vnc' port='5901' autoport='yes' listen='0.0.0.0'/></devices></domain>";
        let live = parse_domain(xml)?;
        assert_eq!(live.vnc_port, Some(5901));
        assert_eq!(live.nics[0].target.as_deref(), Some("vnet7"));
        assert_eq!(live.strato_uuid, None);
        assert!(parse_domain("<domain").is_err());
        Ok(())
    }

    #[test]
    fn targets_names_and_macs() {
        assert_eq!(target_dev(DiskBus::Virtio, 0), "vda");
        assert_eq!(target_dev(DiskBus::Virtio, 25), "vdz");
        assert_eq!(target_dev(DiskBus::Virtio, 26), "vdaa");
        assert_eq!(target_dev(DiskBus::Ide, 2), "hdc");
        assert_eq!(DiskBus::from_detail(Some("SATA")), DiskBus::Sata);
        assert_eq!(DiskBus::from_detail(None), DiskBus::Virtio);
        assert!(validate_name("i-2-10-VM").is_ok());
        for bad in ["", "../x", ".hidden", "a/b", "a b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_mac("52:54:00:0a:00:64").is_ok());
        for bad in [
            "52:54:00:0a:00",
            "01:00:5e:00:00:01",
            "zz:54:00:0a:00:64",
            "52-54-00-0a-00-64",
        ] {
            assert!(validate_mac(bad).is_err(), "{bad:?}");
        }
        let cd = ResolvedDisk {
            device_id: 3,
            kind: DiskKind::Cdrom,
            path: Some("/iso/x.iso".into()),
            bus: DiskBus::Ide,
        };
        assert_eq!(
            disk_xml(&cd),
            "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/iso/x.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>"
        );
    }
}
