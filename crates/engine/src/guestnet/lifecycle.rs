//! Network state changes: implement (Allocated → Implemented), its undo shutdown
//! (Implemented → Allocated), and destroy (everything released, row removed).

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network::NetworkRow;

use super::{ALLOCATED, IMPLEMENTED, ISOLATED, SETUP, SHARED, source_nat, vnet};
use crate::Engine;
use crate::limits::{self, ResourceType};

/// Locks the network's row for the transaction and reads it again.
async fn locked(c: &mut Conn<'_>, network: &NetworkRow) -> Result<NetworkRow, ApiError> {
    let gone = || ApiError::param(format!("Network {} no longer exists", network.uuid));
    if !c.lock_network(network.id).await? {
        return Err(gone());
    }
    c.network_by_id(network.id).await?.ok_or_else(gone)
}

async fn has_source_nat(c: &mut Conn<'_>, n: &NetworkRow) -> Result<bool, ApiError> {
    Ok(c.network_offering_services(&[n.network_offering_id])
        .await?
        .iter()
        .any(|s| s.service == "SourceNat"))
}

/// Reserves what a network needs to carry traffic: a guest VLAN/VNI from its physical
/// network's ranges (unless an administrator named one at creation) and, for Isolated
/// networks with source NAT, a public address of the zone. Idempotent: an Implemented
/// network is returned as it is; concurrent calls for one network queue on its row.
/// Nothing is pushed to hosts here (`_engine` is for that): the KVM agent sets up the
/// data plane when a VM on the network starts.
pub async fn implement_network(
    c: &mut Conn<'_>,
    _engine: &Engine,
    network: &NetworkRow,
) -> Result<NetworkRow, ApiError> {
    let n = locked(c, network).await?;
    match n.state.as_str() {
        IMPLEMENTED | SETUP => return Ok(n),
        ALLOCATED => {}
        other => {
            return Err(ApiError::param(format!(
                "Network {} is in state {other} and cannot be implemented",
                n.uuid
            )));
        }
    }
    let uri = match &n.broadcast_uri {
        Some(u) => u.clone(),
        None => {
            let pn_id = n.physical_network_id.ok_or_else(|| {
                ApiError::internal(format!("Network {} has no physical network", n.uuid))
            })?;
            let pn = c.physical_network_by_id(pn_id).await?.ok_or_else(|| {
                ApiError::param(format!(
                    "The physical network of network {} no longer exists",
                    n.uuid
                ))
            })?;
            let iso = vnet::isolation(&pn)?;
            vnet::uri(iso, vnet::allocate(c, &pn, n.id).await?)
        }
    };
    if n.guest_type == ISOLATED && has_source_nat(c, &n).await? {
        let (ip, taken) = source_nat::take(c, &n).await?;
        if taken {
            // A source NAT address counts against the owner's public IP limit.
            limits::reserve(c, n.account_id, &[(ResourceType::PublicIp, 1)]).await?;
            tracing::debug!(network = %n.uuid, address = %ip.address, "source NAT address taken");
        }
    }
    if !c
        .set_network_state(n.id, ALLOCATED, IMPLEMENTED, Some(&uri))
        .await?
    {
        return Err(crate::handlers::concurrent_change(&format!(
            "Network {}",
            n.uuid
        )));
    }
    c.network_by_id(n.id)
        .await?
        .ok_or_else(|| ApiError::internal("network vanished"))
}

/// Undoes [`implement_network`]: releases the dynamically taken VLAN/VNI and the public
/// addresses, back to Allocated. A VLAN named at creation stays with the network, and
/// Shared networks (implemented at creation) are left as they are. Idempotent; refused
/// while NICs are on the network.
pub async fn shutdown_network(
    c: &mut Conn<'_>,
    _engine: &Engine,
    network: &NetworkRow,
) -> Result<NetworkRow, ApiError> {
    let n = locked(c, network).await?;
    if n.state == ALLOCATED || n.guest_type == SHARED {
        return Ok(n);
    }
    if n.state != IMPLEMENTED {
        return Err(ApiError::param(format!(
            "Network {} is in state {} and cannot be shut down",
            n.uuid, n.state
        )));
    }
    let nics = c.count_live_nics(n.id).await?;
    if nics > 0 {
        return Err(ApiError::in_use(format!(
            "Network {} still has {nics} NICs and cannot be shut down",
            n.uuid
        )));
    }
    let kept_uri = if n.offering_specify_vlan {
        n.broadcast_uri.clone()
    } else {
        c.release_vnet(n.id).await?;
        None
    };
    release_ips(c, &n).await?;
    if !c
        .set_network_state(n.id, IMPLEMENTED, ALLOCATED, kept_uri.as_deref())
        .await?
    {
        return Err(crate::handlers::concurrent_change(&format!(
            "Network {}",
            n.uuid
        )));
    }
    c.network_by_id(n.id)
        .await?
        .ok_or_else(|| ApiError::internal("network vanished"))
}

/// Frees the network's public addresses and gives them back to the owner's count.
async fn release_ips(c: &mut Conn<'_>, n: &NetworkRow) -> Result<(), ApiError> {
    let freed = c.release_network_ips(n.id).await?;
    let freed = i64::try_from(freed).unwrap_or(i64::MAX);
    limits::release(c, n.account_id, &[(ResourceType::PublicIp, freed)]).await
}

/// Releases everything a network holds (VLAN/VNI, public addresses, its count against
/// the owner's network limit) and removes it; refused (536) while NICs are on it.
pub async fn destroy_network(c: &mut Conn<'_>, network: &NetworkRow) -> Result<(), ApiError> {
    let n = locked(c, network).await?;
    let nics = c.count_live_nics(n.id).await?;
    if nics > 0 {
        return Err(ApiError::in_use(format!(
            "Can't delete network {}: {nics} NICs of virtual machines are still on it; \
             expunge those virtual machines first",
            n.uuid
        ))
        .with_uuid(&n.uuid, "networkId"));
    }
    c.release_vnet(n.id).await?;
    release_ips(c, &n).await?;
    c.remove_direct_ranges(n.id, strato_schema::now()).await?;
    c.remove_network(n.id, strato_schema::now()).await?;
    if n.acl_type == "Account" {
        limits::release(c, n.account_id, &[(ResourceType::Network, 1)]).await?;
    }
    Ok(())
}
