//! The IPv4 side of a new network: its CIDR, gateway and the range NICs draw from, and
//! its DNS domain, checked as CloudStack checks them.

use std::net::Ipv4Addr;

use strato_common::ApiError;

use crate::net::{Cidr, ipv4, netmask_prefix, range_in, ranges_overlap};

/// Addressing of a network with IPs (not L2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPlan {
    pub cidr: Cidr,
    pub gateway: Ipv4Addr,
    pub start: Ipv4Addr,
    pub end: Ipv4Addr,
}

/// What the caller gave.
#[derive(Clone, Copy, Debug, Default)]
pub struct IpInput<'a> {
    pub gateway: Option<&'a str>,
    pub netmask: Option<&'a str>,
    pub start_ip: Option<&'a str>,
    pub end_ip: Option<&'a str>,
}

impl IpInput<'_> {
    pub fn is_empty(&self) -> bool {
        self.gateway.is_none()
            && self.netmask.is_none()
            && self.start_ip.is_none()
            && self.end_ip.is_none()
    }
}

/// True for RFC 1918 addresses, the only ones CloudStack accepts for guest CIDRs.
fn is_private(c: &Cidr) -> bool {
    [
        Cidr::from_gateway(Ipv4Addr::new(10, 0, 0, 0), 8),
        Cidr::from_gateway(Ipv4Addr::new(172, 16, 0, 0), 12),
        Cidr::from_gateway(Ipv4Addr::new(192, 168, 0, 0), 16),
    ]
    .iter()
    .any(|p| p.prefix <= c.prefix && p.overlaps(c))
}

/// The CIDR from `gateway` + `netmask`, or `default` (the zone's guest CIDR, whose
/// first address becomes the gateway).
fn cidr_and_gateway(
    input: &IpInput<'_>,
    default: Option<Cidr>,
) -> Result<(Cidr, Ipv4Addr), ApiError> {
    match (input.gateway, input.netmask) {
        (Some(g), Some(m)) => {
            let gateway = ipv4("gateway", g)?;
            Ok((
                Cidr::from_gateway(gateway, netmask_prefix("netmask", m)?),
                gateway,
            ))
        }
        (None, None) => {
            let cidr = default.ok_or_else(|| {
                ApiError::param(
                    "gateway and netmask are required: the zone has no guest CIDR to default to",
                )
            })?;
            Ok((cidr, Ipv4Addr::from(u32::from(cidr.network) + 1)))
        }
        _ => Err(ApiError::param(
            "gateway and netmask must be given together",
        )),
    }
}

/// True when a network is created without addressing: a Shared network of a Basic zone
/// given no gateway, netmask or range gets its subnet and addresses from direct ranges
/// (createVlanIpRange with forvirtualnetwork=false) added later.
pub fn addressing_from_ranges(input: &IpInput<'_>, shared: bool, basic_zone: bool) -> bool {
    shared && basic_zone && input.is_empty()
}

/// Plans the addressing of a network. `shared` networks need gateway, netmask and
/// startip (unless [`addressing_from_ranges`]); others default to `zone_cidr`, and take
/// startip/endip only when the offering says `specifyipranges`.
pub fn plan(
    input: &IpInput<'_>,
    shared: bool,
    specify_ip_ranges: bool,
    zone_cidr: Option<Cidr>,
) -> Result<IpPlan, ApiError> {
    if shared && (input.gateway.is_none() || input.netmask.is_none()) {
        return Err(ApiError::param(
            "gateway and netmask are required for Shared networks",
        ));
    }
    if shared && input.start_ip.is_none() {
        return Err(ApiError::param("startip is required for Shared networks"));
    }
    if !specify_ip_ranges && (input.start_ip.is_some() || input.end_ip.is_some()) {
        return Err(ApiError::param(
            "startip and endip can only be given when the network offering has \
             specifyipranges=true",
        ));
    }
    let (cidr, gateway) = cidr_and_gateway(input, zone_cidr)?;
    if cidr.prefix > 30 {
        return Err(ApiError::param(format!(
            "Invalid value {} for parameter netmask: a /{} network leaves no address for guests",
            cidr.netmask(),
            cidr.prefix
        )));
    }
    let first = Ipv4Addr::from(u32::from(cidr.network) + 1);
    let last = cidr.last_usable();
    if !cidr.contains(gateway) || u32::from(gateway) < u32::from(first) || gateway > last {
        return Err(ApiError::param(format!(
            "Invalid value {gateway} for parameter gateway: not a host address of {cidr}"
        )));
    }
    if !shared && !is_private(&cidr) {
        return Err(ApiError::param(format!(
            "Invalid guest network {cidr}: Isolated and L2 guest networks must use private \
             (RFC 1918) addresses"
        )));
    }
    let (start, end) = match input.start_ip {
        Some(s) => {
            let start = ipv4("startip", s)?;
            let end = input.end_ip.map(|e| ipv4("endip", e)).transpose()?;
            (start, end.unwrap_or(start))
        }
        None => (first, last),
    };
    if input.start_ip.is_some() {
        range_in(&cidr, start, end)?;
        if ranges_overlap((start, end), (gateway, gateway)) {
            return Err(ApiError::param(
                "The gateway ip should not be the part of the ip range being added.",
            ));
        }
    }
    Ok(IpPlan {
        cidr,
        gateway,
        start,
        end,
    })
}

