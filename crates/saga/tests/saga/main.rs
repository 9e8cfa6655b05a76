//! The saga engine on a toy deployment saga, on SQLite and (with `STRATO_TEST_PG_URL`)
//! PostgreSQL: the success path, a failure at every step, every action and undo twice,
//! a crash at every step followed by recovery, racing recoverers, fencing of an owner
//! that was taken over, stuck sagas, and the link to the async job.

mod toy;

use std::sync::Arc;
use std::time::Duration;

use strato_common::ErrorCode;
use strato_saga::{
    CrashPoint, RunOptions, SagaError, SagaExecutor, SagaOutcome, SagaRegistry, SagaResult, testing,
};
use strato_schema::Store;
use strato_schema::saga::{SagaEventRow, SagaRow};
use tokio::sync::Semaphore;
use toy::{Toy, ToyDeploy, ToyParams, Twice};

struct TestDb {
    store: Store,
    _dir: Option<tempfile::TempDir>,
}

/// A migrated SQLite database, plus a fresh PostgreSQL one when `STRATO_TEST_PG_URL` is set.
async fn backends() -> Vec<TestDb> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("saga.db").display());
    let mut dbs = vec![TestDb {
        store: Store::open(&url).await.expect("open sqlite"),
        _dir: Some(dir),
    }];
    match std::env::var("STRATO_TEST_PG_URL") {
        Ok(admin) if !admin.is_empty() => dbs.push(TestDb {
            store: Store::open(&fresh_pg_database(&admin).await)
                .await
                .expect("open postgres"),
            _dir: None,
        }),
        _ => eprintln!("STRATO_TEST_PG_URL not set: PostgreSQL not tested"),
    }
    for db in &dbs {
        db.store.migrate().await.expect("migrate");
    }
    dbs
}

async fn fresh_pg_database(admin_url: &str) -> String {
    let name = format!("strato_test_saga_{}", uuid::Uuid::new_v4().simple());
    let admin = Store::open(admin_url).await.expect("postgres reachable");
    let Store::Postgres(pool) = &admin else {
        panic!("STRATO_TEST_PG_URL must be a postgres:// URL")
    };
    strato_schema::execute_raw(pool, &format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    admin.close().await;
    let mut url = url::Url::parse(admin_url).expect("valid URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

fn params(size: i64) -> ToyParams {
    ToyParams {
        size,
        fail_start: false,
    }
}

/// An executor for a server with no heartbeat: its sagas count as orphaned.
fn gone(store: &Store) -> SagaExecutor {
    SagaExecutor::new(store.clone(), uuid::Uuid::new_v4().to_string())
        .with_undo_retries(2, Duration::ZERO)
}

/// An executor for a server that heartbeats in `mshost`.
async fn live(store: &Store) -> SagaExecutor {
    let exec = gone(store);
    let mut db = store.acquire().await.expect("connection");
    db.c()
        .register_mshost(exec.msid(), "test", "0", strato_schema::now())
        .await
        .expect("register mshost");
    exec
}

fn registry() -> SagaRegistry<Toy> {
    SagaRegistry::new()
        .register::<ToyDeploy>()
        .expect("valid saga")
}

fn a_minute_ago() -> chrono::DateTime<chrono::Utc> {
    strato_schema::now() - chrono::Duration::seconds(60)
}

/// Runs a saga on `exec` until the simulated crash at `point`; returns its id.
async fn crash(
    exec: &SagaExecutor,
    toy: &Toy,
    params: ToyParams,
    job: Option<i64>,
    opts: RunOptions,
) -> i64 {
    match exec.run_with::<ToyDeploy>(toy, params, job, opts).await {
        Err(SagaError::Interrupted { saga_id, .. }) => saga_id,
        other => panic!("expected a simulated crash, got {other:?}"),
    }
}

fn before(step: &str) -> RunOptions {
    RunOptions::default().crash_at(CrashPoint::BeforeAction(step.into()))
}

async fn saga_row(store: &Store, id: i64) -> SagaRow {
    let mut db = store.acquire().await.expect("connection");
    db.c()
        .saga_by_id(id)
        .await
        .expect("saga")
        .expect("saga exists")
}

async fn events(store: &Store, id: i64) -> Vec<SagaEventRow> {
    let mut db = store.acquire().await.expect("connection");
    db.c().saga_events(id).await.expect("events")
}

fn done(outcome: &SagaOutcome) -> String {
    match &outcome.result {
        SagaResult::Done(outputs) => outputs.lookup("vm_id").expect("vm id"),
        other => panic!("saga {} did not succeed: {other:?}", outcome.uuid),
    }
}

async fn assert_clean(toy: &Toy) {
    assert_eq!(toy.used().await, 0, "reserved capacity leaked");
    assert_eq!(toy.allocs(None).await, 0, "rows leaked");
}

#[tokio::test]
async fn success_path_runs_each_step_once_and_logs_it() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let exec = live(&db.store).await;
        let outcome = exec
            .run::<ToyDeploy>(&toy, params(5), None)
            .await
            .expect("ran");
        let vm = done(&outcome);
        uuid::Uuid::parse_str(&vm).expect("the id step yields a UUID");
        let outputs = outcome.clone().into_result().expect("done");
        assert_eq!(outputs.lookup::<i64>("reserve").expect("reserve"), 5);
        assert_eq!(
            outputs.lookup::<String>("volume").expect("volume"),
            format!("vol-{vm}")
        );
        assert_eq!(toy.used().await, 5);
        assert_eq!(toy.allocs(Some(&vm)).await, 2);
        for what in ["action:reserve", "action:volume", "action:start"] {
            assert_eq!(toy.count(&vm, what), 1, "{what}");
        }
        let row = saga_row(&db.store, outcome.saga_id).await;
        assert_eq!(
            (row.state.as_str(), row.name.as_str()),
            ("done", "toy-deploy")
        );
        assert_eq!(row.owner_msid, exec.msid());
        let log: Vec<(i64, String)> = events(&db.store, outcome.saga_id)
            .await
            .into_iter()
            .map(|e| (e.node, e.event))
            .collect();
        let expected: Vec<(i64, String)> = (0..4)
            .flat_map(|n| [(n, "started".into()), (n, "succeeded".into())])
            .collect();
        assert_eq!(log, expected);
    }
}

#[tokio::test]
async fn a_failure_at_any_step_unwinds_to_a_clean_slate() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let exec = live(&db.store).await;
        testing::action_failure_can_unwind::<ToyDeploy>(&exec, &toy, &params(5), async |t| {
            assert_clean(t).await
        })
        .await;
        assert_eq!(
            toy.total("undo:reserve"),
            2,
            "undone when volume and start failed"
        );
        assert_eq!(toy.total("undo:volume"), 1, "undone when start failed");
    }
}

