//! createAccount, listAccounts, updateAccount, enableAccount, disableAccount,
//! lockAccount, deleteAccount.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::{AccountFilter, AccountRow, NewAccount};
use strato_schema::role::RoleRow;
use strato_schema::user::{NewUser, UserRow};

use super::{check_name, concurrent_change, domain_or_own, find_account};
use crate::caller::{Caller, RoleType};
use crate::{Ctx, access, limits, paging, password, views};

/// The account's response object with its users, details and resource usage.
pub async fn account_obj(
    conn: &mut Conn<'_>,
    a: &AccountRow,
    ctx: &Ctx,
) -> Result<strato_api::response::Obj, ApiError> {
    let users = conn.users_of_account(a.id).await?;
    let details = conn.account_details(a.id).await?;
    let defaults = limits::Defaults::from_settings(&ctx.engine.settings);
    let usage = limits::account_usage(conn, &defaults, std::slice::from_ref(a)).await?;
    let obj = views::account(a, &users, &details, &ctx.caller);
    Ok(match usage.get(&a.id) {
        Some(u) => views::with_usage(obj, u),
        None => obj,
    })
}

/// The role for a new account: `roleid`, else the default role of `accounttype`.
async fn role_for(conn: &mut Conn<'_>, caller: &Caller, args: &Args) -> Result<RoleRow, ApiError> {
    let role = match (args.uuid("roleid"), args.int("accounttype")) {
        (Some(id), _) => conn
            .role_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("roleid", id, "role"))?,
        (None, Some(t)) => {
            let rt = RoleType::from_account_type(t).ok_or_else(|| {
                ApiError::param(format!("Invalid value {t} for parameter accounttype"))
            })?;
            default_role(conn, rt).await?
        }
        (None, None) => {
            return Err(ApiError::param(
                "Either roleid or accounttype must be specified",
            ));
        }
    };
    if role.state != "Enabled" {
        return Err(ApiError::param(format!("Role {} is disabled", role.uuid)));
    }
    check_role_grant(caller, &role)?;
    Ok(role)
}

async fn default_role(conn: &mut Conn<'_>, rt: RoleType) -> Result<RoleRow, ApiError> {
    // The four default roles are seeded first, with ids 1-4 in this order.
    let id = match rt {
        RoleType::Admin => 1,
        RoleType::ResourceAdmin => 2,
        RoleType::DomainAdmin => 3,
        RoleType::User => 4,
    };
    conn.role_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("default role missing"))
}

/// Only root admins hand out admin roles; domain admins give domain-admin or user roles.
fn check_role_grant(caller: &Caller, role: &RoleRow) -> Result<(), ApiError> {
    let rt = RoleType::parse(&role.role_type).unwrap_or(RoleType::User);
    let ok = match caller.role_type {
        RoleType::Admin => true,
        RoleType::DomainAdmin | RoleType::ResourceAdmin => {
            matches!(rt, RoleType::DomainAdmin | RoleType::User)
        }
        RoleType::User => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::permission(format!(
            "The caller may not give accounts the role {}",
            role.name
        )))
    }
}

/// Validates a user's e-mail address loosely (one `@`, something on both sides).
pub fn check_email(email: &str) -> Result<(), ApiError> {
    match email.split_once('@') {
        Some((a, b))
            if !a.is_empty()
                && b.contains('.')
                && !b.contains('@')
                && !email.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(ApiError::param(format!(
            "Invalid value {email} for parameter email"
        ))),
    }
}

