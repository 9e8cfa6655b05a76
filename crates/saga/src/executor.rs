//! Runs a saga: steps forward in order, each bracketed by log writes; on a failure, the
//! steps that succeeded are undone in reverse. Every log write also advances the saga
//! row's `update_count` under the owner's fence, in one transaction, so a server that
//! lost the saga to a peer stops at its next step instead of running alongside it.

use std::time::Duration;

use strato_common::ApiError;
use strato_schema::Store;
use strato_schema::saga::{NewSaga, NewSagaEvent, SagaChange, SagaFence};
use tracing::Instrument;

use crate::definition::{self, Outputs, Saga, SagaCtx, Step, UndoFn};
use crate::error::{ActionError, SagaError, UndoError};
use crate::log::{Event, NodeStatus, SagaState};
use crate::options::{CrashPoint, RunOptions};

/// Runs and recovers sagas on behalf of one management server (`msid`).
#[derive(Clone, Debug)]
pub struct SagaExecutor {
    pub(crate) store: Store,
    pub(crate) msid: String,
    undo_attempts: u32,
    undo_retry_delay: Duration,
}

/// How a saga ended.
#[derive(Clone, Debug)]
pub struct SagaOutcome {
    pub saga_id: i64,
    pub uuid: String,
    pub name: String,
    /// The async job this saga completes, if any.
    pub job_id: Option<i64>,
    pub result: SagaResult,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SagaResult {
    /// Every step succeeded.
    Done(Outputs),
    /// A step failed with this error and every step that had succeeded was undone.
    Failed(ApiError),
    /// A step failed with `error` (or the saga could not be resumed) and cleaning up
    /// failed for `reason`: resources may be left behind until an operator looks.
    Stuck { error: ApiError, reason: String },
}

impl SagaOutcome {
    /// What the saga's job reports: the outputs, or the error a client should see.
    pub fn into_result(self) -> Result<Outputs, ApiError> {
        match self.result {
            SagaResult::Done(outputs) => Ok(outputs),
            SagaResult::Failed(error) => Err(error),
            SagaResult::Stuck { error, reason } => Err(ApiError::internal(format!(
                "{}; cleaning up after it failed as well ({reason}), so an operator must \
                 check the resources of operation {}",
                error.text, self.uuid
            ))),
        }
    }
}

impl SagaExecutor {
    /// An undo is tried 3 times, 1 s apart, before its saga is marked stuck.
    pub fn new(store: Store, msid: impl Into<String>) -> SagaExecutor {
        SagaExecutor {
            store,
            msid: msid.into(),
            undo_attempts: 3,
            undo_retry_delay: Duration::from_secs(1),
        }
    }

    /// How many times an undo is tried (at least once) and the pause between tries.
    pub fn with_undo_retries(mut self, attempts: u32, delay: Duration) -> SagaExecutor {
        self.undo_attempts = attempts.max(1);
        self.undo_retry_delay = delay;
        self
    }

    pub fn msid(&self) -> &str {
        &self.msid
    }

    /// Persists a new saga (linked to `job_id`) and runs it to its outcome. An `Err`
    /// means the run stopped without one (database unreachable, the saga taken over by
    /// a peer): the saga stays in the database for recovery to finish.
    pub async fn run<S: Saga>(
        &self,
        ctx: &S::Context,
        params: S::Params,
        job_id: Option<i64>,
    ) -> Result<SagaOutcome, SagaError> {
        self.run_with::<S>(ctx, params, job_id, RunOptions::default())
            .await
    }

