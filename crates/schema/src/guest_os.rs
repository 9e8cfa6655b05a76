//! Guest OS types and their categories (seeded at first start, read by everyone).

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OsCategoryRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub featured: bool,
    pub sort_order: i64,
    pub created: DateTime<Utc>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GuestOsRow {
    pub id: i64,
    pub uuid: String,
    pub category_id: i64,
    pub category_uuid: String,
    pub category_name: String,
    pub display_name: String,
    pub user_defined: bool,
    pub for_display: bool,
}

#[derive(Clone, Debug, Default)]
pub struct OsCategoryFilter {
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub featured: Option<bool>,
    pub keyword: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct GuestOsFilter {
    pub uuid: Option<String>,
    pub uuids: Option<Vec<String>>,
    pub category_id: Option<i64>,
    pub display_name: Option<String>,
    pub for_display: Option<bool>,
    pub keyword: Option<String>,
}

const CATEGORY_SELECT: &str = "SELECT g.id, g.uuid, g.name, g.featured, g.sort_order, g.created \
     FROM guest_os_category g WHERE 1 = 1";
const CATEGORY_COUNT: &str = "SELECT COUNT(*) FROM guest_os_category g WHERE 1 = 1";

const OS_SELECT: &str = "SELECT o.id, o.uuid, o.category_id, g.uuid AS category_uuid, \
     g.name AS category_name, o.display_name, o.user_defined, o.for_display \
     FROM guest_os o JOIN guest_os_category g ON g.id = o.category_id WHERE 1 = 1";
const OS_COUNT: &str =
    "SELECT COUNT(*) FROM guest_os o JOIN guest_os_category g ON g.id = o.category_id WHERE 1 = 1";

impl OsCategoryFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("g.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("lower(g.name) = ?", Bind::Str(n.to_lowercase()));
        }
        if let Some(f) = self.featured {
            sql.and("g.featured = ?", Bind::Bool(f));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(g.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

impl GuestOsFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("o.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(ids) = &self.uuids {
            sql.and_in("o.uuid", ids.iter().cloned().map(Bind::Str).collect());
        }
        if let Some(c) = self.category_id {
            sql.and("o.category_id = ?", Bind::I64(c));
        }
        if let Some(n) = &self.display_name {
            sql.and("lower(o.display_name) = ?", Bind::Str(n.to_lowercase()));
        }
        if let Some(f) = self.for_display {
            sql.and("o.for_display = ?", Bind::Bool(f));
        }
        if let Some(k) = &self.keyword {
            sql.and(
                "lower(o.display_name) LIKE ?",
                Bind::Str(crate::domain::like(k)),
            );
        }
    }
}

impl Conn<'_> {
    /// Adds a category with a fixed id unless that id exists already.
    pub async fn seed_os_category(
        &mut self,
        id: i64,
        uuid: &str,
        name: &str,
        sort_order: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO guest_os_category (id, uuid, name, featured, sort_order, \
             created) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(id)
            .bind(uuid)
            .bind(name)
            .bind(true)
            .bind(sort_order)
            .bind(now)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Adds a guest OS with a fixed id unless that id exists already.
    pub async fn seed_guest_os(
        &mut self,
        id: i64,
        uuid: &str,
        category_id: i64,
        name: &str,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO guest_os (id, uuid, category_id, display_name, \
             user_defined, for_display) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(id)
            .bind(uuid)
            .bind(category_id)
            .bind(name)
            .bind(false)
            .bind(true)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Ids of the guest OS rows present.
    pub async fn guest_os_ids(&mut self) -> Result<Vec<i64>> {
        const SQL: &str = "SELECT id FROM guest_os";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .fetch_all(&mut **c)
            .await?))
    }

    pub async fn os_category_by_uuid(&mut self, uuid: &str) -> Result<Option<OsCategoryRow>> {
        let mut sql = Sql::new(CATEGORY_SELECT);
        sql.and("g.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Categories in CloudStack's display order (sort key, then id).
    pub async fn list_os_categories(
        &mut self,
        f: &OsCategoryFilter,
        page: Page,
    ) -> Result<(i64, Vec<OsCategoryRow>)> {
        let mut count = Sql::new(CATEGORY_COUNT);
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(CATEGORY_SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY g.sort_order, g.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn guest_os_by_id(&mut self, id: i64) -> Result<Option<GuestOsRow>> {
        let mut sql = Sql::new(OS_SELECT);
        sql.and("o.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_guest_os(
        &mut self,
        f: &GuestOsFilter,
        page: Page,
    ) -> Result<(i64, Vec<GuestOsRow>)> {
        let mut count = Sql::new(OS_COUNT);
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(OS_SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY o.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }
}
