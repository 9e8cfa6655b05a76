//! What offerings of every kind share: the domains and zones an offering is limited to
//! (`offering_domain`, `offering_zone`; none means public / every zone) and the list
//! filters built on them.

use crate::sql::{Bind, Sql};
use crate::{Conn, Result, on_conn};

/// The offering table an `offering_domain` / `offering_zone` row refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferingKind {
    Service,
    Disk,
    Network,
    Vpc,
}

impl OfferingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferingKind::Service => "service",
            OfferingKind::Disk => "disk",
            OfferingKind::Network => "network",
            OfferingKind::Vpc => "vpc",
        }
    }
}

/// A domain or zone an offering is limited to (`path` is set for domains only).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ScopeRow {
    pub offering_id: i64,
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub path: Option<String>,
}

/// Domain and zone conditions of an offering list.
#[derive(Clone, Debug, Default)]
pub struct ScopeFilter {
    /// Only offerings limited to this domain (by id).
    pub linked_domain: Option<i64>,
    /// Only public offerings and those limited to a live domain seen from `path`: that
    /// domain or one above it, and with `below` also one under it. (A removed domain's
    /// path may be reused by a new domain, which must not inherit its offerings.)
    pub visible_from: Option<Visibility>,
    /// Only offerings for every zone or limited to this zone (by id).
    pub zone_id: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Visibility {
    pub path: String,
    pub below: bool,
}

impl ScopeFilter {
    /// Appends the conditions for rows of `kind` whose table alias is `alias`.
    pub fn apply(&self, sql: &mut Sql, kind: OfferingKind, alias: &str) {
        let k = || Bind::Str(kind.as_str().to_string());
        let of = format!("od.kind = ? AND od.offering_id = {alias}.id");
        if let Some(d) = self.linked_domain {
            sql.push(" AND EXISTS (SELECT 1 FROM offering_domain od WHERE ");
            sql.push_bind(&format!("{of} AND od.domain_id = ?)"), [k(), Bind::I64(d)]);
        }
        if let Some(v) = &self.visible_from {
            sql.push(" AND (NOT EXISTS (SELECT 1 FROM offering_domain od WHERE ");
            sql.push_bind(&format!("{of})"), [k()]);
            sql.push(" OR EXISTS (SELECT 1 FROM offering_domain od JOIN domain d ON d.id = od.domain_id WHERE ");
            sql.push_bind(
                &format!("{of} AND d.removed IS NULL AND (substr(?, 1, length(d.path)) = d.path"),
                [k(), Bind::Str(v.path.clone())],
            );
            if v.below {
                sql.push_bind(
                    " OR substr(d.path, 1, length(?)) = ?",
                    [Bind::Str(v.path.clone()), Bind::Str(v.path.clone())],
                );
            }
            sql.push(")))");
        }
        if let Some(z) = self.zone_id {
            let oz = format!("oz.kind = ? AND oz.offering_id = {alias}.id");
            sql.push(" AND (NOT EXISTS (SELECT 1 FROM offering_zone oz WHERE ");
            sql.push_bind(&format!("{oz})"), [k()]);
            sql.push(" OR EXISTS (SELECT 1 FROM offering_zone oz WHERE ");
            sql.push_bind(&format!("{oz} AND oz.zone_id = ?))"), [k(), Bind::I64(z)]);
        }
    }
}

impl Conn<'_> {
    /// Replaces the domains an offering is limited to (empty: public).
    pub async fn set_offering_domains(
        &mut self,
        kind: OfferingKind,
        offering_id: i64,
        domain_ids: &[i64],
    ) -> Result<()> {
        const DELETE: &str = "DELETE FROM offering_domain WHERE kind = $1 AND offering_id = $2";
        const INSERT: &str =
            "INSERT INTO offering_domain (kind, offering_id, domain_id) VALUES ($1, $2, $3)";
        on_conn!(self, |c| sqlx::query(DELETE)
            .bind(kind.as_str())
            .bind(offering_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        for d in domain_ids {
            on_conn!(self, |c| sqlx::query(INSERT)
                .bind(kind.as_str())
                .bind(offering_id)
                .bind(d)
                .execute(&mut **c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// Replaces the zones an offering is limited to (empty: every zone).
    pub async fn set_offering_zones(
        &mut self,
        kind: OfferingKind,
        offering_id: i64,
        zone_ids: &[i64],
    ) -> Result<()> {
        const DELETE: &str = "DELETE FROM offering_zone WHERE kind = $1 AND offering_id = $2";
        const INSERT: &str =
            "INSERT INTO offering_zone (kind, offering_id, zone_id) VALUES ($1, $2, $3)";
        on_conn!(self, |c| sqlx::query(DELETE)
            .bind(kind.as_str())
            .bind(offering_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        for z in zone_ids {
            on_conn!(self, |c| sqlx::query(INSERT)
                .bind(kind.as_str())
                .bind(offering_id)
                .bind(z)
                .execute(&mut **c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// The domains of these offerings, ordered by offering and domain id.
    pub async fn offering_domains(
        &mut self,
        kind: OfferingKind,
        offering_ids: &[i64],
    ) -> Result<Vec<ScopeRow>> {
        let mut sql = Sql::new(
            "SELECT od.offering_id, d.id, d.uuid, d.name, d.path FROM offering_domain od \
             JOIN domain d ON d.id = od.domain_id WHERE 1 = 1",
        );
        sql.and("od.kind = ?", Bind::Str(kind.as_str().into()));
        sql.and_in(
            "od.offering_id",
            offering_ids.iter().copied().map(Bind::I64).collect(),
        );
        sql.push(" ORDER BY od.offering_id, d.id");
        self.fetch_all(&sql).await
    }

    /// The zones of these offerings, ordered by offering and zone id.
    pub async fn offering_zones(
        &mut self,
        kind: OfferingKind,
        offering_ids: &[i64],
    ) -> Result<Vec<ScopeRow>> {
        let mut sql = Sql::new(
            "SELECT oz.offering_id, z.id, z.uuid, z.name, CAST(NULL AS TEXT) AS path \
             FROM offering_zone oz JOIN zone z ON z.id = oz.zone_id WHERE 1 = 1",
        );
        sql.and("oz.kind = ?", Bind::Str(kind.as_str().into()));
        sql.and_in(
            "oz.offering_id",
            offering_ids.iter().copied().map(Bind::I64).collect(),
        );
        sql.push(" ORDER BY oz.offering_id, z.id");
        self.fetch_all(&sql).await
    }
}
