//! The attach-volume and create-snapshot sagas in the omicron style, against a real
//! engine and simulated hosts: a failure injected at every step unwinds to exactly the
//! state before (pool capacity, volume state and placement, attachment, snapshot rows
//! and counts), every action and every undo can run twice, and a crash at every step
//! is finished or unwound by another server's recovery.

use std::time::Duration;

use strato_engine::Engine;
use strato_engine::snapshots::create::{CreateSnapshot, params_for};
use strato_engine::volumes::attach::{AttachParams, AttachVolume};
use strato_saga::{SagaExecutor, SagaResult, testing};
use strato_schema::sql::{Bind, Sql};

use crate::common::TestCloud;
use crate::vms::sim_zone;
use crate::volumes::{done, new_volume, running_vm};

fn executor(engine: &Engine) -> SagaExecutor {
    engine
        .sagas
        .exec
        .clone()
        .with_undo_retries(2, Duration::ZERO)
}

async fn count(engine: &Engine, q: &str, id: Option<i64>) -> i64 {
    let mut sql = Sql::new(q);
    if let Some(id) = id {
        sql.and("id = ?", Bind::I64(id));
    }
    let mut db = engine.store.acquire().await.expect("db");
    db.c().fetch_count(&sql).await.expect(q)
}

/// (state, placed, attached, device, bytes allocated on every pool).
async fn volume_state(engine: &Engine, id: i64) -> (String, bool, bool, i64, i64) {
    let v = engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .volume_by_id(id)
        .await
        .expect("query")
        .expect("volume");
    let pools = count(
        engine,
        "SELECT CAST(COALESCE(SUM(allocated_bytes), 0) AS BIGINT) FROM storage_pool WHERE 1 = 1",
        None,
    )
    .await;
    (
        v.state,
        v.pool_id.is_some(),
        v.instance_id.is_some(),
        v.device_id.map_or(-1, i64::from),
        pools,
    )
}

async fn ids(engine: &Engine, volume: &str, vm: &str) -> (i64, i64) {
    let mut db = engine.store.acquire().await.expect("db");
    let v = db
        .c()
        .volume_by_uuid(volume)
        .await
        .expect("q")
        .expect("volume");
    let m = db.c().vm_by_uuid(vm).await.expect("q").expect("vm");
    (v.id, m.id)
}

#[tokio::test]
async fn attach_unwinds_cleanly_from_every_step_and_is_idempotent() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let engine = cloud.server.as_ref().expect("running").engine.clone();
    let exec = executor(&engine);
    let vm = running_vm(&admin, &z).await;
    let volume = new_volume(&admin, &admin, &z, "data").await;
    let (volume_id, vm_id) = ids(&engine, &volume, &vm).await;
    let before = volume_state(&engine, volume_id).await;
    assert_eq!(
        (before.0.as_str(), before.1, before.2),
        ("Allocated", false, false)
    );
    let params = AttachParams {
        volume_id,
        vm_id,
        device_id: 1,
        create: true,
    };
    let untouched = async |e: &Engine| {
        assert_eq!(volume_state(e, volume_id).await, before, "attach leaked");
    };
    testing::action_failure_can_unwind::<AttachVolume>(&exec, &engine, &params, untouched).await;
    testing::action_failure_can_unwind_idempotently::<AttachVolume>(
        &exec, &engine, &params, untouched,
    )
    .await;
    testing::crash_at_each_step::<AttachVolume>(&exec, &engine, &params, async |e, outcome| {
        if let SagaResult::Done(_) = &outcome.result {
            let (state, placed, attached, device, _) = volume_state(e, volume_id).await;
            assert_eq!(
                (state.as_str(), placed, attached, device),
                ("Ready", true, true, 1)
            );
            // Back to a record for the next round: detach, delete on the pool, unplace.
            let job = admin.wait_job("detachVolume", &[("id", &volume)]).await;
            done(&job, "volume");
            reset(e, volume_id).await;
        }
        assert_eq!(volume_state(e, volume_id).await, before, "a crash leaked");
    })
    .await;

    testing::actions_succeed_idempotently::<AttachVolume>(&exec, &engine, params.clone()).await;
    let (state, placed, attached, device, pools) = volume_state(&engine, volume_id).await;
    assert_eq!(
        (state.as_str(), placed, attached, device),
        ("Ready", true, true, 1)
    );
    assert_eq!(
        pools,
        before.4 + 5 * (1 << 30),
        "placed twice, counted once"
    );
    let listed = admin
        .ok("listVolumes", &[("id", &volume), ("listall", "true")])
        .await;
    assert_eq!(listed["volume"][0]["virtualmachineid"], vm.as_str());
    // The host has it too: a detach through the API unplugs it and the VM still stops.
    done(
        &admin.wait_job("detachVolume", &[("id", &volume)]).await,
        "volume",
    );
    done(
        &admin.wait_job("stopVirtualMachine", &[("id", &vm)]).await,
        "virtualmachine",
    );
    cloud.stop().await;
}

