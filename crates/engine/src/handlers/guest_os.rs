//! listOsCategories, listOsTypes.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::guest_os::{GuestOsFilter, GuestOsRow, OsCategoryFilter, OsCategoryRow};

use crate::{Ctx, paging};

pub fn category_obj(c: &OsCategoryRow) -> Obj {
    Obj::new("oscategory")
        .str("id", &c.uuid)
        .str("name", &c.name)
        .bool("isfeatured", c.featured)
        .date("created", &c.created)
}

pub fn os_obj(o: &GuestOsRow) -> Obj {
    Obj::new("ostype")
        .str("id", &o.uuid)
        .str("name", &o.display_name)
        .str("description", &o.display_name)
        .str("oscategoryid", &o.category_uuid)
        .str("oscategoryname", &o.category_name)
        .bool("isuserdefined", o.user_defined)
        .bool("fordisplay", o.for_display)
}

pub async fn list_os_categories(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let filter = OsCategoryFilter {
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        featured: args.bool("isfeatured"),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = ctx
        .engine
        .store
        .acquire()
        .await?
        .c()
        .list_os_categories(&filter, page)
        .await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(category_obj).collect(),
    ))
}

pub async fn list_os_types(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let category_id = match args.uuid("oscategoryid") {
        Some(id) => Some(
            db.c()
                .os_category_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("oscategoryid", id, "guest OS category"))?
                .id,
        ),
        None => None,
    };
    let filter = GuestOsFilter {
        uuid: args.uuid("id").map(str::to_string),
        uuids: args.list("ids").map(<[String]>::to_vec),
        category_id,
        display_name: args.str("description").map(str::to_string),
        for_display: args.bool("fordisplay"),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = db.c().list_guest_os(&filter, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(os_obj).collect(),
    ))
}