    /// [`SagaExecutor::run`] with test knobs (injected failures, repeats, crashes).
    pub async fn run_with<S: Saga>(
        &self,
        ctx: &S::Context,
        params: S::Params,
        job_id: Option<i64>,
        opts: RunOptions,
    ) -> Result<SagaOutcome, SagaError> {
        let invalid = |reason| SagaError::Definition {
            name: S::NAME,
            reason,
        };
        definition::check::<S>().map_err(invalid)?;
        if let Some(step) = opts
            .steps()
            .find(|name| !S::STEPS.iter().any(|s| s.name == *name))
        {
            return Err(invalid(format!(
                "the run options name step {step}, which is not one of its steps"
            )));
        }
        let text = serde_json::to_string(&params).map_err(|e| SagaError::Params {
            name: S::NAME,
            reason: e.to_string(),
        })?;
        let uuid = uuid::Uuid::new_v4().to_string();
        let id = self
            .store
            .write()
            .await?
            .c()
            .insert_saga(
                &NewSaga {
                    uuid: &uuid,
                    name: S::NAME,
                    params: &text,
                    owner_msid: &self.msid,
                    job_id,
                },
                strato_schema::now(),
            )
            .await?;
        tracing::info!(saga = %uuid, name = S::NAME, job = ?job_id, "saga started");
        let runner = Runner::<S> {
            exec: self,
            id,
            seen: 0,
            job_id,
            ctx: SagaCtx {
                context: ctx.clone(),
                params,
                uuid,
                outputs: Outputs::default(),
            },
            nodes: vec![NodeStatus(None); S::STEPS.len()],
            opts,
        };
        runner.forward().await
    }

    /// Marks a saga that cannot go on by itself as stuck, loudly.
    pub(crate) async fn mark_stuck(
        &self,
        fence: SagaFence<'_>,
        uuid: &str,
        name: &str,
        job_id: Option<i64>,
        error: ApiError,
        reason: String,
    ) -> Result<SagaOutcome, SagaError> {
        let change = SagaChange {
            state: Some(SagaState::Stuck.as_str()),
            stuck_reason: Some(&reason),
            ..SagaChange::default()
        };
        let mut db = self.store.acquire().await?;
        if !db
            .c()
            .advance_saga(fence, change, strato_schema::now())
            .await?
        {
            return Err(SagaError::LostOwnership { saga: uuid.into() });
        }
        tracing::error!(
            saga = %uuid, name, job = ?job_id, %error, %reason,
            "saga is STUCK: resources it created may be left behind; an operator must clean up"
        );
        Ok(SagaOutcome {
            saga_id: fence.id,
            uuid: uuid.into(),
            name: name.into(),
            job_id,
            result: SagaResult::Stuck { error, reason },
        })
    }
}

/// One saga being carried forward or unwound by its owner.
pub(crate) struct Runner<'e, S: Saga> {
    pub exec: &'e SagaExecutor,
    pub id: i64,
    /// The saga row's `update_count` as this owner last wrote it.
    pub seen: i64,
    pub job_id: Option<i64>,
    pub ctx: SagaCtx<S>,
    pub nodes: Vec<NodeStatus>,
    pub opts: RunOptions,
}

