//! The domains and zones an offering is limited to: reading them from a request, who may
//! set them (CloudStack lets domain admins manage offerings of their own domains only),
//! which offerings a caller sees, and the response fields that show them.

use std::collections::HashMap;

use strato_api::params::{Args, is_uuid};
use strato_api::response::Obj;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::offering::{OfferingKind, ScopeFilter, ScopeRow, Visibility};

use crate::caller::{Caller, RoleType};

/// A domain an offering is limited to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainRef {
    pub id: i64,
    pub uuid: String,
    pub path: String,
}

/// Domains (none: public) and zones (none: every zone) of one offering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub domains: Vec<DomainRef>,
    pub zones: Vec<i64>,
}

impl Limits {
    pub async fn load(
        conn: &mut Conn<'_>,
        kind: OfferingKind,
        offering_id: i64,
    ) -> Result<Limits, ApiError> {
        let domains = conn
            .offering_domains(kind, &[offering_id])
            .await?
            .into_iter()
            .map(|d| DomainRef {
                id: d.id,
                uuid: d.uuid,
                path: d.path.unwrap_or_default(),
            })
            .collect();
        let zones = conn
            .offering_zones(kind, &[offering_id])
            .await?
            .into_iter()
            .map(|z| z.id)
            .collect();
        Ok(Limits { domains, zones })
    }

    pub async fn save(
        &self,
        conn: &mut Conn<'_>,
        kind: OfferingKind,
        offering_id: i64,
    ) -> Result<(), ApiError> {
        let domains: Vec<i64> = self.domains.iter().map(|d| d.id).collect();
        conn.set_offering_domains(kind, offering_id, &domains)
            .await?;
        conn.set_offering_zones(kind, offering_id, &self.zones)
            .await?;
        Ok(())
    }

    /// `domainid` and `zoneid` of a create command (comma-separated id lists).
    pub async fn from_create(conn: &mut Conn<'_>, args: &Args) -> Result<Limits, ApiError> {
        let none: &[String] = &[];
        Ok(Limits {
            domains: domains(conn, args.list("domainid").unwrap_or(none)).await?,
            zones: zones(conn, args.list("zoneid").unwrap_or(none)).await?,
        })
    }

