//! Access control, in one place: which commands a role may call, which accounts, users
//! and domains a caller may see or change, and the owner scope of list commands.
//!
//! - Root admins (role type Admin) reach everything.
//! - Domain and resource admins reach their own domain and every domain below it, but
//!   never the accounts of root admins.
//! - Users reach only their own account.

use strato_api::params::Args;
use strato_api::spec::CommandSpec;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::domain::DomainRow;
use strato_schema::user::UserRow;

use crate::caller::{Caller, RoleType};

/// Internal id of the seeded Root Admin role, which skips rule evaluation.
pub const ROOT_ADMIN_ROLE_ID: i64 = 1;

/// Matches a role permission rule (`*` matches any run of characters).
pub fn rule_matches(rule: &str, command: &str) -> bool {
    fn go(r: &[u8], c: &[u8]) -> bool {
        match r.split_first() {
            None => c.is_empty(),
            Some((b'*', rest)) => (0..=c.len()).any(|i| go(rest, &c[i..])),
            Some((x, rest)) => c
                .split_first()
                .is_some_and(|(y, crest)| x.eq_ignore_ascii_case(y) && go(rest, crest)),
        }
    }
    go(rule.as_bytes(), command.as_bytes())
}

/// Decides whether the caller's role may call `spec`: the first matching rule of the
/// role wins; without one, the command's declared role types decide.
pub async fn command_allowed(
    conn: &mut Conn<'_>,
    caller: &Caller,
    spec: &CommandSpec,
) -> Result<bool, ApiError> {
    if caller.role_id == ROOT_ADMIN_ROLE_ID {
        return Ok(true);
    }
    for rule in conn.permissions(Some(caller.role_id)).await? {
        if rule_matches(&rule.rule, spec.name) {
            return Ok(rule.permission.eq_ignore_ascii_case("allow"));
        }
    }
    Ok(spec.roles.contains(caller.role_type.mask()))
}

pub async fn check_command(
    conn: &mut Conn<'_>,
    caller: &Caller,
    spec: &CommandSpec,
) -> Result<(), ApiError> {
    if command_allowed(conn, caller, spec).await? {
        Ok(())
    } else {
        Err(ApiError::unavailable_command(spec.name))
    }
}

/// True when `path` is the caller's domain or below it.
pub fn in_subtree(caller: &Caller, path: &str) -> bool {
    path.starts_with(&caller.domain_path)
}

fn denied(what: &str) -> ApiError {
    ApiError::permission(format!(
        "The caller does not have permission to access {what}"
    ))
}

/// May the caller see (or, for admins, manage) this domain?
pub fn check_domain(caller: &Caller, domain: &DomainRow) -> Result<(), ApiError> {
    if caller.is_root_admin() || (caller.is_domain_admin() && in_subtree(caller, &domain.path)) {
        Ok(())
    } else {
        Err(denied(&format!("domain {}", domain.uuid)))
    }
}

/// May the caller act on this account?
pub fn check_account(caller: &Caller, account: &AccountRow) -> Result<(), ApiError> {
    let ok = match caller.role_type {
        RoleType::Admin => true,
        RoleType::DomainAdmin | RoleType::ResourceAdmin => {
            in_subtree(caller, &account.domain_path)
                && (account.account_type != 1 || account.id == caller.account_id)
        }
        RoleType::User => account.id == caller.account_id,
    };
    if ok {
        Ok(())
    } else {
        Err(denied(&format!("account {}", account.uuid)))
    }
}

/// May the caller see or change this user (not its keys)?
pub fn check_user(caller: &Caller, user: &UserRow) -> Result<(), ApiError> {
    let ok = match caller.role_type {
        RoleType::Admin => true,
        RoleType::DomainAdmin | RoleType::ResourceAdmin => {
            in_subtree(caller, &user.domain_path)
                && (user.account_type != 1 || user.account_id == caller.account_id)
        }
        RoleType::User => user.account_id == caller.account_id,
    };
    if ok {
        Ok(())
    } else {
        Err(denied(&format!("user {}", user.uuid)))
    }
}

