//! Facts about the machine the agent runs on: CPU sockets, cores and speed
//! (`/proc/cpuinfo`), memory (`/proc/meminfo`), the capacity of a directory's filesystem
//! (`statvfs`), the host name and its private address. Parsers are pure functions over
//! the files' text so they are unit-tested without the files.

use std::collections::BTreeSet;
use std::path::Path;

/// What `/proc/cpuinfo` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuFacts {
    /// Distinct `physical id`s (1 when the file has none, as in most VMs).
    pub sockets: u32,
    /// Logical processors (`processor` entries).
    pub threads: u32,
    /// Speed of the first processor, rounded down (`cpu MHz`).
    pub mhz: u64,
    pub model: String,
    /// Flags of the first processor (`vmx`, `svm`, `hypervisor`, ...).
    pub flags: BTreeSet<String>,
}

impl CpuFacts {
    /// Hardware virtualisation extensions are visible (Intel VT-x or AMD-V).
    pub fn has_virt_extensions(&self) -> bool {
        self.flags.contains("vmx") || self.flags.contains("svm")
    }
}

/// Parses `/proc/cpuinfo` (x86 layout: `key\t: value` lines, a blank line per processor).
pub fn parse_cpuinfo(text: &str) -> CpuFacts {
    let mut facts = CpuFacts::default();
    let mut sockets = BTreeSet::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => facts.threads += 1,
            "physical id" => {
                sockets.insert(value.to_owned());
            }
            "cpu MHz" if facts.mhz == 0 => {
                facts.mhz = value
                    .split('.')
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
            }
            "model name" if facts.model.is_empty() => facts.model = value.to_owned(),
            "flags" if facts.flags.is_empty() => {
                facts.flags = value.split_whitespace().map(str::to_owned).collect();
            }
            _ => {}
        }
    }
    facts.sockets = u32::try_from(sockets.len()).unwrap_or(1).max(1);
    facts.threads = facts.threads.max(1);
    facts
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
pub fn parse_meminfo_total(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix("MemTotal:")?;
        let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        kib.checked_mul(1024)
    })
}

/// Reads and parses `/proc/cpuinfo`.
pub fn cpu_facts() -> std::io::Result<CpuFacts> {
    Ok(parse_cpuinfo(&std::fs::read_to_string("/proc/cpuinfo")?))
}

/// Physical memory, in bytes.
pub fn memory_bytes() -> std::io::Result<u64> {
    let text = std::fs::read_to_string("/proc/meminfo")?;
    parse_meminfo_total(&text).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "no MemTotal in /proc/meminfo",
        )
    })
}

/// Size and free space of the filesystem holding `path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsSpace {
    pub total_bytes: u64,
    /// Available to unprivileged users (`f_bavail`).
    pub available_bytes: u64,
}

pub fn fs_space(path: &Path) -> std::io::Result<FsSpace> {
    let st = rustix::fs::statvfs(path)?;
    Ok(FsSpace {
        total_bytes: st.f_blocks.saturating_mul(st.f_frsize),
        available_bytes: st.f_bavail.saturating_mul(st.f_frsize),
    })
}

/// The machine's host name (`/proc/sys/kernel/hostname`).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// An IPv4 address of the host with its prefix length and interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAddr {
    pub ip: String,
    pub prefix: u8,
    pub interface: String,
    pub mac: Option<String>,
}

/// Picks the host's private address from `ip -j addr show` output: the first global IPv4
/// address, preferring `preferred_interface` when given (`cloudbr0`).
pub fn pick_address(ip_json: &str, preferred_interface: Option<&str>) -> Option<HostAddr> {
    let links: Vec<serde_json::Value> = serde_json::from_str(ip_json).ok()?;
    let mut found = Vec::new();
    for link in &links {
        let name = link.get("ifname")?.as_str()?;
        if name == "lo" {
            continue;
        }
        let mac = link
            .get("address")
            .and_then(|m| m.as_str())
            .map(str::to_owned);
        for addr in link.get("addr_info")?.as_array()? {
            if addr.get("family").and_then(|f| f.as_str()) != Some("inet")
                || addr.get("scope").and_then(|s| s.as_str()) != Some("global")
            {
                continue;
            }
            let (Some(ip), Some(prefix)) = (
                addr.get("local").and_then(|v| v.as_str()),
                addr.get("prefixlen").and_then(serde_json::Value::as_u64),
            ) else {
                continue;
            };
            found.push(HostAddr {
                ip: ip.to_owned(),
                prefix: u8::try_from(prefix).unwrap_or(32),
                interface: name.to_owned(),
                mac: mac.clone(),
            });
        }
    }
    if let Some(preferred) = preferred_interface
        && let Some(addr) = found.iter().find(|a| a.interface == preferred)
    {
        return Some(addr.clone());
    }
    found.into_iter().next()
}

