//! listTemplates and listIsos, and the template object every template command returns:
//! one entry per (template, zone), with that zone's download status.

use std::collections::HashMap;

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::template::{TemplateFilter, TemplateRefRow, TemplateRow, Visible, state};

use super::one_of;
use super::templates::DETAIL_TYPE;
use crate::caller::{Caller, RoleType};
use crate::{Ctx, access, paging};

/// Templates and ISOs share rows and code; this says which one a command is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Template,
    Iso,
}

impl Kind {
    pub fn object(self) -> &'static str {
        match self {
            Kind::Template => "template",
            Kind::Iso => "iso",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Kind::Template => "template",
            Kind::Iso => "ISO",
        }
    }
}

const FILTERS: &[&str] = &[
    "featured",
    "self",
    "selfexecutable",
    "sharedexecutable",
    "executable",
    "community",
    "all",
];

pub async fn list_templates(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let filter = one_of(
        "templatefilter",
        args.required_str("templatefilter")?,
        FILTERS,
    )?;
    list(ctx, args, Kind::Template, filter).await
}

pub async fn list_isos(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let filter = match args.str("isofilter") {
        Some(f) => one_of("isofilter", f, FILTERS)?,
        None => "selfexecutable",
    };
    list(ctx, args, Kind::Iso, filter).await
}

async fn list(ctx: Ctx, args: Args, kind: Kind, filter: &str) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let mut f = visibility(&mut c, &ctx.caller, &args, filter).await?;
    f.iso = kind == Kind::Iso;
    if let Some(id) = args.uuid("id") {
        f.uuids.push(id.to_string());
    }
    f.uuids
        .extend(args.list("ids").unwrap_or_default().iter().cloned());
    f.name = args.str("name").map(str::to_string);
    f.keyword = args.str("keyword").map(str::to_string);
    f.hypervisor = args.str("hypervisor").map(str::to_string);
    f.template_type = args.str("templatetype").map(str::to_uppercase);
    f.bootable = args.bool("bootable");
    f.is_public = args.bool("ispublic");
    f.arch = args.str("arch").map(str::to_string);
    if let Some(r) = args.bool("isready") {
        f.ready = Some(r);
    }
    if let Some(z) = args.uuid("zoneid") {
        f.zone_id = Some(
            c.zone_by_uuid(z)
                .await?
                .ok_or_else(|| ApiError::not_found("zoneid", z, "zone"))?
                .id,
        );
    }
    if let Some(s) = args.uuid("imagestoreid") {
        f.store_id = Some(
            c.image_store_by_uuid(s)
                .await?
                .ok_or_else(|| ApiError::not_found("imagestoreid", s, "image store"))?
                .id,
        );
    }
    if let Some(cat) = args.uuid("oscategoryid") {
        f.os_category_id = Some(
            c.os_category_by_uuid(cat)
                .await?
                .ok_or_else(|| ApiError::not_found("oscategoryid", cat, "OS category"))?
                .id,
        );
    }
    let (total, pairs) = c
        .list_templates_in_zones(&f, args.flag("showunique"), page)
        .await?;
    let ids: Vec<i64> = pairs.iter().map(|p| p.template_id).collect();
    let rows = c.templates_by_ids(&ids).await?;
    let refs = c.template_refs(&ids).await?;
    let mut details = HashMap::new();
    for t in &rows {
        details.insert(t.id, c.details_of_resource(DETAIL_TYPE, t.id).await?);
    }
    let tags = super::tags::tags_of(&mut c, super::tags::template_type(kind), &ids).await?;
    let by_id: HashMap<i64, &TemplateRow> = rows.iter().map(|t| (t.id, t)).collect();
    let items = pairs
        .iter()
        .filter_map(|p| {
            let t = by_id.get(&p.template_id)?;
            let zone_refs: Vec<&TemplateRefRow> = refs
                .iter()
                .filter(|r| r.template_id == p.template_id && r.zone_id == p.zone_id)
                .collect();
            Some(entry(
                kind,
                t,
                &zone_refs,
                details.get(&t.id),
                tags.get(&t.id),
            ))
        })
        .collect();
    Ok(Reply::list(usize::try_from(total).unwrap_or(0), items))
}

/// Which templates `filter` shows this caller (CloudStack's template filters). An admin
/// naming `account`/`domainid` sees that owner's templates instead.
async fn visibility(
    c: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
    filter: &str,
) -> Result<TemplateFilter, ApiError> {
    let me = caller.account_id;
    let mut f = TemplateFilter::default();
    let owner: Option<Vec<Visible>> = if args.has("account") || args.has("domainid") {
        let scope = access::list_scope(c, caller, args, false).await?;
        Some(match (scope.account_id, scope.domain_id, scope.subtree) {
            (Some(a), _, _) => vec![Visible::Account(a)],
            (_, Some(d), _) => vec![Visible::Domain(d)],
            (_, _, Some(p)) => vec![Visible::Subtree(p)],
            _ => vec![Visible::Account(me)],
        })
    } else {
        None
    };
    let own = || owner.clone().unwrap_or_else(|| vec![Visible::Account(me)]);
    match filter {
        "featured" => f.visible = vec![Visible::Featured],
        "self" => f.visible = own(),
        "selfexecutable" => {
            f.visible = own();
            f.ready = Some(true);
        }
        "sharedexecutable" => {
            f.visible = vec![Visible::SharedWith(me)];
            f.ready = Some(true);
        }
        "executable" => {
            f.visible = vec![
                Visible::Featured,
                Visible::Public,
                Visible::Account(me),
                Visible::SharedWith(me),
            ];
            f.ready = Some(true);
        }
        "community" => {
            f.visible = vec![Visible::Public];
            f.not_featured = true;
            f.not_account = Some(me);
        }
        _ => {
            f.visible = match (&owner, caller.role_type) {
                (Some(o), _) => o.clone(),
                (None, RoleType::Admin) => {
                    f.include_system = true;
                    vec![Visible::Everything]
                }
                (None, RoleType::DomainAdmin | RoleType::ResourceAdmin) => vec![
                    Visible::Subtree(caller.domain_path.clone()),
                    Visible::Featured,
                    Visible::Public,
                ],
                (None, RoleType::User) => vec![
                    Visible::Featured,
                    Visible::Public,
                    Visible::Account(me),
                    Visible::SharedWith(me),
                ],
            }
        }
    }
    Ok(f)
}

