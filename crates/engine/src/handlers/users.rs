//! createUser, listUsers, updateUser, deleteUser, enableUser, disableUser, lockUser,
//! registerUserKeys, getUserKeys, getUser.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::user::{NewUser, UserFilter, UserRow};

use super::accounts::{check_email, parse_key_access};
use super::{check_name, concurrent_change, domain_or_own};
use crate::caller::RoleType;
use crate::{Ctx, access, paging, password, secrets, views};

async fn by_id(conn: &mut Conn<'_>, ctx: &Ctx, args: &Args) -> Result<UserRow, ApiError> {
    let id = args.required_str("id")?;
    let u = conn
        .user_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "user"))?;
    access::check_user(&ctx.caller, &u)?;
    Ok(u)
}

async fn save(conn: &mut Conn<'_>, ctx: &Ctx, u: &UserRow) -> Result<Reply, ApiError> {
    if !conn.update_user(u).await? {
        return Err(concurrent_change(&format!("User {}", u.uuid)));
    }
    let u = conn
        .user_by_id(u.id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished"))?;
    Ok(Reply::Object(views::user(&u, &ctx.caller)))
}

fn refuse_builtin(u: &UserRow) -> Result<(), ApiError> {
    if u.id == 1 {
        Err(ApiError::param("The system user cannot be changed"))
    } else {
        Ok(())
    }
}

pub async fn create_user(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let username = args.required_str("username")?.trim().to_string();
    check_name("username", &username)?;
    let email = args.required_str("email")?;
    check_email(email)?;
    let hash = password::hash_off_thread(args.required_str("password")?).await?;
    let mut tx = ctx.engine.store.begin().await?;
    let domain = domain_or_own(&mut tx.c(), &ctx.caller, &args, "domainid").await?;
    let name = args.required_str("account")?;
    let account = tx
        .c()
        .account_by_name(domain.id, name)
        .await?
        .ok_or_else(|| {
            ApiError::param(format!(
                "Unable to find account {name} in domain {}",
                domain.uuid
            ))
        })?;
    access::check_account(&ctx.caller, &account)?;
    if account.id == 1 {
        return Err(ApiError::param(
            "Users cannot be added to the system account",
        ));
    }
    if tx.c().user_by_name(domain.id, &username).await?.is_some() {
        return Err(ApiError::param(format!(
            "The user {username} already exists in domain {}",
            domain.uuid
        )));
    }
    let uuid = match args.uuid("userid") {
        Some(u) if tx.c().user_by_uuid(u).await?.is_some() => {
            return Err(ApiError::param(format!(
                "A user with id {u} already exists"
            )));
        }
        Some(u) => u.to_string(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let id = tx
        .c()
        .insert_user(
            &NewUser {
                uuid: &uuid,
                account_id: account.id,
                username: &username,
                password_hash: &hash,
                firstname: args.required_str("firstname")?,
                lastname: args.required_str("lastname")?,
                email: Some(email),
                timezone: args.str("timezone"),
                state: "enabled",
                is_default: false,
            },
            strato_schema::now(),
        )
        .await?;
    let u = tx
        .c()
        .user_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(views::user(&u, &ctx.caller)))
}

pub async fn list_users(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, true).await?;
    let filter = UserFilter {
        subtree: scope.subtree,
        domain_id: scope.domain_id,
        account_id: scope.account_id,
        uuid: args.uuid("id").map(str::to_string),
        username: args.str("username").map(str::to_string),
        account_type: args.int("accounttype"),
        state: args.str("state").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        hide_system: true,
        hide_root_admins_except: scope.hide_root_admins_except,
        ..UserFilter::default()
    };
    let (total, rows) = c.list_users(&filter, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(|u| views::user(u, &ctx.caller)).collect(),
    ))
}

