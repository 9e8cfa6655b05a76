//! createDomain, listDomains, listDomainChildren, updateDomain, deleteDomain.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::domain::{DomainFilter, DomainRow, NewDomain};

use super::{check_name, domain_or_own};
use crate::{Ctx, access, limits, paging, views};

/// Domains as responses, with their resource usage unless `details=min` asks for less.
async fn domain_objs(
    c: &mut Conn<'_>,
    ctx: &Ctx,
    args: &Args,
    rows: &[DomainRow],
) -> Result<Vec<Obj>, ApiError> {
    if super::accounts::minimal(args) {
        return Ok(rows.iter().map(views::domain).collect());
    }
    let defaults = limits::Defaults::from_settings(&ctx.engine.settings);
    let usage = limits::domain_usage(c, &defaults, rows).await?;
    Ok(rows
        .iter()
        .map(|d| match usage.get(&d.id) {
            Some(u) => views::with_usage(views::domain(d), u),
            None => views::domain(d),
        })
        .collect())
}

async fn domain_obj(c: &mut Conn<'_>, ctx: &Ctx, d: &DomainRow) -> Result<Obj, ApiError> {
    let mut objs = domain_objs(c, ctx, &Args::default(), std::slice::from_ref(d)).await?;
    objs.pop()
        .ok_or_else(|| ApiError::internal("the domain's response is missing"))
}

async fn by_id(conn: &mut Conn<'_>, ctx: &Ctx, id: &str) -> Result<DomainRow, ApiError> {
    let d = conn
        .domain_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "domain"))?;
    access::check_domain(&ctx.caller, &d)?;
    Ok(d)
}

pub async fn create_domain(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim().to_string();
    check_name("name", &name)?;
    let mut tx = ctx.engine.store.begin().await?;
    let parent = match args.uuid("parentdomainid") {
        Some(id) => tx
            .c()
            .domain_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("parentdomainid", id, "domain"))?,
        None => tx
            .c()
            .domain_by_id(ctx.caller.domain_id)
            .await?
            .ok_or_else(|| ApiError::internal("caller's domain is missing"))?,
    };
    access::check_domain(&ctx.caller, &parent)?;
    let path = format!("{}{}/", parent.path, name);
    if tx.c().domain_by_path(&path).await?.is_some() {
        return Err(ApiError::param(format!(
            "Domain with name {name} already exists for the parent {}",
            parent.uuid
        )));
    }
    let uuid = match args.uuid("domainid") {
        Some(u) if tx.c().domain_by_uuid(u).await?.is_some() => {
            return Err(ApiError::param(format!(
                "A domain with id {u} already exists"
            )));
        }
        Some(u) => u.to_string(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let id = tx
        .c()
        .insert_domain(
            &NewDomain {
                uuid: &uuid,
                parent_id: Some(parent.id),
                name: &name,
                path: &path,
                level: parent.level + 1,
                network_domain: args.str("networkdomain"),
            },
            strato_schema::now(),
        )
        .await?;
    let d = tx
        .c()
        .domain_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("domain vanished"))?;
    let obj = domain_obj(&mut tx.c(), &ctx, &d).await?;
    tx.commit().await?;
    Ok(Reply::Object(obj))
}

pub async fn list_domains(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let own = c
        .domain_by_id(ctx.caller.domain_id)
        .await?
        .ok_or_else(|| ApiError::internal("caller's domain is missing"))?;
    let id_or_name =
        args.uuid("id").is_some() || args.str("name").is_some() || args.int("level").is_some();
    let filter = DomainFilter {
        subtree: Some(&own.path),
        uuid: args.uuid("id"),
        name: args.str("name"),
        level: args.int("level"),
        // Without listall (and without a filter), only the caller's own domain.
        parent_id: None,
        keyword: args.str("keyword"),
    };
    let filter = if args.flag("listall") || id_or_name || args.str("keyword").is_some() {
        filter
    } else {
        DomainFilter {
            uuid: Some(&own.uuid),
            ..filter
        }
    };
    let (total, rows) = c.list_domains(&filter, page).await?;
    let items = domain_objs(&mut c, &ctx, &args, &rows).await?;
    Ok(Reply::list(total as usize, items))
}

