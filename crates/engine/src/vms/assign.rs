//! assignVirtualMachine: an admin (or a domain admin over both accounts) gives a
//! stopped VM and its volumes to another account. The new owner's limits are taken
//! and the old owner's given back in the same transaction; the VM leaves the old
//! owner's instance and affinity groups, and its key pairs and stored password (the
//! old owner's) are dropped.
//!
//! NICs: a VM with NICs on its old owner's networks needs `networkids`, networks the
//! new owner may use in the VM's zone; its NICs are released and new ones allocated
//! there (the first network is the default), in the same transaction.

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;

use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::network::NetworkRow;
use strato_schema::vm::VmRow;

use super::{affinity, bad_state, view, vm_by_named};
use crate::guestnet;
use crate::handlers::{instance_groups, owned};
use crate::limits::{self, ResourceType};
use crate::{Ctx, access};

pub async fn assign_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    if !args.has("account") || !args.has("domainid") {
        return Err(ApiError::param(
            "Parameters account and domainid are required: they name the new owner",
        ));
    }
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let vm = vm_by_named(&mut c, &ctx.caller, &args, "virtualmachineid").await?;
    if vm.state != "Stopped" {
        return Err(bad_state(&vm, "assign (stop it first)"));
    }
    let owner = owned::owner(&mut c, &ctx.caller, &args).await?;
    access::check_account(&ctx.caller, &owner)?;
    if owner.id == vm.account_id {
        return Err(ApiError::param(format!(
            "Invalid parameter account: VM {} already belongs to account {}",
            vm.uuid, owner.name
        )));
    }
    if c.count_vm_and_volume_snapshots(vm.id).await? > 0 {
        return Err(ApiError::param(format!(
            "VM {} or its volumes have snapshots; remove them before assigning the VM to \
             another account",
            vm.uuid
        )));
    }
    let networks = networks_of_new_owner(&mut c, &args, &owner, &vm).await?;
    if networks.is_empty() && !c.nics_of_instances(&[vm.id]).await?.is_empty() {
        return Err(ApiError::param(format!(
            "Parameter networkids is required: VM {} has NICs on account {}'s networks",
            vm.uuid, vm.account_name
        )));
    }
    let volumes = c.volumes_of_vms(&[vm.id]).await?;
    let mut held = vec![
        (ResourceType::UserVm, 1),
        (ResourceType::Cpu, i64::from(vm.cpus)),
        (ResourceType::Memory, vm.memory_mb),
    ];
    for v in &volumes {
        held.push((ResourceType::Volume, 1));
        held.push((ResourceType::PrimaryStorage, v.size));
    }
    limits::reserve(&mut c, owner.id, &held).await?;
    limits::release(&mut c, vm.account_id, &held).await?;
    instance_groups::set_group_of_vm(&mut c, vm.id, None).await?;
    affinity::leave_all(&mut c, vm.id).await?;
    super::passwords::forget(&mut c, vm.id).await?;
    if !networks.is_empty() {
        guestnet::release_nics(&mut c, vm.id).await?;
        for (i, n) in networks.iter().enumerate() {
            let device = i32::try_from(i).unwrap_or(i32::MAX);
            guestnet::allocate_nic(&mut c, n, vm.id, device, None, i == 0).await?;
        }
    }
    if !c
        .move_vm_owner(vm.id, vm.update_count, owner.id, owner.domain_id)
        .await?
    {
        return Err(crate::handlers::concurrent_change("virtual machine"));
    }
    tx.commit().await?;
    view::vm_reply(&ctx.engine, vm.id).await
}

/// `networkids`: networks in the VM's zone the new owner may put VMs on (its own, or
/// shared with its domain).
async fn networks_of_new_owner(
    c: &mut Conn<'_>,
    args: &Args,
    owner: &AccountRow,
    vm: &VmRow,
) -> Result<Vec<NetworkRow>, ApiError> {
    let mut out: Vec<NetworkRow> = Vec::new();
    for id in args.list("networkids").unwrap_or_default() {
        let n = c
            .network_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("networkids", id, "network"))?;
        let usable = if n.acl_type == "Account" {
            n.account_id == owner.id
        } else {
            owner.domain_path == n.domain_path
                || (n.subdomain_access == Some(true)
                    && owner.domain_path.starts_with(&n.domain_path))
        };
        if !usable || n.zone_id != vm.zone_id {
            return Err(ApiError::param(format!(
                "Invalid parameter networkids: network {id} is not one account {} may use in \
                 zone {}",
                owner.name, vm.zone_name
            )));
        }
        if out.iter().any(|o| o.id == n.id) {
            return Err(ApiError::param(format!(
                "Invalid parameter networkids: network {id} is named twice"
            )));
        }
        out.push(n);
    }
    Ok(out)
}