pub async fn update_user(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut u = by_id(&mut tx.c(), &ctx, &args).await?;
    refuse_builtin(&u)?;
    if let Some(name) = args.str("username").map(str::trim)
        && name != u.username
    {
        check_name("username", name)?;
        if tx.c().user_by_name(u.domain_id, name).await?.is_some() {
            return Err(ApiError::param(format!(
                "The user {name} already exists in this domain"
            )));
        }
        u.username = name.to_string();
    }
    if let Some(v) = args.str("firstname") {
        u.firstname = v.to_string();
    }
    if let Some(v) = args.str("lastname") {
        u.lastname = v.to_string();
    }
    if let Some(v) = args.str("email") {
        check_email(v)?;
        u.email = Some(v.to_string());
    }
    if let Some(v) = args.str("timezone") {
        u.timezone = Some(v.to_string());
    }
    if let Some(p) = args.str("password") {
        if p.is_empty() {
            return Err(ApiError::param(
                "Invalid value provided for API arg: password",
            ));
        }
        // Changing one's own password needs the current one, as CloudStack requires.
        if u.id == ctx.caller.user_id {
            let current = args.str("currentpassword").ok_or_else(|| {
                ApiError::param("Current password is required when changing your own password")
            })?;
            if !password::verify(current, &u.password_hash) {
                return Err(ApiError::param("The current password is incorrect"));
            }
        }
        u.password_hash = password::hash_off_thread(p).await?;
        tx.c().delete_user_sessions(u.id).await?;
    }
    match (args.str("userapikey"), args.str("usersecretkey")) {
        (None, None) => {}
        (Some(k), Some(s)) => {
            access::check_user_keys(&ctx.caller, &u)?;
            if ctx.caller.role_type == RoleType::User {
                return Err(ApiError::permission(
                    "Only administrators may set API keys directly",
                ));
            }
            if let Some(other) = tx.c().user_by_api_key(k).await?
                && other.id != u.id
            {
                return Err(ApiError::param(
                    "The API key is already in use by another user",
                ));
            }
            u.api_key = Some(k.to_string());
            u.secret_key = Some(s.to_string());
        }
        _ => {
            return Err(ApiError::param(
                "userapikey and usersecretkey must be given together",
            ));
        }
    }
    if let Some(v) = args.str("apikeyaccess") {
        u.api_key_access = parse_key_access(v)?;
    }
    let reply = save(&mut tx.c(), &ctx, &u).await?;
    tx.commit().await?;
    Ok(reply)
}

pub async fn delete_user(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let u = by_id(&mut tx.c(), &ctx, &args).await?;
    refuse_builtin(&u)?;
    if u.is_default {
        return Err(ApiError::param(format!(
            "The default user {} cannot be deleted",
            u.username
        )));
    }
    if u.id == ctx.caller.user_id {
        return Err(ApiError::param("A caller cannot delete itself"));
    }
    tx.c().delete_user_sessions(u.id).await?;
    tx.c().remove_user(u.id, strato_schema::now()).await?;
    tx.commit().await?;
    Ok(Reply::success())
}

async fn set_state(ctx: Ctx, args: Args, state: &str) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut u = by_id(&mut tx.c(), &ctx, &args).await?;
    refuse_builtin(&u)?;
    if state != "enabled" {
        if u.id == ctx.caller.user_id {
            return Err(ApiError::param("A caller cannot disable or lock itself"));
        }
        tx.c().delete_user_sessions(u.id).await?;
    }
    u.state = state.to_string();
    let reply = save(&mut tx.c(), &ctx, &u).await?;
    tx.commit().await?;
    Ok(reply)
}

pub async fn enable_user(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    set_state(ctx, args, "enabled").await
}

pub async fn disable_user(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    set_state(ctx, args, "disabled").await
}

pub async fn lock_user(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    set_state(ctx, args, "locked").await
}

fn keys_obj(u: &UserRow) -> Obj {
    Obj::new("userkeys")
        .opt_str("apikey", u.api_key.clone())
        .opt_str("secretkey", u.secret_key.clone())
}

pub async fn register_user_keys(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut u = by_id(&mut tx.c(), &ctx, &args).await?;
    refuse_builtin(&u)?;
    access::check_user_keys(&ctx.caller, &u)?;
    u.api_key = Some(secrets::api_key());
    u.secret_key = Some(secrets::api_key());
    if !tx.c().update_user(&u).await? {
        return Err(concurrent_change(&format!("User {}", u.uuid)));
    }
    tx.commit().await?;
    Ok(Reply::Object(keys_obj(&u)))
}

pub async fn get_user_keys(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let u = by_id(&mut db.c(), &ctx, &args).await?;
    access::check_user_keys(&ctx.caller, &u)?;
    Ok(Reply::Object(keys_obj(&u)))
}

pub async fn get_user(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let key = args.required_str("userapikey")?;
    let mut db = ctx.engine.store.acquire().await?;
    let u = db
        .c()
        .user_by_api_key(key)
        .await?
        .ok_or_else(|| ApiError::param("No user has this API key"))?;
    access::check_user(&ctx.caller, &u).map_err(|_| ApiError::param("No user has this API key"))?;
    Ok(Reply::Object(views::user(&u, &ctx.caller)))
}