    /// `domainid` (`public` lifts the limit) and `zoneid` (`all` lifts it) of an update
    /// command; what is not given stays as it was.
    pub async fn from_update(
        conn: &mut Conn<'_>,
        args: &Args,
        current: &Limits,
    ) -> Result<Limits, ApiError> {
        let domains = match args.str("domainid").map(str::trim) {
            None => current.domains.clone(),
            Some("public") => Vec::new(),
            Some(list) => domains(conn, &split(list)).await?,
        };
        let zones = match args.str("zoneid").map(str::trim) {
            None => current.zones.clone(),
            Some("all") => Vec::new(),
            Some(list) => zones(conn, &split(list)).await?,
        };
        Ok(Limits { domains, zones })
    }
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn check_id(param: &str, id: &str) -> Result<(), ApiError> {
    if is_uuid(id) {
        Ok(())
    } else {
        Err(ApiError::param(format!(
            "Invalid parameter {param} value={id}: not a UUID"
        )))
    }
}

/// Looks the domains up; a domain under another listed one is dropped (the parent
/// already covers it), as are repeats.
async fn domains(conn: &mut Conn<'_>, ids: &[String]) -> Result<Vec<DomainRef>, ApiError> {
    let mut found: Vec<DomainRef> = Vec::new();
    for id in ids {
        check_id("domainid", id)?;
        let d = conn
            .domain_by_uuid(&id.to_ascii_lowercase())
            .await?
            .ok_or_else(|| ApiError::not_found("domainid", id, "domain"))?;
        found.push(DomainRef {
            id: d.id,
            uuid: d.uuid,
            path: d.path,
        });
    }
    let mut kept: Vec<DomainRef> = Vec::new();
    for d in &found {
        let covered = found
            .iter()
            .any(|o| o.path != d.path && d.path.starts_with(&o.path));
        if !covered && !kept.iter().any(|k| k.id == d.id) {
            kept.push(d.clone());
        }
    }
    kept.sort_by_key(|d| d.id);
    Ok(kept)
}

async fn zones(conn: &mut Conn<'_>, ids: &[String]) -> Result<Vec<i64>, ApiError> {
    let mut found = Vec::new();
    for id in ids {
        check_id("zoneid", id)?;
        let z = conn
            .zone_by_uuid(&id.to_ascii_lowercase())
            .await?
            .ok_or_else(|| ApiError::not_found("zoneid", id, "zone"))?;
        if !found.contains(&z.id) {
            found.push(z.id);
        }
    }
    found.sort_unstable();
    Ok(found)
}

fn in_subtree(caller: &Caller, d: &DomainRef) -> bool {
    d.path.starts_with(&caller.domain_path)
}

/// Refuses callers that are neither root admins nor domain admins (reached only when a
/// custom role rule lets such a caller run the command).
fn admin_kind(caller: &Caller, what: &str) -> Result<bool, ApiError> {
    match caller.role_type {
        RoleType::Admin => Ok(true),
        RoleType::DomainAdmin => Ok(false),
        _ => Err(ApiError::param(format!(
            "Unable to {what}: only root admins and domain admins manage offerings"
        ))),
    }
}

/// Who may create an offering with these limits; domain admins only for domains of
/// their own subtree, and without host or storage tags.
pub fn check_create(caller: &Caller, limits: &Limits, tagged: bool) -> Result<(), ApiError> {
    if admin_kind(caller, "create the offering")? {
        return Ok(());
    }
    if limits.domains.is_empty() {
        return Err(ApiError::param(
            "A domain admin can only create offerings limited to domains of its own subtree; \
             give domainid",
        ));
    }
    if tagged {
        return Err(ApiError::param(
            "A domain admin cannot create offerings with storage or host tags",
        ));
    }
    if let Some(d) = limits.domains.iter().find(|d| !in_subtree(caller, d)) {
        return Err(ApiError::param(format!(
            "A domain admin cannot create offerings for domain {}, which is outside its subtree",
            d.uuid
        )));
    }
    Ok(())
}

/// Who may change an offering's limits (and name or text when `renaming`); returns the
/// limits to save: a domain admin keeps the domains outside its subtree it cannot see.
pub fn check_update(
    caller: &Caller,
    old: &Limits,
    new: Limits,
    renaming: bool,
    tagged: bool,
) -> Result<Limits, ApiError> {
    if admin_kind(caller, "update the offering")? {
        return Ok(new);
    }
    if new.zones != old.zones {
        return Err(ApiError::param(
            "A domain admin cannot change the zones of an offering",
        ));
    }
    if old.domains.is_empty() {
        return Err(ApiError::param(
            "A domain admin cannot update a public offering",
        ));
    }
    if new.domains.is_empty() {
        return Err(ApiError::param(
            "A domain admin cannot make an offering public",
        ));
    }
    if tagged {
        return Err(ApiError::param(
            "A domain admin cannot set storage or host tags of an offering",
        ));
    }
    if let Some(d) = new.domains.iter().find(|d| !in_subtree(caller, d)) {
        return Err(ApiError::param(format!(
            "A domain admin cannot limit an offering to domain {}, which is outside its subtree",
            d.uuid
        )));
    }
    let outside: Vec<DomainRef> = old
        .domains
        .iter()
        .filter(|d| !in_subtree(caller, d))
        .cloned()
        .collect();
    if !outside.is_empty() && renaming {
        return Err(ApiError::param(
            "A domain admin cannot rename an offering that is also limited to domains outside its subtree",
        ));
    }
    let mut domains = new.domains;
    for d in outside {
        if !domains.iter().any(|k| k.id == d.id) {
            domains.push(d);
        }
    }
    domains.sort_by_key(|d| d.id);
    Ok(Limits {
        domains,
        zones: new.zones,
    })
}

/// Who may delete an offering: domain admins only offerings limited to their subtree.
pub fn check_delete(caller: &Caller, limits: &Limits) -> Result<(), ApiError> {
    if admin_kind(caller, "delete the offering")? {
        return Ok(());
    }
    if limits.domains.is_empty() {
        return Err(ApiError::param(
            "A domain admin cannot delete a public offering",
        ));
    }
    if limits.domains.iter().any(|d| !in_subtree(caller, d)) {
        return Err(ApiError::param(
            "A domain admin cannot delete an offering limited to domains outside its subtree",
        ));
    }
    Ok(())
}

/// The zone named by `zoneid`, if any.
async fn zone_filter(conn: &mut Conn<'_>, args: &Args) -> Result<Option<i64>, ApiError> {
    match args.uuid("zoneid") {
        Some(id) => Ok(Some(
            conn.zone_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("zoneid", id, "zone"))?
                .id,
        )),
        None => Ok(None),
    }
}

