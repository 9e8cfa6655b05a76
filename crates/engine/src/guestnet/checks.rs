//! Where a new network may go: an offering usable for it, a zone that takes its guest
//! type, and the physical network that will carry it.

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network_offering::NetworkOfferingRow;
use strato_schema::offering::OfferingKind;
use strato_schema::physical_network::{PhysicalNetworkFilter, PhysicalNetworkRow};
use strato_schema::sql::Page;
use strato_schema::zone::ZoneRow;

use super::create::NetworkOwner;
use super::{ISOLATED, L2, SHARED};

/// The guest type of a usable offering: Enabled, for guest traffic, not VPC-only, and
/// available to the owner in this zone.
pub async fn check_offering(
    c: &mut Conn<'_>,
    o: &NetworkOfferingRow,
    zone: &ZoneRow,
    owner: &NetworkOwner,
) -> Result<&'static str, ApiError> {
    let guest = match o.guest_type.as_deref() {
        Some(t) if t.eq_ignore_ascii_case(ISOLATED) => ISOLATED,
        Some(t) if t.eq_ignore_ascii_case(SHARED) => SHARED,
        Some(t) if t.eq_ignore_ascii_case(L2) => L2,
        _ => "",
    };
    if guest.is_empty() || o.system_only || o.traffic_type != "Guest" {
        return Err(ApiError::param(format!(
            "Network offering {} is not for guest networks",
            o.uuid
        )));
    }
    if o.state != "Enabled" {
        return Err(ApiError::param(format!(
            "Network offering {} is not in Enabled state",
            o.uuid
        )));
    }
    if o.for_vpc {
        return Err(ApiError::param(format!(
            "Network offering {} is for VPC tiers; VPCs are not supported yet",
            o.uuid
        )));
    }
    let zones = c.offering_zones(OfferingKind::Network, &[o.id]).await?;
    if !zones.is_empty() && !zones.iter().any(|z| z.id == zone.id) {
        return Err(ApiError::param(format!(
            "Network offering {} is not available in zone {}",
            o.uuid, zone.uuid
        )));
    }
    let domains = c.offering_domains(OfferingKind::Network, &[o.id]).await?;
    let path = owner.domain_path();
    if !domains.is_empty()
        && !domains
            .iter()
            .any(|d| d.path.as_deref().is_some_and(|p| path.starts_with(p)))
    {
        return Err(ApiError::permission(format!(
            "Network offering {} is not available to domain path {path}",
            o.uuid
        )));
    }
    Ok(guest)
}

pub fn check_zone(zone: &ZoneRow, guest: &str) -> Result<(), ApiError> {
    if zone.network_type == "Basic" && guest != SHARED {
        return Err(ApiError::param(format!(
            "Only Shared networks can be created in Basic zone {}",
            zone.name
        )));
    }
    if zone.security_group_enabled && guest == ISOLATED {
        return Err(ApiError::param(format!(
            "Isolated networks can't be created in zone {}: it has security groups enabled",
            zone.name
        )));
    }
    Ok(())
}

/// The physical network named, or the zone's one carrying Guest traffic (with the
/// offering's tag, when it has one).
pub async fn physical_network(
    c: &mut Conn<'_>,
    zone: &ZoneRow,
    given: Option<PhysicalNetworkRow>,
    offering: &NetworkOfferingRow,
) -> Result<PhysicalNetworkRow, ApiError> {
    let f = PhysicalNetworkFilter {
        zone_id: Some(zone.id),
        traffic_type: Some("Guest".into()),
        ..PhysicalNetworkFilter::default()
    };
    let (_, carriers) = c.list_physical_networks(&f, Page::ALL).await?;
    if let Some(pn) = given {
        if pn.zone_id != zone.id {
            return Err(ApiError::param(format!(
                "Physical network {} is not in zone {}",
                pn.uuid, zone.uuid
            )));
        }
        if !carriers.iter().any(|p| p.id == pn.id) {
            return Err(ApiError::param(format!(
                "Physical network {} carries no Guest traffic",
                pn.uuid
            )));
        }
        return Ok(pn);
    }
    let mut matching: Vec<PhysicalNetworkRow> = carriers
        .into_iter()
        .filter(|p| offering.tags.is_none() || p.tags == offering.tags)
        .collect();
    match matching.len() {
        0 => Err(ApiError::param(format!(
            "Unable to find a physical network with Guest traffic{} in zone {}",
            offering
                .tags
                .as_deref()
                .map(|t| format!(" and tag {t}"))
                .unwrap_or_default(),
            zone.name
        ))),
        1 => Ok(matching.remove(0)),
        _ => Err(ApiError::param(format!(
            "More than one physical network carries Guest traffic in zone {}; give \
             physicalnetworkid",
            zone.name
        ))),
    }
}
