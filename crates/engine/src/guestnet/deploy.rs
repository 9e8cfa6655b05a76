//! The network a VM lands on when its deploy names none.

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::network::{NetworkFilter, NetworkOwners, NetworkRow};
use strato_schema::sql::Page;
use strato_schema::zone::ZoneRow;

use super::create::{NetworkOwner, NewGuestNetwork, create_network};
use super::{ISOLATED, LIVE_STATES, SHARED};
use crate::Engine;

fn live() -> Vec<String> {
    LIVE_STATES.iter().map(|s| s.to_string()).collect()
}

/// In an Advanced zone, the account's Isolated network there, created (as CloudStack
/// does on a first deploy) with the offering whose availability is Required —
/// DefaultIsolatedNetworkOfferingWithSourceNatService unless an administrator changed
/// it — when the account has none. In a Basic zone, the zone's Shared guest network the
/// account may use.
pub async fn default_network_for_deploy(
    c: &mut Conn<'_>,
    engine: &Engine,
    account: &AccountRow,
    zone: &ZoneRow,
) -> Result<NetworkRow, ApiError> {
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
        return found.into_iter().next().ok_or_else(|| {
            ApiError::param(format!(
                "Basic zone {} has no Shared guest network for account {}: create one with \
                 createNetwork and a Shared network offering first",
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
        1 => return Ok(found.remove(0)),
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
    let name = format!("{}-network", account.name);
    let owner = NetworkOwner::Account(account.clone());
    create_network(
        c,
        engine,
        &NewGuestNetwork {
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