#[tokio::test]
async fn every_undo_twice_still_unwinds_to_a_clean_slate() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let exec = live(&db.store).await;
        testing::action_failure_can_unwind_idempotently::<ToyDeploy>(
            &exec,
            &toy,
            &params(5),
            async |t| assert_clean(t).await,
        )
        .await;
        assert_eq!(toy.total("undo:reserve"), 4);
        assert_eq!(toy.total("undo:volume"), 2);
    }
}

#[tokio::test]
async fn every_action_twice_allocates_once() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let exec = live(&db.store).await;
        let outputs =
            testing::actions_succeed_idempotently::<ToyDeploy>(&exec, &toy, params(5)).await;
        let vm: String = outputs.lookup("vm_id").expect("vm id");
        for what in ["action:reserve", "action:volume", "action:start"] {
            assert_eq!(toy.count(&vm, what), 2, "{what}");
        }
        assert_eq!(toy.used().await, 5, "reserved once");
        assert_eq!(
            toy.allocs(None).await,
            2,
            "one row each, all for the kept id"
        );
    }
}

#[tokio::test]
async fn a_crash_at_any_step_is_finished_or_unwound_by_recovery() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let exec = live(&db.store).await;
        let check = async |t: &Toy, outcome: &SagaOutcome| match &outcome.result {
            SagaResult::Done(outputs) => {
                let vm: String = outputs.lookup("vm_id").expect("vm id");
                assert_eq!(t.used().await, 5);
                assert_eq!(t.allocs(Some(&vm)).await, 2);
                assert_eq!(t.allocs(None).await, 2, "nothing left by the crashed run");
                t.tear_down(&vm, 5).await;
            }
            _ => assert_clean(t).await,
        };
        testing::crash_at_each_step::<ToyDeploy>(&exec, &toy, &params(5), check).await;
        assert_clean(&toy).await;
    }
}

