//! Direct IP ranges (createVlanIpRange with forvirtualnetwork=false): ranges of a Shared
//! guest network whose addresses go to its NICs (no `public_ip` rows). The first range
//! of a network created without addressing (a Basic zone's) gives it its subnet; later
//! ranges must lie in that subnet.

use std::net::Ipv4Addr;

use strato_api::params::Args;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network::{NetworkFilter, NetworkRow};
use strato_schema::sql::Page;
use strato_schema::vlan::VlanRow;
use strato_schema::zone::ZoneRow;

use super::concurrent_change;
use crate::guestnet::{self, LIVE_STATES, SHARED};
use crate::net::{Cidr, ipv4, netmask_prefix, ranges_overlap};

/// The stored tag of an untagged range or network.
const UNTAGGED_TAG: &str = "vlan://untagged";

/// The Shared network a direct range goes to: `networkid`, or in a Basic zone without
/// it the zone's Shared guest network. Its row is locked for the rest of the
/// transaction (ranges of one network are added and removed one at a time) and read
/// again under the lock.
pub async fn direct_network(
    c: &mut Conn<'_>,
    zone: &ZoneRow,
    args: &Args,
) -> Result<NetworkRow, ApiError> {
    let network = match args.uuid("networkid") {
        Some(id) => {
            let n = c
                .network_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("networkid", id, "network"))?;
            if n.guest_type != SHARED {
                return Err(ApiError::param(format!(
                    "Can't create direct vlan for network id={id} with type: {}",
                    n.guest_type
                ))
                .with_uuid(&n.uuid, "networkId"));
            }
            if n.zone_id != zone.id {
                return Err(ApiError::param(format!(
                    "Network id={id} doesn't belong to zone id={}",
                    zone.uuid
                )));
            }
            n
        }
        None if zone.network_type == "Advanced" => {
            return Err(ApiError::param(
                "Nework id is required for Direct vlan creation ",
            ));
        }
        None => zone_shared_network(c, zone).await?,
    };
    if !LIVE_STATES.contains(&network.state.as_str()) || !c.lock_network(network.id).await? {
        return Err(ApiError::param(format!(
            "Network {} is being deleted; it takes no IP ranges",
            network.uuid
        )));
    }
    c.network_by_id(network.id)
        .await?
        .ok_or_else(|| ApiError::internal("network vanished"))
}

/// The Shared guest network of a Basic zone.
async fn zone_shared_network(c: &mut Conn<'_>, zone: &ZoneRow) -> Result<NetworkRow, ApiError> {
    let f = NetworkFilter {
        zone_id: Some(zone.id),
        guest_type: Some(SHARED.into()),
        traffic_type: Some("Guest".into()),
        states: LIVE_STATES.iter().map(|s| s.to_string()).collect(),
        ..NetworkFilter::default()
    };
    let (_, found) = c.list_networks(&f, Page::ALL).await?;
    found.into_iter().next().ok_or_else(|| {
        ApiError::param(format!(
            "Unable to find network with trafficType Guest and guestType Shared in zone {}",
            zone.uuid
        ))
    })
}

/// The VLAN of a direct range: the network's (untagged when it has none); a `vlan`
/// given (already in stored form) must name it.
pub fn direct_tag(n: &NetworkRow, given: Option<String>) -> Result<String, ApiError> {
    let own = n
        .broadcast_uri
        .clone()
        .unwrap_or_else(|| UNTAGGED_TAG.to_string());
    match given {
        Some(g) if !g.eq_ignore_ascii_case(&own) => Err(ApiError::param(format!(
            "Invalid value {g} for parameter vlan: network {} is on {own}",
            n.uuid
        ))),
        _ => Ok(own),
    }
}

/// A direct range against its network: the network's gateway and netmask when it has a
/// subnet, else a subnet no other untagged network of its physical network overlaps;
/// never the network's own start..end range.
pub async fn check_in_network(
    c: &mut Conn<'_>,
    n: &NetworkRow,
    gateway: Ipv4Addr,
    cidr: &Cidr,
    range: (Ipv4Addr, Ipv4Addr),
) -> Result<(), ApiError> {
    match (n.gateway.as_deref(), n.netmask.as_deref()) {
        (Some(g), Some(m)) => {
            let same = ipv4("gateway", g).is_ok_and(|g| g == gateway)
                && netmask_prefix("netmask", m).is_ok_and(|p| p == cidr.prefix);
            if !same {
                return Err(ApiError::param(format!(
                    "The gateway and netmask of the range must be those of network {}: \
                     gateway {g}, netmask {m}",
                    n.uuid
                ))
                .with_uuid(&n.uuid, "networkId"));
            }
        }
        _ if n.broadcast_uri.as_deref().is_none_or(|u| u == UNTAGGED_TAG) => {
            if let Some(pn) = n.physical_network_id {
                guestnet::check_untagged_subnet(c, pn, cidr, Some(n.id)).await?;
            }
        }
        _ => {}
    }
    if let (Some(s), Some(e)) = (n.start_ip.as_deref(), n.end_ip.as_deref())
        && ranges_overlap(range, (ipv4("startip", s)?, ipv4("endip", e)?))
    {
        return Err(ApiError::param(format!(
            "The IP range already has IPs that overlap with the new range: network {} has \
             {s}-{e}. Please specify a different start IP/end IP.",
            n.uuid
        ))
        .with_uuid(&n.uuid, "networkId"));
    }
    Ok(())
}

/// Gives a network without a subnet the one of its first direct range.
pub async fn adopt_subnet(
    c: &mut Conn<'_>,
    n: &NetworkRow,
    gateway: Ipv4Addr,
    cidr: &Cidr,
) -> Result<(), ApiError> {
    if n.gateway.is_some() {
        return Ok(());
    }
    let set = c
        .set_network_subnet(
            n.id,
            &cidr.to_string(),
            &gateway.to_string(),
            &cidr.netmask().to_string(),
        )
        .await?;
    if set {
        Ok(())
    } else {
        Err(concurrent_change(&format!("Network {}", n.uuid)))
    }
}

/// A direct range may go only while no live NIC of its network holds one of its
/// addresses.
pub async fn check_unused(c: &mut Conn<'_>, v: &VlanRow, network_id: i64) -> Result<(), ApiError> {
    let (Some(s), Some(e)) = (v.start_ip.as_deref(), v.end_ip.as_deref()) else {
        return Ok(());
    };
    c.lock_network(network_id).await?;
    let range = (ipv4("startip", s)?, ipv4("endip", e)?);
    let used = guestnet::addresses_in_use(c, network_id, range).await?;
    if used > 0 {
        return Err(
            ApiError::param(format!("{used}  Ips are in use. Cannot delete this vlan"))
                .with_uuid(&v.uuid, "vlanId"),
        );
    }
    Ok(())
}