pub async fn create_account(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let username = args.required_str("username")?.trim().to_string();
    let name = args
        .str("account")
        .map(str::trim)
        .unwrap_or(&username)
        .to_string();
    check_name("username", &username)?;
    check_name("account", &name)?;
    let email = args.required_str("email")?;
    check_email(email)?;
    let hash = password::hash_off_thread(args.required_str("password")?).await?;
    let mut tx = ctx.engine.store.begin().await?;
    let domain = domain_or_own(&mut tx.c(), &ctx.caller, &args, "domainid").await?;
    let role = role_for(&mut tx.c(), &ctx.caller, &args).await?;
    let rt = RoleType::parse(&role.role_type).unwrap_or(RoleType::User);
    if tx.c().account_by_name(domain.id, &name).await?.is_some() {
        return Err(ApiError::param(format!(
            "The account {name} already exists in domain {}",
            domain.uuid
        )));
    }
    if tx.c().user_by_name(domain.id, &username).await?.is_some() {
        return Err(ApiError::param(format!(
            "The user {username} already exists in domain {}",
            domain.uuid
        )));
    }
    let account_uuid = fresh_uuid(&mut tx.c(), args.uuid("accountid"), "accountid").await?;
    let now = strato_schema::now();
    let account_id = tx
        .c()
        .insert_account(
            &NewAccount {
                uuid: &account_uuid,
                name: &name,
                account_type: rt.account_type(),
                role_id: role.id,
                domain_id: domain.id,
                network_domain: args.str("networkdomain"),
                is_default: false,
            },
            now,
        )
        .await?;
    for entry in args.map("accountdetails").unwrap_or_default() {
        for (k, v) in entry {
            tx.c().set_account_detail(account_id, k, v).await?;
        }
    }
    let user_uuid = match args.uuid("userid") {
        Some(u) if tx.c().user_by_uuid(u).await?.is_some() => {
            return Err(ApiError::param(format!(
                "A user with id {u} already exists"
            )));
        }
        Some(u) => u.to_string(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    tx.c()
        .insert_user(
            &NewUser {
                uuid: &user_uuid,
                account_id,
                username: &username,
                password_hash: &hash,
                firstname: args.required_str("firstname")?,
                lastname: args.required_str("lastname")?,
                email: Some(email),
                timezone: args.str("timezone"),
                state: "enabled",
                is_default: false,
            },
            now,
        )
        .await?;
    let a = tx
        .c()
        .account_by_id(account_id)
        .await?
        .ok_or_else(|| ApiError::internal("account vanished"))?;
    let obj = account_obj(&mut tx.c(), &a, &ctx).await?;
    tx.commit().await?;
    Ok(Reply::Object(obj))
}

async fn fresh_uuid(
    conn: &mut Conn<'_>,
    wanted: Option<&str>,
    param: &str,
) -> Result<String, ApiError> {
    match wanted {
        Some(u) if conn.account_by_uuid(u).await?.is_some() => Err(ApiError::param(format!(
            "Invalid parameter {param}: an account with id {u} already exists"
        ))),
        Some(u) => Ok(u.to_string()),
        None => Ok(uuid::Uuid::new_v4().to_string()),
    }
}

pub async fn list_accounts(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, true).await?;
    let filter = AccountFilter {
        subtree: scope.subtree,
        domain_id: scope.domain_id,
        account_id: scope.account_id,
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        account_type: args.int("accounttype"),
        state: args.str("state").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        hide_system: true,
        hide_root_admins_except: scope.hide_root_admins_except,
    };
    let (total, accounts) = c.list_accounts(&filter, page).await?;
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    // Group users and details by account once, instead of scanning both per account.
    let mut users: HashMap<i64, Vec<UserRow>> = HashMap::new();
    for u in c.users_of_accounts(&ids).await? {
        users.entry(u.account_id).or_default().push(u);
    }
    let mut details: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for (id, k, v) in c.details_of_accounts(&ids).await? {
        details.entry(id).or_default().push((k, v));
    }
    // `details=min` leaves out the resource usage, as in CloudStack.
    let usage = if minimal(&args) {
        HashMap::new()
    } else {
        let defaults = limits::Defaults::from_settings(&ctx.engine.settings);
        limits::account_usage(&mut c, &defaults, &accounts).await?
    };
    let items = accounts
        .iter()
        .map(|a| {
            let o = views::account(a, of(&users, a.id), of(&details, a.id), &ctx.caller);
            match usage.get(&a.id) {
                Some(u) => views::with_usage(o, u),
                None => o,
            }
        })
        .collect();
    Ok(Reply::list(total as usize, items))
}

/// True when `details` asks for the minimal view only.
pub fn minimal(args: &Args) -> bool {
    args.list("details")
        .is_some_and(|d| d.iter().any(|x| x.eq_ignore_ascii_case("min")))
}

/// The entries grouped under `id`, or none.
fn of<T>(groups: &HashMap<i64, Vec<T>>, id: i64) -> &[T] {
    groups.get(&id).map_or(&[], Vec::as_slice)
}

fn refuse_system(a: &AccountRow) -> Result<(), ApiError> {
    if a.id == 1 {
        Err(ApiError::param("The system account cannot be changed"))
    } else {
        Ok(())
    }
}

/// Applies `change` to the account and saves it, or reports a concurrent change.
async fn save(
    conn: &mut Conn<'_>,
    ctx: &Ctx,
    mut a: AccountRow,
    change: impl FnOnce(&mut AccountRow),
) -> Result<Reply, ApiError> {
    change(&mut a);
    if !conn.update_account(&a).await? {
        return Err(concurrent_change(&format!("Account {}", a.uuid)));
    }
    let a = conn
        .account_by_id(a.id)
        .await?
        .ok_or_else(|| ApiError::internal("account vanished"))?;
    Ok(Reply::Object(account_obj(conn, &a, ctx).await?))
}

pub async fn update_account(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let a = find_account(&mut tx.c(), &ctx.caller, &args).await?;
    refuse_system(&a)?;
    let new_name = match args.str("newname").map(str::trim) {
        Some(n) if n != a.name => {
            check_name("newname", n)?;
            if tx.c().account_by_name(a.domain_id, n).await?.is_some() {
                return Err(ApiError::param(format!(
                    "The account {n} already exists in this domain"
                )));
            }
            Some(n.to_string())
        }
        _ => None,
    };
    let role = match args.uuid("roleid") {
        Some(id) => {
            let r = tx
                .c()
                .role_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("roleid", id, "role"))?;
            if r.role_type != a.role_type {
                return Err(ApiError::param(
                    "The new role must be of the same role type as the account's current role",
                ));
            }
            check_role_grant(&ctx.caller, &r)?;
            Some(r.id)
        }
        None => None,
    };
    let key_access = match args.str("apikeyaccess") {
        Some(v) => Some(parse_key_access(v)?),
        None => None,
    };
    for entry in args.map("accountdetails").unwrap_or_default() {
        for (k, v) in entry {
            tx.c().set_account_detail(a.id, k, v).await?;
        }
    }
    let network_domain = args.str("networkdomain").map(str::to_string);
    let reply = save(&mut tx.c(), &ctx, a, |a| {
        if let Some(n) = new_name {
            a.name = n;
        }
        if let Some(r) = role {
            a.role_id = r;
        }
        if let Some(nd) = network_domain {
            a.network_domain = Some(nd);
        }
        if let Some(k) = key_access {
            a.api_key_access = k;
        }
    })
    .await?;
    tx.commit().await?;
    Ok(reply)
}

