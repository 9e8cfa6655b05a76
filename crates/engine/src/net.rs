//! IPv4 address and CIDR arithmetic used to validate gateways, netmasks and IP ranges.

use std::net::Ipv4Addr;

use strato_common::ApiError;

/// Parses an IPv4 address named by `param`.
pub fn ipv4(param: &str, value: &str) -> Result<Ipv4Addr, ApiError> {
    value.trim().parse().map_err(|_| {
        ApiError::param(format!(
            "Invalid value {value} for parameter {param}: not an IPv4 address"
        ))
    })
}

/// Parses a dotted netmask (255.255.255.0) into a prefix length, refusing non-contiguous masks.
pub fn netmask_prefix(param: &str, value: &str) -> Result<u8, ApiError> {
    let bits = u32::from(ipv4(param, value)?);
    let prefix = bits.leading_ones();
    if bits.checked_shl(prefix).unwrap_or(0) != 0 {
        return Err(ApiError::param(format!(
            "Invalid value {value} for parameter {param}: not a contiguous netmask"
        )));
    }
    Ok(prefix as u8)
}

pub fn prefix_mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    }
}

/// An IPv4 network: address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub network: Ipv4Addr,
    pub prefix: u8,
}

impl Cidr {
    pub fn from_gateway(gateway: Ipv4Addr, prefix: u8) -> Cidr {
        Cidr {
            network: Ipv4Addr::from(u32::from(gateway) & prefix_mask(prefix)),
            prefix,
        }
    }

    /// Parses `10.1.1.0/24`.
    pub fn parse(param: &str, value: &str) -> Result<Cidr, ApiError> {
        let bad = || {
            ApiError::param(format!(
                "Invalid value {value} for parameter {param}: expected a CIDR such as 10.1.1.0/24"
            ))
        };
        let (addr, len) = value.trim().split_once('/').ok_or_else(bad)?;
        let prefix: u8 = len.parse().map_err(|_| bad())?;
        if prefix > 32 {
            return Err(bad());
        }
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
        Ok(Cidr::from_gateway(addr, prefix))
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & prefix_mask(self.prefix) == u32::from(self.network)
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        let p = self.prefix.min(other.prefix);
        u32::from(self.network) & prefix_mask(p) == u32::from(other.network) & prefix_mask(p)
    }

    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(prefix_mask(self.prefix))
    }

    /// Last address before the broadcast address.
    pub fn last_usable(&self) -> Ipv4Addr {
        let broadcast = u32::from(self.network) | !prefix_mask(self.prefix);
        Ipv4Addr::from(broadcast.saturating_sub(1))
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// An inclusive address range checked to lie in `cidr`, start ≤ end.
pub fn range_in(cidr: &Cidr, start: Ipv4Addr, end: Ipv4Addr) -> Result<(), ApiError> {
    if u32::from(start) > u32::from(end) {
        return Err(ApiError::param(format!(
            "Invalid IP range {start}-{end}: the start address is after the end address"
        )));
    }
    for (name, ip) in [("startip", start), ("endip", end)] {
        if !cidr.contains(ip) {
            return Err(ApiError::param(format!(
                "Invalid value {ip} for parameter {name}: outside {cidr}"
            )));
        }
    }
    Ok(())
}

/// True when two inclusive ranges share an address.
pub fn ranges_overlap(a: (Ipv4Addr, Ipv4Addr), b: (Ipv4Addr, Ipv4Addr)) -> bool {
    u32::from(a.0) <= u32::from(b.1) && u32::from(b.0) <= u32::from(a.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_math() {
        let c = Cidr::parse("p", "192.168.1.77/24").expect("cidr");
        assert_eq!(c.to_string(), "192.168.1.0/24");
        assert!(c.contains("192.168.1.5".parse().expect("ip")));
        assert!(!c.contains("192.168.2.5".parse().expect("ip")));
        assert_eq!(c.last_usable().to_string(), "192.168.1.254");
        assert!(c.overlaps(&Cidr::parse("p", "192.168.0.0/16").expect("cidr")));
        assert_eq!(netmask_prefix("n", "255.255.255.0").expect("mask"), 24);
        assert!(netmask_prefix("n", "255.0.255.0").is_err());
        assert!(Cidr::parse("p", "1.2.3.4/33").is_err());
        assert!(ranges_overlap(
            (
                "10.0.0.1".parse().expect("ip"),
                "10.0.0.10".parse().expect("ip")
            ),
            (
                "10.0.0.10".parse().expect("ip"),
                "10.0.0.20".parse().expect("ip")
            )
        ));
    }
}
