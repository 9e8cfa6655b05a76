//! updateTemplatePermissions/updateIsoPermissions, listTemplatePermissions/
//! listIsoPermissions and extractTemplate/extractIso.

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;

use super::one_of;
use super::template_view::Kind;
use super::templates::{check_owner, template_by_param};
use crate::{Ctx, access, images};

pub async fn update_template_permissions(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    update_permissions(ctx, args, Kind::Template).await
}

pub async fn update_iso_permissions(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    update_permissions(ctx, args, Kind::Iso).await
}

async fn update_permissions(ctx: Ctx, args: Args, kind: Kind) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let mut t = template_by_param(&mut c, &args, "id", kind).await?;
    check_owner(&mut c, &ctx.caller, &t).await?;
    if let Some(featured) = args.bool("isfeatured") {
        if !ctx.caller.is_root_admin() {
            return Err(ApiError::permission(
                "Only a root admin may make a template or ISO featured",
            ));
        }
        t.featured = featured;
    }
    if let Some(public) = args.bool("ispublic") {
        if public
            && ctx.caller.role_type == crate::RoleType::User
            && !ctx.engine.settings.bool("allow.public.user.templates")
        {
            return Err(ApiError::permission(
                "Only private templates/ISOs can be shared publicly by admins \
                 (allow.public.user.templates is false)",
            ));
        }
        t.is_public = public;
    }
    if let Some(x) = args.bool("isextractable") {
        t.extractable = x;
    }
    let accounts = args.list("accounts").unwrap_or_default();
    let op = match args.str("op") {
        Some(op) => Some(one_of("op", op, &["add", "remove", "reset"])?),
        None if !accounts.is_empty() => {
            return Err(ApiError::param(
                "Invalid parameter op: say add, remove or reset together with accounts",
            ));
        }
        None => None,
    };
    match op {
        Some("reset") => c.reset_launch_permissions(t.id).await?,
        Some(op) => {
            if accounts.is_empty() {
                return Err(ApiError::param(format!(
                    "Invalid parameter accounts: op={op} needs the account names"
                )));
            }
            for name in accounts {
                // Sharing stays inside the owner's domain, as in CloudStack.
                let account = c
                    .account_by_name(t.domain_id, name.trim())
                    .await?
                    .ok_or_else(|| {
                        ApiError::param(format!(
                            "Invalid parameter accounts: unable to find account {name} in \
                             domain {}",
                            t.domain_name
                        ))
                    })?;
                if account.id == t.account_id {
                    continue;
                }
                if op == "add" {
                    c.add_launch_permission(t.id, account.id).await?;
                } else {
                    c.remove_launch_permission(t.id, account.id).await?;
                }
            }
        }
        None => {}
    }
    if !c.update_template(&t).await? {
        return Err(super::concurrent_change(kind.noun()));
    }
    db.commit().await?;
    Ok(Reply::success())
}

pub async fn list_template_permissions(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    list_permissions(ctx, args, Kind::Template).await
}

pub async fn list_iso_permissions(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    list_permissions(ctx, args, Kind::Iso).await
}

async fn list_permissions(ctx: Ctx, args: Args, kind: Kind) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let t = template_by_param(&mut c, &args, "id", kind).await?;
    let owner = c
        .account_by_id(t.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the template's owner is gone"))?;
    access::check_account(&ctx.caller, &owner)?;
    let accounts = c.launch_permissions(t.id).await?;
    Ok(Reply::Object(
        Obj::new("templatepermission")
            .str("id", &t.uuid)
            .bool("ispublic", t.is_public)
            .str("domainid", &t.domain_uuid)
            .node("account", Node::Strs(accounts)),
    ))
}

pub async fn extract_template(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    extract(ctx, args, Kind::Template).await
}

pub async fn extract_iso(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    extract(ctx, args, Kind::Iso).await
}

/// Makes a signed, time-limited URL on this server for a ready copy.
async fn extract(ctx: Ctx, args: Args, kind: Kind) -> Result<Reply, ApiError> {
    check_extraction(&ctx, &args)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let t = template_by_param(&mut c, &args, "id", kind).await?;
    let owner = c
        .account_by_id(t.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the template's owner is gone"))?;
    access::check_account(&ctx.caller, &owner)?;
    if !t.extractable && !ctx.caller.is_root_admin() {
        return Err(ApiError::permission(format!(
            "The {} {} is not extractable",
            kind.noun(),
            t.uuid
        )));
    }
    let zone_id = match args.uuid("zoneid") {
        Some(z) => Some(
            c.zone_by_uuid(z)
                .await?
                .ok_or_else(|| ApiError::not_found("zoneid", z, "zone"))?
                .id,
        ),
        None => None,
    };
    let refs = c.template_refs(&[t.id]).await?;
    let r = refs
        .iter()
        .find(|r| r.is_ready() && zone_id.is_none_or(|z| z == r.zone_id))
        .ok_or_else(|| {
            ApiError::param(format!(
                "The {} {} is not ready in that zone",
                kind.noun(),
                t.uuid
            ))
        })?;
    if r.simulated {
        return Err(ApiError::param(format!(
            "The {} {} is in a simulated image store, which holds no bytes to download",
            kind.noun(),
            t.uuid
        )));
    }
    let url = images::extract::url(&ctx.engine, &images::StoreCopy::template(r, &t))?;
    Ok(extract_reply(
        Obj::new(kind.object())
            .str("id", &t.uuid)
            .str("name", &t.name)
            .str("accountid", &t.account_uuid)
            .str("zoneid", &r.zone_uuid)
            .str("zonename", &r.zone_name),
        url,
    ))
}

/// The checks every extract command starts with: the mode, and extraction allowed.
pub fn check_extraction(ctx: &Ctx, args: &Args) -> Result<(), ApiError> {
    one_of("mode", args.required_str("mode")?, &["HTTP_DOWNLOAD"])?;
    if ctx.engine.settings.bool("disable.extraction") {
        return Err(ApiError::permission(
            "Extraction is disabled on this cloud (disable.extraction)",
        ));
    }
    Ok(())
}

/// An extract command's answer: `what` (id, name, owner, zone) with the URL made.
pub fn extract_reply(what: Obj, url: String) -> Reply {
    Reply::Object(
        what.str("state", "DOWNLOAD_URL_CREATED")
            .str("extractMode", "HTTP_DOWNLOAD")
            .str("url", url)
            .date("created", &strato_schema::now())
            .str("status", "DOWNLOAD_URL_CREATED")
            .int("uploadpercentage", 100),
    )
}
