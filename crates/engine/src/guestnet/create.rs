//! Creating a guest network: the offering, zone and physical network checks, the VLAN an
//! administrator may name, the addressing, the DNS domain, and the row itself.

use std::net::Ipv4Addr;

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::domain::DomainRow;
use strato_schema::network::{NetworkFilter, NetworkRow, NewNetwork};
use strato_schema::network_offering::NetworkOfferingRow;
use strato_schema::physical_network::PhysicalNetworkRow;
use strato_schema::sql::Page;
use strato_schema::vlan::VlanFilter;
use strato_schema::zone::ZoneRow;

use super::addressing::{IpInput, addressing_from_ranges, check_network_domain, plan};
use super::checks::{check_offering, check_zone, physical_network};
use super::vnet::{self, Isolation, UNTAGGED_URI};
use super::{ALLOCATED, IMPLEMENTED, L2, LIVE_STATES, SHARED};
use crate::Engine;
use crate::limits::{self, ResourceType};
use crate::net::{Cidr, ipv4, ranges_overlap};

/// The system account owns networks shared in a domain, as in CloudStack.
const SYSTEM_ACCOUNT: i64 = 1;

/// Who a new network belongs to.
pub enum NetworkOwner {
    /// An account's own network (ACL type Account).
    Account(AccountRow),
    /// A network shared by every account of a domain (ACL type Domain), and of its
    /// sub-domains when `subdomain_access`.
    Domain {
        domain: DomainRow,
        subdomain_access: bool,
    },
}

impl NetworkOwner {
    pub fn domain_path(&self) -> &str {
        match self {
            NetworkOwner::Account(a) => &a.domain_path,
            NetworkOwner::Domain { domain, .. } => &domain.path,
        }
    }
}

/// A network to create, with the caller's parameters (already authorized).
pub struct NewGuestNetwork<'a> {
    /// The uuid to give it (a saga's pre-generated id); a random one when None.
    pub uuid: Option<&'a str>,
    pub name: &'a str,
    pub display_text: Option<&'a str>,
    pub offering: &'a NetworkOfferingRow,
    pub zone: &'a ZoneRow,
    pub owner: &'a NetworkOwner,
    pub physical_network: Option<PhysicalNetworkRow>,
    pub ip: IpInput<'a>,
    pub vlan: Option<&'a str>,
    pub network_domain: Option<&'a str>,
    pub dns1: Option<&'a str>,
    pub dns2: Option<&'a str>,
    pub display_network: bool,
}

/// The VLAN named for the network: Some(Some(n)) for a number, Some(None) for untagged,
/// None when it is left to dynamic allocation.
fn requested_vlan(
    req: &NewGuestNetwork<'_>,
    guest: &str,
    iso: Result<Isolation, ApiError>,
) -> Result<Option<Option<i64>>, ApiError> {
    let o = req.offering;
    let given = req.vlan.map(str::trim).filter(|v| !v.is_empty());
    if !o.specify_vlan {
        if given.is_some() {
            return Err(ApiError::param(format!(
                "Can't specify vlan: network offering {} has specifyvlan=false",
                o.uuid
            )));
        }
        return Ok(None);
    }
    let Some(v) = given else {
        return if guest == SHARED {
            Ok(Some(None))
        } else {
            Err(ApiError::param(format!(
                "vlan is required: network offering {} has specifyvlan=true",
                o.uuid
            )))
        };
    };
    let parsed = vnet::parse_requested(v, iso?)?;
    if parsed.is_none() && guest != SHARED {
        return Err(ApiError::param(
            "Invalid value untagged for parameter vlan: only Shared networks can be untagged",
        ));
    }
    Ok(Some(parsed))
}

/// A named VLAN may not be one the physical network hands out dynamically, nor one
/// carrying a public IP range of the zone.
async fn check_named_vlan(
    c: &mut Conn<'_>,
    zone: &ZoneRow,
    pn: &PhysicalNetworkRow,
    vlan: i64,
) -> Result<(), ApiError> {
    if vnet::in_dynamic_range(pn, vlan) {
        return Err(ApiError::param(format!(
            "The VLAN tag {vlan} is already being used for dynamic vlan allocation for the \
             guest network in zone {}",
            zone.name
        )));
    }
    let f = VlanFilter {
        zone_id: Some(zone.id),
        vlan_tag: Some(format!("vlan://{vlan}")),
        for_virtual_network: Some(true),
        ..VlanFilter::default()
    };
    if c.list_vlans(&f, Page::ALL).await?.0 > 0 {
        return Err(ApiError::param(format!(
            "The VLAN tag {vlan} carries a public IP range of zone {}",
            zone.name
        )));
    }
    Ok(())
}