/// Entries of these templates (all their zones, or one zone) in the list format.
pub async fn template_entries(
    c: &mut Conn<'_>,
    kind: Kind,
    ids: &[i64],
    zone_id: Option<i64>,
) -> Result<Vec<Obj>, ApiError> {
    let rows = c.templates_by_ids(ids).await?;
    let refs = c.template_refs(ids).await?;
    let tags = super::tags::tags_of(c, super::tags::template_type(kind), ids).await?;
    let mut out = Vec::new();
    for t in &rows {
        let details = c.details_of_resource(DETAIL_TYPE, t.id).await?;
        let mut zones: Vec<i64> = refs
            .iter()
            .filter(|r| r.template_id == t.id && zone_id.is_none_or(|z| z == r.zone_id))
            .map(|r| r.zone_id)
            .collect();
        zones.dedup();
        for z in zones {
            let zone_refs: Vec<&TemplateRefRow> = refs
                .iter()
                .filter(|r| r.template_id == t.id && r.zone_id == z)
                .collect();
            out.push(entry(kind, t, &zone_refs, Some(&details), tags.get(&t.id)));
        }
    }
    Ok(out)
}

/// The status line CloudStack shows for a copy.
pub fn status_text(r: &TemplateRefRow, kind: Kind) -> String {
    match r.download_state.as_str() {
        state::DOWNLOADED if kind == Kind::Iso => "Successfully Installed".into(),
        state::DOWNLOADED => "Download Complete".into(),
        state::DOWNLOAD_IN_PROGRESS if r.download_pct > 0 => {
            format!("{}% Downloaded", r.download_pct)
        }
        state::DOWNLOAD_IN_PROGRESS => "Downloading".into(),
        state::NOT_DOWNLOADED => "Download Not Started".into(),
        state::NOT_UPLOADED => "Upload Not Started".into(),
        state::UPLOAD_IN_PROGRESS => format!("{}% Uploaded", r.download_pct),
        _ => r
            .error_str
            .clone()
            .unwrap_or_else(|| "Download Failed".into()),
    }
}

fn entry(
    kind: Kind,
    t: &TemplateRow,
    refs: &[&TemplateRefRow],
    details: Option<&Vec<(String, String)>>,
    tags: Option<&Vec<Obj>>,
) -> Obj {
    // A zone with several stores shows its best copy: ready before in progress.
    let best = refs
        .iter()
        .find(|r| r.is_ready())
        .or_else(|| refs.first())
        .copied();
    let mut o = Obj::new(kind.object())
        .str("id", &t.uuid)
        .str("name", &t.name)
        .str("displaytext", &t.display_text)
        .bool("ispublic", t.is_public)
        .date("created", &t.created)
        .bool("isready", best.is_some_and(|r| r.is_ready()))
        .bool("passwordenabled", t.password_enabled);
    if kind == Kind::Iso {
        o = o.bool("bootable", t.bootable);
    } else {
        o = o.str("format", &t.format);
    }
    o = o
        .bool("isfeatured", t.featured)
        .bool("crossZones", t.cross_zones)
        .str("ostypeid", &t.guest_os_uuid)
        .str("ostypename", &t.guest_os_name)
        .str("account", &t.account_name)
        .str("accountid", &t.account_uuid);
    if let Some(r) = best {
        o = o
            .str("zoneid", &r.zone_uuid)
            .str("zonename", &r.zone_name)
            .str("status", status_text(r, kind));
        if let Some(s) = r.size {
            o = o.int("size", s);
        }
        if let Some(p) = r.physical_size {
            o = o.int("physicalsize", p);
        }
    }
    if kind == Kind::Template {
        o = o
            .str("templatetype", &t.template_type)
            .str("hypervisor", &t.hypervisor);
    }
    o = o
        .str("domain", &t.domain_name)
        .str("domainid", &t.domain_uuid)
        .str(
            "domainpath",
            strato_schema::domain::display_path(&t.domain_path),
        )
        .bool("isextractable", t.extractable)
        .opt_str("checksum", t.checksum.clone())
        .node("details", Node::Map(details.cloned().unwrap_or_default()))
        .node(
            "downloaddetails",
            Node::Objs(refs.iter().map(|r| download_detail(r)).collect()),
        )
        .int("bits", i64::from(t.bits))
        .bool("sshkeyenabled", t.sshkey_enabled)
        .bool("isdynamicallyscalable", t.dynamically_scalable)
        .bool("directdownload", false)
        .bool("deployasis", false)
        .bool("requireshvm", t.requires_hvm)
        .opt_str("url", t.url.clone())
        .str("arch", &t.arch)
        .opt_str("templatetag", t.template_tag.clone())
        .opt_str("sourcetemplateid", t.source_template_uuid.clone())
        .bool("hasannotations", false);
    o.node("tags", Node::Objs(tags.cloned().unwrap_or_default()))
}

fn download_detail(r: &TemplateRefRow) -> Obj {
    Obj::new("downloaddetail")
        .str("downloadState", &r.download_state)
        .str("datastore", &r.store_name)
        .str("downloadPercent", r.download_pct.to_string())
}
