//! Command handlers, one module per resource. Each handler takes the caller's context
//! and validated arguments and returns a response tree; access checks go through
//! [`crate::access`].

pub mod accounts;
pub mod affinity_groups;
pub mod alerts;
pub mod capacity;
pub mod clusters;
pub mod compute_sizing;
pub mod config;
pub mod direct_ranges;
pub mod discovery;
pub mod disk_offerings;
pub mod disk_props;
pub mod domains;
pub mod events;
pub mod guest_networks;
pub mod guest_os;
pub mod hosts;
pub mod hypervisors;
pub mod image_stores;
pub mod instance_groups;
pub mod jobs;
pub mod network_offering_input;
pub mod network_offerings;
pub mod network_services;
pub mod offering_scope;
pub mod owned;
pub mod physical_networks;
pub mod pods;
pub mod resource_limits;
pub mod roles;
pub mod service_offerings;
pub mod simulator;
pub mod ssh_key_format;
pub mod ssh_keys;
pub mod storage_pools;
pub mod tag_types;
pub mod tags;
pub mod template_access;
pub mod template_upload;
pub mod template_view;
pub mod templates;
pub mod users;
pub mod vlan_ranges;
pub mod vpc_offerings;
pub mod zones;

use strato_api::params::Args;
use strato_common::{ApiError, ErrorCode, error::cs};
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::domain::DomainRow;

use crate::access;
use crate::caller::Caller;

/// Another request changed the row between our read and our write.
pub fn concurrent_change(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        Some(cs::CONCURRENT_OPERATION),
        format!("{what} was changed by another request at the same time; please retry"),
    )
}

/// The domain named by `param`, or the caller's own domain when absent.
pub async fn domain_or_own(
    conn: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
    param: &str,
) -> Result<DomainRow, ApiError> {
    let id = args.uuid(param);
    let found = match id {
        Some(id) => conn.domain_by_uuid(id).await?,
        None => conn.domain_by_id(caller.domain_id).await?,
    };
    let domain = found.ok_or_else(|| ApiError::not_found(param, id.unwrap_or(""), "domain"))?;
    access::check_domain(caller, &domain).or_else(|e| {
        // Users may name their own domain.
        if domain.id == caller.domain_id {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    Ok(domain)
}

/// The account named by `id`, or by `account` + `domainid`; access is checked.
pub async fn find_account(
    conn: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
) -> Result<AccountRow, ApiError> {
    let account = if let Some(id) = args.uuid("id") {
        conn.account_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("id", id, "account"))?
    } else if let Some(name) = args.str("account") {
        let domain = domain_or_own(conn, caller, args, "domainid").await?;
        conn.account_by_name(domain.id, name)
            .await?
            .ok_or_else(|| {
                ApiError::param(format!(
                    "Unable to find account {name} in domain {}",
                    domain.uuid
                ))
            })?
    } else {
        return Err(ApiError::param(
            "Either id or account and domainid must be specified",
        ));
    };
    access::check_account(caller, &account)?;
    Ok(account)
}

/// The owner of a resource being created: `account` + `domainid` (admins acting for
/// another account), else the caller's own account.
pub async fn owner_of_new(
    c: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
) -> Result<AccountRow, ApiError> {
    let account = match args.str("account") {
        Some(name) => {
            let domain = domain_or_own(c, caller, args, "domainid").await?;
            c.account_by_name(domain.id, name).await?.ok_or_else(|| {
                ApiError::param(format!(
                    "Unable to find account {name} in domain {}",
                    domain.uuid
                ))
            })?
        }
        None => c
            .account_by_id(caller.account_id)
            .await?
            .ok_or_else(|| ApiError::internal("the caller's account is gone"))?,
    };
    access::check_account(caller, &account)?;
    Ok(account)
}

/// Refuses names that are empty or carry characters that break paths and logs.
pub fn check_name(param: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::param(format!(
            "Invalid value provided for API arg: {param}"
        )));
    }
    if value
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(ApiError::param(format!(
            "Parameter {param} must not contain '/', '\\' or control characters"
        )));
    }
    Ok(())
}

/// Matches `value` case-insensitively against `allowed` and returns the canonical form.
pub fn one_of(
    param: &str,
    value: &str,
    allowed: &[&'static str],
) -> Result<&'static str, ApiError> {
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(value.trim()))
        .copied()
        .ok_or_else(|| {
            ApiError::param(format!(
                "Invalid value {value} for parameter {param}: expected one of {}",
                allowed.join(", ")
            ))
        })
}

/// `allocationstate`: Enabled or Disabled.
pub fn allocation_state(args: &Args, default: &'static str) -> Result<&'static str, ApiError> {
    match args.str("allocationstate") {
        Some(v) => one_of("allocationstate", v, &["Enabled", "Disabled"]),
        None => Ok(default),
    }
}
