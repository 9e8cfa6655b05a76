//! createTags, deleteTags, listTags, and what other resources' commands use: the `tags`
//! list of their response objects, dropping the tags of a deleted resource, and the
//! `tags[i].key/value` filter of list commands.

use std::collections::HashMap;

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::resource_tag::{NewTag, TagFilter, TagRow, TaggedWith};

use super::owned;
use super::tag_types::{self, Taggable, Tagged};
use super::template_view::Kind;
use crate::{Ctx, access, paging};

/// The tag resource type of a template or an ISO.
pub fn template_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Template => "Template",
        Kind::Iso => "ISO",
    }
}

pub async fn create_tags(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let pairs = pairs(&args, true)?;
    if pairs.is_empty() {
        return Err(ApiError::param(
            "Invalid parameter tags: give at least one tags[0].key=..&tags[0].value=..",
        ));
    }
    let customer = args.str("customer");
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let (kind, resources) = resources(&mut c, &ctx, &args).await?;
    let now = strato_schema::now();
    for (uuid, r) in &resources {
        let existing = c.tags_of_resources(kind.name, &[r.id]).await?;
        for (key, value) in &pairs {
            if existing.iter().any(|t| &t.tag_key == key) {
                return Err(duplicate(key, uuid));
            }
            let tag_uuid = uuid::Uuid::new_v4().to_string();
            c.insert_tag(
                &NewTag {
                    uuid: &tag_uuid,
                    key,
                    value: value.as_deref().unwrap_or_default(),
                    resource_type: kind.name,
                    resource_id: r.id,
                    resource_uuid: uuid,
                    account_id: r.account_id,
                    domain_id: r.domain_id,
                    customer,
                },
                now,
            )
            .await
            .map_err(|e| {
                // The same key twice in one request, or a concurrent createTags.
                if e.is_unique_violation() {
                    duplicate(key, uuid)
                } else {
                    e.into()
                }
            })?;
        }
    }
    db.commit().await?;
    Ok(Reply::success())
}

fn duplicate(key: &str, resource: &str) -> ApiError {
    ApiError::param(format!(
        "Invalid parameter tags: resource {resource} already has a tag with key {key}"
    ))
}

pub async fn delete_tags(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let pairs = pairs(&args, false)?;
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let (kind, resources) = resources(&mut c, &ctx, &args).await?;
    let ids: Vec<i64> = resources.iter().map(|(_, r)| r.id).collect();
    let doomed: Vec<TagRow> = c
        .tags_of_resources(kind.name, &ids)
        .await?
        .into_iter()
        .filter(|t| {
            pairs.is_empty()
                || pairs
                    .iter()
                    .any(|(k, v)| &t.tag_key == k && v.as_ref().is_none_or(|v| &t.tag_value == v))
        })
        .collect();
    if doomed.is_empty() {
        return Err(ApiError::param(
            "Invalid parameter tags: no tag of these resources matches",
        ));
    }
    for t in &doomed {
        c.delete_tag(t.id).await?;
    }
    db.commit().await?;
    Ok(Reply::success())
}

/// The `tags` map as (key, value) pairs; `value_required` for createTags.
fn pairs(args: &Args, value_required: bool) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let mut out = Vec::new();
    for item in args.map("tags").unwrap_or_default() {
        let key = item
            .get("key")
            .map(|k| k.trim())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ApiError::param("Invalid parameter tags: every tag needs a key"))?;
        let value = item.get("value").cloned();
        if value_required && value.as_ref().is_none_or(|v| v.is_empty()) {
            return Err(ApiError::param(format!(
                "Invalid parameter tags: the value for the key {key} is empty"
            )));
        }
        out.push((key.to_string(), value));
    }
    Ok(out)
}

/// The resources named by `resourcetype` and `resourceids`, each checked: it exists and
/// the caller may act on its owner.
async fn resources(
    c: &mut Conn<'_>,
    ctx: &Ctx,
    args: &Args,
) -> Result<(&'static Taggable, Vec<(String, Tagged)>), ApiError> {
    let type_name = args.required_str("resourcetype")?;
    let kind = tag_types::find(type_name).ok_or_else(|| tag_types::unknown(type_name))?;
    let mut out: Vec<(String, Tagged)> = Vec::new();
    for uuid in args.list("resourceids").unwrap_or_default() {
        let uuid = uuid.to_ascii_lowercase();
        if out.iter().any(|(u, _)| *u == uuid) {
            continue;
        }
        let found = (kind.resolve)(c, &uuid)
            .await?
            .ok_or_else(|| ApiError::not_found("resourceids", &uuid, kind.name))?;
        owned::check_owner(c, &ctx.caller, found.account_id).await?;
        out.push((uuid, found));
    }
    if out.is_empty() {
        return Err(ApiError::param(
            "Invalid parameter resourceids: give at least one resource id",
        ));
    }
    Ok((kind, out))
}

