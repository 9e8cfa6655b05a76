//! Account-owned resources (key pairs, affinity and instance groups): who owns a new
//! one, and the owner scope of their lists.

use strato_api::params::Args;
use strato_api::response::Obj;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::owner_scope::OwnerScope;

use crate::access::{self, Scope};
use crate::caller::Caller;

/// The account a command acts for: `account` + `domainid` (both or neither, as
/// CloudStack requires), else the caller's own. Access is checked.
pub async fn owner(c: &mut Conn<'_>, caller: &Caller, args: &Args) -> Result<AccountRow, ApiError> {
    let account = match (args.str("account"), args.uuid("domainid")) {
        (Some(name), Some(domain_id)) => {
            let domain = c
                .domain_by_uuid(domain_id)
                .await?
                .ok_or_else(|| ApiError::not_found("domainid", domain_id, "domain"))?;
            c.account_by_name(domain.id, name).await?.ok_or_else(|| {
                ApiError::param(format!(
                    "Unable to find account {name} in domain {}",
                    domain.uuid
                ))
            })?
        }
        (None, None) => account_by_id(c, caller.account_id).await?,
        _ => {
            return Err(ApiError::param(
                "Parameters account and domainid must be specified together",
            ));
        }
    };
    access::check_account(caller, &account)?;
    Ok(account)
}

/// The owning account of an existing resource (still there: rows of removed accounts
/// are not listed).
pub async fn account_by_id(c: &mut Conn<'_>, id: i64) -> Result<AccountRow, ApiError> {
    c.account_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("the owner account is gone"))
}

/// May the caller act on a resource of this account?
pub async fn check_owner(
    c: &mut Conn<'_>,
    caller: &Caller,
    account_id: i64,
) -> Result<(), ApiError> {
    access::check_account(caller, &account_by_id(c, account_id).await?)
}

/// The list query's owner restriction.
pub fn scope(s: Scope) -> OwnerScope {
    OwnerScope {
        subtree: s.subtree,
        domain_id: s.domain_id,
        account_id: s.account_id,
        hide_root_admins_except: s.hide_root_admins_except,
    }
}

/// `account`, `domainid`, `domain` (and `domainpath` where CloudStack has it).
pub fn with_owner(
    o: Obj,
    account: &str,
    domain_uuid: &str,
    domain_name: &str,
    domain_path: Option<&str>,
) -> Obj {
    let o = o
        .str("account", account)
        .str("domainid", domain_uuid)
        .str("domain", domain_name);
    match domain_path {
        Some(p) => o.str("domainpath", strato_schema::domain::display_path(p)),
        None => o,
    }
}
