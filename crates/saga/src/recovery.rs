//! Recovery: taking over the unfinished sagas of management servers that stopped
//! heartbeating (after a restart that includes this server's previous run, since a
//! server gets a new id at every start), rebuilding each from its log and finishing it:
//! forward if it was running, backward if it was unwinding.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use strato_common::ApiError;
use strato_schema::saga::{SagaFence, SagaRow};

use crate::definition::{self, BoxFuture, Saga, SagaCtx};
use crate::error::SagaError;
use crate::executor::{Runner, SagaExecutor, SagaOutcome};
use crate::log::{self, SagaState};
use crate::options::RunOptions;

type ResumeFn<C> =
    for<'a> fn(&'a SagaExecutor, &'a C, SagaRow) -> BoxFuture<'a, Result<SagaOutcome, SagaError>>;

/// The saga types this binary can resume, by name.
pub struct SagaRegistry<C> {
    resume: HashMap<&'static str, ResumeFn<C>>,
}

impl<C: Clone + Send + Sync + 'static> Default for SagaRegistry<C> {
    fn default() -> Self {
        SagaRegistry {
            resume: HashMap::new(),
        }
    }
}

impl<C: Clone + Send + Sync + 'static> SagaRegistry<C> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a saga type; refuses an invalid definition or a name already registered.
    pub fn register<S: Saga<Context = C>>(mut self) -> Result<Self, SagaError> {
        let invalid = |reason| SagaError::Definition {
            name: S::NAME,
            reason,
        };
        definition::check::<S>().map_err(invalid)?;
        if self.resume.insert(S::NAME, resume::<S>).is_some() {
            return Err(invalid("another saga type has the same name".into()));
        }
        Ok(self)
    }

    fn get(&self, name: &str) -> ResumeFn<C> {
        self.resume.get(name).copied().unwrap_or(unknown::<C>)
    }
}

/// A saga this server has claimed and must now finish.
pub struct Resumable<C> {
    exec: SagaExecutor,
    row: SagaRow,
    resume: ResumeFn<C>,
}

impl<C> Resumable<C> {
    pub fn saga_uuid(&self) -> &str {
        &self.row.uuid
    }

    pub fn job_id(&self) -> Option<i64> {
        self.row.job_id
    }

    /// Finishes the saga: its outcome completes its job, if it has one.
    pub async fn run(self, ctx: &C) -> Result<SagaOutcome, SagaError> {
        let Resumable { exec, row, resume } = self;
        resume(&exec, ctx, row).await
    }
}

impl SagaExecutor {
    /// Claims and finishes every unfinished saga whose owner has not heartbeated since
    /// `live_since`, concurrently. One result per claimed saga; sagas a peer claimed
    /// first are left to it.
    pub async fn recover<C: Clone + Send + Sync + 'static>(
        &self,
        ctx: &C,
        registry: &SagaRegistry<C>,
        live_since: DateTime<Utc>,
    ) -> Result<Vec<Result<SagaOutcome, SagaError>>, SagaError> {
        let claimed = self.claim_orphans(registry, live_since).await?;
        Ok(futures::future::join_all(claimed.into_iter().map(|r| r.run(ctx))).await)
    }

    /// Claims the unfinished sagas of dead owners without running them (to run each in
    /// its own task).
    pub async fn claim_orphans<C: Clone + Send + Sync + 'static>(
        &self,
        registry: &SagaRegistry<C>,
        live_since: DateTime<Utc>,
    ) -> Result<Vec<Resumable<C>>, SagaError> {
        let rows = self
            .store
            .acquire()
            .await?
            .c()
            .orphaned_sagas(live_since)
            .await?;
        let mut claimed = Vec::new();
        for row in rows {
            if let Some(r) = self.claim(registry, row).await? {
                claimed.push(r);
            }
        }
        Ok(claimed)
    }

    /// Takes `row` over from its owner if nobody wrote to it since it was read.
    pub(crate) async fn claim<C: Clone + Send + Sync + 'static>(
        &self,
        registry: &SagaRegistry<C>,
        mut row: SagaRow,
    ) -> Result<Option<Resumable<C>>, SagaError> {
        let fence = SagaFence {
            id: row.id,
            owner_msid: &row.owner_msid,
            update_count: row.update_count,
        };
        let mut tx = self.store.begin().await?;
        let now = strato_schema::now();
        if !tx
            .c()
            .claim_saga(fence, row.job_id, &self.msid, now)
            .await?
        {
            return Ok(None);
        }
        tx.commit().await?;
        tracing::warn!(
            saga = %row.uuid, name = %row.name, state = %row.state,
            previous_owner = %row.owner_msid,
            "took over a saga from a management server that stopped"
        );
        row.owner_msid = self.msid.clone();
        row.update_count += 1;
        Ok(Some(Resumable {
            exec: self.clone(),
            resume: registry.get(&row.name),
            row,
        }))
    }
}

/// Rebuilds a saga of type `S` from its log and carries it on.
fn resume<'a, S: Saga>(
    exec: &'a SagaExecutor,
    ctx: &'a S::Context,
    row: SagaRow,
) -> BoxFuture<'a, Result<SagaOutcome, SagaError>> {
    Box::pin(async move {
        let events = exec.store.acquire().await?.c().saga_events(row.id).await?;
        let steps: Vec<&str> = S::STEPS.iter().map(|s| s.name).collect();
        let replay = match log::replay(&steps, &events) {
            Ok(r) => r,
            Err(reason) => {
                return stuck(exec, &row, format!("its log cannot be replayed: {reason}")).await;
            }
        };
        let params = match serde_json::from_str::<S::Params>(&row.params) {
            Ok(p) => p,
            Err(e) => {
                return stuck(exec, &row, format!("its parameters cannot be read: {e}")).await;
            }
        };
        let runner = Runner::<S> {
            exec,
            id: row.id,
            seen: row.update_count,
            job_id: row.job_id,
            ctx: SagaCtx {
                context: ctx.clone(),
                params,
                uuid: row.uuid.clone(),
                outputs: replay.outputs,
            },
            nodes: replay.nodes,
            opts: RunOptions::default(),
        };
        match SagaState::parse(&row.state) {
            Some(SagaState::Running) => runner.forward().await,
            Some(SagaState::Unwinding) => {
                runner.unwind(log::decode_error(row.error.as_deref())).await
            }
            _ => {
                stuck(
                    exec,
                    &row,
                    format!("it is in state {}, which cannot be resumed", row.state),
                )
                .await
            }
        }
    })
}

/// A saga type this binary does not know (renamed, or from a newer version).
fn unknown<'a, C>(
    exec: &'a SagaExecutor,
    _: &'a C,
    row: SagaRow,
) -> BoxFuture<'a, Result<SagaOutcome, SagaError>> {
    Box::pin(async move {
        let reason = format!(
            "saga type {} is unknown to this management server, which cannot resume it",
            row.name
        );
        stuck(exec, &row, reason).await
    })
}

async fn stuck(
    exec: &SagaExecutor,
    row: &SagaRow,
    reason: String,
) -> Result<SagaOutcome, SagaError> {
    let error = match row.error.as_deref() {
        Some(e) => log::decode_error(Some(e)),
        None => ApiError::internal(
            "the management server running this operation stopped and the operation \
             cannot be resumed",
        ),
    };
    let fence = SagaFence {
        id: row.id,
        owner_msid: &row.owner_msid,
        update_count: row.update_count,
    };
    exec.mark_stuck(fence, &row.uuid, &row.name, row.job_id, error, reason)
        .await
}
