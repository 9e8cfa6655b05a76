//! The NICs of a deploy: the networks asked for (`networkids`, `iptonetworklist`, or
//! the account's default network), checked before anything is written; the deploy
//! saga's actions that create the default network, implement the networks a started VM
//! needs and allocate NICs with MAC and address; and their undos.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use strato_api::params::Args;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::network::NetworkRow;
use strato_schema::zone::ZoneRow;

use crate::guestnet::{self, DefaultNetwork};
use crate::{Caller, Engine};

/// One NIC to give the VM, in device order (the first is the default NIC).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NicRequest {
    /// None: the account's default network, which this deploy creates.
    pub network_id: Option<i64>,
    /// The address asked for; None: a free one of the network's range.
    pub ip: Option<String>,
    /// The network was only Allocated when the deploy was checked: the deploy
    /// implements it, and shuts it down again when it fails leaving no NIC on it.
    pub implement: bool,
}

/// (network uuid, address) pairs of the parameters, in device order.
fn asked(args: &Args) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let ip = args
        .str("ipaddress")
        .map(str::trim)
        .filter(|i| !i.is_empty());
    let ids = args.list("networkids").unwrap_or_default();
    let Some(map) = args.map("iptonetworklist").filter(|m| !m.is_empty()) else {
        let mut pairs: Vec<(String, Option<String>)> =
            ids.iter().map(|id| (id.trim().to_string(), None)).collect();
        if let Some(first) = pairs.first_mut() {
            first.1 = ip.map(str::to_string);
        }
        return Ok(pairs);
    };
    if !ids.is_empty() {
        return Err(ApiError::param(
            "networkids can't be specified along with iptonetworklist",
        ));
    }
    if ip.is_some() {
        return Err(ApiError::param(
            "iptonetworklist can't be specified along with ipaddress",
        ));
    }
    map.iter()
        .enumerate()
        .map(|(i, entry)| {
            let id = entry
                .get("networkid")
                .map(|s| s.trim())
                .filter(|s| !s.is_empty());
            let id = id.ok_or_else(|| {
                ApiError::param(format!("iptonetworklist[{i}].networkid is required"))
            })?;
            let ip = entry.get("ip").map(|s| s.trim()).filter(|s| !s.is_empty());
            Ok((id.to_string(), ip.map(str::to_string)))
        })
        .collect()
}

/// A network named for a NIC of `owner`'s VM in `zone`: live, carrying guest traffic,
/// in the zone, and usable by the caller and the owner.
async fn check_network(
    c: &mut Conn<'_>,
    caller: &Caller,
    owner: &AccountRow,
    zone: &ZoneRow,
    id: &str,
) -> Result<NetworkRow, ApiError> {
    let n = c
        .network_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("networkids", id, "network"))?;
    guestnet::check_network_use(c, caller, &n).await?;
    if n.acl_type == "Account" && n.account_id != owner.id {
        return Err(ApiError::permission(format!(
            "Account {} may not use network {id}: it belongs to another account",
            owner.name
        )));
    }
    if n.zone_id != zone.id {
        return Err(ApiError::param(format!(
            "Network {id} is in zone {}, not in zone {} of the VM (parameter networkids)",
            n.zone_name, zone.name
        )));
    }
    if n.traffic_type != "Guest" || !guestnet::LIVE_STATES.contains(&n.state.as_str()) {
        return Err(ApiError::param(format!(
            "Network {id} can't take VMs: it is a {} network in state {} (parameter \
             networkids)",
            n.traffic_type, n.state
        )));
    }
    Ok(n)
}