pub async fn list_tags(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let resource_type = match args.str("resourcetype") {
        Some(t) => Some(
            tag_types::find(t)
                .ok_or_else(|| tag_types::unknown(t))?
                .name,
        ),
        None => None,
    };
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let filter = TagFilter {
        scope: owned::scope(scope),
        resource_type: resource_type.map(str::to_string),
        resource_uuid: args.str("resourceid").map(str::to_ascii_lowercase),
        key: args.str("key").map(str::to_string),
        value: args.str("value").map(str::to_string),
        customer: args.str("customer").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = c.list_tags(&filter, page).await?;
    Ok(Reply::list(
        usize::try_from(total).unwrap_or(0),
        rows.iter().map(entry).collect(),
    ))
}

/// The `tag` objects of these resources of one type, by resource id (for the `tags`
/// field of their response objects; resources without tags are absent).
pub async fn tags_of(
    c: &mut Conn<'_>,
    resource_type: &str,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Obj>>, ApiError> {
    let mut out: HashMap<i64, Vec<Obj>> = HashMap::new();
    for t in c.tags_of_resources(resource_type, ids).await? {
        out.entry(t.resource_id).or_default().push(entry(&t));
    }
    Ok(out)
}

/// Drops the tags of a resource that is being deleted.
pub async fn delete_tags_of(
    c: &mut Conn<'_>,
    resource_type: &str,
    id: i64,
) -> Result<(), ApiError> {
    c.delete_tags_of_resource(resource_type, id).await?;
    Ok(())
}

/// A list command's `tags` map (`tags[0].key=k&tags[0].value=v`) as a filter on
/// resources of `resource_type`: apply it to the list query with
/// [`TaggedWith::apply`], or get the matching ids with `Conn::tagged_ids`. None when
/// the command got no tags.
pub fn tagged_with(args: &Args, resource_type: &str) -> Result<Option<TaggedWith>, ApiError> {
    if !args.has("tags") {
        return Ok(None);
    }
    Ok(Some(TaggedWith {
        resource_type: resource_type.to_string(),
        pairs: pairs(args, false)?,
    }))
}

/// The `tag` response object.
fn entry(t: &TagRow) -> Obj {
    let o = Obj::new("tag")
        .str("key", &t.tag_key)
        .str("value", &t.tag_value)
        .str("resourcetype", &t.resource_type)
        .str("resourceid", &t.resource_uuid);
    owned::with_owner(
        o,
        &t.account_name,
        &t.domain_uuid,
        &t.domain_name,
        Some(&t.domain_path),
    )
    .opt_str("customer", t.customer.clone())
}

#[cfg(test)]
mod tests {
    use strato_api::params::{RawParams, parse};

    use super::*;

    fn args(pairs: &[(&str, &str)]) -> Args {
        let raw = RawParams::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        parse(&strato_api::commands::tags::DELETE_TAGS, &raw).expect("valid arguments")
    }

    #[test]
    fn the_tags_map_becomes_a_filter() {
        let base = [("resourceids", "x"), ("resourcetype", "Template")];
        assert!(tagged_with(&args(&base), "Template").expect("ok").is_none());
        let mut p = base.to_vec();
        p.extend([
            ("tags[0].key", "env"),
            ("tags[0].value", "prod"),
            ("tags[1].key", "team"),
        ]);
        let f = tagged_with(&args(&p), "Template")
            .expect("ok")
            .expect("a filter");
        assert_eq!(f.resource_type, "Template");
        assert_eq!(
            f.pairs,
            vec![
                ("env".to_string(), Some("prod".to_string())),
                ("team".to_string(), None)
            ]
        );
        let mut bad = base.to_vec();
        bad.push(("tags[0].value", "orphan"));
        let e = tagged_with(&args(&bad), "Template").expect_err("no key");
        assert!(e.text.contains("tags"), "{e}");
    }
}
