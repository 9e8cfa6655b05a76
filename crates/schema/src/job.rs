//! Async jobs: one row per submitted command, claimed by one management server.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

pub const STATUS_PENDING: i64 = 0;
pub const STATUS_SUCCEEDED: i64 = 1;
pub const STATUS_FAILED: i64 = 2;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub uuid: String,
    pub user_id: i64,
    pub user_uuid: String,
    pub account_id: i64,
    pub account_uuid: String,
    pub account_name: String,
    pub domain_uuid: String,
    pub domain_path: String,
    pub cmd: String,
    pub params: String,
    pub instance_type: Option<String>,
    pub instance_id: Option<String>,
    pub status: i64,
    pub result_code: i64,
    pub result: Option<String>,
    pub owner_msid: Option<String>,
    pub owner_name: Option<String>,
    pub created: DateTime<Utc>,
    pub completed: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT j.id, j.uuid, j.user_id, u.uuid AS user_uuid, j.account_id, \
     a.uuid AS account_uuid, a.name AS account_name, d.uuid AS domain_uuid, \
     d.path AS domain_path, j.cmd, j.params, j.instance_type, j.instance_id, j.status, \
     j.result_code, j.result, j.owner_msid, m.name AS owner_name, j.created, j.completed \
     FROM async_job j JOIN users u ON u.id = j.user_id JOIN account a ON a.id = j.account_id \
     JOIN domain d ON d.id = a.domain_id LEFT JOIN mshost m ON m.uuid = j.owner_msid \
     WHERE 1 = 1";

const COUNT: &str = "SELECT COUNT(*) FROM async_job j JOIN account a ON a.id = j.account_id \
     JOIN domain d ON d.id = a.domain_id WHERE 1 = 1";

pub struct NewJob<'a> {
    pub uuid: &'a str,
    pub user_id: i64,
    pub account_id: i64,
    pub cmd: &'a str,
    pub params: &'a str,
    pub instance_type: Option<&'a str>,
    pub instance_id: Option<&'a str>,
}

#[derive(Clone, Debug, Default)]
pub struct JobFilter {
    pub subtree: Option<String>,
    pub account_id: Option<i64>,
    pub domain_id: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub owner_msid: Option<String>,
    pub keyword: Option<String>,
}

impl JobFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(p) = &self.subtree {
            sql.and_prefix("d.path", p);
        }
        if let Some(id) = self.account_id {
            sql.and("j.account_id = ?", Bind::I64(id));
        }
        if let Some(id) = self.domain_id {
            sql.and("a.domain_id = ?", Bind::I64(id));
        }
        if let Some(t) = self.since {
            sql.and("j.created >= ?", Bind::Time(t));
        }
        if let Some(m) = &self.owner_msid {
            sql.and("j.owner_msid = ?", Bind::Str(m.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(j.cmd) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

impl Conn<'_> {
    pub async fn insert_job(&mut self, j: &NewJob<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO async_job (uuid, user_id, account_id, cmd, params, \
             instance_type, instance_id, status, result_code, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(j.uuid)
            .bind(j.user_id)
            .bind(j.account_id)
            .bind(j.cmd)
            .bind(j.params)
            .bind(j.instance_type)
            .bind(j.instance_id)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn job_by_uuid(&mut self, uuid: &str) -> Result<Option<JobRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("j.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn job_by_id(&mut self, id: i64) -> Result<Option<JobRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("j.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_jobs(&mut self, f: &JobFilter, page: Page) -> Result<(i64, Vec<JobRow>)> {
        let mut count = Sql::new(COUNT);
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY j.id DESC");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Ids of pending jobs no server has claimed, oldest first.
    pub async fn unclaimed_jobs(&mut self, limit: i64) -> Result<Vec<i64>> {
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(
            "SELECT id FROM async_job WHERE status = 0 AND owner_msid IS NULL ORDER BY id LIMIT $1"
        )
        .bind(limit)
        .fetch_all(&mut **c)
        .await?))
    }

    /// Claims a pending job for `msid`; false if another server got it first.
    pub async fn claim_job(&mut self, id: i64, msid: &str, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE async_job SET owner_msid = $1, started = $2, \
             update_count = update_count + 1 WHERE id = $3 AND status = 0 AND owner_msid IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(msid)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Records the outcome of a job this server owns; false if it was no longer pending.
    pub async fn complete_job(
        &mut self,
        id: i64,
        msid: &str,
        status: i64,
        result_code: i64,
        result: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE async_job SET status = $1, result_code = $2, result = $3, \
             completed = $4, update_count = update_count + 1 \
             WHERE id = $5 AND status = 0 AND owner_msid = $6";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(status)
            .bind(result_code)
            .bind(result)
            .bind(now)
            .bind(id)
            .bind(msid)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn set_job_instance(&mut self, id: i64, instance_id: &str) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "UPDATE async_job SET instance_id = $1 WHERE id = $2"
        )
        .bind(instance_id)
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Fails every pending job claimed by a server that is no longer alive.
    /// Jobs whose saga is unfinished are left to saga recovery, which completes them.
    pub async fn fail_orphaned_jobs(
        &mut self,
        live_since: DateTime<Utc>,
        result: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        const SQL: &str = "UPDATE async_job SET status = 2, result_code = 530, result = $1, \
             completed = $2, update_count = update_count + 1 \
             WHERE status = 0 AND owner_msid IS NOT NULL AND owner_msid NOT IN \
             (SELECT uuid FROM mshost WHERE state = 'Up' AND last_heartbeat >= $3) \
             AND id NOT IN (SELECT job_id FROM saga WHERE job_id IS NOT NULL \
                 AND state IN ('running', 'unwinding'))";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(result)
            .bind(now)
            .bind(live_since)
            .execute(&mut **c)
            .await?
            .rows_affected()))
    }
}
