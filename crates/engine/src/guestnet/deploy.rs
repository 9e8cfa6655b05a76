//! The network a VM lands on when its deploy names none.

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::network::{NetworkFilter, NetworkOwners, NetworkRow};
use strato_schema::network_offering::NetworkOfferingRow;
use strato_schema::sql::Page;
use strato_schema::zone::ZoneRow;

use super::addressing::{IpInput, IpPlan, plan};
use super::checks::{check_offering, check_zone, physical_network};
use super::create::{NetworkOwner, NewGuestNetwork, create_network};
use super::{ISOLATED, LIVE_STATES, SHARED};
use crate::Engine;
use crate::net::Cidr;

fn live() -> Vec<String> {
    LIVE_STATES.iter().map(|s| s.to_string()).collect()
}

/// The network a deploy naming none lands on.
pub enum DefaultNetwork {
    /// The account's (Advanced zone) or the zone's Shared (Basic zone) network.
    Found(Box<NetworkRow>),
    /// None yet: the deploy creates the account's Isolated network with this offering.
    ToCreate(Box<NetworkOfferingRow>),
}

/// In an Advanced zone, the account's Isolated network there, or — when it has none —
/// the offering CloudStack creates one with on a first deploy: the one whose
/// availability is Required (DefaultIsolatedNetworkOfferingWithSourceNatService unless
/// an administrator changed it), checked usable in the zone. In a Basic zone, the zone's
/// Shared guest network the account may use. Writes nothing.
pub async fn find_default_network(
    c: &mut Conn<'_>,
    account: &AccountRow,
    zone: &ZoneRow,
) -> Result<DefaultNetwork, ApiError> {
    if zone.network_type == "Basic" {
        let f = NetworkFilter {
            owners: Some(NetworkOwners {
                account_id: Some(account.id),
                usable_from: Some(account.domain_path.clone()),
                ..NetworkOwners::default()
            }),
            zone_id: Some(zone.id),
            guest_type: Some(SHARED.into()),
            states: live(),
            ..NetworkFilter::default()
        };
        let (_, found) = c.list_networks(&f, Page::ALL).await?;
        return found
            .into_iter()
            .next()
            .map(|n| DefaultNetwork::Found(Box::new(n)))
            .ok_or_else(|| {
                ApiError::param(format!(
                    "Basic zone {} has no Shared guest network for account {}: create one \
                     with createNetwork and a Shared network offering first",
                    zone.name, account.name
                ))
            });
    }
    let f = NetworkFilter {
        owners: Some(NetworkOwners {
            account_id: Some(account.id),
            ..NetworkOwners::default()
        }),
        zone_id: Some(zone.id),
        guest_type: Some(ISOLATED.into()),
        states: live(),
        ..NetworkFilter::default()
    };
    let (_, mut found) = c.list_networks(&f, Page::ALL).await?;
    match found.len() {
        0 => {}
        1 => return Ok(DefaultNetwork::Found(Box::new(found.remove(0)))),
        n => {
            return Err(ApiError::param(format!(
                "Account {} has {n} Isolated networks in zone {}; please specify networkids",
                account.name, zone.name
            )));
        }
    }
    let offering = c
        .required_network_offerings()
        .await?
        .into_iter()
        .find(|o| o.guest_type.as_deref() == Some(ISOLATED) && o.state == "Enabled")
        .ok_or_else(|| {
            ApiError::param(
                "Unable to find a network offering with availability=Required to create the \
                 default network of this deploy",
            )
        })?;
    let owner = NetworkOwner::Account(account.clone());
    let guest = check_offering(c, &offering, zone, &owner).await?;
    check_zone(zone, guest)?;
    physical_network(c, zone, None, &offering).await?;
    Ok(DefaultNetwork::ToCreate(Box::new(offering)))
}

/// The address range the default network created in `zone` will have (the zone's guest
/// CIDR), to check a requested address before the network exists.
pub fn planned_range(zone: &ZoneRow, offering: &NetworkOfferingRow) -> Result<IpPlan, ApiError> {
    let zone_cidr = zone
        .guest_cidr
        .as_deref()
        .map(|g| Cidr::parse("guestcidraddress", g))
        .transpose()?;
    plan(
        &IpInput::default(),
        false,
        offering.specify_ip_ranges,
        zone_cidr,
    )
}

/// The default network of a deploy ([`find_default_network`]), created with `uuid` when
/// the account has none. Idempotent for a uuid: the network created with it is found.
pub async fn default_network_for_deploy(
    c: &mut Conn<'_>,
    engine: &Engine,
    account: &AccountRow,
    zone: &ZoneRow,
    uuid: &str,
) -> Result<NetworkRow, ApiError> {
    if let Some(n) = c.network_by_uuid(uuid).await? {
        return Ok(n);
    }
    let offering = match find_default_network(c, account, zone).await? {
        DefaultNetwork::Found(n) => return Ok(*n),
        DefaultNetwork::ToCreate(o) => o,
    };
    let name = format!("{}-network", account.name);
    let owner = NetworkOwner::Account(account.clone());
    create_network(
        c,
        engine,
        &NewGuestNetwork {
            uuid: Some(uuid),
            name: &name,
            display_text: None,
            offering: &offering,
            zone,
            owner: &owner,
            physical_network: None,
            ip: Default::default(),
            vlan: None,
            network_domain: None,
            dns1: None,
            dns2: None,
            display_network: true,
        },
    )
    .await
}
