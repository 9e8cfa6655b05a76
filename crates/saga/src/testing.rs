//! Test helpers every saga gets for free (omicron's `sagas/test_helpers.rs`, steno's
//! injection and recovery tests). They panic with the saga and step named when a
//! property does not hold; `check` is the caller's "nothing leaked" assertion.
//!
//! ```ignore
//! let exec = SagaExecutor::new(store, msid).with_undo_retries(2, Duration::ZERO);
//! testing::actions_succeed_idempotently::<CreateVolume>(&exec, &engine, params.clone()).await;
//! testing::action_failure_can_unwind::<CreateVolume>(&exec, &engine, &params, async |e| {
//!     assert_eq!(count_volumes(e).await, 0);
//! }).await;
//! ```

use strato_schema::saga::SagaRow;

use crate::definition::{Outputs, Saga};
use crate::error::SagaError;
use crate::executor::{SagaExecutor, SagaOutcome, SagaResult};
use crate::log::{self, SagaState};
use crate::options::{CrashPoint, RunOptions};
use crate::recovery::SagaRegistry;

/// Runs the saga with every action run twice in a row; it must still succeed. Returns
/// its outputs for the caller's own checks.
pub async fn actions_succeed_idempotently<S: Saga>(
    exec: &SagaExecutor,
    ctx: &S::Context,
    params: S::Params,
) -> Outputs {
    let opts = RunOptions::default().repeat_actions();
    let outcome = exec
        .run_with::<S>(ctx, params, None, opts)
        .await
        .unwrap_or_else(|e| panic!("saga {} with every action run twice: {e}", S::NAME));
    match outcome.result {
        SagaResult::Done(outputs) => outputs,
        other => panic!(
            "saga {} with every action run twice did not succeed: {other:?}",
            S::NAME
        ),
    }
}

/// For every step, runs the saga with that step failing; the saga must end failed and
/// fully undone, and `check` must find the state the saga started from.
pub async fn action_failure_can_unwind<S: Saga>(
    exec: &SagaExecutor,
    ctx: &S::Context,
    params: &S::Params,
    check: impl AsyncFn(&S::Context),
) where
    S::Params: Clone,
{
    fail_each_step::<S>(exec, ctx, params, RunOptions::default(), check).await;
}

/// [`action_failure_can_unwind`] with every undo run twice in a row.
pub async fn action_failure_can_unwind_idempotently<S: Saga>(
    exec: &SagaExecutor,
    ctx: &S::Context,
    params: &S::Params,
    check: impl AsyncFn(&S::Context),
) where
    S::Params: Clone,
{
    let opts = RunOptions::default().repeat_undos();
    fail_each_step::<S>(exec, ctx, params, opts, check).await;
}

/// Crashes a run at each point (before each action, after each action before its
/// result is recorded, and, with each later step failing, before each undo and after
/// it before it is recorded), then recovers the saga on `exec` as a surviving server
/// would. Recovery must finish it (done without failures, failed and fully undone with
/// one), keeping every output persisted before the crash (so generated ids are
/// reused); `check` sees each outcome and should also release what a successful run
/// created.
pub async fn crash_at_each_step<S: Saga>(
    exec: &SagaExecutor,
    ctx: &S::Context,
    params: &S::Params,
    check: impl AsyncFn(&S::Context, &SagaOutcome),
) where
    S::Params: Clone,
{
    let registry = SagaRegistry::new()
        .register::<S>()
        .unwrap_or_else(|e| panic!("{e}"));
    for step in S::STEPS {
        for point in [
            CrashPoint::BeforeAction(step.name.into()),
            CrashPoint::AfterAction(step.name.into()),
        ] {
            let opts = RunOptions::default().crash_at(point.clone());
            let outcome = crash_and_recover::<S>(exec, ctx, &registry, params, opts).await;
            if !matches!(outcome.result, SagaResult::Done(_)) {
                panic!(
                    "saga {} crashed {point}: recovery did not finish it: {:?}",
                    S::NAME,
                    outcome.result
                );
            }
            check(ctx, &outcome).await;
        }
    }
    for (i, failing) in S::STEPS.iter().enumerate() {
        for undone in S::STEPS[..i].iter().filter(|s| s.undo.is_some()) {
            for point in [
                CrashPoint::BeforeUndo(undone.name.into()),
                CrashPoint::AfterUndo(undone.name.into()),
            ] {
                let opts = RunOptions::default()
                    .inject_error_at(failing.name)
                    .crash_at(point.clone());
                let outcome = crash_and_recover::<S>(exec, ctx, &registry, params, opts).await;
                let what = format!("failing at step {} and crashed {point}", failing.name);
                assert_fully_undone::<S>(exec, &outcome, &what).await;
                check(ctx, &outcome).await;
            }
        }
    }
}

