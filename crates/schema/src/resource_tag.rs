//! Resource tags (`resource_tag`): key/value pairs on resources of many types, owned by
//! the tagged resource's account.

use chrono::{DateTime, Utc};

use crate::owner_scope::OwnerScope;
use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TagRow {
    pub id: i64,
    pub uuid: String,
    pub tag_key: String,
    pub tag_value: String,
    pub resource_type: String,
    pub resource_id: i64,
    pub resource_uuid: String,
    pub account_id: i64,
    pub account_name: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub customer: Option<String>,
    pub created: DateTime<Utc>,
}

const SELECT: &str = "SELECT t.id, t.uuid, t.tag_key, t.tag_value, t.resource_type, \
     t.resource_id, t.resource_uuid, t.account_id, a.name AS account_name, t.domain_id, \
     d.uuid AS domain_uuid, d.name AS domain_name, d.path AS domain_path, t.customer, t.created";

const FROM: &str = " FROM resource_tag t JOIN account a ON a.id = t.account_id \
     JOIN domain d ON d.id = t.domain_id WHERE 1 = 1";

pub struct NewTag<'a> {
    pub uuid: &'a str,
    pub key: &'a str,
    pub value: &'a str,
    pub resource_type: &'a str,
    pub resource_id: i64,
    pub resource_uuid: &'a str,
    pub account_id: i64,
    pub domain_id: i64,
    pub customer: Option<&'a str>,
}

#[derive(Clone, Debug, Default)]
pub struct TagFilter {
    pub scope: OwnerScope,
    pub resource_type: Option<String>,
    pub resource_uuid: Option<String>,
    pub key: Option<String>,
    pub value: Option<String>,
    pub customer: Option<String>,
    pub keyword: Option<String>,
}

impl TagFilter {
    fn apply(&self, sql: &mut Sql) {
        self.scope.apply(sql, "a", "d");
        if let Some(t) = &self.resource_type {
            sql.and("t.resource_type = ?", Bind::Str(t.clone()));
        }
        if let Some(u) = &self.resource_uuid {
            sql.and("t.resource_uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(k) = &self.key {
            sql.and("t.tag_key = ?", Bind::Str(k.clone()));
        }
        if let Some(v) = &self.value {
            sql.and("t.tag_value = ?", Bind::Str(v.clone()));
        }
        if let Some(c) = &self.customer {
            sql.and("t.customer = ?", Bind::Str(c.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.push(" AND (");
            sql.push_bind(
                "lower(t.tag_key) LIKE ? OR lower(t.tag_value) LIKE ?",
                std::iter::repeat_n(Bind::Str(crate::domain::like(k)), 2),
            );
            sql.push(")");
        }
    }
}

/// A `tags[i].key=..&tags[i].value=..` filter of a list command: a resource matches when
/// it carries any one of the pairs (CloudStack ORs them).
#[derive(Clone, Debug)]
pub struct TaggedWith {
    pub resource_type: String,
    /// (key, value); a missing value matches any value of that key.
    pub pairs: Vec<(String, Option<String>)>,
}

impl TaggedWith {
    /// Appends ` AND <id_column> IN (ids of matching resources)`.
    pub fn apply(&self, sql: &mut Sql, id_column: &str) {
        sql.push(&format!(
            " AND {id_column} IN (SELECT resource_id FROM resource_tag WHERE 1 = 1"
        ));
        self.conditions(sql);
        sql.push(")");
    }

    /// ` AND <type matches> AND (<any pair matches>)` on `resource_tag`; no pairs match
    /// nothing.
    fn conditions(&self, sql: &mut Sql) {
        sql.and("resource_type = ?", Bind::Str(self.resource_type.clone()));
        if self.pairs.is_empty() {
            sql.push(" AND 1 = 0");
            return;
        }
        sql.push(" AND (");
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            match value {
                Some(v) => sql.push_bind(
                    "(tag_key = ? AND tag_value = ?)",
                    [Bind::Str(key.clone()), Bind::Str(v.clone())],
                ),
                None => sql.push_bind("tag_key = ?", [Bind::Str(key.clone())]),
            };
        }
        sql.push(")");
    }
}

impl Conn<'_> {
    pub async fn insert_tag(&mut self, t: &NewTag<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO resource_tag (uuid, tag_key, tag_value, resource_type, \
             resource_id, resource_uuid, account_id, domain_id, customer, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(t.uuid)
            .bind(t.key)
            .bind(t.value)
            .bind(t.resource_type)
            .bind(t.resource_id)
            .bind(t.resource_uuid)
            .bind(t.account_id)
            .bind(t.domain_id)
            .bind(t.customer)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn list_tags(&mut self, f: &TagFilter, page: Page) -> Result<(i64, Vec<TagRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        f.apply(&mut sql);
        sql.push(" ORDER BY t.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Every tag of these resources of one type.
    pub async fn tags_of_resources(
        &mut self,
        resource_type: &str,
        ids: &[i64],
    ) -> Result<Vec<TagRow>> {
        let mut sql = Sql::new(&format!("{SELECT}{FROM}"));
        sql.and("t.resource_type = ?", Bind::Str(resource_type.into()));
        sql.and_in(
            "t.resource_id",
            ids.iter().copied().map(Bind::I64).collect(),
        );
        sql.push(" ORDER BY t.id");
        self.fetch_all(&sql).await
    }

    pub async fn delete_tag(&mut self, id: i64) -> Result<bool> {
        Ok(on_conn!(self, |c| sqlx::query(
            "DELETE FROM resource_tag WHERE id = $1"
        )
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected())
            == 1)
    }

    /// Drops every tag of one resource (when the resource goes).
    pub async fn delete_tags_of_resource(&mut self, resource_type: &str, id: i64) -> Result<u64> {
        Ok(on_conn!(self, |c| sqlx::query(
            "DELETE FROM resource_tag WHERE resource_type = $1 AND resource_id = $2"
        )
        .bind(resource_type)
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected()))
    }

    /// Internal ids of the resources of one type that match a tag filter.
    pub async fn tagged_ids(&mut self, with: &TaggedWith) -> Result<Vec<i64>> {
        let mut sql = Sql::new("SELECT DISTINCT resource_id FROM resource_tag WHERE 1 = 1");
        with.conditions(&mut sql);
        sql.push(" ORDER BY resource_id");
        let rows: Vec<(i64,)> = self.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