/// May the caller read or replace this user's API keys? Stricter than [`check_user`]:
/// a domain admin only reaches keys of plain users in its subtree, and its own.
pub fn check_user_keys(caller: &Caller, user: &UserRow) -> Result<(), ApiError> {
    let ok = match caller.role_type {
        RoleType::Admin => true,
        RoleType::DomainAdmin | RoleType::ResourceAdmin => {
            user.id == caller.user_id
                || (in_subtree(caller, &user.domain_path) && user.account_type == 0)
        }
        RoleType::User => user.account_id == caller.account_id,
    };
    if ok {
        Ok(())
    } else {
        Err(denied(&format!("the keys of user {}", user.uuid)))
    }
}

/// Owner restriction of a list query.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Only entries whose domain path starts with this.
    pub subtree: Option<String>,
    /// Only entries of this domain (not its sub-domains).
    pub domain_id: Option<i64>,
    /// Only entries of this account.
    pub account_id: Option<i64>,
    /// For domain admins: hide root admins' accounts (except the caller's own).
    pub hide_root_admins_except: Option<i64>,
}

/// Computes the owner scope of a list command from `account`, `domainid`, `isrecursive`
/// and `listall`, refusing domains and accounts the caller cannot reach.
///
/// `admins_see_all` is true for lists where CloudStack shows admins their whole subtree
/// without `listall` (accounts, users).
pub async fn list_scope(
    conn: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
    admins_see_all: bool,
) -> Result<Scope, ApiError> {
    let listall = args.flag("listall");
    let recursive = args.flag("isrecursive");
    let domain = match args.uuid("domainid") {
        Some(id) => {
            let d = conn
                .domain_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("domainid", id, "domain"))?;
            Some(d)
        }
        None => None,
    };
    if let Some(name) = args.str("account") {
        let domain_id = domain.as_ref().map_or(caller.domain_id, |d| d.id);
        let account = conn
            .account_by_name(domain_id, name)
            .await?
            .ok_or_else(|| {
                ApiError::param(format!("Unable to find account {name} in the given domain"))
            })?;
        check_account(caller, &account)?;
        return Ok(Scope {
            account_id: Some(account.id),
            ..Scope::default()
        });
    }
    if caller.role_type == RoleType::User {
        if let Some(d) = &domain
            && d.id != caller.domain_id
        {
            return Err(denied(&format!("domain {}", d.uuid)));
        }
        return Ok(Scope {
            account_id: Some(caller.account_id),
            ..Scope::default()
        });
    }
    if let Some(d) = domain {
        check_domain(caller, &d)?;
        let hide = caller.is_domain_admin().then_some(caller.account_id);
        return Ok(if recursive || listall {
            Scope {
                subtree: Some(d.path),
                hide_root_admins_except: hide,
                ..Scope::default()
            }
        } else {
            Scope {
                domain_id: Some(d.id),
                hide_root_admins_except: hide,
                ..Scope::default()
            }
        });
    }
    let hide = caller.is_domain_admin().then_some(caller.account_id);
    if listall || admins_see_all {
        Ok(Scope {
            subtree: Some(caller.domain_path.clone()),
            hide_root_admins_except: hide,
            ..Scope::default()
        })
    } else {
        Ok(Scope {
            account_id: Some(caller.account_id),
            ..Scope::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::rule_matches;

    #[test]
    fn wildcards() {
        assert!(rule_matches("*", "listZones"));
        assert!(rule_matches("list*", "listZones"));
        assert!(rule_matches("list*s", "listZones"));
        assert!(!rule_matches("list*", "deleteZone"));
        assert!(rule_matches("listZones", "listzones"));
        assert!(!rule_matches("listZone", "listZones"));
        assert!(rule_matches("*User*", "getUserKeys"));
    }
}
