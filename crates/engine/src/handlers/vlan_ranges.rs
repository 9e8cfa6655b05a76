//! createVlanIpRange, listVlanIpRanges, deleteVlanIpRange: public IP ranges of a zone and
//! their addresses (one `Free` row per address, written with the range), and direct
//! ranges of Shared guest networks ([`super::direct_ranges`]).
//!
//! Checks and messages follow CloudStack's `ConfigurationManagerImpl`
//! (`createVlanAndPublicIpRange`, `checkPublicIpRangeErrors`, `checkZoneVlanIpOverlap`,
//! `deleteVlanAndPublicIpRange`); overlap refusals also name the conflicting range.

use std::net::Ipv4Addr;

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::domain::display_path;
use strato_schema::physical_network::{PhysicalNetworkFilter, PhysicalNetworkRow};
use strato_schema::pod::PodFilter;
use strato_schema::sql::Page;
use strato_schema::vlan::{NewVlan, VlanFilter, VlanRow};
use strato_schema::zone::{InventoryTable, ZoneRow};

use super::direct_ranges::{
    adopt_subnet, check_in_network, check_unused, direct_network, direct_tag,
};
use super::physical_networks::stored_vnets;
use super::zones::zone_by_param;
use crate::net::{Cidr, ipv4, netmask_prefix, ranges_overlap};
use crate::{Ctx, paging};

const UNTAGGED: &str = "untagged";

/// The ranges' object: `vlan` for create, `vlaniprange` in lists.
pub fn vlan_obj(name: &str, v: &VlanRow) -> Obj {
    let cidr = match (&v.gateway, &v.netmask) {
        (Some(g), Some(m)) => match (ipv4("gateway", g), netmask_prefix("netmask", m)) {
            (Ok(g), Ok(p)) => Some(Cidr::from_gateway(g, p).to_string()),
            _ => None,
        },
        _ => None,
    };
    Obj::new(name)
        .str("id", &v.uuid)
        .bool("forvirtualnetwork", v.for_virtual_network)
        .str("zoneid", &v.zone_uuid)
        .str("vlan", &v.vlan_tag)
        .opt_str("podid", v.pod_uuid.clone())
        .opt_str("podname", v.pod_name.clone())
        .opt_str("gateway", v.gateway.clone())
        .opt_str("netmask", v.netmask.clone())
        .opt_str("cidr", cidr)
        .opt_str("startip", v.start_ip.clone())
        .opt_str("endip", v.end_ip.clone())
        .opt_str("physicalnetworkid", v.physical_network_uuid.clone())
        .opt_str("networkid", v.network_uuid.clone())
        .opt_str("account", v.account_name.clone())
        .opt_str("domainid", v.domain_uuid.clone())
        .opt_str("domain", v.domain_name.clone())
        .opt_str("domainpath", v.domain_path.as_deref().map(display_path))
        .bool("forsystemvms", v.for_system_vms)
}

/// The stored form of a VLAN parameter: `vlan://50`, or `vlan://untagged`.
fn vlan_tag(value: &str) -> Result<String, ApiError> {
    let v = value.trim();
    let id = v.strip_prefix("vlan://").unwrap_or(v);
    if id.eq_ignore_ascii_case(UNTAGGED) {
        return Ok(format!("vlan://{UNTAGGED}"));
    }
    match id.parse::<u32>() {
        Ok(n) if n <= 4095 => Ok(format!("vlan://{n}")),
        _ => Err(ApiError::param(format!(
            "Invalid value {value} for parameter vlan: expected a VLAN id (0-4095), vlan://<id> \
             or untagged"
        ))),
    }
}

/// The VLAN number of a stored tag; `None` for untagged.
fn vlan_number(tag: &str) -> Option<u64> {
    tag.strip_prefix("vlan://").unwrap_or(tag).parse().ok()
}

fn is_untagged(tag: &str) -> bool {
    tag.to_ascii_lowercase().contains(UNTAGGED)
}

/// The zone's single physical network carrying `traffic`.
async fn default_physical_network(
    conn: &mut Conn<'_>,
    zone: &ZoneRow,
    traffic: &str,
) -> Result<PhysicalNetworkRow, ApiError> {
    let f = PhysicalNetworkFilter {
        zone_id: Some(zone.id),
        traffic_type: Some(traffic.to_string()),
        ..PhysicalNetworkFilter::default()
    };
    let (_, mut found) = conn.list_physical_networks(&f, Page::ALL).await?;
    match found.len() {
        0 => Err(ApiError::param(format!(
            "Unable to find the default physical network with traffic={traffic} in the specified \
             zone id"
        ))
        .with_uuid(&zone.uuid, "zoneId")),
        1 => Ok(found.remove(0)),
        _ => Err(ApiError::param(format!(
            "More than one physical networks exist in zone id={} with traffic type={traffic}",
            zone.uuid
        ))
        .with_uuid(&zone.uuid, "zoneId")),
    }
}

