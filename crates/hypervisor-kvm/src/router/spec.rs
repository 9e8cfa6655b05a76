//! What a guest network's router is, derived from the commands: the subnet, gateway, DNS
//! of a network and the MAC → address leases of its VMs. Everything that ends up in a
//! command line or a dnsmasq file is parsed and re-formatted here, so no text from the
//! server reaches a tool as is.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use strato_agent_proto::{AgentError, Isolation, NetworkSpec, NicSpec};

use crate::network;
use crate::xml;

/// Prefix of the routers' network namespaces (`strato-r-brvx-5001`).
pub const NETNS_PREFIX: &str = "strato-r-";
/// The routers' public sides: one /30 per router out of this range (RFC 6598 shared
/// address space), host side `.1`, router side `.2`.
pub const LINK_NET: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 0);
pub const LINK_PREFIX: u8 = 10;
/// How many /30 slots [`LINK_NET`] holds.
pub const LINK_SLOTS: u32 = 1 << (32 - LINK_PREFIX - 2);
/// Interface names inside a router's namespace.
pub const GUEST_IF: &str = "guest0";
pub const PUBLIC_IF: &str = "pub0";

/// The router of one guest network on this host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterSpec {
    /// The network's bridge on this host (validated interface name): the router's key.
    pub bridge: String,
    pub gateway: Ipv4Addr,
    pub prefix: u8,
    /// Upstream DNS servers; empty: the host's resolv.conf.
    #[serde(default)]
    pub dns: Vec<Ipv4Addr>,
    #[serde(default)]
    pub domain: Option<String>,
}

/// One static DHCP lease: a VM's NIC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub vm: String,
    pub mac: String,
    pub ip: Ipv4Addr,
}

fn bad(msg: String) -> AgentError {
    AgentError::invalid_argument(msg)
}

fn parse_ip(what: &str, s: &str) -> Result<Ipv4Addr, AgentError> {
    s.trim()
        .parse()
        .map_err(|_| bad(format!("{what} {s:?} is not an IPv4 address")))
}

/// `255.255.255.0` → 24; refuses non-contiguous masks.
pub fn mask_prefix(mask: &str) -> Result<u8, AgentError> {
    let bits = u32::from(parse_ip("netmask", mask)?);
    let prefix = bits.leading_ones();
    if bits.checked_shl(prefix).unwrap_or(0) != 0 {
        return Err(bad(format!("netmask {mask:?} is not contiguous")));
    }
    u8::try_from(prefix).map_err(|_| bad(format!("netmask {mask:?} is out of range")))
}

/// `10.1.1.0/24` → (10.1.1.0, 24).
fn parse_cidr(cidr: &str) -> Result<(Ipv4Addr, u8), AgentError> {
    let (addr, len) = cidr
        .split_once('/')
        .ok_or_else(|| bad(format!("CIDR {cidr:?} has no /prefix")))?;
    let prefix: u8 = len
        .parse()
        .ok()
        .filter(|p| *p <= 32)
        .ok_or_else(|| bad(format!("CIDR {cidr:?} has a bad prefix")))?;
    Ok((parse_ip("CIDR", addr)?, prefix))
}

