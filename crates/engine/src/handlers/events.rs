//! listEvents, listEventTypes, archiveEvents, deleteEvents.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::event::EventFilter;

use crate::events::types::EVENT_TYPES;
use crate::{Ctx, access, paging, views};

pub async fn list_events(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let after_id = match args.uuid("startid") {
        Some(id) => Some(
            c.event_id(id)
                .await?
                .ok_or_else(|| ApiError::not_found("startid", id, "event"))?,
        ),
        None => None,
    };
    let filter = EventFilter {
        subtree: scope.subtree,
        domain_id: scope.domain_id,
        account_id: scope.account_id,
        uuid: args.uuid("id").map(str::to_string),
        event_type: args.str("type").map(str::to_string),
        level: args.str("level").map(str::to_string),
        state: args.str("state").map(str::to_string),
        start: args.date("startdate"),
        end: args.date("enddate"),
        after_id,
        resource_id: args.str("resourceid").map(str::to_string),
        resource_type: args.str("resourcetype").map(str::to_string),
        archived: Some(args.flag("archived")),
        keyword: args.str("keyword").map(str::to_string),
        ..EventFilter::default()
    };
    let (total, rows) = c.list_events(&filter, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(views::event).collect(),
    ))
}

pub async fn list_event_types(_ctx: Ctx, _args: Args) -> Result<Reply, ApiError> {
    let items: Vec<Obj> = EVENT_TYPES
        .iter()
        .map(|t| Obj::new("eventtype").str("name", *t))
        .collect();
    Ok(Reply::list(items.len(), items))
}

/// Archives or deletes the caller's events selected by ids, type or dates.
async fn purge(ctx: Ctx, args: Args, delete: bool) -> Result<Reply, ApiError> {
    let ids = args.list("ids").map(<[String]>::to_vec);
    if ids.is_none() && !args.has("type") && !args.has("startdate") && !args.has("enddate") {
        return Err(ApiError::param(
            "Either ids, type, startdate or enddate must be specified",
        ));
    }
    if let (Some(s), Some(e)) = (args.date("startdate"), args.date("enddate"))
        && s > e
    {
        return Err(ApiError::param("startdate must be before enddate"));
    }
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, true).await?;
    let filter = EventFilter {
        subtree: scope.subtree,
        domain_id: scope.domain_id,
        account_id: scope.account_id,
        uuids: ids,
        event_type: args.str("type").map(str::to_string),
        start: args.date("startdate"),
        end: args.date("enddate"),
        archived: (!delete).then_some(false),
        ..EventFilter::default()
    };
    let n = c.archive_events(&filter, delete).await?;
    if n == 0 {
        return Err(ApiError::param(
            "No events matched the given ids, type or dates",
        ));
    }
    Ok(Reply::success())
}

pub async fn archive_events(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    purge(ctx, args, false).await
}

pub async fn delete_events(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    purge(ctx, args, true).await
}