async fn fail_each_step<S: Saga>(
    exec: &SagaExecutor,
    ctx: &S::Context,
    params: &S::Params,
    base: RunOptions,
    check: impl AsyncFn(&S::Context),
) where
    S::Params: Clone,
{
    for step in S::STEPS {
        let what = format!("failing at step {}", step.name);
        let opts = base.clone().inject_error_at(step.name);
        let outcome = exec
            .run_with::<S>(ctx, params.clone(), None, opts)
            .await
            .unwrap_or_else(|e| panic!("saga {} {what}: {e}", S::NAME));
        assert_fully_undone::<S>(exec, &outcome, &what).await;
        check(ctx).await;
    }
}

/// The saga failed with the injected error, is marked failed, and its log shows no step
/// that succeeded without being undone.
async fn assert_fully_undone<S: Saga>(exec: &SagaExecutor, outcome: &SagaOutcome, what: &str) {
    match &outcome.result {
        SagaResult::Failed(e) if e.text.contains("injected failure") => {}
        other => panic!(
            "saga {} {what}: expected the injected failure, got {other:?}",
            S::NAME
        ),
    }
    let (row, replay) = load::<S>(exec, outcome.saga_id).await;
    assert_eq!(
        row.state,
        SagaState::Failed.as_str(),
        "saga {} {what}",
        S::NAME
    );
    for (step, node) in S::STEPS.iter().zip(&replay.nodes) {
        assert!(
            step.undo.is_none() || !node.needs_undo(),
            "saga {} {what}: step {} was not undone ({node:?})",
            S::NAME,
            step.name
        );
    }
}

/// Runs on a throw-away executor (a server that then dies) until the simulated crash,
/// and lets `exec` take the saga over and finish it.
async fn crash_and_recover<S: Saga>(
    exec: &SagaExecutor,
    ctx: &S::Context,
    registry: &SagaRegistry<S::Context>,
    params: &S::Params,
    opts: RunOptions,
) -> SagaOutcome
where
    S::Params: Clone,
{
    let mut crashed = exec.clone();
    crashed.msid = uuid::Uuid::new_v4().to_string();
    // Alive until its crash, as a real server is, so that a recovery sweep running next
    // to the test (an engine's) does not take the saga before the simulated crash.
    let registered = match exec.store.acquire().await {
        Ok(mut db) => db
            .c()
            .register_mshost(
                &crashed.msid,
                "crashing-test-server",
                "test",
                strato_schema::now(),
            )
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = registered {
        panic!("saga {}: registering the crashing server: {e}", S::NAME);
    }
    let saga_id = match crashed.run_with::<S>(ctx, params.clone(), None, opts).await {
        Err(SagaError::Interrupted { saga_id, .. }) => saga_id,
        other => panic!(
            "saga {}: expected a simulated crash, got {other:?}",
            S::NAME
        ),
    };
    drop(crashed);
    let (row, before) = load::<S>(exec, saga_id).await;
    let resumable = exec
        .claim(registry, row)
        .await
        .unwrap_or_else(|e| panic!("saga {}: claiming it after the crash: {e}", S::NAME))
        .unwrap_or_else(|| panic!("saga {}: someone else claimed it after the crash", S::NAME));
    let outcome = resumable
        .run(ctx)
        .await
        .unwrap_or_else(|e| panic!("saga {}: recovering it: {e}", S::NAME));
    if let SagaResult::Done(after) = &outcome.result {
        for (step, value) in before.outputs.iter() {
            assert_eq!(
                after.get(step),
                Some(value),
                "saga {}: the output of step {step} changed in recovery",
                S::NAME
            );
        }
    }
    outcome
}

async fn load<S: Saga>(exec: &SagaExecutor, saga_id: i64) -> (SagaRow, log::Replay) {
    let mut db = exec
        .store
        .acquire()
        .await
        .unwrap_or_else(|e| panic!("database: {e}"));
    let row = db
        .c()
        .saga_by_id(saga_id)
        .await
        .unwrap_or_else(|e| panic!("database: {e}"))
        .unwrap_or_else(|| panic!("saga {} #{saga_id} is not in the database", S::NAME));
    let events = db
        .c()
        .saga_events(saga_id)
        .await
        .unwrap_or_else(|e| panic!("database: {e}"));
    let steps: Vec<&str> = S::STEPS.iter().map(|s| s.name).collect();
    let replay = log::replay(&steps, &events)
        .unwrap_or_else(|e| panic!("saga {}: its log cannot be replayed: {e}", S::NAME));
    (row, replay)
}