/// A Shared network's addresses may not overlap the zone's IP ranges.
async fn check_range_overlap(
    c: &mut Conn<'_>,
    zone: &ZoneRow,
    range: (Ipv4Addr, Ipv4Addr),
) -> Result<(), ApiError> {
    let f = VlanFilter {
        zone_id: Some(zone.id),
        ..VlanFilter::default()
    };
    for r in c.list_vlans(&f, Page::ALL).await?.1 {
        let (Some(s), Some(e)) = (r.start_ip.as_deref(), r.end_ip.as_deref()) else {
            continue;
        };
        if ranges_overlap(range, (ipv4("startip", s)?, ipv4("endip", e)?)) {
            return Err(ApiError::param(format!(
                "The range {}-{} overlaps the IP range {s}-{e} of zone {}",
                range.0, range.1, zone.name
            ))
            .with_uuid(&r.uuid, "vlanId"));
        }
    }
    Ok(())
}

/// The subnet of an untagged Shared network may not overlap the subnet of another
/// untagged network of the physical network (`except` itself).
pub async fn check_untagged_subnet(
    c: &mut Conn<'_>,
    physical_network_id: i64,
    cidr: &Cidr,
    except: Option<i64>,
) -> Result<(), ApiError> {
    let f = NetworkFilter {
        physical_network_id: Some(physical_network_id),
        broadcast_uris: vec![UNTAGGED_URI.into()],
        states: LIVE_STATES.iter().map(|s| s.to_string()).collect(),
        ..NetworkFilter::default()
    };
    for other in c.list_networks(&f, Page::ALL).await?.1 {
        if Some(other.id) == except {
            continue;
        }
        let theirs = other.cidr.as_deref().map(|t| Cidr::parse("cidr", t));
        if let Some(Ok(theirs)) = theirs
            && theirs.overlaps(cidr)
        {
            return Err(ApiError::param(format!(
                "The subnet {cidr} overlaps {theirs} of untagged network {} on the same \
                 physical network",
                other.uuid
            ))
            .with_uuid(&other.uuid, "networkId"));
        }
    }
    Ok(())
}

/// The DNS domain: the one given (only with a Dns service), else for account networks
/// the account's, its domain's, or `cs<account id in hex><zone or global suffix>`.
async fn network_domain(
    c: &mut Conn<'_>,
    engine: &Engine,
    req: &NewGuestNetwork<'_>,
) -> Result<Option<String>, ApiError> {
    let has_dns = c
        .network_offering_services(&[req.offering.id])
        .await?
        .iter()
        .any(|s| s.service == "Dns");
    if let Some(d) = req.network_domain.map(str::trim).filter(|d| !d.is_empty()) {
        if !has_dns {
            return Err(ApiError::param(format!(
                "networkdomain can't be set: network offering {} has no Dns service",
                req.offering.uuid
            )));
        }
        check_network_domain(d)?;
        return Ok(Some(d.to_string()));
    }
    if !has_dns {
        return Ok(None);
    }
    Ok(match req.owner {
        NetworkOwner::Account(a) => {
            let domain = c.domain_by_id(a.domain_id).await?;
            let suffix = req
                .zone
                .network_domain
                .clone()
                .unwrap_or_else(|| engine.settings.get("guest.domain.suffix"));
            a.network_domain
                .clone()
                .or(domain.and_then(|d| d.network_domain))
                .or(Some(format!("cs{:x}{suffix}", a.id)))
        }
        NetworkOwner::Domain { domain, .. } => domain.network_domain.clone(),
    })
}