fn mask_of(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

/// A DNS name (the network domain, a guest's host name): dot-separated labels of
/// letters, digits and `-`.
fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl RouterSpec {
    /// The router a network needs, from its `dhcp` section (newer servers) or from one of
    /// its NICs' gateway and netmask. `None`: no gateway (an L2-only network), or an
    /// untagged network: the zone's shared bridge, whose gateway is a router outside
    /// this host (taking its address here would break the network).
    pub fn for_network(
        net: &NetworkSpec,
        nic: Option<&NicSpec>,
    ) -> Result<Option<Self>, AgentError> {
        let bridge = network::bridge_name(net);
        network::validate_ifname(&bridge)?;
        if net.isolation == Isolation::Untagged {
            return Ok(None);
        }
        let (gateway, prefix, dns, domain) = if let Some(d) = &net.dhcp {
            let (_, prefix) = parse_cidr(&d.cidr)?;
            let dns = d
                .dns
                .iter()
                .map(|s| parse_ip("DNS server", s))
                .collect::<Result<Vec<_>, _>>()?;
            (
                parse_ip("gateway", &d.gateway)?,
                prefix,
                dns,
                d.domain.clone(),
            )
        } else {
            let Some(nic) = nic else { return Ok(None) };
            let Some(gw) = nic.gateway.as_deref().filter(|g| !g.is_empty()) else {
                return Ok(None);
            };
            let mask = nic
                .netmask
                .as_deref()
                .ok_or_else(|| bad(format!("NIC {} has gateway {gw} but no netmask", nic.mac)))?;
            (
                parse_ip("gateway", gw)?,
                mask_prefix(mask)?,
                Vec::new(),
                None,
            )
        };
        if !(8..=30).contains(&prefix) {
            return Err(bad(format!(
                "a guest network of /{prefix} cannot have a router (8-30)"
            )));
        }
        if let Some(domain) = &domain
            && !is_dns_name(domain)
        {
            return Err(bad(format!("network domain {domain:?} is not a DNS name")));
        }
        let spec = Self {
            bridge,
            gateway,
            prefix,
            dns,
            domain,
        };
        spec.check_host("gateway", gateway)?;
        Ok(Some(spec))
    }

    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(mask_of(self.prefix))
    }

    /// The subnet's address (`10.1.1.0`).
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.gateway) & mask_of(self.prefix))
    }

    /// `10.1.1.0/24`.
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.network(), self.prefix)
    }

    /// `ip` must be a host address of the subnet.
    fn check_host(&self, what: &str, ip: Ipv4Addr) -> Result<(), AgentError> {
        let mask = mask_of(self.prefix);
        let net = u32::from(self.gateway) & mask;
        let host = u32::from(ip) & !mask;
        if u32::from(ip) & mask != net || host == 0 || host == !mask {
            return Err(bad(format!(
                "{what} {ip} is not a host address of {}",
                self.cidr()
            )));
        }
        Ok(())
    }

    /// The lease of a NIC on this network (`None` when the server gave it no address).
    pub fn lease(&self, vm: &str, nic: &NicSpec) -> Result<Option<Lease>, AgentError> {
        xml::validate_name(vm).map_err(AgentError::invalid_argument)?;
        xml::validate_mac(&nic.mac).map_err(AgentError::invalid_argument)?;
        let Some(ip) = nic.ip.as_deref().filter(|i| !i.is_empty()) else {
            return Ok(None);
        };
        let ip = parse_ip("NIC address", ip)?;
        self.check_host("NIC address", ip)?;
        if ip == self.gateway {
            return Err(bad(format!(
                "NIC {} cannot have the gateway's address {ip}",
                nic.mac
            )));
        }
        Ok(Some(Lease {
            vm: vm.to_owned(),
            mac: nic.mac.to_ascii_lowercase(),
            ip,
        }))
    }

    /// The router's network namespace.
    pub fn netns(&self) -> String {
        netns_name(&self.bridge)
    }
}

/// `strato-r-<bridge>`; the bridge name is a validated interface name, so this is safe
/// as a file name under /run/netns.
pub fn netns_name(bridge: &str) -> String {
    format!("{NETNS_PREFIX}{bridge}")
}

/// A host name dnsmasq may give a VM in DNS: the VM name when it is a DNS label.
pub fn host_name(vm: &str) -> Option<&str> {
    (is_dns_name(vm) && !vm.contains('.')).then_some(vm)
}

/// The host ends of a router's veth pairs: (on the guest bridge, to the router's
/// public side). Short enough for any slot (`vr1048575g`).
pub fn host_ifs(slot: u32) -> (String, String) {
    (format!("vr{slot}g"), format!("vr{slot}p"))
}

