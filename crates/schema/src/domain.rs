//! Domains. `path` is CloudStack's internal form: `/` for ROOT, `/Sales/East/` below it,
//! so a subtree is every live row whose path starts with the parent's path.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DomainRow {
    pub id: i64,
    pub uuid: String,
    pub parent_id: Option<i64>,
    pub parent_uuid: Option<String>,
    pub parent_name: Option<String>,
    pub name: String,
    pub path: String,
    pub level: i64,
    pub network_domain: Option<String>,
    pub state: String,
    pub created: DateTime<Utc>,
    pub child_count: i64,
}

impl DomainRow {
    /// The path as the API shows it: `ROOT/Sales/East`.
    pub fn display_path(&self) -> String {
        display_path(&self.path)
    }
}

pub fn display_path(path: &str) -> String {
    let inner = path.trim_matches('/');
    if inner.is_empty() {
        "ROOT".to_string()
    } else {
        format!("ROOT/{inner}")
    }
}

pub const SELECT: &str = "SELECT d.id, d.uuid, d.parent_id, p.uuid AS parent_uuid, \
     p.name AS parent_name, d.name, d.path, d.level, d.network_domain, d.state, d.created, \
     (SELECT COUNT(*) FROM domain c WHERE c.parent_id = d.id AND c.removed IS NULL) AS child_count \
     FROM domain d LEFT JOIN domain p ON p.id = d.parent_id WHERE d.removed IS NULL";

pub struct NewDomain<'a> {
    pub uuid: &'a str,
    pub parent_id: Option<i64>,
    pub name: &'a str,
    pub path: &'a str,
    pub level: i64,
    pub network_domain: Option<&'a str>,
}

/// Filters for listing domains.
#[derive(Default)]
pub struct DomainFilter<'a> {
    /// Only domains inside this path (inclusive).
    pub subtree: Option<&'a str>,
    pub uuid: Option<&'a str>,
    pub name: Option<&'a str>,
    pub level: Option<i64>,
    pub parent_id: Option<i64>,
    pub keyword: Option<&'a str>,
}

impl DomainFilter<'_> {
    fn sql(&self, head: &str) -> Sql {
        let mut sql = Sql::new(head);
        if let Some(p) = self.subtree {
            sql.and_prefix("d.path", p);
        }
        if let Some(u) = self.uuid {
            sql.and("d.uuid = ?", Bind::Str(u.into()));
        }
        if let Some(n) = self.name {
            sql.and("d.name = ?", Bind::Str(n.into()));
        }
        if let Some(l) = self.level {
            sql.and("d.level = ?", Bind::I64(l));
        }
        if let Some(p) = self.parent_id {
            sql.and("d.parent_id = ?", Bind::I64(p));
        }
        if let Some(k) = self.keyword {
            sql.and("lower(d.name) LIKE ?", Bind::Str(like(k)));
        }
        sql
    }
}

/// `%keyword%` with LIKE's wildcards taken literally is not portable; keywords are
/// matched as substrings, and `%`/`_` typed by a user match loosely, which is harmless.
pub fn like(keyword: &str) -> String {
    format!("%{}%", keyword.to_lowercase())
}

impl Conn<'_> {
    pub async fn insert_domain(&mut self, d: &NewDomain<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO domain (uuid, parent_id, name, path, level, network_domain, \
             state, created) VALUES ($1, $2, $3, $4, $5, $6, 'Active', $7) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(d.uuid)
            .bind(d.parent_id)
            .bind(d.name)
            .bind(d.path)
            .bind(d.level)
            .bind(d.network_domain)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn domain_by_id(&mut self, id: i64) -> Result<Option<DomainRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("d.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn domain_by_uuid(&mut self, uuid: &str) -> Result<Option<DomainRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("d.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn domain_by_path(&mut self, path: &str) -> Result<Option<DomainRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("d.path = ?", Bind::Str(path.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_domains(
        &mut self,
        f: &DomainFilter<'_>,
        page: Page,
    ) -> Result<(i64, Vec<DomainRow>)> {
        let count = f.sql("SELECT COUNT(*) FROM domain d WHERE d.removed IS NULL");
        let total = self.fetch_count(&count).await?;
        let mut sql = f.sql(SELECT);
        sql.push(" ORDER BY d.path");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn update_domain(
        &mut self,
        id: i64,
        name: &str,
        path: &str,
        network_domain: Option<&str>,
    ) -> Result<()> {
        const SQL: &str = "UPDATE domain SET name = $1, path = $2, network_domain = $3, \
             update_count = update_count + 1 WHERE id = $4 AND removed IS NULL";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(name)
            .bind(path)
            .bind(network_domain)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Rewrites the path prefix of every live descendant after a rename.
    pub async fn rename_domain_subtree(&mut self, old: &str, new: &str) -> Result<u64> {
        const SQL: &str = "UPDATE domain SET path = $1 || substr(path, length($2) + 1) \
             WHERE removed IS NULL AND substr(path, 1, length($2)) = $2 AND path <> $2";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(new)
            .bind(old)
            .execute(&mut **c)
            .await?
            .rows_affected()))
    }

    pub async fn remove_domain(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE domain SET removed = $1, state = 'Inactive', \
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
