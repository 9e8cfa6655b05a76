//! createNetwork, listNetworks, updateNetwork, deleteNetwork, restartNetwork. The
//! network logic lives in [`crate::guestnet`]; these handlers parse, authorize and reply.

use std::collections::HashMap;

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network::{NetworkFilter, NetworkOwners, NetworkRow};

use super::network_services::ServiceMap;
use super::zones::zone_by_param;
use super::{concurrent_change, one_of};
use crate::guestnet::{
    self, IpInput, LIVE_STATES, NetworkOwner, NewGuestNetwork, check_network_admin,
};
use crate::{Caller, Ctx, access, paging};

/// Response objects of networks, with their offerings' services.
async fn objs(
    c: &mut Conn<'_>,
    caller: &Caller,
    rows: &[NetworkRow],
) -> Result<Vec<Obj>, ApiError> {
    let mut ids: Vec<i64> = rows.iter().map(|n| n.network_offering_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut by_offering: HashMap<i64, Vec<_>> = HashMap::new();
    for s in c.network_offering_services(&ids).await? {
        by_offering.entry(s.offering_id).or_default().push(s);
    }
    Ok(rows
        .iter()
        .map(|n| {
            let rows = by_offering.get(&n.network_offering_id);
            let services = ServiceMap::from_rows(rows.into_iter().flatten());
            guestnet::network_obj(n, &services, caller)
        })
        .collect())
}

async fn reply(c: &mut Conn<'_>, caller: &Caller, id: i64) -> Result<Reply, ApiError> {
    let n = c
        .network_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("network vanished"))?;
    let mut objs = objs(c, caller, std::slice::from_ref(&n)).await?;
    objs.pop()
        .map(Reply::Object)
        .ok_or_else(|| ApiError::internal("network vanished"))
}

/// The network named by `id`, which the caller may manage.
async fn managed_network(
    c: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
) -> Result<NetworkRow, ApiError> {
    let id = args.required_str("id")?;
    let n = c
        .network_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "network"))?;
    check_network_admin(c, caller, &n).await?;
    Ok(n)
}

/// Parameters of features Strato does not have yet are refused, not ignored.
fn refuse_unsupported(args: &Args) -> Result<(), ApiError> {
    for (param, what) in [
        ("projectid", "Projects are"),
        ("vpcid", "VPCs are"),
        ("ip6cidr", "IPv6 guest networks are"),
        ("ip6gateway", "IPv6 guest networks are"),
        ("startipv6", "IPv6 guest networks are"),
        ("endipv6", "IPv6 guest networks are"),
    ] {
        if args.has(param) {
            return Err(ApiError::param(format!(
                "{what} not supported yet; leave out {param}"
            )));
        }
    }
    Ok(())
}

/// The owner: a Domain network (acltype=Domain, root admins only), else the account
/// named by `account` + `domainid`, else the caller's account. Shared networks without
/// an account default to Domain, as in CloudStack.
async fn owner(
    c: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
    shared: bool,
) -> Result<NetworkOwner, ApiError> {
    let acl = args
        .str("acltype")
        .map(|v| one_of("acltype", v, &["Account", "Domain"]))
        .transpose()?;
    let account_name = args.str("account").filter(|a| !a.is_empty());
    let domain_acl = acl == Some("Domain") || (acl.is_none() && shared && account_name.is_none());
    if domain_acl {
        if !caller.is_root_admin() {
            return Err(ApiError::permission(
                "Only root admins can create networks with acltype=Domain",
            ));
        }
        if account_name.is_some() {
            return Err(ApiError::param(
                "account can't be given for a network with acltype=Domain",
            ));
        }
        let domain = super::domain_or_own(c, caller, args, "domainid").await?;
        return Ok(NetworkOwner::Domain {
            domain,
            subdomain_access: args.bool("subdomainaccess").unwrap_or(true),
        });
    }
    if args.has("subdomainaccess") {
        return Err(ApiError::param(
            "subdomainaccess can only be given for networks with acltype=Domain",
        ));
    }
    let account = match account_name {
        Some(name) => {
            let domain = super::domain_or_own(c, caller, args, "domainid").await?;
            c.account_by_name(domain.id, name).await?.ok_or_else(|| {
                ApiError::param(format!(
                    "Unable to find account {name} in domain {}",
                    domain.uuid
                ))
            })?
        }
        None if args.has("domainid") => {
            return Err(ApiError::param(
                "account must be given together with domainid",
            ));
        }
        None => c
            .account_by_id(caller.account_id)
            .await?
            .ok_or_else(|| ApiError::internal("the caller's account vanished"))?,
    };
    access::check_account(caller, &account)?;
    if account.state != "enabled" {
        return Err(ApiError::permission(format!(
            "Account {} is {}; it can't create networks",
            account.name, account.state
        )));
    }
    Ok(NetworkOwner::Account(account))
}

