//! Roles and role permissions.

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::role::{NewRole, RoleFilter, RoleRow};

use super::check_name;
use crate::access::ROOT_ADMIN_ROLE_ID;
use crate::caller::RoleType;
use crate::{Ctx, paging, views};

async fn by_id(conn: &mut Conn<'_>, param: &str, id: &str) -> Result<RoleRow, ApiError> {
    conn.role_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "role"))
}

fn role_type(v: &str) -> Result<RoleType, ApiError> {
    RoleType::parse(v).ok_or_else(|| {
        ApiError::param(format!("Invalid value {v} for parameter type: expected Admin, ResourceAdmin, DomainAdmin or User"))
    })
}

pub async fn list_roles(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    // Non-root callers see public roles of their own type or below.
    let visible_types = match ctx.caller.role_type {
        RoleType::Admin => None,
        RoleType::DomainAdmin | RoleType::ResourceAdmin => {
            Some(vec!["DomainAdmin".to_string(), "User".to_string()])
        }
        RoleType::User => Some(vec!["User".to_string()]),
    };
    let filter = RoleFilter {
        uuid: args.uuid("id"),
        name: args.str("name"),
        role_type: args.str("type"),
        state: args.str("state"),
        keyword: args.str("keyword"),
        visible_types,
    };
    let (total, rows) = ctx
        .engine
        .store
        .acquire()
        .await?
        .c()
        .list_roles(&filter, page)
        .await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(views::role).collect(),
    ))
}

pub async fn create_role(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    check_name("name", name)?;
    let mut tx = ctx.engine.store.begin().await?;
    let source = match args.uuid("roleid") {
        Some(id) => Some(by_id(&mut tx.c(), "roleid", id).await?),
        None => None,
    };
    let rt = match (args.str("type"), &source) {
        (Some(t), _) => role_type(t)?,
        (None, Some(s)) => role_type(&s.role_type)?,
        (None, None) => return Err(ApiError::param("Either type or roleid must be specified")),
    };
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_role(
            &NewRole {
                uuid: &uuid,
                name,
                role_type: rt.as_str(),
                description: args.str("description"),
                is_default: false,
                is_public: args.bool("ispublic").unwrap_or(true),
            },
            strato_schema::now(),
        )
        .await?;
    if let Some(s) = source {
        for p in tx.c().permissions(Some(s.id)).await? {
            tx.c()
                .insert_permission(
                    &uuid::Uuid::new_v4().to_string(),
                    id,
                    &p.rule,
                    &p.permission,
                    p.description.as_deref(),
                )
                .await?;
        }
    }
    let role = tx
        .c()
        .role_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("role vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(views::role(&role)))
}

fn refuse_default(r: &RoleRow) -> Result<(), ApiError> {
    if r.is_default {
        Err(ApiError::param(format!(
            "The default role {} cannot be changed",
            r.name
        )))
    } else {
        Ok(())
    }
}

pub async fn update_role(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut r = by_id(&mut tx.c(), "id", args.required_str("id")?).await?;
    refuse_default(&r)?;
    if let Some(n) = args.str("name") {
        check_name("name", n.trim())?;
        r.name = n.trim().to_string();
    }
    if let Some(t) = args.str("type") {
        let t = role_type(t)?.as_str().to_string();
        if t != r.role_type && tx.c().accounts_with_role(r.id).await? > 0 {
            return Err(ApiError::in_use(
                "The type of a role that accounts use cannot change",
            ));
        }
        r.role_type = t;
    }
    if let Some(d) = args.str("description") {
        r.description = Some(d.to_string());
    }
    if let Some(p) = args.bool("ispublic") {
        r.is_public = p;
    }
    tx.c().update_role(&r).await?;
    tx.commit().await?;
    Ok(Reply::Object(views::role(&r)))
}

pub async fn delete_role(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let r = by_id(&mut tx.c(), "id", args.required_str("id")?).await?;
    refuse_default(&r)?;
    let users = tx.c().accounts_with_role(r.id).await?;
    if users > 0 {
        return Err(
            ApiError::in_use(format!("Role {} is in use by {users} account(s)", r.name))
                .with_uuid(&r.uuid, "roleId"),
        );
    }
    tx.c().remove_role(r.id, strato_schema::now()).await?;
    tx.commit().await?;
    Ok(Reply::success())
}

async fn set_state(ctx: Ctx, args: Args, state: &str) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut r = by_id(&mut tx.c(), "id", args.required_str("id")?).await?;
    refuse_default(&r)?;
    r.state = state.to_string();
    tx.c().update_role(&r).await?;
    tx.commit().await?;
    Ok(Reply::success())
}