/// Dotted netmask of a prefix length (`24` → `255.255.255.0`).
pub fn netmask(prefix: u8) -> String {
    let bits = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    };
    std::net::Ipv4Addr::from(bits).to_string()
}

/// The host's private address, from `ip -j addr show` (none when `ip` fails).
pub async fn private_address(preferred_interface: Option<&str>) -> Option<HostAddr> {
    let out = tokio::process::Command::new("ip")
        .args(["-j", "addr", "show"])
        .output()
        .await
        .ok()?;
    if !out.status.success() {
        return None;
    }
    pick_address(&String::from_utf8_lossy(&out.stdout), preferred_interface)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPUINFO: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6150\n\
physical id\t: 0\ncpu MHz\t\t: 2693.670\nflags\t\t: fpu vme de pse hypervisor lm\n\n\
processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Gold 6150\nphysical id\t: 1\ncpu MHz\t\t: 2100.000\n\
flags\t\t: fpu vmx\n\n";

    #[test]
    fn cpuinfo_gives_sockets_threads_speed_and_flags() {
        let facts = parse_cpuinfo(CPUINFO);
        assert_eq!(facts.sockets, 2);
        assert_eq!(facts.threads, 2);
        assert_eq!(facts.mhz, 2693);
        assert_eq!(facts.model, "Intel(R) Xeon(R) Gold 6150");
        assert!(facts.flags.contains("hypervisor"));
        // Only the first processor's flags count.
        assert!(!facts.has_virt_extensions());
    }

    #[test]
    fn cpuinfo_without_physical_ids_is_one_socket() {
        let facts = parse_cpuinfo("processor : 0\nflags : svm\n");
        assert_eq!((facts.sockets, facts.threads, facts.mhz), (1, 1, 0));
        assert!(facts.has_virt_extensions());
        assert_eq!(parse_cpuinfo("").threads, 1);
    }

    #[test]
    fn meminfo_total_is_in_bytes() {
        let text = "MemTotal:       24576000 kB\nMemFree:         1000 kB\n";
        assert_eq!(parse_meminfo_total(text), Some(24_576_000 * 1024));
        assert_eq!(parse_meminfo_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn the_private_address_is_a_global_ipv4_preferring_the_named_bridge() {
        let json = r#"[
          {"ifname":"lo","address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},
          {"ifname":"eth0","address":"52:54:00:12:34:56","addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"},{"family":"inet","local":"10.0.0.5","prefixlen":24,"scope":"global"}]},
          {"ifname":"cloudbr0","address":"52:54:00:aa:bb:cc","addr_info":[{"family":"inet","local":"192.168.1.5","prefixlen":16,"scope":"global"}]}
        ]"#;
        let first = pick_address(json, None).expect("an address");
        assert_eq!((first.ip.as_str(), first.prefix), ("10.0.0.5", 24));
        assert_eq!(first.mac.as_deref(), Some("52:54:00:12:34:56"));
        let bridge = pick_address(json, Some("cloudbr0")).expect("an address");
        assert_eq!(bridge.interface, "cloudbr0");
        assert_eq!(pick_address("[]", None), None);
        assert_eq!(pick_address("not json", None), None);
        assert_eq!(netmask(24), "255.255.255.0");
        assert_eq!(netmask(16), "255.255.0.0");
        assert_eq!(netmask(0), "0.0.0.0");
    }

    #[test]
    fn this_machine_can_be_described() -> std::io::Result<()> {
        let cpu = cpu_facts()?;
        assert!(cpu.threads >= 1);
        assert!(memory_bytes()? > 0);
        assert!(fs_space(Path::new("/"))?.total_bytes > 0);
        assert!(!hostname().is_empty());
        Ok(())
    }
}