pub async fn create_network(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    refuse_unsupported(&args)?;
    let caller = &ctx.caller;
    let mut tx = ctx.engine.store.begin().await?;
    let zone = zone_by_param(&mut tx.c(), &args, "zoneid").await?;
    if zone.allocation_state == "Disabled" && !caller.is_root_admin() {
        return Err(ApiError::permission(format!(
            "Cannot perform this operation, zone {} is currently disabled",
            zone.name
        )));
    }
    let offering_id = args.required_str("networkofferingid")?;
    let offering = tx
        .c()
        .network_offering_by_uuid(offering_id)
        .await?
        .ok_or_else(|| ApiError::not_found("networkofferingid", offering_id, "network offering"))?;
    let shared = offering
        .guest_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(guestnet::SHARED));
    if shared && !caller.is_root_admin() {
        return Err(ApiError::permission(
            "Only root admins can create Shared networks",
        ));
    }
    if args.has("vlan") && !caller.is_root_admin() {
        return Err(ApiError::param("Only root admins can give vlan"));
    }
    let owner = owner(&mut tx.c(), caller, &args, shared).await?;
    let physical_network = match args.uuid("physicalnetworkid") {
        Some(id) => Some(
            tx.c()
                .physical_network_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("physicalnetworkid", id, "physical network"))?,
        ),
        None => None,
    };
    let name = args.required_str("name")?;
    // CloudStack ignores displaynetwork from callers other than root admins.
    let display_network = match caller.is_root_admin() {
        true => args.bool("displaynetwork").unwrap_or(true),
        false => true,
    };
    let n = guestnet::create_network(
        &mut tx.c(),
        &ctx.engine,
        &NewGuestNetwork {
            uuid: None,
            name,
            display_text: args.str("displaytext").filter(|t| !t.is_empty()),
            offering: &offering,
            zone: &zone,
            owner: &owner,
            physical_network,
            ip: IpInput {
                gateway: args.str("gateway"),
                netmask: args.str("netmask"),
                start_ip: args.str("startip"),
                end_ip: args.str("endip"),
            },
            vlan: args.str("vlan"),
            network_domain: args.str("networkdomain"),
            dns1: args.str("dns1"),
            dns2: args.str("dns2"),
            display_network,
        },
    )
    .await?;
    let reply = reply(&mut tx.c(), caller, n.id).await?;
    tx.commit().await?;
    Ok(reply)
}

/// Whose networks the list shows, from `account`/`domainid`/`isrecursive`/`listall`:
/// their Account networks, and the Domain networks of those domains or usable from them.
async fn owners(c: &mut Conn<'_>, caller: &Caller, args: &Args) -> Result<NetworkOwners, ApiError> {
    let scope = access::list_scope(c, caller, args, false).await?;
    let mut owners = NetworkOwners {
        account_id: scope.account_id,
        domain_id: scope.domain_id,
        subtree: scope.subtree.clone(),
        hide_root_admins_except: scope.hide_root_admins_except,
        usable_from: scope.subtree,
    };
    if let Some(id) = scope.account_id {
        let a = c
            .account_by_id(id)
            .await?
            .ok_or_else(|| ApiError::internal("account vanished"))?;
        owners.usable_from = Some(a.domain_path);
    }
    if let Some(id) = scope.domain_id {
        let d = c
            .domain_by_id(id)
            .await?
            .ok_or_else(|| ApiError::internal("domain vanished"))?;
        owners.usable_from = Some(d.path);
    }
    Ok(owners)
}

