//! Events: the audit trail.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub uuid: String,
    pub event_type: String,
    pub level: String,
    pub state: String,
    pub description: String,
    pub username: Option<String>,
    pub account_name: Option<String>,
    pub domain_uuid: Option<String>,
    pub domain_name: Option<String>,
    pub domain_path: Option<String>,
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    pub resource_name: Option<String>,
    pub parent_id: Option<String>,
    pub archived: bool,
    pub created: DateTime<Utc>,
}

const SELECT: &str = "SELECT e.id, e.uuid, e.event_type, e.level, e.state, e.description, \
     u.username, a.name AS account_name, d.uuid AS domain_uuid, d.name AS domain_name, \
     d.path AS domain_path, e.resource_id, e.resource_type, e.resource_name, e.parent_id, \
     e.archived, e.created FROM event e LEFT JOIN users u ON u.id = e.user_id \
     LEFT JOIN account a ON a.id = e.account_id LEFT JOIN domain d ON d.id = e.domain_id \
     WHERE 1 = 1";

const COUNT: &str = "SELECT COUNT(*) FROM event e LEFT JOIN domain d ON d.id = e.domain_id \
     WHERE 1 = 1";

pub struct NewEvent<'a> {
    pub uuid: &'a str,
    pub event_type: &'a str,
    pub level: &'a str,
    pub state: &'a str,
    pub description: &'a str,
    pub user_id: Option<i64>,
    pub account_id: i64,
    pub domain_id: i64,
    pub resource_id: Option<&'a str>,
    pub resource_type: Option<&'a str>,
    pub resource_name: Option<&'a str>,
    pub parent_id: Option<&'a str>,
}

#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub subtree: Option<String>,
    pub account_id: Option<i64>,
    pub domain_id: Option<i64>,
    pub uuid: Option<String>,
    pub uuids: Option<Vec<String>>,
    pub event_type: Option<String>,
    pub level: Option<String>,
    pub state: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub after_id: Option<i64>,
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    pub archived: Option<bool>,
    pub keyword: Option<String>,
}

impl EventFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(p) = &self.subtree {
            sql.and_prefix("d.path", p);
        }
        if let Some(id) = self.account_id {
            sql.and("e.account_id = ?", Bind::I64(id));
        }
        if let Some(id) = self.domain_id {
            sql.and("e.domain_id = ?", Bind::I64(id));
        }
        if let Some(u) = &self.uuid {
            sql.and("e.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(ids) = &self.uuids {
            sql.and_in("e.uuid", ids.iter().cloned().map(Bind::Str).collect());
        }
        if let Some(t) = &self.event_type {
            sql.and("e.event_type = ?", Bind::Str(t.clone()));
        }
        if let Some(l) = &self.level {
            sql.and("e.level = ?", Bind::Str(l.to_uppercase()));
        }
        if let Some(s) = &self.state {
            sql.and("e.state = ?", Bind::Str(s.clone()));
        }
        if let Some(t) = self.start {
            sql.and("e.created >= ?", Bind::Time(t));
        }
        if let Some(t) = self.end {
            sql.and("e.created <= ?", Bind::Time(t));
        }
        if let Some(id) = self.after_id {
            sql.and("e.id > ?", Bind::I64(id));
        }
        if let Some(r) = &self.resource_id {
            sql.and("e.resource_id = ?", Bind::Str(r.clone()));
        }
        if let Some(r) = &self.resource_type {
            sql.and("e.resource_type = ?", Bind::Str(r.clone()));
        }
        if let Some(a) = self.archived {
            sql.and("e.archived = ?", Bind::Bool(a));
        }
        if let Some(k) = &self.keyword {
            sql.push(" AND (");
            sql.push_bind(
                "lower(e.description) LIKE ? OR lower(e.event_type) LIKE ?",
                std::iter::repeat_n(Bind::Str(crate::domain::like(k)), 2),
            );
            sql.push(")");
        }
    }
}

impl Conn<'_> {
    pub async fn insert_event(&mut self, e: &NewEvent<'_>, now: DateTime<Utc>) -> Result<()> {
        const SQL: &str = "INSERT INTO event (uuid, event_type, level, state, description, \
             user_id, account_id, domain_id, resource_id, resource_type, resource_name, parent_id, \
             archived, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, FALSE, $13)";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(e.uuid)
            .bind(e.event_type)
            .bind(e.level)
            .bind(e.state)
            .bind(e.description)
            .bind(e.user_id)
            .bind(e.account_id)
            .bind(e.domain_id)
            .bind(e.resource_id)
            .bind(e.resource_type)
            .bind(e.resource_name)
            .bind(e.parent_id)
            .bind(now)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn event_id(&mut self, uuid: &str) -> Result<Option<i64>> {
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(
            "SELECT id FROM event WHERE uuid = $1"
        )
        .bind(uuid)
        .fetch_optional(&mut **c)
        .await?))
    }

    pub async fn list_events(
        &mut self,
        f: &EventFilter,
        page: Page,
    ) -> Result<(i64, Vec<EventRow>)> {
        let mut count = Sql::new(COUNT);
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY e.id DESC");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Archives (or with `delete`, deletes) the events matching `f`; returns how many.
    pub async fn archive_events(&mut self, f: &EventFilter, delete: bool) -> Result<u64> {
        let head = if delete {
            "DELETE FROM event WHERE id IN (SELECT e.id FROM event e \
             LEFT JOIN domain d ON d.id = e.domain_id WHERE 1 = 1"
        } else {
            "UPDATE event SET archived = TRUE WHERE id IN (SELECT e.id FROM event e \
             LEFT JOIN domain d ON d.id = e.domain_id WHERE 1 = 1"
        };
        let mut sql = Sql::new(head);
        f.apply(&mut sql);
        sql.push(")");
        self.execute(&sql).await
    }
}