fn conflict(text: &str, other: &VlanRow) -> ApiError {
    ApiError::param(format!(
        "{text} Conflicting range: {}-{} on {} (id {}).",
        other.start_ip.as_deref().unwrap_or("?"),
        other.end_ip.as_deref().unwrap_or("?"),
        other.vlan_tag,
        other.uuid
    ))
    .with_uuid(&other.uuid, "vlanId")
}

/// A new range against the zone's other ranges (CloudStack's `checkZoneVlanIpOverlap`):
/// subnets that overlap must be the same subnet on the same VLAN (or untagged), with
/// disjoint address ranges.
fn check_zone_overlap(
    zone: &ZoneRow,
    others: &[VlanRow],
    tag: &str,
    gateway: Ipv4Addr,
    netmask: &str,
    cidr: &Cidr,
    range: (Ipv4Addr, Ipv4Addr),
) -> Result<(), ApiError> {
    for other in others {
        let (Some(og), Some(om), Some(os), Some(oe)) = (
            other.gateway.as_deref(),
            other.netmask.as_deref(),
            other.start_ip.as_deref(),
            other.end_ip.as_deref(),
        ) else {
            continue;
        };
        let (Ok(og_ip), Ok(om_prefix)) = (ipv4("gateway", og), netmask_prefix("netmask", om))
        else {
            continue;
        };
        let theirs = Cidr::from_gateway(og_ip, om_prefix);
        if !theirs.overlaps(cidr) {
            continue;
        }
        let same_vlan =
            vlan_number(tag).is_some() && vlan_number(tag) == vlan_number(&other.vlan_tag);
        if is_untagged(tag) || same_vlan {
            if og_ip != gateway || om_prefix != cidr.prefix || om != netmask {
                return Err(conflict(
                    &format!(
                        "The IP range has already been added with gateway {og} ,and netmask {om}, \
                         Please specify the gateway/netmask if you want to extend ip range"
                    ),
                    other,
                ));
            }
            let (Ok(s), Ok(e)) = (ipv4("startip", os), ipv4("endip", oe)) else {
                continue;
            };
            if ranges_overlap(range, (s, e)) {
                return Err(conflict(
                    "The IP range already has IPs that overlap with the new range. Please \
                     specify a different start IP/end IP.",
                    other,
                ));
            }
        } else {
            return Err(conflict(
                &format!(
                    "The IP range with tag: {} in zone {} has overlapped with the subnet. Please \
                     specify a different gateway/netmask.",
                    other.vlan_tag, zone.name
                ),
                other,
            ));
        }
    }
    Ok(())
}

/// A new public range may not reuse the pods' reserved (private) addresses.
async fn check_private_overlap(
    conn: &mut Conn<'_>,
    zone_id: i64,
    range: (Ipv4Addr, Ipv4Addr),
) -> Result<(), ApiError> {
    let f = PodFilter {
        zone_id: Some(zone_id),
        ..PodFilter::default()
    };
    let (_, pods) = conn.list_pods(&f, Page::ALL).await?;
    let ids: Vec<i64> = pods.iter().map(|p| p.id).collect();
    for r in conn.pod_ranges(&ids).await? {
        let (Ok(s), Ok(e)) = (ipv4("startip", &r.start_ip), ipv4("endip", &r.end_ip)) else {
            continue;
        };
        if ranges_overlap(range, (s, e)) {
            return Err(ApiError::param(format!(
                "The Start IP and EndIP address range overlap with private IP :{s}:{e}"
            )));
        }
    }
    Ok(())
}