/// A DNS domain: dot-separated labels of letters, digits and hyphens (not at either end
/// of a label), at most 63 characters each and 190 in all.
pub fn check_network_domain(value: &str) -> Result<(), ApiError> {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if value.len() <= 190 && value.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(ApiError::param(format!(
            "Invalid value {value} for parameter networkdomain: labels of letters, digits and \
             hyphens (not first or last), 1-63 characters each, 190 in all"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Option<Cidr> {
        Some(Cidr::parse("guestcidraddress", "10.1.1.0/24").expect("cidr"))
    }

    #[test]
    fn isolated_defaults_to_the_zone_cidr() {
        let p = plan(&IpInput::default(), false, false, zone()).expect("plan");
        assert_eq!(p.cidr.to_string(), "10.1.1.0/24");
        assert_eq!(p.gateway.to_string(), "10.1.1.1");
        assert_eq!(p.start.to_string(), "10.1.1.1");
        assert_eq!(p.end.to_string(), "10.1.1.254");
    }

    #[test]
    fn custom_cidrs_must_be_private_and_hold_guests() {
        let input = |g, m| IpInput {
            gateway: Some(g),
            netmask: Some(m),
            ..IpInput::default()
        };
        let p = plan(&input("192.168.5.1", "255.255.255.192"), false, false, None).expect("plan");
        assert_eq!(p.cidr.to_string(), "192.168.5.0/26");
        assert_eq!(p.end.to_string(), "192.168.5.62");
        assert!(plan(&input("8.8.8.1", "255.255.255.0"), false, false, None).is_err());
        assert!(plan(&input("10.0.0.1", "255.255.255.252"), false, false, None).is_ok());
        assert!(plan(&input("10.0.0.1", "255.255.255.254"), false, false, None).is_err());
        assert!(plan(&input("10.0.0.0", "255.255.255.0"), false, false, None).is_err());
        let half = IpInput {
            gateway: Some("10.0.0.1"),
            ..IpInput::default()
        };
        assert!(plan(&half, false, false, zone()).is_err());
    }

    #[test]
    fn shared_networks_need_a_range_without_the_gateway() {
        let mut input = IpInput {
            gateway: Some("172.30.0.1"),
            netmask: Some("255.255.255.0"),
            start_ip: Some("172.30.0.10"),
            end_ip: Some("172.30.0.20"),
        };
        let p = plan(&input, true, true, None).expect("plan");
        assert_eq!(
            (p.start.to_string(), p.end.to_string()),
            ("172.30.0.10".into(), "172.30.0.20".into())
        );
        input.start_ip = Some("172.30.0.1");
        assert!(plan(&input, true, true, None).is_err());
        input.start_ip = Some("172.30.1.5");
        assert!(plan(&input, true, true, None).is_err());
        input.start_ip = None;
        assert!(plan(&input, true, true, None).is_err());
        // Ranges only with specifyipranges.
        let ranged = IpInput {
            start_ip: Some("10.1.1.5"),
            ..IpInput::default()
        };
        assert!(plan(&ranged, false, false, zone()).is_err());
        assert!(plan(&ranged, false, true, zone()).is_ok());
    }

    #[test]
    fn only_basic_zone_shared_networks_wait_for_ranges() {
        let empty = IpInput::default();
        assert!(addressing_from_ranges(&empty, true, true));
        assert!(!addressing_from_ranges(&empty, true, false));
        assert!(!addressing_from_ranges(&empty, false, true));
        let half = IpInput {
            gateway: Some("10.0.0.1"),
            ..IpInput::default()
        };
        assert!(!addressing_from_ranges(&half, true, true));
    }

    #[test]
    fn network_domains() {
        assert!(check_network_domain("cs2sandbox.simulator").is_ok());
        assert!(check_network_domain("a-b.c").is_ok());
        for bad in ["", "-a.b", "a..b", "a_b.c", "a b"] {
            assert!(check_network_domain(bad).is_err(), "{bad}");
        }
    }
}