/// `Enabled`/`Disabled` are stored; `Inherit` clears the setting.
pub fn parse_key_access(v: &str) -> Result<Option<String>, ApiError> {
    match v.to_ascii_lowercase().as_str() {
        "enabled" => Ok(Some("Enabled".into())),
        "disabled" => Ok(Some("Disabled".into())),
        "inherit" => Ok(None),
        _ => Err(ApiError::param(format!(
            "Invalid value {v} for parameter apikeyaccess: expected Enabled, Disabled or Inherit"
        ))),
    }
}

async fn set_state(ctx: Ctx, args: Args, state: &'static str) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let a = find_account(&mut tx.c(), &ctx.caller, &args).await?;
    refuse_system(&a)?;
    if state != "enabled" && a.id == ctx.caller.account_id {
        return Err(ApiError::param(
            "A caller cannot disable or lock its own account",
        ));
    }
    if state != "enabled" {
        for u in tx.c().users_of_account(a.id).await? {
            tx.c().delete_user_sessions(u.id).await?;
        }
    }
    let reply = save(&mut tx.c(), &ctx, a, |a| a.state = state.to_string()).await?;
    tx.commit().await?;
    Ok(reply)
}

pub async fn enable_account(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    set_state(ctx, args, "enabled").await
}

pub async fn disable_account(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let state = if args.flag("lock") {
        "locked"
    } else {
        "disabled"
    };
    set_state(ctx, args, state).await
}

pub async fn lock_account(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    set_state(ctx, args, "locked").await
}

/// Marks an account and its users removed and ends their sessions.
pub async fn remove_account_rows(
    conn: &mut Conn<'_>,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    for u in conn.users_of_account(account_id).await? {
        conn.delete_user_sessions(u.id).await?;
        conn.remove_user(u.id, now).await?;
    }
    conn.remove_account(account_id, now).await?;
    Ok(())
}

pub async fn delete_account(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let a = find_account(&mut tx.c(), &ctx.caller, &args).await?;
    refuse_system(&a)?;
    if a.id == ctx.caller.account_id {
        return Err(ApiError::param("A caller cannot delete its own account"));
    }
    if a.is_default {
        return Err(ApiError::param(format!(
            "The default account {} cannot be deleted",
            a.name
        )));
    }
    remove_account_rows(&mut tx.c(), a.id, strato_schema::now()).await?;
    tx.commit().await?;
    Ok(Reply::success())
}
