//! VPC offerings and their (service, provider) pairs.

use chrono::{DateTime, Utc};

use crate::network_offering::OfferingServiceRow;
use crate::offering::{OfferingKind, ScopeFilter};
use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VpcOfferingRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub display_text: String,
    pub state: String,
    pub is_default: bool,
    pub service_offering_uuid: Option<String>,
    pub redundant_router: bool,
    pub sort_key: i64,
    pub created: DateTime<Utc>,
    pub update_count: i64,
}

const SELECT: &str = "SELECT vo.id, vo.uuid, vo.name, vo.display_text, vo.state, vo.is_default, \
     so.uuid AS service_offering_uuid, vo.redundant_router, vo.sort_key, vo.created, \
     vo.update_count FROM vpc_offering vo \
     LEFT JOIN service_offering so ON so.id = vo.service_offering_id WHERE vo.removed IS NULL";

pub struct NewVpcOffering<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub display_text: &'a str,
    pub unique_name: Option<&'a str>,
    pub state: &'a str,
    pub is_default: bool,
    pub service_offering_id: Option<i64>,
    pub redundant_router: bool,
}

#[derive(Clone, Debug, Default)]
pub struct VpcOfferingFilter {
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
    pub display_text: Option<String>,
    pub state: Option<String>,
    pub is_default: Option<bool>,
    /// Only offerings that have every one of these services.
    pub services: Vec<String>,
    pub scope: ScopeFilter,
}

impl VpcOfferingFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("vo.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("vo.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            let pattern = crate::domain::like(k);
            sql.push(" AND ");
            sql.push_bind(
                "(lower(vo.name) LIKE ? OR lower(vo.display_text) LIKE ?)",
                [Bind::Str(pattern.clone()), Bind::Str(pattern)],
            );
        }
        if let Some(t) = &self.display_text {
            sql.and(
                "lower(vo.display_text) LIKE ?",
                Bind::Str(crate::domain::like(t)),
            );
        }
        if let Some(s) = &self.state {
            sql.and("lower(vo.state) = ?", Bind::Str(s.to_lowercase()));
        }
        if let Some(d) = self.is_default {
            sql.and("vo.is_default = ?", Bind::Bool(d));
        }
        for s in &self.services {
            sql.and(
                "EXISTS (SELECT 1 FROM vpc_offering_service s WHERE s.vpc_offering_id = vo.id \
                 AND s.service = ?)",
                Bind::Str(s.clone()),
            );
        }
        self.scope.apply(sql, OfferingKind::Vpc, "vo");
    }
}

impl Conn<'_> {
    pub async fn insert_vpc_offering(
        &mut self,
        o: &NewVpcOffering<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO vpc_offering (uuid, name, display_text, unique_name, \
             state, is_default, service_offering_id, redundant_router, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(o.uuid)
            .bind(o.name)
            .bind(o.display_text)
            .bind(o.unique_name)
            .bind(o.state)
            .bind(o.is_default)
            .bind(o.service_offering_id)
            .bind(o.redundant_router)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn insert_vpc_offering_services(
        &mut self,
        offering_id: i64,
        pairs: &[(&str, Option<&str>)],
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO vpc_offering_service (vpc_offering_id, service, provider) VALUES ($1, $2, $3)";
        for (service, provider) in pairs {
            on_conn!(self, |c| sqlx::query(SQL)
                .bind(offering_id)
                .bind(service)
                .bind(provider)
                .execute(&mut **c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// The (service, provider) pairs of these offerings.
    pub async fn vpc_offering_services(
        &mut self,
        offering_ids: &[i64],
    ) -> Result<Vec<OfferingServiceRow>> {
        let mut sql = Sql::new(
            "SELECT s.vpc_offering_id AS offering_id, s.service, s.provider \
             FROM vpc_offering_service s WHERE 1 = 1",
        );
        sql.and_in(
            "s.vpc_offering_id",
            offering_ids.iter().copied().map(Bind::I64).collect(),
        );
        self.fetch_all(&sql).await
    }

    pub async fn vpc_offering_by_id(&mut self, id: i64) -> Result<Option<VpcOfferingRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("vo.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn vpc_offering_by_uuid(&mut self, uuid: &str) -> Result<Option<VpcOfferingRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("vo.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn vpc_offering_by_name(&mut self, name: &str) -> Result<Option<VpcOfferingRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("vo.name = ?", Bind::Str(name.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// True when an offering with this unique name was ever created (even if removed).
    pub async fn vpc_offering_seeded(&mut self, unique_name: &str) -> Result<bool> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM vpc_offering WHERE 1 = 1");
        sql.and("unique_name = ?", Bind::Str(unique_name.into()));
        Ok(self.fetch_count(&sql).await? > 0)
    }

    pub async fn list_vpc_offerings(
        &mut self,
        f: &VpcOfferingFilter,
        page: Page,
    ) -> Result<(i64, Vec<VpcOfferingRow>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM vpc_offering vo WHERE vo.removed IS NULL");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY vo.sort_key, vo.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves the changeable columns unless another writer changed the row first.
    pub async fn update_vpc_offering(&mut self, o: &VpcOfferingRow) -> Result<bool> {
        const SQL: &str = "UPDATE vpc_offering SET name = $1, display_text = $2, state = $3, \
             sort_key = $4, update_count = update_count + 1 \
             WHERE id = $5 AND update_count = $6 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&o.name)
            .bind(&o.display_text)
            .bind(&o.state)
            .bind(o.sort_key)
            .bind(o.id)
            .bind(o.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn remove_vpc_offering(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE vpc_offering SET removed = $1, state = 'Disabled', \
             update_count = update_count + 1 WHERE id = $2 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }
}
