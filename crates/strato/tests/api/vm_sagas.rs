//! The VM sagas in the omicron style, against a real engine and simulated hosts: a
//! failure injected at every step unwinds to exactly the state before (capacity, VMs,
//! volumes); every action and every undo can run twice; a crash at every step is
//! finished or unwound by another server's recovery.

use std::time::Duration;

use strato_api::params::RawParams;
use strato_engine::vms::deploy::{DeployParams, DeployVm, check};
use strato_engine::vms::destroy::{ExpungeParams, ExpungeVm};
use strato_engine::vms::migrate::{MigrateParams, MigrateVm};
use strato_engine::vms::power::{StartParams, StartVm, StopParams, StopVm};
use strato_engine::{Caller, Ctx, Engine};
use strato_saga::{SagaExecutor, SagaResult, testing};
use strato_schema::sql::Sql;

use crate::common::TestCloud;
use crate::vms::{SimZone, deploy, sim_zone};

/// What the VMs of the zone hold: (live VMs, live volumes, host MHz, host bytes, pool bytes).
async fn held(engine: &Engine) -> (i64, i64, i64, i64, i64) {
    let mut db = engine.store.acquire().await.expect("db");
    let mut c = db.c();
    let mut one = async |q: &str| c.fetch_count(&Sql::new(q)).await.expect(q);
    (
        one("SELECT COUNT(*) FROM vm_instance WHERE removed IS NULL").await,
        one("SELECT COUNT(*) FROM volume WHERE removed IS NULL").await,
        one("SELECT CAST(COALESCE(SUM(cpu_used_mhz), 0) AS BIGINT) FROM host").await,
        one("SELECT CAST(COALESCE(SUM(ram_used_bytes), 0) AS BIGINT) FROM host").await,
        one("SELECT CAST(COALESCE(SUM(allocated_bytes), 0) AS BIGINT) FROM storage_pool").await,
    )
}

/// The guest network side: (live NICs, implemented networks, source NAT addresses held,
/// guest VLANs taken).
async fn nets(engine: &Engine) -> (i64, i64, i64, i64) {
    let mut db = engine.store.acquire().await.expect("db");
    let mut c = db.c();
    let mut one = async |q: &str| c.fetch_count(&Sql::new(q)).await.expect(q);
    (
        one("SELECT COUNT(*) FROM nic WHERE removed IS NULL").await,
        one("SELECT COUNT(*) FROM network WHERE state = 'Implemented' AND removed IS NULL").await,
        one("SELECT COUNT(*) FROM public_ip WHERE network_id IS NOT NULL").await,
        one("SELECT COUNT(*) FROM guest_vnet").await,
    )
}

/// `nics` live NICs, and each implemented network holding exactly one VLAN and one
/// source NAT address (none leaked by a shut-down one).
async fn assert_nets(engine: &Engine, nics: i64) {
    let (live, implemented, ips, vnets) = nets(engine).await;
    assert_eq!(live, nics, "NICs leaked or missing");
    assert_eq!(
        (ips, vnets),
        (implemented, implemented),
        "addresses or VLANs held by no implemented network"
    );
}

async fn admin_ctx(engine: &Engine) -> Ctx {
    let user = engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .user_by_id(2)
        .await
        .expect("query")
        .expect("admin user");
    Ctx {
        engine: engine.clone(),
        caller: Caller::from_user(&user),
        job: None,
    }
}

async fn deploy_params(engine: &Engine, z: &SimZone) -> DeployParams {
    let ctx = admin_ctx(engine).await;
    let spec = strato_engine::Registry::new()
        .get("deployVirtualMachine")
        .expect("registered")
        .spec;
    let raw = RawParams::from_pairs(vec![
        ("zoneid".into(), z.zone.clone()),
        ("templateid".into(), z.template.clone()),
        ("serviceofferingid".into(), z.offering.clone()),
    ]);
    let args = strato_api::params::parse(spec, &raw).expect("args");
    let mut db = engine.store.acquire().await.expect("db");
    check(&mut db.c(), &ctx, &args).await.expect("valid deploy")
}