pub async fn create_vlan_ip_range(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let for_virtual_network = args.bool("forvirtualnetwork").unwrap_or(true);
    let for_system_vms = args.flag("forsystemvms");
    let account_name = args.str("account").filter(|a| !a.is_empty());
    if for_system_vms && account_name.is_some() {
        return Err(ApiError::param(
            "Account name should not be provided when ForSystemVMs is enabled",
        ));
    }
    let Some(start_text) = args.str("startip") else {
        if args.has("ip6cidr") {
            return Err(ApiError::param(
                "IPv6 public IP ranges are not supported yet; give startip (and endip) for an \
                 IPv4 range",
            ));
        }
        return Err(ApiError::param(
            "StartIP or IPv6 CIDR is missing in the parameters!",
        ));
    };
    if ["ip6cidr", "ip6gateway", "startipv6", "endipv6"]
        .iter()
        .any(|p| args.has(p))
    {
        return Err(ApiError::param(
            "IPv6 public IP ranges are not supported yet; leave out ip6cidr, ip6gateway, \
             startipv6 and endipv6",
        ));
    }
    let start = ipv4("startip", start_text)
        .map_err(|_| ApiError::param("Please specify a valid start IP"))?;
    let end = match args.str("endip") {
        Some(e) => {
            ipv4("endip", e).map_err(|_| ApiError::param("Please specify a valid end IP"))?
        }
        None => start,
    };

    let mut tx = ctx.engine.store.begin().await?;
    // Dedication: an account (with its domain) or a whole domain.
    let mut owner = None;
    let mut dedicated_domain = None;
    if let Some(domain_id) = args.uuid("domainid") {
        let domain = tx
            .c()
            .domain_by_uuid(domain_id)
            .await?
            .ok_or_else(|| ApiError::not_found("domainid", domain_id, "domain"))?;
        match account_name {
            Some(name) => {
                let account = tx
                    .c()
                    .account_by_name(domain.id, name)
                    .await?
                    .ok_or_else(|| ApiError::param("Please specify a valid account."))?;
                // A range owned by the system account is simply not dedicated.
                if account.id != 1 {
                    owner = Some(account);
                }
            }
            None => dedicated_domain = Some(domain),
        }
    }
    if let Some(network) = args.uuid("networkid")
        && for_virtual_network
    {
        return Err(ApiError::param(format!(
            "Unable to find network by id {network}"
        )));
    }
    let zone = match (args.uuid("zoneid"), args.uuid("physicalnetworkid")) {
        (Some(_), _) => zone_by_param(&mut tx.c(), &args, "zoneid").await?,
        (None, Some(pn)) => {
            let n =
                tx.c().physical_network_by_uuid(pn).await?.ok_or_else(|| {
                    ApiError::not_found("physicalnetworkid", pn, "physical network")
                })?;
            tx.c()
                .zone_by_id(n.zone_id)
                .await?
                .ok_or_else(|| ApiError::internal("zone vanished"))?
        }
        (None, None) => match args.uuid("networkid") {
            Some(id) if !for_virtual_network => {
                let n = tx
                    .c()
                    .network_by_uuid(id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("networkid", id, "network"))?;
                tx.c()
                    .zone_by_id(n.zone_id)
                    .await?
                    .ok_or_else(|| ApiError::internal("zone vanished"))?
            }
            _ => {
                return Err(ApiError::param(
                    "Please specify zoneid or physicalnetworkid for the IP range",
                ));
            }
        },
    };
    let advanced = zone.network_type == "Advanced";
    let network = match for_virtual_network {
        true => None,
        false => Some(direct_network(&mut tx.c(), &zone, &args).await?),
    };
    let physical = match args.uuid("physicalnetworkid") {
        Some(pn) => {
            let n = tx.c().physical_network_by_uuid(pn).await?.ok_or_else(|| {
                ApiError::param(format!("Unable to find Physical Network with id={pn}"))
            })?;
            if n.zone_id != zone.id {
                return Err(ApiError::param(format!(
                    "Physical network {pn} does not belong to zone {}",
                    zone.uuid
                )));
            }
            n
        }
        None => match network.as_ref().and_then(|n| n.physical_network_id) {
            Some(id) => tx
                .c()
                .physical_network_by_id(id)
                .await?
                .ok_or_else(|| ApiError::internal("physical network vanished"))?,
            None => default_physical_network(&mut tx.c(), &zone, "Public").await?,
        },
    };
    if let Some(n) = &network
        && n.physical_network_id != Some(physical.id)
    {
        return Err(ApiError::param(format!(
            "Physical network {} does not carry network {}",
            physical.uuid, n.uuid
        )));
    }
    if zone.security_group_enabled && advanced && for_virtual_network {
        return Err(ApiError::param(
            "Can't add virtual ip range into a zone with security group enabled",
        ));
    }
    check_private_overlap(&mut tx.c(), zone.id, (start, end)).await?;
    let pod_id = match args.uuid("podid") {
        Some(pod_id) => {
            let pod = super::pods::pod_in_zone(&mut tx.c(), pod_id, &zone).await?;
            if for_virtual_network || advanced {
                return Err(ApiError::param(
                    "Pod id can be specified only for the networks of type Guest in zone of type \
                     Basic",
                ));
            }
            Some(pod.id)
        }
        None => None,
    };
    let given_tag = args
        .str("vlan")
        .filter(|v| !v.trim().is_empty())
        .map(vlan_tag)
        .transpose()?;
    let tag = match (&network, given_tag) {
        (Some(n), given) => direct_tag(n, given)?,
        (None, Some(t)) => t,
        (None, None) => {
            return Err(ApiError::param(
                "Unable to determine vlan id or untagged vlan for public network",
            ));
        }
    };
    if (owner.is_some() || dedicated_domain.is_some()) && !advanced {
        return Err(ApiError::param(
            "Vlan owner can be defined only in the zone of type Advanced",
        ));
    }
    if let Some(n) = &network
        && (owner.is_some() || dedicated_domain.is_some())
    {
        return Err(ApiError::param(format!(
            "A direct IP range can't be dedicated: it belongs to network {}",
            n.uuid
        )));
    }
    let invalid_gateway = || ApiError::param("Please specify a valid gateway");
    let gateway_text = args.str("gateway").ok_or_else(invalid_gateway)?;
    let gateway = ipv4("gateway", gateway_text).map_err(|_| invalid_gateway())?;
    let invalid_netmask = || ApiError::param("Please specify a valid netmask");
    let netmask_text = args.str("netmask").ok_or_else(invalid_netmask)?.trim();
    let prefix = netmask_prefix("netmask", netmask_text).map_err(|_| invalid_netmask())?;
    let cidr = Cidr::from_gateway(gateway, prefix);
    if !cidr.contains(start) || !cidr.contains(end) {
        return Err(ApiError::param(
            "Please specify a valid IP range or valid netmask or valid gateway",
        ));
    }
    let tag_in_guest_range = vlan_number(&tag).is_some_and(|n| {
        stored_vnets(&physical)
            .iter()
            .any(|&(a, b)| (a..=b).contains(&n))
    });
    let guest_cidr = zone
        .guest_cidr
        .as_deref()
        .and_then(|g| Cidr::parse("guestcidraddress", g).ok());
    if tag_in_guest_range && guest_cidr.is_some_and(|g| g.overlaps(&cidr)) {
        return Err(ApiError::param(format!(
            "The new IP range you have specified has  overlapped with the guest network in \
             zone: {}along with existing Vlan also. Please specify a different gateway/netmask",
            zone.name
        )));
    }
    if u32::from(start) > u32::from(end) {
        return Err(ApiError::param("Please specify a valid IP range."));
    }
    if ranges_overlap((start, end), (gateway, gateway)) {
        return Err(ApiError::param(
            "The gateway ip should not be the part of the ip range being added.",
        ));
    }
    if let Some(n) = &network {
        check_in_network(&mut tx.c(), n, gateway, &cidr, (start, end)).await?;
    }
    let zone_ranges = VlanFilter {
        zone_id: Some(zone.id),
        ..VlanFilter::default()
    };
    let (_, others) = tx.c().list_vlans(&zone_ranges, Page::ALL).await?;
    check_zone_overlap(
        &zone,
        &others,
        &tag,
        gateway,
        netmask_text,
        &cidr,
        (start, end),
    )?;
    if tag_in_guest_range {
        return Err(ApiError::param(format!(
            "The VLAN tag {tag} is already being used for dynamic vlan allocation for the guest \
             network in zone {}",
            zone.name
        )));
    }

    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_vlan(
            &NewVlan {
                uuid: &uuid,
                zone_id: zone.id,
                pod_id,
                physical_network_id: Some(physical.id),
                network_id: network.as_ref().map(|n| n.id),
                vlan_tag: &tag,
                gateway: &gateway.to_string(),
                netmask: netmask_text,
                start_ip: &start.to_string(),
                end_ip: &end.to_string(),
                for_virtual_network,
                for_system_vms,
                account_id: owner.as_ref().map(|a| a.id),
                domain_id: owner
                    .as_ref()
                    .map(|a| a.domain_id)
                    .or(dedicated_domain.as_ref().map(|d| d.id)),
            },
            strato_schema::now(),
        )
        .await?;
    match &network {
        Some(n) => adopt_subnet(&mut tx.c(), n, gateway, &cidr).await?,
        None => insert_addresses(&mut tx.c(), id, zone.id, (start, end)).await?,
    }
    let v = tx
        .c()
        .vlan_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("IP range vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(vlan_obj("vlan", &v)))
}

/// One `Free` address row per address of a new public range.
async fn insert_addresses(
    c: &mut Conn<'_>,
    vlan_id: i64,
    zone_id: i64,
    (start, end): (Ipv4Addr, Ipv4Addr),
) -> Result<(), ApiError> {
    let addresses: Vec<(String, String)> = (u32::from(start)..=u32::from(end))
        .map(|a| {
            (
                uuid::Uuid::new_v4().to_string(),
                Ipv4Addr::from(a).to_string(),
            )
        })
        .collect();
    c.insert_public_ips(vlan_id, zone_id, &addresses)
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                // Another range with some of these addresses was added meanwhile.
                ApiError::param(
                    "The IP range already has IPs that overlap with the new range. Please \
                     specify a different start IP/end IP.",
                )
            } else {
                e.into()
            }
        })
}

