//! Sagas: one row per multi-step operation and its append-only log of step events.
//!
//! Every write to a saga row is fenced by its owner and `update_count`, so a server that
//! lost a saga to a peer (it was thought dead) cannot write to it any more.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SagaRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    /// The saga's parameters as JSON.
    pub params: String,
    /// running, unwinding, done, failed or stuck.
    pub state: String,
    /// The failed action's error (JSON), once the saga unwinds.
    pub error: Option<String>,
    /// Why the saga cannot go on by itself (an undo kept failing, an unknown saga type).
    pub stuck_reason: Option<String>,
    pub owner_msid: String,
    pub job_id: Option<i64>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub update_count: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SagaEventRow {
    pub id: i64,
    pub saga_id: i64,
    pub node: i64,
    pub step: String,
    /// started, succeeded, failed, undo_started, undo_finished or undo_failed.
    pub event: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub created: DateTime<Utc>,
}

pub struct NewSaga<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub params: &'a str,
    pub owner_msid: &'a str,
    pub job_id: Option<i64>,
}

pub struct NewSagaEvent<'a> {
    pub saga_id: i64,
    pub node: i64,
    pub step: &'a str,
    pub event: &'a str,
    pub output: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// The owner's view of a saga row: a write succeeds only if nobody else wrote since.
#[derive(Clone, Copy, Debug)]
pub struct SagaFence<'a> {
    pub id: i64,
    pub owner_msid: &'a str,
    pub update_count: i64,
}

/// Columns changed with a fenced write; `None` leaves a column as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct SagaChange<'a> {
    pub state: Option<&'a str>,
    pub error: Option<&'a str>,
    pub stuck_reason: Option<&'a str>,
}

/// `SELECT … FROM saga <rest>` as one static string.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, uuid, name, params, state, error, stuck_reason, owner_msid, job_id, \
             created, updated, update_count FROM saga ",
            $rest
        )
    };
}

impl Conn<'_> {
    /// Inserts a running saga owned by `owner_msid`; returns its id.
    pub async fn insert_saga(&mut self, s: &NewSaga<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO saga (uuid, name, params, state, owner_msid, job_id, \
             created, updated, update_count) VALUES ($1, $2, $3, 'running', $4, $5, $6, $6, 0) \
             RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(s.uuid)
            .bind(s.name)
            .bind(s.params)
            .bind(s.owner_msid)
            .bind(s.job_id)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn saga_by_id(&mut self, id: i64) -> Result<Option<SagaRow>> {
        Ok(on_conn!(self, |c| sqlx::query_as::<_, SagaRow>(select!(
            "WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut **c)
        .await?))
    }

    /// The saga's log, in the order it was written.
    pub async fn saga_events(&mut self, saga_id: i64) -> Result<Vec<SagaEventRow>> {
        const SQL: &str = "SELECT id, saga_id, node, step, event, output, error, created \
             FROM saga_node_event WHERE saga_id = $1 ORDER BY id";
        Ok(on_conn!(self, |c| sqlx::query_as::<_, SagaEventRow>(SQL)
            .bind(saga_id)
            .fetch_all(&mut **c)
            .await?))
    }

    /// Applies `change` if `fence` still holds; false when another writer got there first.
    pub async fn advance_saga(
        &mut self,
        fence: SagaFence<'_>,
        change: SagaChange<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE saga SET state = COALESCE($1, state), \
             error = COALESCE($2, error), stuck_reason = COALESCE($3, stuck_reason), \
             updated = $4, update_count = update_count + 1 \
             WHERE id = $5 AND owner_msid = $6 AND update_count = $7";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(change.state)
            .bind(change.error)
            .bind(change.stuck_reason)
            .bind(now)
            .bind(fence.id)
            .bind(fence.owner_msid)
            .bind(fence.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Appends events to a saga's log, in order, in one statement (write them with
    /// [`Conn::advance_saga`] in one transaction, so only the owner logs).
    pub async fn insert_saga_events(
        &mut self,
        events: &[NewSagaEvent<'_>],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(
            "INSERT INTO saga_node_event (saga_id, node, step, event, output, error, created) \
             VALUES ",
        );
        for (i, e) in events.iter().enumerate() {
            let text = |v: Option<&str>| Bind::OptStr(v.map(str::to_string));
            sql.push(if i == 0 { "" } else { ", " }).push_bind(
                "(?, ?, ?, ?, ?, ?, ?)",
                [
                    Bind::I64(e.saga_id),
                    Bind::I64(e.node),
                    Bind::Str(e.step.into()),
                    Bind::Str(e.event.into()),
                    text(e.output),
                    text(e.error),
                    Bind::Time(now),
                ],
            );
        }
        self.execute(&sql).await?;
        Ok(())
    }

    /// Unfinished sagas whose owner has not heartbeated since `live_since`, oldest first.
    pub async fn orphaned_sagas(&mut self, live_since: DateTime<Utc>) -> Result<Vec<SagaRow>> {
        const SQL: &str = select!(
            "WHERE state IN ('running', 'unwinding') AND owner_msid NOT IN \
             (SELECT uuid FROM mshost WHERE state = 'Up' AND last_heartbeat >= $1) ORDER BY id"
        );
        Ok(on_conn!(self, |c| sqlx::query_as::<_, SagaRow>(SQL)
            .bind(live_since)
            .fetch_all(&mut **c)
            .await?))
    }

    /// Takes an unfinished saga over from the owner `fence` names; false if someone else
    /// wrote to it first. Its pending job follows it, so the new owner can complete the
    /// job. Run it in a transaction so the two moves are one.
    pub async fn claim_saga(
        &mut self,
        fence: SagaFence<'_>,
        job_id: Option<i64>,
        msid: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE saga SET owner_msid = $1, updated = $2, \
             update_count = update_count + 1 WHERE id = $3 AND owner_msid = $4 \
             AND update_count = $5 AND state IN ('running', 'unwinding')";
        const JOB: &str = "UPDATE async_job SET owner_msid = $1, \
             update_count = update_count + 1 WHERE id = $2 AND status = 0";
        let claimed = on_conn!(self, |c| sqlx::query(SQL)
            .bind(msid)
            .bind(now)
            .bind(fence.id)
            .bind(fence.owner_msid)
            .bind(fence.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1;
        if claimed && let Some(job_id) = job_id {
            on_conn!(self, |c| sqlx::query(JOB)
                .bind(msid)
                .bind(job_id)
                .execute(&mut **c)
                .await?
                .rows_affected());
        }
        Ok(claimed)
    }
}