/// The public link of slot `n`: (host side, router side), both /30.
pub fn link_addrs(slot: u32) -> (Ipv4Addr, Ipv4Addr) {
    let base = u32::from(LINK_NET) + slot * 4;
    (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use strato_agent_proto::DhcpSpec;

    fn net(bridge: Option<&str>, dhcp: Option<DhcpSpec>) -> NetworkSpec {
        NetworkSpec {
            isolation: Isolation::Vxlan { vni: 5001 },
            bridge: bridge.map(str::to_owned),
            physical_interface: None,
            mtu: None,
            dhcp,
        }
    }

    fn nic(ip: Option<&str>, mask: Option<&str>, gw: Option<&str>) -> NicSpec {
        NicSpec {
            device_id: 0,
            mac: "52:54:00:AA:00:01".into(),
            ip: ip.map(str::to_owned),
            netmask: mask.map(str::to_owned),
            gateway: gw.map(str::to_owned),
            network: net(None, None),
            default: true,
        }
    }

    #[test]
    fn derived_from_a_nic_or_from_the_dhcp_section() -> Result<(), AgentError> {
        let n = nic(Some("10.1.1.10"), Some("255.255.255.0"), Some("10.1.1.1"));
        let r = RouterSpec::for_network(&n.network, Some(&n))?.ok_or_else(|| bad("none".into()))?;
        assert_eq!(r.bridge, "brvx-5001");
        assert_eq!(r.netns(), "strato-r-brvx-5001");
        assert_eq!(r.cidr(), "10.1.1.0/24");
        assert_eq!(r.netmask(), Ipv4Addr::new(255, 255, 255, 0));
        let lease = r
            .lease("i-2-10-VM", &n)?
            .ok_or_else(|| bad("none".into()))?;
        assert_eq!(lease.mac, "52:54:00:aa:00:01");
        assert_eq!(lease.ip, Ipv4Addr::new(10, 1, 1, 10));

        let d = net(
            None,
            Some(DhcpSpec {
                network_uuid: "n1".into(),
                cidr: "10.9.0.0/16".into(),
                gateway: "10.9.0.1".into(),
                dns: vec!["8.8.8.8".into()],
                domain: Some("cs2cloud.internal".into()),
            }),
        );
        let r = RouterSpec::for_network(&d, None)?.ok_or_else(|| bad("none".into()))?;
        assert_eq!((r.prefix, r.dns.len()), (16, 1));
        // The zone's untagged bridge: its gateway lives outside the host.
        let mut shared = d.clone();
        shared.isolation = Isolation::Untagged;
        assert_eq!(RouterSpec::for_network(&shared, None)?, None);
        // No gateway anywhere: an L2 network, no router.
        assert_eq!(
            RouterSpec::for_network(&net(None, None), Some(&nic(Some("10.1.1.5"), None, None)))?,
            None
        );
        Ok(())
    }

    #[test]
    fn refuses_what_could_reach_a_tool_or_a_file() {
        let ok = nic(Some("10.1.1.10"), Some("255.255.255.0"), Some("10.1.1.1"));
        let mut n = ok.clone();
        n.network.bridge = Some("br;reboot".into());
        assert!(RouterSpec::for_network(&n.network, Some(&n)).is_err());
        for (ip, mask, gw) in [
            ("10.1.1.10", "255.0.255.0", "10.1.1.1"),
            ("10.1.1.10", "255.255.255.0", "10.1.1.1\ndhcp-range=0.0.0.0"),
            ("10.1.1.10", "255.255.255.0", "10.1.2.0"),
            ("10.1.1.10", "255.255.255.255", "10.1.1.1"),
        ] {
            let n = nic(Some(ip), Some(mask), Some(gw));
            assert!(
                RouterSpec::for_network(&n.network, Some(&n)).is_err(),
                "{ip} {mask} {gw}"
            );
        }
        let r = RouterSpec::for_network(&ok.network, Some(&ok))
            .ok()
            .flatten()
            .expect("router");
        for ip in ["10.1.2.10", "10.1.1.1", "10.1.1.255", "10.1.1.0", "x"] {
            assert!(r.lease("vm", &nic(Some(ip), None, None)).is_err(), "{ip}");
        }
        assert!(r.lease("vm;ls", &ok).is_err());
        let mut bad_mac = ok.clone();
        bad_mac.mac = "52:54:00:aa:00:01,10.0.0.9".into();
        assert!(r.lease("vm", &bad_mac).is_err());
    }

    #[test]
    fn names_and_link_addresses() {
        assert_eq!(host_ifs(0), ("vr0g".into(), "vr0p".into()));
        let (h, r) = link_addrs(3);
        assert_eq!(
            (h, r),
            (Ipv4Addr::new(100, 64, 0, 13), Ipv4Addr::new(100, 64, 0, 14))
        );
        let (h, _) = link_addrs(LINK_SLOTS - 1);
        assert_eq!(h, Ipv4Addr::new(100, 127, 255, 253));
        assert!(host_ifs(LINK_SLOTS - 1).0.len() <= 15);
        assert_eq!(host_name("i-2-10-VM"), Some("i-2-10-VM"));
        assert_eq!(host_name("a_b"), None);
        assert_eq!(mask_prefix("255.255.240.0").ok(), Some(20));
    }
}