#[tokio::test]
async fn a_replay_reuses_the_persisted_id() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let dead = gone(&db.store);
        // The volume row is written but its step's result is not.
        let opts = RunOptions::default().crash_at(CrashPoint::AfterAction("volume".into()));
        let id = crash(&dead, &toy, params(5), None, opts).await;
        let logged = events(&db.store, id).await;
        let id_event = logged
            .iter()
            .find(|e| e.step == "vm_id" && e.event == "succeeded")
            .expect("the id step succeeded");
        let vm: String =
            serde_json::from_str(id_event.output.as_deref().expect("output")).expect("id");
        let peer = live(&db.store).await;
        let results = peer
            .recover(&toy, &registry(), a_minute_ago())
            .await
            .expect("recover");
        assert_eq!(results.len(), 1);
        let outcome = results.into_iter().next().expect("one").expect("finished");
        assert_eq!(done(&outcome), vm, "the same id after recovery");
        assert_eq!(
            toy.count(&vm, "action:volume"),
            2,
            "the volume step ran again"
        );
        assert_eq!(
            toy.allocs(None).await,
            2,
            "and found its row instead of adding one"
        );
        assert_eq!(toy.used().await, 5);
        assert_eq!(saga_row(&db.store, id).await.owner_msid, peer.msid());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_recoverers_never_both_run_a_saga() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let dead = gone(&db.store);
        let mut crashed = Vec::new();
        for _ in 0..6 {
            crashed.push(crash(&dead, &toy, params(1), None, before("volume")).await);
        }
        let registry = Arc::new(registry());
        let mut runs = Vec::new();
        for _ in 0..2 {
            let (exec, toy, registry) = (live(&db.store).await, toy.clone(), registry.clone());
            runs.push(tokio::spawn(async move {
                exec.recover(&toy, &registry, a_minute_ago()).await
            }));
        }
        let mut outcomes = Vec::new();
        for run in runs {
            for result in run.await.expect("joined").expect("recover") {
                outcomes.push(result.expect("finished"));
            }
        }
        let mut ids: Vec<i64> = outcomes.iter().map(|o| o.saga_id).collect();
        ids.sort_unstable();
        assert_eq!(ids, crashed, "each saga recovered exactly once");
        for outcome in &outcomes {
            let vm = done(outcome);
            for what in ["action:reserve", "action:volume", "action:start"] {
                assert_eq!(toy.count(&vm, what), 1, "{what} of {vm}");
            }
        }
        assert_eq!(toy.used().await, 6);
        assert_eq!(toy.allocs(None).await, 12);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_whose_saga_was_taken_over_stops_at_its_next_step() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let gate = Arc::new(Semaphore::new(0));
        let gated = Toy {
            gate: Some(gate.clone()),
            ..toy.clone()
        };
        // A server that stopped heartbeating but is still running its saga.
        let slow = gone(&db.store);
        let run = tokio::spawn(async move { slow.run::<ToyDeploy>(&gated, params(3), None).await });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while toy.total("action:start") == 0 {
            assert!(tokio::time::Instant::now() < deadline, "start never began");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let peer = live(&db.store).await;
        let results = peer
            .recover(&toy, &registry(), a_minute_ago())
            .await
            .expect("recover");
        assert_eq!(results.len(), 1);
        let outcome = results.into_iter().next().expect("one").expect("finished");
        let vm = done(&outcome);
        gate.add_permits(1);
        match run.await.expect("joined") {
            Err(SagaError::LostOwnership { saga }) => assert_eq!(saga, outcome.uuid),
            other => panic!("the old owner went on: {other:?}"),
        }
        let row = saga_row(&db.store, outcome.saga_id).await;
        assert_eq!(
            (row.state.as_str(), row.owner_msid.as_str()),
            ("done", peer.msid())
        );
        assert_eq!(toy.count(&vm, "action:reserve"), 1);
        assert_eq!(toy.count(&vm, "action:start"), 2, "once by each owner");
        assert_eq!(toy.used().await, 3);
        assert_eq!(toy.allocs(None).await, 2);
    }
}

