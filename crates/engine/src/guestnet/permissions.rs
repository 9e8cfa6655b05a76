//! Who may use or manage a network, built from [`crate::access`]'s account and domain
//! rules: an Account network follows its owner account; a Domain network may be used
//! from its domain (and sub-domains when it grants sub-domain access) and managed by the
//! administrators of its domain.

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network::NetworkRow;

use crate::{Caller, access};

fn denied(n: &NetworkRow) -> ApiError {
    ApiError::permission(format!(
        "The caller does not have permission to access network {}",
        n.uuid
    ))
}

/// Account networks: the caller must reach the owner account.
async fn check_owner_account(
    c: &mut Conn<'_>,
    caller: &Caller,
    n: &NetworkRow,
) -> Result<(), ApiError> {
    match c.account_by_id(n.account_id).await? {
        Some(owner) => access::check_account(caller, &owner).map_err(|_| denied(n)),
        None if caller.is_root_admin() => Ok(()),
        None => Err(denied(n)),
    }
}

/// May the caller see the network and put its VMs on it?
pub async fn check_network_use(
    c: &mut Conn<'_>,
    caller: &Caller,
    n: &NetworkRow,
) -> Result<(), ApiError> {
    if n.acl_type == "Account" {
        return check_owner_account(c, caller, n).await;
    }
    let below = access::in_subtree(caller, &n.domain_path);
    let usable = caller.domain_path == n.domain_path
        || (n.subdomain_access == Some(true) && caller.domain_path.starts_with(&n.domain_path));
    if caller.is_root_admin() || usable || (caller.is_domain_admin() && below) {
        Ok(())
    } else {
        Err(denied(n))
    }
}

/// May the caller change, restart or delete the network?
pub async fn check_network_admin(
    c: &mut Conn<'_>,
    caller: &Caller,
    n: &NetworkRow,
) -> Result<(), ApiError> {
    if n.acl_type == "Account" {
        return check_owner_account(c, caller, n).await;
    }
    let domain = c
        .domain_by_id(n.domain_id)
        .await?
        .ok_or_else(|| denied(n))?;
    access::check_domain(caller, &domain).map_err(|_| denied(n))
}