/// Deletes a created, detached volume from its pool and makes it a record again.
async fn reset(engine: &Engine, volume_id: i64) {
    let mut tx = engine.store.begin().await.expect("tx");
    let mut c = tx.c();
    let v = c.volume_by_id(volume_id).await.expect("q").expect("volume");
    c.volume_not_created(volume_id).await.expect("not created");
    if let Some(pool) = c.unplace_volume(volume_id).await.expect("unplace") {
        c.release_pool_capacity(pool, v.size)
            .await
            .expect("release");
    }
    tx.commit().await.expect("commit");
}

/// (live snapshots, their counted snapshots and secondary bytes on the owner).
async fn snapshot_state(engine: &Engine, account: i64) -> (i64, i64, i64) {
    let counted = async |t: &str| {
        let mut sql = Sql::new(
            "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM resource_count WHERE 1 = 1",
        );
        sql.and("owner_type = ?", Bind::Str("account".into()));
        sql.and("owner_id = ?", Bind::I64(account));
        sql.and("resource_type = ?", Bind::Str(t.into()));
        let mut db = engine.store.acquire().await.expect("db");
        db.c().fetch_count(&sql).await.expect("count")
    };
    (
        count(
            engine,
            "SELECT COUNT(*) FROM snapshots WHERE removed IS NULL",
            None,
        )
        .await,
        counted("snapshot").await,
        counted("secondary_storage").await,
    )
}

#[tokio::test]
async fn snapshot_creation_unwinds_cleanly_from_every_step_and_is_idempotent() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let engine = cloud.server.as_ref().expect("running").engine.clone();
    let exec = executor(&engine);
    let (user, account) = crate::common::new_account(&admin, "tenant", None, "0").await;
    let vm = running_vm(&user, &z).await;
    let root = user
        .ok(
            "listVolumes",
            &[("virtualmachineid", &vm), ("type", "ROOT")],
        )
        .await["volume"][0]["id"]
        .as_str()
        .expect("root")
        .to_string();
    let (account_id, params) = {
        let mut db = engine.store.acquire().await.expect("db");
        let mut c = db.c();
        let a = c
            .account_by_uuid(account["id"].as_str().expect("account id"))
            .await
            .expect("q")
            .expect("account");
        let v = c
            .volume_view_by_uuid(&root)
            .await
            .expect("q")
            .expect("root");
        drop(db);
        (
            a.id,
            params_for(&engine, &v, None, "MANUAL", None)
                .await
                .expect("params"),
        )
    };
    let empty = (0, 0, 0);
    assert_eq!(snapshot_state(&engine, account_id).await, empty);
    let nothing = async |e: &Engine| {
        assert_eq!(
            snapshot_state(e, account_id).await,
            empty,
            "snapshot leaked"
        );
    };
    testing::action_failure_can_unwind::<CreateSnapshot>(&exec, &engine, &params, nothing).await;
    testing::action_failure_can_unwind_idempotently::<CreateSnapshot>(
        &exec, &engine, &params, nothing,
    )
    .await;

    testing::crash_at_each_step::<CreateSnapshot>(&exec, &engine, &params, async |e, outcome| {
        if let SagaResult::Done(outputs) = &outcome.result {
            let id: i64 = outputs.lookup("create_record").expect("snapshot id");
            assert_eq!(
                snapshot_state(e, account_id).await.0,
                1,
                "a recovered snapshot"
            );
            strato_engine::snapshots::manage::delete(e, id)
                .await
                .expect("delete");
        }
        assert_eq!(snapshot_state(e, account_id).await, empty, "a crash leaked");
    })
    .await;

    let outputs =
        testing::actions_succeed_idempotently::<CreateSnapshot>(&exec, &engine, params.clone())
            .await;
    let id: i64 = outputs.lookup("create_record").expect("snapshot id");
    let (live, snaps, bytes) = snapshot_state(&engine, account_id).await;
    assert_eq!(
        (live, snaps),
        (1, 1),
        "taken twice, recorded and counted once"
    );
    let s = engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .snapshot_by_id(id)
        .await
        .expect("q")
        .expect("snapshot");
    assert_eq!(s.state, "BackedUp");
    assert_eq!(bytes, s.physical_size, "backed up twice, counted once");
    // Through the API it is a normal snapshot: it deletes and gives its counts back.
    let job = user.wait_job("deleteSnapshot", &[("id", &s.uuid)]).await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    assert_eq!(snapshot_state(&engine, account_id).await, empty);
    cloud.stop().await;
}