/// The NICs a deploy asks for, checked (networks, addresses); nothing is written. With
/// no network named, the account's default network — to be created by the deploy when
/// the account has none.
pub async fn requested(
    c: &mut Conn<'_>,
    caller: &Caller,
    owner: &AccountRow,
    zone: &ZoneRow,
    args: &Args,
) -> Result<Vec<NicRequest>, ApiError> {
    let mut pairs = asked(args)?;
    if pairs.is_empty() {
        let ip = args
            .str("ipaddress")
            .map(str::trim)
            .filter(|i| !i.is_empty());
        match guestnet::find_default_network(c, owner, zone).await? {
            DefaultNetwork::Found(n) => pairs.push((n.uuid, ip.map(str::to_string))),
            DefaultNetwork::ToCreate(offering) => {
                if let Some(ip) = ip {
                    guestnet::check_planned_address(
                        &guestnet::planned_range(zone, &offering)?,
                        ip,
                    )?;
                }
                return Ok(vec![NicRequest {
                    network_id: None,
                    ip: ip.map(str::to_string),
                    implement: true,
                }]);
            }
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(pairs.len());
    for (id, ip) in pairs {
        let n = check_network(c, caller, owner, zone, &id).await?;
        if !seen.insert(n.id) {
            return Err(ApiError::param(format!(
                "Network {id} is named twice: a VM gets one NIC per network (parameter \
                 networkids)"
            )));
        }
        if let Some(ip) = &ip {
            guestnet::check_address(c, &n, ip).await?;
        }
        out.push(NicRequest {
            network_id: Some(n.id),
            ip,
            implement: n.state == guestnet::ALLOCATED,
        });
    }
    Ok(out)
}

/// Saga action: the default network the deploy creates (with `uuid`) when its NICs ask
/// for one; None when they name their networks. Idempotent.
pub async fn ensure_default_network(
    engine: &Engine,
    nics: &[NicRequest],
    account_id: i64,
    zone_id: i64,
    uuid: &str,
) -> Result<Option<i64>, ApiError> {
    if nics.iter().all(|r| r.network_id.is_some()) {
        return Ok(None);
    }
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    // Concurrent first deploys of an account queue here: the first creates the
    // network, the others find it.
    c.lock_account(account_id).await?;
    let account = c
        .account_by_id(account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM's owner is gone"))?;
    let zone = c
        .zone_by_id(zone_id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM's zone is gone"))?;
    let n = guestnet::default_network_for_deploy(&mut c, engine, &account, &zone, uuid).await?;
    tx.commit().await?;
    Ok(Some(n.id))
}

/// Undo of [`ensure_default_network`]: deletes the network created with `uuid`, unless
/// a concurrent deploy of the account found it and put its VM there.
pub async fn remove_default_network(engine: &Engine, uuid: &str) -> Result<(), ApiError> {
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    if let Some(n) = c.network_by_uuid(uuid).await?
        && c.count_live_nics(n.id).await? == 0
    {
        guestnet::destroy_network(&mut c, &n).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn network_of(r: &NicRequest, default_network: Option<i64>) -> Result<i64, ApiError> {
    r.network_id
        .or(default_network)
        .ok_or_else(|| ApiError::internal("the deploy's default network was not created"))
}

async fn network(c: &mut Conn<'_>, id: i64) -> Result<NetworkRow, ApiError> {
    c.network_by_id(id)
        .await?
        .ok_or_else(|| ApiError::param(format!("Network {id} of the VM no longer exists")))
}

/// Saga action: NIC `i` of VM `vm_id` on the network of request `i`, with its address.
/// `implement`: the VM is about to start, so Allocated networks are implemented first
/// (guest VLAN/VNI, source NAT address). Idempotent.
pub async fn allocate(
    engine: &Engine,
    vm_id: i64,
    nics: &[NicRequest],
    default_network: Option<i64>,
    implement: bool,
) -> Result<(), ApiError> {
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    for (device, r) in nics.iter().enumerate() {
        let mut n = network(&mut c, network_of(r, default_network)?).await?;
        if implement && n.state == guestnet::ALLOCATED {
            n = guestnet::implement_network(&mut c, engine, &n).await?;
        }
        let device = i32::try_from(device).unwrap_or(i32::MAX);
        guestnet::allocate_nic(&mut c, &n, vm_id, device, r.ip.as_deref(), device == 0).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Undo of [`allocate`]: releases the VM's NICs (their addresses and MACs are free
/// again) and shuts down the networks this deploy implemented that no NIC uses now.
pub async fn release(
    engine: &Engine,
    vm_id: i64,
    nics: &[NicRequest],
    default_network: Option<i64>,
) -> Result<(), ApiError> {
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    guestnet::release_nics(&mut c, vm_id).await?;
    for r in nics.iter().filter(|r| r.implement) {
        let Some(n) = c.network_by_id(network_of(r, default_network)?).await? else {
            continue;
        };
        if n.state == guestnet::IMPLEMENTED && c.count_live_nics(n.id).await? == 0 {
            guestnet::shutdown_network(&mut c, engine, &n).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Implements the Allocated networks VM `vm_id` has NICs on (a VM deployed stopped, or
/// whose network was created and never used), before it starts. Idempotent; networks
/// stay implemented while the VM keeps its NICs there.
pub async fn implement_networks_of(engine: &Engine, vm_id: i64) -> Result<(), ApiError> {
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let ids: HashSet<i64> = guestnet::nics_of(&mut c, &[vm_id])
        .await?
        .iter()
        .map(|n| n.network_id)
        .collect();
    for id in ids {
        let n = network(&mut c, id).await?;
        if n.state == guestnet::ALLOCATED {
            guestnet::implement_network(&mut c, engine, &n).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
