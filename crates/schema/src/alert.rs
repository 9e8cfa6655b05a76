//! Alerts: what went wrong in the infrastructure (a host that lost its agent, ...).

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AlertRow {
    pub id: i64,
    pub uuid: String,
    pub alert_type: i64,
    pub name: String,
    pub zone_id: Option<i64>,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub subject: String,
    pub archived: bool,
    pub created: DateTime<Utc>,
}

const SELECT: &str = "SELECT id, uuid, alert_type, name, zone_id, pod_id, cluster_id, subject, \
     archived, created FROM alert WHERE 1 = 1";

pub struct NewAlert<'a> {
    pub uuid: &'a str,
    pub alert_type: i64,
    pub name: &'a str,
    pub zone_id: Option<i64>,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub subject: &'a str,
}

/// Which alerts a list, archive or delete applies to; every field that is set must match.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    pub uuid: Option<String>,
    pub uuids: Option<Vec<String>>,
    pub alert_type: Option<i64>,
    pub name: Option<String>,
    /// Substring of the subject, case-insensitive.
    pub keyword: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub archived: Option<bool>,
}

impl AlertFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(ids) = &self.uuids {
            sql.and_in("uuid", ids.iter().cloned().map(Bind::Str).collect());
        }
        if let Some(t) = self.alert_type {
            sql.and("alert_type = ?", Bind::I64(t));
        }
        if let Some(n) = &self.name {
            sql.and("name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(subject) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
        if let Some(t) = self.start {
            sql.and("created >= ?", Bind::Time(t));
        }
        if let Some(t) = self.end {
            sql.and("created <= ?", Bind::Time(t));
        }
        if let Some(a) = self.archived {
            sql.and("archived = ?", Bind::Bool(a));
        }
    }
}

impl Conn<'_> {
    pub async fn insert_alert(&mut self, a: &NewAlert<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO alert (uuid, alert_type, name, zone_id, pod_id, cluster_id, \
             subject, archived, created) VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(a.uuid)
            .bind(a.alert_type)
            .bind(a.name)
            .bind(a.zone_id)
            .bind(a.pod_id)
            .bind(a.cluster_id)
            .bind(a.subject)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    /// Inserts many alerts with few statements (a whole cluster may go down at once).
    pub async fn insert_alerts(
        &mut self,
        alerts: &[NewAlert<'_>],
        now: DateTime<Utc>,
    ) -> Result<()> {
        // 9 values per row keeps a chunk well under SQLite's bound-parameter limit.
        for chunk in alerts.chunks(100) {
            let mut sql = Sql::new(
                "INSERT INTO alert (uuid, alert_type, name, zone_id, pod_id, cluster_id, subject, \
                 archived, created) VALUES ",
            );
            for (i, a) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                // `Bind` has no NULL: absent ids are written as NULL literals.
                let mut binds = vec![
                    Bind::Str(a.uuid.into()),
                    Bind::I64(a.alert_type),
                    Bind::Str(a.name.into()),
                ];
                let mut marks = String::from("(?, ?, ?");
                for v in [a.zone_id, a.pod_id, a.cluster_id] {
                    match v {
                        Some(v) => {
                            marks.push_str(", ?");
                            binds.push(Bind::I64(v));
                        }
                        None => marks.push_str(", NULL"),
                    }
                }
                marks.push_str(", ?, ?, ?)");
                binds.extend([
                    Bind::Str(a.subject.into()),
                    Bind::Bool(false),
                    Bind::Time(now),
                ]);
                sql.push_bind(&marks, binds);
            }
            self.execute(&sql).await?;
        }
        Ok(())
    }

    /// Matching alerts, most recent first, and how many match in all.
    pub async fn list_alerts(
        &mut self,
        f: &AlertFilter,
        page: Page,
    ) -> Result<(i64, Vec<AlertRow>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM alert WHERE 1 = 1");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY created DESC, id DESC");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Archives (or with `delete`, deletes) the alerts matching `f`; returns how many.
    pub async fn archive_alerts(&mut self, f: &AlertFilter, delete: bool) -> Result<u64> {
        let head = if delete {
            "DELETE FROM alert WHERE 1 = 1"
        } else {
            "UPDATE alert SET archived = TRUE WHERE 1 = 1"
        };
        let mut sql = Sql::new(head);
        f.apply(&mut sql);
        self.execute(&sql).await
    }
}
