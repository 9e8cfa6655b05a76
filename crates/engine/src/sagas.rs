//! Sagas inside the engine: a command runs its saga and answers with its outcome; at
//! start and with every heartbeat sweep, the unfinished sagas of dead servers are
//! claimed, finished and their jobs completed (ADR 0004).

use std::collections::HashMap;

use strato_api::response::Reply;
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{CrashPoint, Outputs, RunOptions, Saga, SagaError, SagaExecutor, SagaRegistry};

use crate::{Ctx, Engine, jobs};

/// A saga a command runs: how its outputs become the command's answer.
pub trait EngineSaga: Saga<Context = Engine> {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>>;
}

type ReplyFn = for<'a> fn(&'a Engine, Outputs) -> BoxFuture<'a, Result<Reply, ApiError>>;

/// This server's saga executor and the saga types it can run and resume.
pub struct Sagas {
    pub exec: SagaExecutor,
    registry: SagaRegistry<Engine>,
    replies: HashMap<&'static str, ReplyFn>,
}

impl Sagas {
    pub fn new(exec: SagaExecutor) -> Result<Sagas, ApiError> {
        let mut sagas = Sagas {
            exec,
            registry: SagaRegistry::new(),
            replies: HashMap::new(),
        };
        crate::vms::register_sagas(&mut sagas)?;
        crate::volumes::register_sagas(&mut sagas)?;
        crate::snapshots::register_sagas(&mut sagas)?;
        Ok(sagas)
    }

    /// Makes saga type `S` runnable and resumable.
    pub fn add<S: EngineSaga>(&mut self) -> Result<(), ApiError> {
        let registry = std::mem::take(&mut self.registry);
        self.registry = registry.register::<S>().map_err(saga_error)?;
        self.replies.insert(S::NAME, S::reply);
        Ok(())
    }
}

fn saga_error(e: SagaError) -> ApiError {
    ApiError::internal(format!("operation interrupted: {e}"))
}

/// Runs saga `S` for the command in `ctx` (its job, if async) and answers with the
/// outcome: the reply, or the failing step's error after everything was undone.
pub async fn run<S: EngineSaga>(ctx: &Ctx, params: S::Params) -> Result<Reply, ApiError> {
    let engine = &ctx.engine;
    let opts = crash_hook::<S>();
    let armed = opts.is_some();
    let result = engine
        .sagas
        .exec
        .run_with::<S>(engine, params, ctx.job, opts.unwrap_or_default())
        .await;
    if armed && matches!(result, Err(SagaError::Interrupted { .. })) {
        tracing::error!(saga = S::NAME, "{CRASH_ENV}: dying as a kill -9 would");
        std::process::abort();
    }
    let outcome = result.map_err(saga_error)?;
    let outputs = outcome.into_result()?;
    S::reply(engine, outputs).await
}

/// Environment variable of the crash tests: `<saga name>:<before|after>:<step>` makes
/// this process die (abort, as abrupt as kill -9) at that point of the next such saga,
/// so the tests can check what a restart finds. Unset in production.
pub const CRASH_ENV: &str = "STRATO_TEST_CRASH_POINT";

fn crash_hook<S: Saga>() -> Option<RunOptions> {
    let spec = std::env::var(CRASH_ENV).ok()?;
    let mut parts = spec.splitn(3, ':');
    let (saga, when, step) = (parts.next()?, parts.next()?, parts.next()?);
    if saga != S::NAME {
        return None;
    }
    let point = match when {
        "before" => CrashPoint::BeforeAction(step.to_string()),
        "after" => CrashPoint::AfterAction(step.to_string()),
        _ => return None,
    };
    Some(RunOptions::default().crash_at(point))
}

/// Claims the unfinished sagas of servers silent for longer than the heartbeat
/// threshold and finishes each in its own task, completing its job.
pub async fn recover(engine: &Engine) -> Result<usize, ApiError> {
    let live_since = strato_schema::now() - engine.settings.heartbeat_threshold();
    let claimed = engine
        .sagas
        .exec
        .claim_orphans(&engine.sagas.registry, live_since)
        .await
        .map_err(saga_error)?;
    let n = claimed.len();
    for saga in claimed {
        let engine = engine.clone();
        tokio::spawn(async move {
            let uuid = saga.saga_uuid().to_string();
            match saga.run(&engine).await {
                Ok(outcome) => {
                    let job = outcome.job_id;
                    let reply = engine.sagas.replies.get(outcome.name.as_str()).copied();
                    let result = match (outcome.into_result(), reply) {
                        (Ok(outputs), Some(reply)) => reply(&engine, outputs).await,
                        (Ok(_), None) => Err(ApiError::internal("unknown operation type")),
                        (Err(e), _) => Err(e),
                    };
                    if let Some(job) = job
                        && let Err(e) = jobs::complete(&engine, job, result).await
                    {
                        tracing::error!(saga = %uuid, job, error = %e, "cannot complete a recovered saga's job");
                    }
                }
                Err(e) => tracing::error!(saga = %uuid, error = %e, "recovering a saga stopped"),
            }
        });
    }
    if n > 0 {
        tracing::warn!(
            sagas = n,
            "took over unfinished operations of stopped servers"
        );
    }
    Ok(n)
}