/// Visibility of compute and disk offerings: root admins see every offering, and with
/// `domainid` those limited to that domain. Everyone else sees public offerings and those
/// limited to their domain or a domain above it (domain admins with `isrecursive` also
/// below it); a `domainid` they name must be their domain or above it.
pub async fn compute_visibility(
    conn: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
) -> Result<ScopeFilter, ApiError> {
    let mut filter = ScopeFilter {
        zone_id: zone_filter(conn, args).await?,
        ..ScopeFilter::default()
    };
    let domain = match args.uuid("domainid") {
        Some(id) => Some(
            conn.domain_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("domainid", id, "domain"))?,
        ),
        None => None,
    };
    if caller.is_root_admin() {
        filter.linked_domain = domain.map(|d| d.id);
        return Ok(filter);
    }
    if let Some(d) = domain
        && !caller.domain_path.starts_with(&d.path)
    {
        return Err(ApiError::permission(format!(
            "The account {} does not fall in the same domain hierarchy as domain {}",
            caller.account_name, d.uuid
        )));
    }
    let recursive = args.flag("isrecursive");
    if recursive && caller.role_type == RoleType::User {
        return Err(ApiError::param(
            "Only root admins and domain admins can list offerings with isrecursive=true",
        ));
    }
    filter.visible_from = Some(Visibility {
        path: caller.domain_path.clone(),
        below: recursive,
    });
    Ok(filter)
}

/// Visibility of network and VPC offerings: offerings that are public or limited to the
/// domain (given by `domainid`, which must be in the caller's subtree, or the caller's
/// own) or a domain above it. Root admins without `domainid` see every offering.
pub async fn network_visibility(
    conn: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
) -> Result<ScopeFilter, ApiError> {
    let mut filter = ScopeFilter {
        zone_id: zone_filter(conn, args).await?,
        ..ScopeFilter::default()
    };
    let path = match args.uuid("domainid") {
        Some(id) => {
            let d = conn
                .domain_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("domainid", id, "domain"))?;
            if !d.path.starts_with(&caller.domain_path) {
                return Err(ApiError::param(format!(
                    "Unable to list offerings for domain {}: the caller has no access to it",
                    d.uuid
                )));
            }
            Some(d.path)
        }
        None if caller.is_root_admin() => None,
        None => Some(caller.domain_path.clone()),
    };
    filter.visible_from = path.map(|path| Visibility { path, below: false });
    Ok(filter)
}

/// The domains and zones of a page of offerings, for their response objects.
pub struct ScopeNames {
    domains: HashMap<i64, Vec<ScopeRow>>,
    zones: HashMap<i64, Vec<ScopeRow>>,
}

impl ScopeNames {
    pub async fn load(
        conn: &mut Conn<'_>,
        kind: OfferingKind,
        offering_ids: &[i64],
    ) -> Result<ScopeNames, ApiError> {
        let group = |rows: Vec<ScopeRow>| {
            let mut map: HashMap<i64, Vec<ScopeRow>> = HashMap::new();
            for r in rows {
                map.entry(r.offering_id).or_default().push(r);
            }
            map
        };
        Ok(ScopeNames {
            domains: group(conn.offering_domains(kind, offering_ids).await?),
            zones: group(conn.offering_zones(kind, offering_ids).await?),
        })
    }

    /// Adds `domainid`/`domain` and `zoneid`/`zone` (comma-joined) when limited.
    pub fn fields(&self, obj: Obj, offering_id: i64) -> Obj {
        let join = |rows: Option<&Vec<ScopeRow>>, f: fn(&ScopeRow) -> &str| {
            rows.filter(|r| !r.is_empty())
                .map(|r| r.iter().map(f).collect::<Vec<_>>().join(","))
        };
        let domains = self.domains.get(&offering_id);
        let zones = self.zones.get(&offering_id);
        obj.opt_str("domainid", join(domains, |r| &r.uuid))
            .opt_str("domain", join(domains, |r| &r.name))
            .opt_str("zoneid", join(zones, |r| &r.uuid))
            .opt_str("zone", join(zones, |r| &r.name))
    }
}