#[tokio::test]
async fn an_undo_that_keeps_failing_leaves_the_saga_stuck() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let exec = live(&db.store).await;
        let opts = RunOptions::default()
            .inject_error_at("start")
            .inject_undo_error_at("reserve");
        let outcome = exec
            .run_with::<ToyDeploy>(&toy, params(5), None, opts)
            .await
            .expect("ran");
        match &outcome.result {
            SagaResult::Stuck { error, reason } => {
                assert!(
                    error.text.contains("injected failure at step start"),
                    "{error}"
                );
                assert!(
                    reason.contains("undoing step reserve failed 2 times"),
                    "{reason}"
                );
            }
            other => panic!("expected stuck, got {other:?}"),
        }
        let job_error = outcome
            .clone()
            .into_result()
            .expect_err("an error for the job");
        assert_eq!(job_error.code, ErrorCode::Internal);
        assert!(job_error.text.contains("operator"), "{}", job_error.text);
        let row = saga_row(&db.store, outcome.saga_id).await;
        assert_eq!(row.state, "stuck");
        assert!(
            row.stuck_reason
                .as_deref()
                .is_some_and(|r| r.contains("reserve"))
        );
        let failed_undos = events(&db.store, outcome.saga_id)
            .await
            .iter()
            .filter(|e| e.step == "reserve" && e.event == "undo_failed")
            .count();
        assert_eq!(failed_undos, 2);
        // The volume was undone before the reservation's undo got stuck; the
        // reservation is what an operator has to release.
        assert_eq!(toy.allocs(None).await, 1);
        assert_eq!(toy.used().await, 5);
        // Recovery does not pick stuck sagas up, even when their owner is long gone.
        let far_future = strato_schema::now() + chrono::Duration::days(1);
        let results = live(&db.store)
            .await
            .recover(&toy, &registry(), far_future)
            .await
            .expect("recover");
        assert!(results.is_empty());
    }
}

#[tokio::test]
async fn a_saga_type_this_binary_does_not_know_is_marked_stuck() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let id = crash(&gone(&db.store), &toy, params(5), None, before("volume")).await;
        let results = live(&db.store)
            .await
            .recover(&toy, &SagaRegistry::new(), a_minute_ago())
            .await
            .expect("recover");
        assert_eq!(results.len(), 1);
        let outcome = results.into_iter().next().expect("one").expect("marked");
        match &outcome.result {
            SagaResult::Stuck { reason, .. } => {
                assert!(reason.contains("toy-deploy is unknown"), "{reason}")
            }
            other => panic!("expected stuck, got {other:?}"),
        }
        let row = saga_row(&db.store, id).await;
        assert_eq!(row.state, "stuck");
        assert!(row.stuck_reason.is_some_and(|r| r.contains("unknown")));
    }
}

#[tokio::test]
async fn recovery_leaves_the_sagas_of_live_servers_alone() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let owner = live(&db.store).await;
        let id = crash(&owner, &toy, params(5), None, before("start")).await;
        let peer = live(&db.store).await;
        let results = peer
            .recover(&toy, &registry(), a_minute_ago())
            .await
            .expect("recover");
        assert!(results.is_empty(), "the owner still heartbeats");
        assert_eq!(saga_row(&db.store, id).await.owner_msid, owner.msid());
        // Once the owner is down, its saga is taken over and finished.
        let mut conn = db.store.acquire().await.expect("connection");
        conn.c().stop_mshost(owner.msid()).await.expect("stop");
        drop(conn);
        let results = peer
            .recover(&toy, &registry(), a_minute_ago())
            .await
            .expect("recover");
        assert_eq!(results.len(), 1);
        done(results[0].as_ref().expect("finished"));
    }
}

#[tokio::test]
async fn the_failed_step_error_is_the_outcome_even_after_a_crash() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let exec = live(&db.store).await;
        let failing = ToyParams {
            size: 5,
            fail_start: true,
        };
        let check = |outcome: &SagaOutcome| match &outcome.result {
            SagaResult::Failed(e) => {
                assert_eq!(
                    (e.code, e.cs_code),
                    (ErrorCode::InsufficientCapacity, Some(4010))
                );
                assert_eq!(e.text, "no host has room");
            }
            other => panic!("expected the step's failure, got {other:?}"),
        };
        let outcome = exec
            .run::<ToyDeploy>(&toy, failing.clone(), None)
            .await
            .expect("ran");
        check(&outcome);
        assert_clean(&toy).await;
        // Crashed while unwinding: recovery finishes the unwinding and reports the same
        // error, read back from the database.
        let opts = RunOptions::default().crash_at(CrashPoint::AfterUndo("volume".into()));
        crash(&gone(&db.store), &toy, failing, None, opts).await;
        let results = exec
            .recover(&toy, &registry(), a_minute_ago())
            .await
            .expect("recover");
        assert_eq!(results.len(), 1);
        check(results[0].as_ref().expect("finished"));
        assert_clean(&toy).await;
    }
}