pub fn executor(engine: &Engine) -> SagaExecutor {
    engine
        .sagas
        .exec
        .clone()
        .with_undo_retries(2, Duration::ZERO)
}

/// Expunges VM `id` (a Running one is stopped first) so the next round starts clean.
async fn remove_vm(engine: &Engine, id: i64) {
    let exec = executor(engine);
    let state = engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .vm_by_id(id)
        .await
        .expect("query")
        .map(|v| v.state);
    if state.as_deref() == Some("Running") {
        let stop = StopParams {
            vm_id: id,
            force: true,
        };
        let out = exec.run::<StopVm>(engine, stop, None).await.expect("stop");
        out.into_result().expect("stopped");
    }
    let mut db = engine.store.acquire().await.expect("db");
    db.c()
        .set_vm_state(
            id,
            &["Stopped", "Allocated", "Starting", "Error"],
            "Destroyed",
        )
        .await
        .expect("destroy");
    drop(db);
    let out = exec
        .run::<ExpungeVm>(engine, ExpungeParams { vm_id: id }, None)
        .await
        .expect("expunge");
    out.into_result().expect("expunged");
}

const EMPTY: (i64, i64, i64, i64, i64) = (0, 0, 0, 0, 0);

#[tokio::test]
async fn deploy_unwinds_cleanly_from_every_step_and_is_idempotent() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let engine = cloud.server.as_ref().expect("running").engine.clone();
    let params = deploy_params(&engine, &z).await;
    let exec = executor(&engine);
    assert_eq!(held(&engine).await, EMPTY);

    let outputs =
        testing::actions_succeed_idempotently::<DeployVm>(&exec, &engine, params.clone()).await;
    let id: i64 = outputs.lookup("create_records").expect("vm id");
    // Twice-run actions still hold one VM's worth: 500 MHz, 512 MiB, one root volume.
    let (vms, vols, mhz, ram, pool) = held(&engine).await;
    assert_eq!((vms, vols, mhz, ram), (1, 1, 500, 512 << 20));
    assert!(pool > 0);
    // One NIC, on the account's default network created and implemented once.
    assert_eq!(nets(&engine).await, (1, 1, 1, 1));
    remove_vm(&engine, id).await;
    assert_eq!(held(&engine).await, EMPTY);
    assert_nets(&engine, 0).await;

    let empty = async |e: &Engine| {
        assert_eq!(held(e).await, EMPTY, "something leaked");
        assert_nets(e, 0).await;
    };
    testing::action_failure_can_unwind::<DeployVm>(&exec, &engine, &params, empty).await;
    testing::action_failure_can_unwind_idempotently::<DeployVm>(&exec, &engine, &params, empty)
        .await;
    testing::crash_at_each_step::<DeployVm>(&exec, &engine, &params, async |e, outcome| {
        if let SagaResult::Done(outputs) = &outcome.result {
            let id: i64 = outputs.lookup("create_records").expect("vm id");
            let (vms, _, mhz, ram, _) = held(e).await;
            assert_eq!((vms, mhz, ram), (1, 500, 512 << 20), "a recovered deploy");
            assert_nets(e, 1).await;
            remove_vm(e, id).await;
        }
        assert_eq!(held(e).await, EMPTY, "something leaked");
        assert_nets(e, 0).await;
    })
    .await;
    cloud.stop().await;
}