impl<S: Saga> Runner<'_, S> {
    /// Runs every step that has not succeeded yet; a step that started but did not
    /// finish before a crash runs again (actions are idempotent). A step's success is
    /// written together with the next step's start (or, for the last step, the saga's
    /// end): one transaction per step instead of two, each event still persisted before
    /// anything relies on it.
    pub async fn forward(mut self) -> Result<SagaOutcome, SagaError> {
        let steps = S::STEPS.len();
        let mut started = None;
        let mut finished = false;
        for (i, step) in S::STEPS.iter().enumerate() {
            if self.nodes[i].succeeded() {
                continue;
            }
            if started != Some(i) {
                self.log(i, Event::Started, None, None).await?;
            }
            self.crash_if(CrashPoint::BeforeAction(step.name.into()))?;
            let result = self.act(step).await;
            self.crash_if(CrashPoint::AfterAction(step.name.into()))?;
            match result {
                Ok(output) => {
                    let text = output.to_string();
                    let done = Entry::new(i, Event::Succeeded).output(&text);
                    let next = i + 1;
                    if next == steps {
                        let end = SagaChange {
                            state: Some(SagaState::Done.as_str()),
                            ..SagaChange::default()
                        };
                        self.write(end, &[done]).await?;
                        finished = true;
                    } else if self.nodes[next].succeeded() {
                        self.write(SagaChange::default(), &[done]).await?;
                    } else {
                        let start = Entry::new(next, Event::Started);
                        self.write(SagaChange::default(), &[done, start]).await?;
                        started = Some(next);
                    }
                    self.ctx.outputs.insert(step.name, output);
                }
                Err(ActionError(error)) => {
                    tracing::warn!(
                        saga = %self.ctx.uuid, name = S::NAME, step = step.name, %error,
                        "saga step failed; undoing the steps before it"
                    );
                    self.log(i, Event::Failed, None, Some(&error_json(&error)))
                        .await?;
                    return self.unwind(error).await;
                }
            }
        }
        if !finished {
            self.finish(SagaState::Done).await?;
        }
        tracing::info!(saga = %self.ctx.uuid, name = S::NAME, "saga done");
        let outputs = std::mem::take(&mut self.ctx.outputs);
        Ok(self.outcome(SagaResult::Done(outputs)))
    }

    /// Undoes, last first, every step whose action succeeded and is not undone yet.
    pub async fn unwind(mut self, error: ApiError) -> Result<SagaOutcome, SagaError> {
        for (i, step) in S::STEPS.iter().enumerate().rev() {
            let Some(undo) = step.undo else { continue };
            if !self.nodes[i].needs_undo() {
                continue;
            }
            if let Err(UndoError(undo_error)) = self.undo(i, step.name, undo).await? {
                let reason = format!(
                    "undoing step {} failed {} times, last with: {undo_error}",
                    step.name, self.exec.undo_attempts
                );
                let fence = self.fence();
                return self
                    .exec
                    .mark_stuck(fence, &self.ctx.uuid, S::NAME, self.job_id, error, reason)
                    .await;
            }
        }
        self.finish(SagaState::Failed).await?;
        tracing::info!(saga = %self.ctx.uuid, name = S::NAME, "saga failed and was undone");
        Ok(self.outcome(SagaResult::Failed(error)))
    }

    async fn act(&self, step: &Step<S>) -> Result<serde_json::Value, ActionError> {
        if self.opts.inject_error_at.as_deref() == Some(step.name) {
            return Err(ActionError::internal(format!(
                "injected failure at step {} of saga {}",
                step.name,
                S::NAME
            )));
        }
        let span = self.span(step.name);
        let output = (step.action)(&self.ctx).instrument(span.clone()).await?;
        if self.opts.repeat_actions {
            return (step.action)(&self.ctx).instrument(span).await;
        }
        Ok(output)
    }

    /// Tries the undo up to the executor's limit; `Ok(Err(_))` is an undo that kept
    /// failing, `Err(_)` the executor's own failure.
    async fn undo(
        &mut self,
        node: usize,
        step: &'static str,
        undo: UndoFn<S>,
    ) -> Result<Result<(), UndoError>, SagaError> {
        let mut attempt = 1;
        loop {
            self.log(node, Event::UndoStarted, None, None).await?;
            self.crash_if(CrashPoint::BeforeUndo(step.into()))?;
            let result = self.undo_once(step, undo).await;
            self.crash_if(CrashPoint::AfterUndo(step.into()))?;
            match result {
                Ok(()) => {
                    self.log(node, Event::UndoFinished, None, None).await?;
                    return Ok(Ok(()));
                }
                Err(e) => {
                    self.log(node, Event::UndoFailed, None, Some(&error_json(&e.0)))
                        .await?;
                    if attempt >= self.exec.undo_attempts {
                        return Ok(Err(e));
                    }
                    tracing::warn!(
                        saga = %self.ctx.uuid, name = S::NAME, step, attempt, error = %e,
                        "undo failed; trying again"
                    );
                    tokio::time::sleep(self.exec.undo_retry_delay).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn undo_once(&self, step: &str, undo: UndoFn<S>) -> Result<(), UndoError> {
        if self.opts.inject_undo_error_at.as_deref() == Some(step) {
            return Err(UndoError(ApiError::internal(format!(
                "injected failure undoing step {step} of saga {}",
                S::NAME
            ))));
        }
        let span = self.span(step);
        undo(&self.ctx).instrument(span.clone()).await?;
        if self.opts.repeat_undos {
            undo(&self.ctx).instrument(span).await?;
        }
        Ok(())
    }

    /// What an action or undo logs is tagged with its saga and step.
    fn span(&self, step: &str) -> tracing::Span {
        tracing::info_span!("saga_step", saga = %self.ctx.uuid, name = S::NAME, step)
    }

    /// Appends one event to the log under the owner's fence. A `failed` event also
    /// moves the saga to unwinding with that error, in the same write.
    async fn log(
        &mut self,
        node: usize,
        event: Event,
        output: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), SagaError> {
        let change = match event {
            Event::Failed => SagaChange {
                state: Some(SagaState::Unwinding.as_str()),
                error,
                ..SagaChange::default()
            },
            _ => SagaChange::default(),
        };
        let entry = Entry {
            node,
            event,
            output,
            error,
        };
        self.write(change, &[entry]).await
    }

    /// Appends `entries` to the log and applies `change` to the saga row under the
    /// owner's fence, in one transaction.
    async fn write(
        &mut self,
        change: SagaChange<'_>,
        entries: &[Entry<'_>],
    ) -> Result<(), SagaError> {
        let now = strato_schema::now();
        let mut tx = self.exec.store.begin().await?;
        if !tx.c().advance_saga(self.fence(), change, now).await? {
            return Err(self.lost());
        }
        let rows: Vec<NewSagaEvent> = entries
            .iter()
            .map(|e| NewSagaEvent {
                saga_id: self.id,
                node: e.node as i64,
                step: S::STEPS[e.node].name,
                event: e.event.as_str(),
                output: e.output,
                error: e.error,
            })
            .collect();
        tx.c().insert_saga_events(&rows, now).await?;
        tx.commit().await?;
        self.seen += 1;
        for e in entries {
            self.nodes[e.node] = NodeStatus(Some(e.event));
        }
        Ok(())
    }

    async fn finish(&mut self, state: SagaState) -> Result<(), SagaError> {
        let change = SagaChange {
            state: Some(state.as_str()),
            ..SagaChange::default()
        };
        let mut db = self.exec.store.acquire().await?;
        if !db
            .c()
            .advance_saga(self.fence(), change, strato_schema::now())
            .await?
        {
            return Err(self.lost());
        }
        self.seen += 1;
        Ok(())
    }

    fn fence(&self) -> SagaFence<'_> {
        SagaFence {
            id: self.id,
            owner_msid: &self.exec.msid,
            update_count: self.seen,
        }
    }

    fn lost(&self) -> SagaError {
        tracing::warn!(
            saga = %self.ctx.uuid, name = S::NAME,
            "another management server has taken this saga over; stopping here"
        );
        SagaError::LostOwnership {
            saga: self.ctx.uuid.clone(),
        }
    }

    fn crash_if(&self, point: CrashPoint) -> Result<(), SagaError> {
        if self.opts.crash_at.as_ref() != Some(&point) {
            return Ok(());
        }
        Err(SagaError::Interrupted {
            saga_id: self.id,
            saga: self.ctx.uuid.clone(),
            at: point.to_string(),
        })
    }

    fn outcome(&self, result: SagaResult) -> SagaOutcome {
        SagaOutcome {
            saga_id: self.id,
            uuid: self.ctx.uuid.clone(),
            name: S::NAME.into(),
            job_id: self.job_id,
            result,
        }
    }
}

/// One event about to be appended to a saga's log.
struct Entry<'a> {
    node: usize,
    event: Event,
    output: Option<&'a str>,
    error: Option<&'a str>,
}

impl<'a> Entry<'a> {
    fn new(node: usize, event: Event) -> Entry<'a> {
        Entry {
            node,
            event,
            output: None,
            error: None,
        }
    }

    fn output(self, output: &'a str) -> Entry<'a> {
        Entry {
            output: Some(output),
            ..self
        }
    }
}

/// An unserializable error (never expected) is stored empty; reading it back then
/// yields a generic error instead of failing the recovery.
fn error_json(error: &ApiError) -> String {
    serde_json::to_string(error).unwrap_or_default()
}
