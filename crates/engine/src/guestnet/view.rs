//! Networks and NICs as CloudStack's `network` and `nic` response objects.

use strato_api::response::{Node, Obj};
use strato_schema::domain::display_path;
use strato_schema::network::NetworkRow;
use strato_schema::nic::NicRow;

use super::LIVE_STATES;
use crate::Caller;
use crate::handlers::network_services::{ServiceMap, service_objs};

/// The number (or `untagged`) of a broadcast URI such as `vlan://100`.
fn uri_value(uri: &str) -> &str {
    uri.split_once("://").map_or(uri, |(_, v)| v)
}

/// A network as CloudStack shows it. Broadcast URI and VLAN are shown to root admins
/// only, as CloudStack does.
pub fn network_obj(n: &NetworkRow, services: &ServiceMap, caller: &Caller) -> Obj {
    let mut o = Obj::new("network")
        .str("id", &n.uuid)
        .str("name", &n.name)
        .str("displaytext", &n.display_text)
        .str("broadcastdomaintype", &n.broadcast_domain_type)
        .str("traffictype", &n.traffic_type)
        .opt_str("gateway", n.gateway.clone())
        .opt_str("netmask", n.netmask.clone())
        .opt_str("cidr", n.cidr.clone())
        .str("zoneid", &n.zone_uuid)
        .str("zonename", &n.zone_name)
        .str("networkofferingid", &n.offering_uuid)
        .str("networkofferingname", &n.offering_name)
        .str("networkofferingdisplaytext", &n.offering_display_text)
        .bool("networkofferingconservemode", n.offering_conserve_mode)
        .str("networkofferingavailability", &n.offering_availability)
        .bool("issystem", n.offering_system_only)
        .str("state", &n.state)
        .str("related", &n.uuid);
    if caller.is_root_admin()
        && let Some(uri) = &n.broadcast_uri
    {
        o = o.str("broadcasturi", uri).str("vlan", uri_value(uri));
    }
    // Layer 2 networks have no DNS servers to hand out.
    if n.gateway.is_some() {
        o = o
            .str("dns1", n.dns1.as_deref().unwrap_or(&n.zone_dns1))
            .opt_str("dns2", n.dns2.clone().or_else(|| n.zone_dns2.clone()));
    }
    o = o.str("type", &n.guest_type).str("acltype", &n.acl_type);
    if n.acl_type == "Account" {
        o = o.str("account", &n.account_name);
    } else {
        o = o.bool("subdomainaccess", n.subdomain_access.unwrap_or(false));
    }
    o.str("domainid", &n.domain_uuid)
        .str("domain", &n.domain_name)
        .str("domainpath", display_path(&n.domain_path))
        .node("service", service_objs(services, |_| Vec::new()))
        .opt_str("networkdomain", n.network_domain.clone())
        .opt_str("physicalnetworkid", n.physical_network_uuid.clone())
        .bool("restartrequired", false)
        .bool("specifyvlan", n.offering_specify_vlan)
        .bool("specifyipranges", n.offering_specify_ip_ranges)
        .bool("canusefordeploy", LIVE_STATES.contains(&n.state.as_str()))
        .bool("ispersistent", n.offering_is_persistent)
        .node("tags", Node::Objs(Vec::new()))
        .node("details", Node::Map(Vec::new()))
        .bool("displaynetwork", n.display_network)
        .bool("strechedl2subnet", false)
        .bool("redundantrouter", n.offering_redundant_router)
        .bool("egressdefaultpolicy", n.offering_egress_default_policy)
        .date("created", &n.created)
        .bool("hasannotations", false)
}

/// A NIC as it appears in a virtual machine's `nic` list (the VM's id is the caller's
/// to add as `virtualmachineid`).
pub fn nic_obj(n: &NicRow) -> Obj {
    Obj::new("nic")
        .str("id", &n.uuid)
        .str("networkid", &n.network_uuid)
        .str("networkname", &n.network_name)
        .opt_str("netmask", n.netmask.clone())
        .opt_str("gateway", n.gateway.clone())
        .opt_str("ipaddress", n.ip4_address.clone())
        .opt_str("isolationuri", n.broadcast_uri.clone())
        .opt_str("broadcasturi", n.broadcast_uri.clone())
        .str("traffictype", &n.traffic_type)
        .str("type", &n.guest_type)
        .bool("isdefault", n.is_default)
        .str("macaddress", &n.mac_address)
        .str("deviceid", n.device_id.to_string())
        .node("secondaryip", Node::Objs(Vec::new()))
        .node("extradhcpoption", Node::Strs(Vec::new()))
}
