//! Image (secondary) stores.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ImageStoreRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub zone_id: Option<i64>,
    pub zone_uuid: Option<String>,
    pub zone_name: Option<String>,
    pub provider: String,
    pub protocol: String,
    pub url: String,
    pub scope: String,
    pub readonly: bool,
    pub total_bytes: Option<i64>,
    pub used_bytes: Option<i64>,
    pub created: DateTime<Utc>,
}

const FROM: &str =
    " FROM image_store i LEFT JOIN zone z ON z.id = i.zone_id WHERE i.removed IS NULL";

const COLUMNS: &str = "SELECT i.id, i.uuid, i.name, i.zone_id, z.uuid AS zone_uuid, \
     z.name AS zone_name, i.provider, i.protocol, i.url, i.scope, i.readonly, i.total_bytes, \
     i.used_bytes, i.created";

#[derive(Clone, Debug, Default)]
pub struct ImageStoreFilter {
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub zone_id: Option<i64>,
    pub protocol: Option<String>,
    pub provider: Option<String>,
    pub readonly: Option<bool>,
    pub url: Option<String>,
    pub keyword: Option<String>,
}

impl ImageStoreFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("i.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("i.name = ?", Bind::Str(n.clone()));
        }
        if let Some(z) = self.zone_id {
            sql.and("i.zone_id = ?", Bind::I64(z));
        }
        if let Some(p) = &self.protocol {
            sql.and("lower(i.protocol) = ?", Bind::Str(p.to_lowercase()));
        }
        if let Some(p) = &self.provider {
            sql.and("lower(i.provider) = ?", Bind::Str(p.to_lowercase()));
        }
        if let Some(r) = self.readonly {
            sql.and("i.readonly = ?", Bind::Bool(r));
        }
        if let Some(u) = &self.url {
            sql.and("i.url = ?", Bind::Str(u.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(i.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

pub struct NewImageStore<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub zone_id: Option<i64>,
    pub provider: &'a str,
    pub protocol: &'a str,
    pub url: &'a str,
    pub scope: &'a str,
}

impl Conn<'_> {
    pub async fn insert_image_store(
        &mut self,
        s: &NewImageStore<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO image_store (uuid, name, zone_id, provider, protocol, url, \
             scope, readonly, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(s.uuid)
            .bind(s.name)
            .bind(s.zone_id)
            .bind(s.provider)
            .bind(s.protocol)
            .bind(s.url)
            .bind(s.scope)
            .bind(false)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn image_store_by_id(&mut self, id: i64) -> Result<Option<ImageStoreRow>> {
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        sql.and("i.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn image_store_by_uuid(&mut self, uuid: &str) -> Result<Option<ImageStoreRow>> {
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        sql.and("i.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_image_stores(
        &mut self,
        f: &ImageStoreFilter,
        page: Page,
    ) -> Result<(i64, Vec<ImageStoreRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        f.apply(&mut sql);
        sql.push(" ORDER BY i.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves the changeable fields of an image store.
    pub async fn update_image_store(&mut self, s: &ImageStoreRow) -> Result<bool> {
        const SQL: &str = "UPDATE image_store SET name = $1, readonly = $2, total_bytes = $3 \
             WHERE id = $4 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&s.name)
            .bind(s.readonly)
            .bind(s.total_bytes)
            .bind(s.id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }
}