pub async fn enable_role(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    set_state(ctx, args, "Enabled").await
}

pub async fn disable_role(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    set_state(ctx, args, "Disabled").await
}

pub async fn list_role_permissions(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let role_id = match args.uuid("roleid") {
        Some(id) => Some(by_id(&mut db.c(), "roleid", id).await?.id),
        None => None,
    };
    let rows = db.c().permissions(role_id).await?;
    Ok(Reply::list(
        rows.len(),
        rows.iter().map(views::permission).collect(),
    ))
}

fn check_rule(rule: &str) -> Result<(), ApiError> {
    if rule.is_empty() || !rule.chars().all(|c| c.is_ascii_alphanumeric() || c == '*') {
        return Err(ApiError::param(format!(
            "Invalid value {rule} for parameter rule: only letters, digits and * are allowed"
        )));
    }
    Ok(())
}

fn permission(v: &str) -> Result<&'static str, ApiError> {
    match v.to_ascii_lowercase().as_str() {
        "allow" => Ok("allow"),
        "deny" => Ok("deny"),
        _ => Err(ApiError::param(format!(
            "Invalid value {v} for parameter permission: expected allow or deny"
        ))),
    }
}

fn refuse_root_admin(r: &RoleRow) -> Result<(), ApiError> {
    if r.id == ROOT_ADMIN_ROLE_ID {
        Err(ApiError::param(
            "The rules of the Root Admin role cannot be changed",
        ))
    } else {
        Ok(())
    }
}

pub async fn create_role_permission(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let rule = args.required_str("rule")?.trim();
    check_rule(rule)?;
    let perm = permission(args.required_str("permission")?)?;
    let mut tx = ctx.engine.store.begin().await?;
    let r = by_id(&mut tx.c(), "roleid", args.required_str("roleid")?).await?;
    refuse_root_admin(&r)?;
    let uuid = uuid::Uuid::new_v4().to_string();
    tx.c()
        .insert_permission(&uuid, r.id, rule, perm, args.str("description"))
        .await?;
    let p = tx
        .c()
        .permission_by_uuid(&uuid)
        .await?
        .ok_or_else(|| ApiError::internal("rule vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(views::permission(&p)))
}

pub async fn update_role_permission(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let r = by_id(&mut tx.c(), "roleid", args.required_str("roleid")?).await?;
    refuse_root_admin(&r)?;
    let rules = tx.c().permissions(Some(r.id)).await?;
    match (
        args.list("ruleorder"),
        args.uuid("ruleid"),
        args.str("permission"),
    ) {
        (Some(order), None, None) => {
            let mut given: Vec<&str> = order.iter().map(String::as_str).collect();
            let mut existing: Vec<&str> = rules.iter().map(|p| p.uuid.as_str()).collect();
            given.sort_unstable();
            existing.sort_unstable();
            if given != existing {
                return Err(ApiError::param(
                    "ruleorder must list every rule id of the role exactly once",
                ));
            }
            for (i, id) in order.iter().enumerate() {
                if let Some(p) = rules.iter().find(|p| &p.uuid == id) {
                    tx.c().set_permission_order(p.id, i as i64).await?;
                }
            }
        }
        (None, Some(rule_id), Some(perm)) => {
            let perm = permission(perm)?;
            let p = rules
                .iter()
                .find(|p| p.uuid == rule_id)
                .ok_or_else(|| ApiError::not_found("ruleid", rule_id, "rule of this role"))?;
            tx.c().set_permission(p.id, perm).await?;
        }
        _ => {
            return Err(ApiError::param(
                "Give either ruleorder, or ruleid together with permission",
            ));
        }
    }
    tx.commit().await?;
    Ok(Reply::success())
}

pub async fn delete_role_permission(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let id = args.required_str("id")?;
    let mut tx = ctx.engine.store.begin().await?;
    let p = tx
        .c()
        .permission_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "role permission"))?;
    if p.role_id == ROOT_ADMIN_ROLE_ID {
        return Err(ApiError::param(
            "The rules of the Root Admin role cannot be changed",
        ));
    }
    tx.c().delete_permission(p.id).await?;
    tx.commit().await?;
    Ok(Reply::success())
}