/// Creates the network: Allocated, or Implemented at once for Shared networks. A VLAN
/// named by an administrator is taken now (unique per physical network). An account's
/// network counts against its network limit (535 when over it).
pub async fn create_network(
    c: &mut Conn<'_>,
    engine: &Engine,
    req: &NewGuestNetwork<'_>,
) -> Result<NetworkRow, ApiError> {
    let guest = check_offering(c, req.offering, req.zone, req.owner).await?;
    check_zone(req.zone, guest)?;
    let pn = physical_network(c, req.zone, req.physical_network.clone(), req.offering).await?;
    let iso = vnet::isolation(&pn);
    let vlan = requested_vlan(req, guest, iso.clone())?;
    if let Some(Some(n)) = vlan {
        check_named_vlan(c, req.zone, &pn, n).await?;
    }
    let basic = req.zone.network_type == "Basic";
    let addressing = if addressing_from_ranges(&req.ip, guest == SHARED, basic) {
        None
    } else if guest == L2 {
        if !req.ip.is_empty() {
            return Err(ApiError::param(
                "L2 networks have no IP addresses: leave out gateway, netmask, startip and endip",
            ));
        }
        None
    } else {
        let zone_cidr = req
            .zone
            .guest_cidr
            .as_deref()
            .map(|g| Cidr::parse("guestcidraddress", g))
            .transpose()?;
        let p = plan(
            &req.ip,
            guest == SHARED,
            req.offering.specify_ip_ranges,
            zone_cidr,
        )?;
        if guest == SHARED {
            check_range_overlap(c, req.zone, (p.start, p.end)).await?;
            if vlan == Some(None) {
                check_untagged_subnet(c, pn.id, &p.cidr, None).await?;
            }
        }
        Some(p)
    };
    for (param, v) in [("dns1", req.dns1), ("dns2", req.dns2)] {
        if let Some(v) = v {
            ipv4(param, v)?;
        }
    }
    let network_domain = network_domain(c, engine, req).await?;
    let (domain_type, uri) = match vlan {
        Some(Some(n)) => {
            let iso = iso?;
            (iso.domain_type, Some(vnet::uri(iso, n)))
        }
        Some(None) => ("Vlan", Some(UNTAGGED_URI.to_string())),
        None => (iso?.domain_type, None),
    };
    let (acl, account_id, domain_id, subdomain) = match req.owner {
        NetworkOwner::Account(a) => ("Account", a.id, a.domain_id, None),
        NetworkOwner::Domain {
            domain,
            subdomain_access,
        } => ("Domain", SYSTEM_ACCOUNT, domain.id, Some(*subdomain_access)),
    };
    let text = |v: Option<std::net::Ipv4Addr>| v.map(|a| a.to_string());
    let cidr = addressing.map(|p| p.cidr.to_string());
    let gateway = text(addressing.map(|p| p.gateway));
    let netmask = text(addressing.map(|p| p.cidr.netmask()));
    let start = text(addressing.map(|p| p.start));
    let end = text(addressing.map(|p| p.end));
    let uuid = req
        .uuid
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    let id = c
        .insert_network(
            &NewNetwork {
                uuid: &uuid,
                name: req.name,
                display_text: req.display_text.unwrap_or(req.name),
                zone_id: req.zone.id,
                physical_network_id: Some(pn.id),
                network_offering_id: req.offering.id,
                guest_type: guest,
                traffic_type: "Guest",
                acl_type: acl,
                account_id,
                domain_id,
                subdomain_access: subdomain,
                cidr: cidr.as_deref(),
                gateway: gateway.as_deref(),
                netmask: netmask.as_deref(),
                start_ip: start.as_deref(),
                end_ip: end.as_deref(),
                broadcast_domain_type: domain_type,
                broadcast_uri: uri.as_deref(),
                network_domain: network_domain.as_deref(),
                dns1: req.dns1,
                dns2: req.dns2,
                state: if guest == SHARED {
                    IMPLEMENTED
                } else {
                    ALLOCATED
                },
                display_network: req.display_network,
            },
            strato_schema::now(),
        )
        .await?;
    if let Some(Some(n)) = vlan {
        vnet::take_requested(c, &pn, n, id).await?;
    }
    if let NetworkOwner::Account(a) = req.owner {
        limits::reserve(c, a.id, &[(ResourceType::Network, 1)]).await?;
    }
    c.network_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("network vanished"))
}