pub async fn list_vlan_ip_ranges(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let network_id = match args.uuid("networkid") {
        Some(id) => Some(
            db.c()
                .network_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("networkid", id, "network"))?
                .id,
        ),
        None => None,
    };
    let zone_id = match args.uuid("zoneid") {
        Some(_) => Some(zone_by_param(&mut db.c(), &args, "zoneid").await?.id),
        None => None,
    };
    let pod_id = match args.uuid("podid") {
        Some(id) => Some(
            db.c()
                .pod_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("podid", id, "pod"))?
                .id,
        ),
        None => None,
    };
    let physical_network_id = match args.uuid("physicalnetworkid") {
        Some(id) => Some(
            db.c()
                .physical_network_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("physicalnetworkid", id, "physical network"))?
                .id,
        ),
        None => None,
    };
    let mut account_id = None;
    let mut domain_id = None;
    if let Some(d) = args.uuid("domainid") {
        let domain = db
            .c()
            .domain_by_uuid(d)
            .await?
            .ok_or_else(|| ApiError::not_found("domainid", d, "domain"))?;
        match args.str("account") {
            Some(name) => {
                let account = db
                    .c()
                    .account_by_name(domain.id, name)
                    .await?
                    .ok_or_else(|| ApiError::param(format!("Unable to find account {name}")))?;
                account_id = Some(account.id);
            }
            None => domain_id = Some(domain.id),
        }
    }
    let f = VlanFilter {
        uuid: args.uuid("id").map(str::to_string),
        zone_id,
        pod_id,
        physical_network_id,
        network_id,
        vlan_tag: args.str("vlan").map(vlan_tag).transpose()?,
        for_virtual_network: args.bool("forvirtualnetwork"),
        account_id,
        domain_id,
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = db.c().list_vlans(&f, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(|v| vlan_obj("vlaniprange", v)).collect(),
    ))
}

