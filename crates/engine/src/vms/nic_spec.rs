//! A VM's NICs as a host plugs them in (`NicSpec`): MAC and address, the network's
//! isolation on the wire (from its broadcast URI), the physical network's KVM traffic
//! label, and what the host needs to serve the network's addresses (DHCP).

use std::collections::HashMap;

use strato_agent_proto::{DhcpSpec, Isolation, NetworkSpec, NicSpec};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network::NetworkRow;
use strato_schema::sql::Page;

use crate::guestnet;

/// The isolation a broadcast URI gives: `vlan://N`, `vxlan://N`, or untagged
/// (`vlan://untagged`, or no URI on an implemented network: a Shared network without a
/// VLAN). None for a URI hosts can't isolate by.
fn isolation_of(uri: Option<&str>) -> Option<Isolation> {
    let Some(uri) = uri else {
        return Some(Isolation::Untagged);
    };
    let (scheme, value) = uri.split_once("://")?;
    if value.eq_ignore_ascii_case("untagged") {
        return Some(Isolation::Untagged);
    }
    match scheme {
        "vlan" => value.parse().ok().map(|id| Isolation::Vlan { id }),
        "vxlan" => value.parse().ok().map(|vni| Isolation::Vxlan { vni }),
        _ => None,
    }
}

fn isolation(n: &NetworkRow) -> Result<Isolation, ApiError> {
    if n.state == guestnet::ALLOCATED {
        return Err(ApiError::internal(format!(
            "Network {} is not implemented yet",
            n.uuid
        )));
    }
    isolation_of(n.broadcast_uri.as_deref()).ok_or_else(|| {
        ApiError::internal(format!(
            "Network {} has broadcast URI {:?}, which hosts can't isolate",
            n.uuid, n.broadcast_uri
        ))
    })
}

/// The guest subnet a host serves addresses for; None for L2 networks.
fn dhcp(n: &NetworkRow) -> Option<DhcpSpec> {
    let (Some(cidr), Some(gateway)) = (n.cidr.clone(), n.gateway.clone()) else {
        return None;
    };
    let dns = [
        n.dns1.clone().or_else(|| Some(n.zone_dns1.clone())),
        n.dns2.clone().or_else(|| n.zone_dns2.clone()),
    ]
    .into_iter()
    .flatten()
    .filter(|d| !d.is_empty())
    .collect();
    Some(DhcpSpec {
        network_uuid: n.uuid.clone(),
        cidr,
        gateway,
        dns,
        domain: n.network_domain.clone(),
    })
}

/// The network as a host sets it up: its isolation, and the KVM label of the physical
/// network's Guest traffic — the bridge for untagged traffic, the parent interface of
/// VLAN/VXLAN devices.
async fn network_spec(c: &mut Conn<'_>, n: &NetworkRow) -> Result<NetworkSpec, ApiError> {
    let isolation = isolation(n)?;
    let label = match n.physical_network_id {
        Some(pn) => c
            .list_traffic_types(pn, Page::ALL)
            .await?
            .1
            .into_iter()
            .find(|t| t.traffic_type == "Guest")
            .and_then(|t| t.kvm_label)
            .filter(|l| !l.is_empty()),
        None => None,
    };
    let (bridge, physical_interface) = match isolation {
        Isolation::Untagged => (label, None),
        _ => (None, label),
    };
    Ok(NetworkSpec {
        isolation,
        bridge,
        physical_interface,
        mtu: None,
        dhcp: dhcp(n),
    })
}

/// The NICs of VM `vm_id` for StartVm / PrepareForMigration, in device order.
pub async fn nic_specs(c: &mut Conn<'_>, vm_id: i64) -> Result<Vec<NicSpec>, ApiError> {
    let nics = guestnet::nics_of(c, &[vm_id]).await?;
    let mut networks: HashMap<i64, NetworkSpec> = HashMap::new();
    let mut out = Vec::with_capacity(nics.len());
    for nic in nics {
        let network = match networks.get(&nic.network_id) {
            Some(s) => s.clone(),
            None => {
                let n = c.network_by_id(nic.network_id).await?.ok_or_else(|| {
                    ApiError::internal(format!("the network of NIC {} is gone", nic.uuid))
                })?;
                let s = network_spec(c, &n).await?;
                networks.insert(n.id, s.clone());
                s
            }
        };
        out.push(NicSpec {
            device_id: u32::try_from(nic.device_id).unwrap_or(0),
            mac: nic.mac_address,
            ip: nic.ip4_address,
            netmask: nic.netmask,
            gateway: nic.gateway,
            network,
            default: nic.is_default,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_uris_map_to_isolations() {
        assert_eq!(
            isolation_of(Some("vlan://100")),
            Some(Isolation::Vlan { id: 100 })
        );
        assert_eq!(
            isolation_of(Some("vxlan://5001")),
            Some(Isolation::Vxlan { vni: 5001 })
        );
        assert_eq!(
            isolation_of(Some("vlan://untagged")),
            Some(Isolation::Untagged)
        );
        assert_eq!(isolation_of(None), Some(Isolation::Untagged));
        assert_eq!(isolation_of(Some("vlan://70000")), None);
        assert_eq!(isolation_of(Some("pvlan://1-i2")), None);
    }
}