#[tokio::test]
async fn start_and_stop_unwind_to_the_state_they_started_from() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let engine = cloud.server.as_ref().expect("running").engine.clone();
    let exec = executor(&engine);
    let job = deploy(&admin, &z, &[("startvm", "false")]).await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    let uuid = job["jobresult"]["virtualmachine"]["id"]
        .as_str()
        .expect("id");
    let vm = engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .vm_by_uuid(uuid)
        .await
        .expect("query")
        .expect("vm");
    let state = async |e: &Engine| {
        let v = e
            .store
            .acquire()
            .await
            .expect("db")
            .c()
            .vm_by_id(vm.id)
            .await
            .expect("q");
        v.expect("vm").state
    };

    // Start: every failure leaves it Stopped with nothing held on any host.
    let start = StartParams {
        vm_id: vm.id,
        host_id: None,
    };
    let stopped = async |e: &Engine| {
        assert_eq!(state(e).await, "Stopped");
        let (_, _, mhz, ram, _) = held(e).await;
        assert_eq!((mhz, ram), (0, 0), "capacity leaked");
        // A stopped VM keeps its NIC and address, as in CloudStack.
        assert_nets(e, 1).await;
    };
    testing::action_failure_can_unwind::<StartVm>(&exec, &engine, &start, stopped).await;
    testing::action_failure_can_unwind_idempotently::<StartVm>(&exec, &engine, &start, stopped)
        .await;
    testing::actions_succeed_idempotently::<StartVm>(&exec, &engine, start.clone()).await;
    assert_eq!(state(&engine).await, "Running");
    // The start implemented the network the VM was deployed on stopped.
    assert_eq!(nets(&engine).await, (1, 1, 1, 1));
    assert_eq!(held(&engine).await.3, 512 << 20, "started twice, held once");

    // Stop: every failure leaves it Running and still holding its capacity.
    let stop = StopParams {
        vm_id: vm.id,
        force: false,
    };
    let running = async |e: &Engine| {
        assert_eq!(state(e).await, "Running");
        assert_eq!(held(e).await.3, 512 << 20);
    };
    testing::action_failure_can_unwind::<StopVm>(&exec, &engine, &stop, running).await;
    testing::action_failure_can_unwind_idempotently::<StopVm>(&exec, &engine, &stop, running).await;
    testing::actions_succeed_idempotently::<StopVm>(&exec, &engine, stop.clone()).await;
    assert_eq!(state(&engine).await, "Stopped");
    assert_eq!(held(&engine).await.3, 0);
    cloud.stop().await;
}

#[tokio::test]
async fn migration_unwinds_to_the_source_host_from_every_step() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", ""]).await;
    let engine = cloud.server.as_ref().expect("running").engine.clone();
    let exec = executor(&engine);
    let job = deploy(&admin, &z, &[]).await;
    let uuid = job["jobresult"]["virtualmachine"]["id"]
        .as_str()
        .expect("id");
    let vm = engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .vm_by_uuid(uuid)
        .await
        .expect("query")
        .expect("vm");
    let source = vm.host_id.expect("placed");
    let where_ = async |e: &Engine| {
        let mut db = e.store.acquire().await.expect("db");
        let v = db.c().vm_by_id(vm.id).await.expect("q").expect("vm");
        let held = db.c().host_reservations_of(vm.id).await.expect("q");
        (v.state, v.host_id, held)
    };
    let at_source = async |e: &Engine| {
        assert_eq!(
            where_(e).await,
            ("Running".to_string(), Some(source), vec![source])
        );
        assert_eq!(held(e).await.3, 512 << 20, "capacity leaked");
    };
    let params = MigrateParams {
        vm_id: vm.id,
        host_id: None,
    };
    testing::action_failure_can_unwind::<MigrateVm>(&exec, &engine, &params, at_source).await;
    testing::action_failure_can_unwind_idempotently::<MigrateVm>(
        &exec, &engine, &params, at_source,
    )
    .await;
    testing::actions_succeed_idempotently::<MigrateVm>(&exec, &engine, params.clone()).await;
    let (state, host, reservations) = where_(&engine).await;
    assert_eq!(state, "Running");
    assert_ne!(host, Some(source));
    assert_eq!(
        reservations.len(),
        1,
        "held on one host only after a migration"
    );
    assert_eq!(held(&engine).await.3, 512 << 20);
    cloud.stop().await;
}