pub async fn list_domain_children(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let parent = domain_or_own(&mut c, &ctx.caller, &args, "id").await?;
    access::check_domain(&ctx.caller, &parent)?;
    let recursive = args.flag("isrecursive") || args.flag("listall");
    let filter = DomainFilter {
        subtree: Some(&parent.path),
        name: args.str("name"),
        parent_id: (!recursive).then_some(parent.id),
        keyword: args.str("keyword"),
        ..DomainFilter::default()
    };
    let (total, rows) = c.list_domains(&filter, page).await?;
    // The parent itself is in its own subtree; children only.
    let rows: Vec<_> = rows.into_iter().filter(|d| d.id != parent.id).collect();
    let total = if recursive {
        total.saturating_sub(1)
    } else {
        total
    };
    let items = domain_objs(&mut c, &ctx, &args, &rows).await?;
    Ok(Reply::list(total as usize, items))
}

pub async fn update_domain(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let id = args.required_str("id")?;
    let mut tx = ctx.engine.store.begin().await?;
    let d = by_id(&mut tx.c(), &ctx, id).await?;
    let name = match args.str("name") {
        Some(n) if n.trim() != d.name => {
            check_name("name", n.trim())?;
            if d.parent_id.is_none() {
                return Err(ApiError::param("The ROOT domain cannot be renamed"));
            }
            n.trim().to_string()
        }
        _ => d.name.clone(),
    };
    let parent_path = d
        .path
        .strip_suffix(&format!("{}/", d.name))
        .unwrap_or("/")
        .to_string();
    let path = if d.parent_id.is_none() {
        d.path.clone()
    } else {
        format!("{parent_path}{name}/")
    };
    if path != d.path && tx.c().domain_by_path(&path).await?.is_some() {
        return Err(ApiError::param(format!(
            "Domain with name {name} already exists for the parent"
        )));
    }
    let network_domain = args
        .str("networkdomain")
        .or(d.network_domain.as_deref())
        .map(str::to_string);
    tx.c()
        .update_domain(d.id, &name, &path, network_domain.as_deref())
        .await?;
    if path != d.path {
        tx.c().rename_domain_subtree(&d.path, &path).await?;
    }
    let d = tx
        .c()
        .domain_by_id(d.id)
        .await?
        .ok_or_else(|| ApiError::internal("domain vanished"))?;
    let obj = domain_obj(&mut tx.c(), &ctx, &d).await?;
    tx.commit().await?;
    Ok(Reply::Object(obj))
}

pub async fn delete_domain(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let id = args.required_str("id")?;
    let cleanup = args.flag("cleanup");
    let mut tx = ctx.engine.store.begin().await?;
    let d = by_id(&mut tx.c(), &ctx, id).await?;
    if d.parent_id.is_none() {
        return Err(ApiError::param("The ROOT domain cannot be deleted"));
    }
    if d.id == ctx.caller.domain_id {
        return Err(ApiError::permission(
            "A caller cannot delete its own domain",
        ));
    }
    let (_, subtree) = tx
        .c()
        .list_domains(
            &DomainFilter {
                subtree: Some(&d.path),
                ..DomainFilter::default()
            },
            strato_schema::sql::Page::ALL,
        )
        .await?;
    let accounts = tx.c().accounts_in_subtree(&d.path).await?;
    if !cleanup && (subtree.len() > 1 || !accounts.is_empty()) {
        return Err(ApiError::in_use(format!(
            "Domain {} still has {} sub-domain(s) and {} account(s); delete them first or use cleanup=true",
            d.name,
            subtree.len() - 1,
            accounts.len()
        ))
        .with_uuid(&d.uuid, "domainId"));
    }
    let now = strato_schema::now();
    for a in &accounts {
        super::accounts::remove_account_rows(&mut tx.c(), a.id, now).await?;
    }
    // Deepest first, so no live domain is left without its parent.
    let mut doomed = subtree;
    doomed.sort_by_key(|x| std::cmp::Reverse(x.level));
    for x in doomed {
        tx.c().remove_domain(x.id, now).await?;
    }
    tx.commit().await?;
    Ok(Reply::success())
}