pub async fn delete_vlan_ip_range(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let id = args.required_str("id")?;
    let mut tx = ctx.engine.store.begin().await?;
    let v = tx
        .c()
        .vlan_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "IP range"))?;
    // Removed first: on PostgreSQL this waits for NIC allocations holding the range
    // (see `direct_ranges`), whose addresses the check below then sees. An error rolls
    // the removal back.
    if !tx
        .c()
        .remove_row(InventoryTable::Vlan, v.id, strato_schema::now())
        .await?
    {
        return Err(ApiError::not_found("id", id, "IP range"));
    }
    if let Some(network_id) = v.network_id {
        check_unused(&mut tx.c(), &v, network_id).await?;
    }
    let used = tx.c().count_used_ips(v.id).await?;
    if used > 0 {
        return Err(
            ApiError::param(format!("{used}  Ips are in use. Cannot delete this vlan"))
                .with_uuid(&v.uuid, "vlanId"),
        );
    }
    tx.c().delete_public_ips(v.id).await?;
    tx.commit().await?;
    Ok(Reply::success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlan_tags_are_stored_as_uris() {
        assert_eq!(vlan_tag("50").expect("tag"), "vlan://50");
        assert_eq!(vlan_tag("vlan://50").expect("tag"), "vlan://50");
        assert_eq!(vlan_tag("Untagged").expect("tag"), "vlan://untagged");
        assert!(vlan_tag("5000").is_err());
        assert!(vlan_tag("abc").is_err());
        assert_eq!(vlan_number("vlan://50"), Some(50));
        assert_eq!(vlan_number("vlan://untagged"), None);
    }
}