#[tokio::test]
async fn the_job_follows_its_saga_to_the_new_owner() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let dead = gone(&db.store);
        let job = insert_job(&db.store, dead.msid()).await;
        let id = crash(&dead, &toy, params(5), Some(job), before("start")).await;
        assert_eq!(saga_row(&db.store, id).await.job_id, Some(job));
        let peer = live(&db.store).await;
        let results = peer
            .recover(&toy, &registry(), a_minute_ago())
            .await
            .expect("recover");
        let outcome = results.into_iter().next().expect("one").expect("finished");
        assert_eq!(outcome.job_id, Some(job));
        done(&outcome);
        let mut conn = db.store.acquire().await.expect("connection");
        let row = conn.c().job_by_id(job).await.expect("job").expect("exists");
        assert_eq!(row.owner_msid.as_deref(), Some(peer.msid()));
        let completed = conn
            .c()
            .complete_job(job, peer.msid(), 1, 0, "{}", strato_schema::now())
            .await
            .expect("complete");
        assert!(completed, "the new owner can complete the job");
    }
}

#[tokio::test]
async fn invalid_definitions_and_options_are_refused() {
    for db in backends().await {
        let toy = Toy::new(db.store.clone()).await;
        let exec = live(&db.store).await;
        let err = exec
            .run::<Twice>(&toy, params(1), None)
            .await
            .expect_err("refused");
        assert!(
            matches!(
                err,
                SagaError::Definition {
                    name: "toy-twice",
                    ..
                }
            ),
            "{err}"
        );
        assert!(SagaRegistry::<Toy>::new().register::<Twice>().is_err());
        assert!(
            registry().register::<ToyDeploy>().is_err(),
            "a name registered twice"
        );
        let typo = RunOptions::default().inject_error_at("strat");
        let err = exec
            .run_with::<ToyDeploy>(&toy, params(1), None, typo)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("strat"), "{err}");
        assert_eq!(toy.total("action:reserve"), 0, "nothing ran");
    }
}

/// A pending async job claimed by `msid`, with the domain, role, account and user it
/// needs.
async fn insert_job(store: &Store, msid: &str) -> i64 {
    use strato_schema::account::NewAccount;
    use strato_schema::domain::NewDomain;
    use strato_schema::job::NewJob;
    use strato_schema::role::NewRole;
    use strato_schema::user::NewUser;

    let now = strato_schema::now();
    let mut conn = store.acquire().await.expect("connection");
    let mut c = conn.c();
    let domain_id = c
        .insert_domain(
            &NewDomain {
                uuid: "d",
                parent_id: None,
                name: "ROOT",
                path: "/",
                level: 0,
                network_domain: None,
            },
            now,
        )
        .await
        .expect("domain");
    let role_id = c
        .insert_role(
            &NewRole {
                uuid: "r",
                name: "Admin",
                role_type: "Admin",
                description: None,
                is_default: true,
                is_public: true,
            },
            now,
        )
        .await
        .expect("role");
    let account_id = c
        .insert_account(
            &NewAccount {
                uuid: "a",
                name: "admin",
                account_type: 1,
                role_id,
                domain_id,
                network_domain: None,
                is_default: true,
            },
            now,
        )
        .await
        .expect("account");
    let user_id = c
        .insert_user(
            &NewUser {
                uuid: "u",
                account_id,
                username: "admin",
                password_hash: "-",
                firstname: "a",
                lastname: "b",
                email: None,
                timezone: None,
                state: "enabled",
                is_default: true,
            },
            now,
        )
        .await
        .expect("user");
    let job = NewJob {
        uuid: "j",
        user_id,
        account_id,
        cmd: "deployToy",
        params: "[]",
        instance_type: None,
        instance_id: None,
    };
    let id = c.insert_job(&job, now).await.expect("job");
    assert!(c.claim_job(id, msid, now).await.expect("claim"));
    id
}
