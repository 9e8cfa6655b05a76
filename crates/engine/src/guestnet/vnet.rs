//! Guest VLAN/VNI numbers of a physical network: the broadcast URI scheme its isolation
//! method gives, numbers an administrator names, and dynamic allocation from the
//! physical network's ranges (unique per physical network, enforced by `guest_vnet`'s key).

use std::collections::HashSet;

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::physical_network::PhysicalNetworkRow;

use super::{MAX_ATTEMPTS, insufficient_vnet_capacity};
use crate::handlers::physical_networks::stored_vnets;

/// How a physical network isolates guest networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Isolation {
    /// `broadcastdomaintype` of its networks.
    pub domain_type: &'static str,
    /// Scheme of their broadcast URIs.
    pub scheme: &'static str,
    pub max: u64,
}

const VLAN: Isolation = Isolation {
    domain_type: "Vlan",
    scheme: "vlan",
    max: 4095,
};
const VXLAN: Isolation = Isolation {
    domain_type: "Vxlan",
    scheme: "vxlan",
    max: 16_777_214,
};

/// The isolation of a physical network (VLAN when none is set, as in CloudStack).
pub fn isolation(pn: &PhysicalNetworkRow) -> Result<Isolation, ApiError> {
    let methods: Vec<&str> = pn
        .isolation_methods
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect();
    match methods.first().map(|m| m.to_ascii_uppercase()).as_deref() {
        None | Some("VLAN") => Ok(VLAN),
        Some("VXLAN") => Ok(VXLAN),
        Some(other) => Err(ApiError::param(format!(
            "Guest networks on physical network {} are not supported: its isolation method \
             {other} has no implementation here (use VLAN or VXLAN)",
            pn.uuid
        ))),
    }
}

/// The broadcast URI of number `vnet`.
pub fn uri(iso: Isolation, vnet: i64) -> String {
    format!("{}://{vnet}", iso.scheme)
}

pub const UNTAGGED_URI: &str = "vlan://untagged";

/// A `vlan` parameter: `100`, `vlan://100`, `vxlan://100` or `untagged` (None).
pub fn parse_requested(value: &str, iso: Isolation) -> Result<Option<i64>, ApiError> {
    let v = value.trim();
    let bare = v
        .strip_prefix("vlan://")
        .or_else(|| v.strip_prefix("vxlan://"))
        .unwrap_or(v);
    if bare.eq_ignore_ascii_case("untagged") {
        return Ok(None);
    }
    match bare.parse::<u64>() {
        Ok(n) if n <= iso.max => Ok(Some(n as i64)),
        _ => Err(ApiError::param(format!(
            "Invalid value {value} for parameter vlan: expected a {} id between 0 and {}, or \
             untagged",
            iso.domain_type.to_uppercase(),
            iso.max
        ))),
    }
}

/// True when `vnet` lies in the physical network's ranges for dynamic allocation.
pub fn in_dynamic_range(pn: &PhysicalNetworkRow, vnet: i64) -> bool {
    stored_vnets(pn)
        .iter()
        .any(|&(s, e)| (s..=e).contains(&(vnet as u64)))
}

/// Takes a number an administrator named for a network.
pub async fn take_requested(
    c: &mut Conn<'_>,
    pn: &PhysicalNetworkRow,
    vnet: i64,
    network_id: i64,
) -> Result<(), ApiError> {
    if c.take_vnet(pn.id, vnet, network_id, strato_schema::now())
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::param(format!(
            "Network with vlan {vnet} already exists on physical network {}",
            pn.uuid
        )))
    }
}

/// Up to `n` free numbers of the ranges, in order.
fn free_numbers(ranges: &[(u64, u64)], taken: &HashSet<i64>, n: usize) -> Vec<i64> {
    ranges
        .iter()
        .flat_map(|&(s, e)| s..=e)
        .map(|v| v as i64)
        .filter(|v| !taken.contains(v))
        .take(n)
        .collect()
}

/// The number a network holds, taking a free one from the physical network's ranges if
/// it holds none. A random pick among the first free numbers keeps concurrent
/// implementations from all racing for the same one.
pub async fn allocate(
    c: &mut Conn<'_>,
    pn: &PhysicalNetworkRow,
    network_id: i64,
) -> Result<i64, ApiError> {
    if let Some(v) = c.vnet_of_network(network_id).await? {
        return Ok(v);
    }
    let ranges = stored_vnets(pn);
    for _ in 0..MAX_ATTEMPTS {
        let taken: HashSet<i64> = c.taken_vnets(pn.id).await?.into_iter().collect();
        let free = free_numbers(&ranges, &taken, 32);
        if free.is_empty() {
            return Err(insufficient_vnet_capacity(format!(
                "Unable to allocate a guest VLAN/VNI: the ranges of physical network {} ({}) \
                 are all in use",
                pn.uuid,
                pn.vlan
                    .as_deref()
                    .unwrap_or("none set; add some with updatePhysicalNetwork")
            )));
        }
        let pick = free[rand::random_range(0..free.len())];
        if c.take_vnet(pn.id, pick, network_id, strato_schema::now())
            .await?
        {
            return Ok(pick);
        }
        if let Some(v) = c.vnet_of_network(network_id).await? {
            return Ok(v);
        }
    }
    Err(crate::handlers::concurrent_change(&format!(
        "The guest VLANs of physical network {}",
        pn.uuid
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_vlans() {
        assert_eq!(parse_requested("100", VLAN).expect("vlan"), Some(100));
        assert_eq!(parse_requested("vlan://7", VLAN).expect("vlan"), Some(7));
        assert_eq!(parse_requested("Untagged", VLAN).expect("vlan"), None);
        assert!(parse_requested("4096", VLAN).is_err());
        assert_eq!(
            parse_requested("vxlan://5000", VXLAN).expect("vni"),
            Some(5000)
        );
        assert!(parse_requested("x", VXLAN).is_err());
    }

    #[test]
    fn free_numbers_skip_taken_ones() {
        let taken: HashSet<i64> = [100, 101, 103].into_iter().collect();
        assert_eq!(
            free_numbers(&[(100, 104), (200, 200)], &taken, 10),
            vec![102, 104, 200]
        );
        assert_eq!(free_numbers(&[(100, 101)], &taken, 10), Vec::<i64>::new());
        assert_eq!(free_numbers(&[(1, 1000)], &taken, 2), vec![1, 2]);
    }
}