pub async fn list_networks(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let caller = &ctx.caller;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let owners = owners(&mut c, caller, &args).await?;
    let zone_id = match args.uuid("zoneid") {
        Some(_) => Some(zone_by_param(&mut c, &args, "zoneid").await?.id),
        None => None,
    };
    let offering_id = match args.uuid("networkofferingid") {
        Some(id) => Some(
            c.network_offering_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("networkofferingid", id, "network offering"))?
                .id,
        ),
        None => None,
    };
    let physical_network_id = match args.uuid("physicalnetworkid") {
        Some(id) => Some(
            c.physical_network_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("physicalnetworkid", id, "physical network"))?
                .id,
        ),
        None => None,
    };
    let live: Vec<String> = LIVE_STATES.iter().map(|s| s.to_string()).collect();
    let (states, not_states) = match args.bool("canusefordeploy") {
        Some(true) => (live, Vec::new()),
        Some(false) => (Vec::new(), live),
        None => (Vec::new(), Vec::new()),
    };
    // The VLAN is root admins' knowledge; CloudStack ignores the filter for others.
    let broadcast_uris = match args.str("vlan").map(str::trim) {
        Some(v) if caller.is_root_admin() && !v.is_empty() => {
            let bare = v.split_once("://").map_or(v, |(_, n)| n);
            vec![format!("vlan://{bare}"), format!("vxlan://{bare}")]
        }
        _ => Vec::new(),
    };
    let f = NetworkFilter {
        owners: Some(owners),
        uuid: args.uuid("id").map(str::to_string),
        zone_id,
        physical_network_id,
        offering_id,
        guest_type: args.str("type").map(str::to_string),
        traffic_type: args.str("traffictype").map(str::to_string),
        acl_type: args.str("acltype").map(str::to_string),
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        // Networks hidden from users are listed to root admins only.
        display_network: match caller.is_root_admin() {
            true => args.bool("displaynetwork"),
            false => Some(true),
        },
        system_only: args.bool("issystem"),
        specify_ip_ranges: args.bool("specifyipranges"),
        broadcast_uris,
        states,
        not_states,
        services: args
            .list("supportedservices")
            .map(<[String]>::to_vec)
            .unwrap_or_default(),
        none: args.flag("forvpc"),
    };
    let (total, rows) = c.list_networks(&f, page).await?;
    let items = objs(&mut c, caller, &rows).await?;
    Ok(Reply::list(usize::try_from(total).unwrap_or(0), items))
}

pub async fn update_network(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let caller = &ctx.caller;
    let mut tx = ctx.engine.store.begin().await?;
    let mut n = managed_network(&mut tx.c(), caller, &args).await?;
    if let Some(o) = args.uuid("networkofferingid")
        && o != n.offering_uuid
    {
        return Err(ApiError::param(
            "Changing the network offering of a network is not supported yet; leave out \
             networkofferingid",
        ));
    }
    if let Some(name) = args.str("name").filter(|v| !v.trim().is_empty()) {
        n.name = name.to_string();
    }
    if let Some(text) = args.str("displaytext").filter(|v| !v.trim().is_empty()) {
        n.display_text = text.to_string();
    }
    if let Some(domain) = args.str("networkdomain").map(str::trim) {
        let has_dns = tx
            .c()
            .network_offering_services(&[n.network_offering_id])
            .await?
            .iter()
            .any(|s| s.service == "Dns");
        if !has_dns {
            return Err(ApiError::param(format!(
                "networkdomain can't be changed: network offering {} has no Dns service",
                n.offering_uuid
            )));
        }
        guestnet::check_network_domain(domain)?;
        n.network_domain = Some(domain.to_string());
    }
    if caller.is_root_admin()
        && let Some(d) = args.bool("displaynetwork")
    {
        n.display_network = d;
    }
    if !tx.c().update_network(&n).await? {
        return Err(concurrent_change(&format!("Network {}", n.uuid)));
    }
    let reply = reply(&mut tx.c(), caller, n.id).await?;
    tx.commit().await?;
    Ok(reply)
}

pub async fn delete_network(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let n = managed_network(&mut tx.c(), &ctx.caller, &args).await?;
    guestnet::destroy_network(&mut tx.c(), &n).await?;
    tx.commit().await?;
    Ok(Reply::success())
}

/// Nothing runs inside a network yet (no virtual routers, no rules), so a restart only
/// confirms the network is live: Implemented (or Setup), on an existing zone and an
/// Enabled physical network. `cleanup` has nothing to recreate.
pub async fn restart_network(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let n = managed_network(&mut c, &ctx.caller, &args).await?;
    if n.state != guestnet::IMPLEMENTED && n.state != guestnet::SETUP {
        return Err(ApiError::param(format!(
            "Network {} is in state {}; only Implemented or Setup networks can be restarted",
            n.uuid, n.state
        )));
    }
    let physical = match n.physical_network_id {
        Some(id) => c.physical_network_by_id(id).await?,
        None => None,
    };
    match physical {
        Some(p) if p.state == "Enabled" => Ok(Reply::success()),
        Some(p) => Err(ApiError::param(format!(
            "Network {} can't be restarted: its physical network {} is {}",
            n.uuid, p.uuid, p.state
        ))),
        None => Err(ApiError::param(format!(
            "Network {} can't be restarted: its physical network no longer exists",
            n.uuid
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_parameters_are_named() {
        let spec = &strato_api::commands::networks::CREATE_NETWORK;
        let raw = strato_api::params::RawParams::from_pairs(vec![
            ("name".into(), "n".into()),
            ("networkofferingid".into(), uuid::Uuid::new_v4().to_string()),
            ("zoneid".into(), uuid::Uuid::new_v4().to_string()),
            ("ip6cidr".into(), "fd00::/64".into()),
        ]);
        let args = strato_api::params::parse(spec, &raw).expect("parses");
        let e = refuse_unsupported(&args).expect_err("refused");
        assert!(e.text.contains("ip6cidr"), "{e}");
    }
}
