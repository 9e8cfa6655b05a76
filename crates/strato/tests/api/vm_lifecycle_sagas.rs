//! The ISO and restore sagas against a real engine and simulated hosts: a failure at
//! every step unwinds to the state before, and every action and undo can run twice.

use strato_engine::Engine;
use strato_engine::vms::iso::{AttachIso, DetachIso, IsoParams};
use strato_engine::vms::restore::{RestoreParams, RestoreVm};
use strato_saga::testing;
use strato_schema::sql::Sql;
use strato_schema::vm::VmRow;

use crate::common::TestCloud;
use crate::vm_affinity::vm_of;
use crate::vm_isos::ready_iso;
use crate::vm_sagas::executor;
use crate::vms::{deploy, sim_zone};

async fn vm_row(engine: &Engine, uuid: &str) -> VmRow {
    engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .vm_by_uuid(uuid)
        .await
        .expect("query")
        .expect("vm")
}

/// (the VM's root volume id, live volumes, volumes counted against the account).
async fn roots(engine: &Engine, vm: i64, account: i64) -> (i64, i64, i64) {
    let mut db = engine.store.acquire().await.expect("db");
    let mut c = db.c();
    let root = c
        .volumes_of_vms(&[vm])
        .await
        .expect("volumes")
        .into_iter()
        .find(|v| v.volume_type == "ROOT")
        .expect("root")
        .id;
    let live = c
        .fetch_count(&Sql::new(
            "SELECT COUNT(*) FROM volume WHERE removed IS NULL",
        ))
        .await
        .expect("count");
    let counted = c
        .fetch_count(&Sql::new(&format!(
            "SELECT count FROM resource_count WHERE owner_type = 'account' AND owner_id = \
             {account} AND resource_type = 'volume'"
        )))
        .await
        .expect("volume count");
    (root, live, counted)
}

/// (VM state, host, bytes allocated on pools, memory held on hosts).
async fn vm_and_capacity(engine: &Engine, vm: i64) -> (String, Option<i64>, i64, i64) {
    let row = engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .vm_by_id(vm)
        .await
        .expect("query")
        .expect("vm");
    let mut db = engine.store.acquire().await.expect("db");
    let mut c = db.c();
    let mut sum = async |q: &str| c.fetch_count(&Sql::new(q)).await.expect(q);
    (
        row.state,
        row.host_id,
        sum("SELECT CAST(COALESCE(SUM(allocated_bytes), 0) AS BIGINT) FROM storage_pool").await,
        sum("SELECT CAST(COALESCE(SUM(ram_used_bytes), 0) AS BIGINT) FROM host").await,
    )
}

#[tokio::test]
async fn restore_unwinds_to_the_old_root_volume_from_every_step() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let engine = cloud.server.as_ref().expect("running").engine.clone();
    let exec = executor(&engine);
    for running in [false, true] {
        let vm = vm_of(&deploy(&admin, &z, &[]).await);
        let uuid = vm["id"].as_str().expect("id").to_string();
        if !running {
            vm_of(&admin.wait_job("stopVirtualMachine", &[("id", &uuid)]).await);
        }
        let row = vm_row(&engine, &uuid).await;
        let before = roots(&engine, row.id, row.account_id).await;
        let held = vm_and_capacity(&engine, row.id).await;
        let old = {
            let mut db = engine.store.acquire().await.expect("db");
            db.c()
                .volume_by_id(before.0)
                .await
                .expect("q")
                .expect("root")
        };
        let params = RestoreParams {
            vm_id: row.id,
            old_root_id: old.id,
            template_id: row.template_id,
            guest_os_id: row.guest_os_id,
            root_bytes: old.size,
            provisioning: old.provisioning.clone(),
            old_template: Some((row.template_id, row.guest_os_id)),
            running,
        };
        let unchanged = async |e: &Engine| {
            assert_eq!(
                roots(e, row.id, row.account_id).await,
                before,
                "not unwound"
            );
            assert_eq!(vm_and_capacity(e, row.id).await, held, "state or capacity");
        };
        testing::action_failure_can_unwind::<RestoreVm>(&exec, &engine, &params, unchanged).await;
        testing::action_failure_can_unwind_idempotently::<RestoreVm>(
            &exec, &engine, &params, unchanged,
        )
        .await;
        testing::actions_succeed_idempotently::<RestoreVm>(&exec, &engine, params.clone()).await;
        let (root, live, _) = roots(&engine, row.id, row.account_id).await;
        assert_ne!(root, before.0, "a new root volume");
        // The old one is detached, left for the expunge that follows the saga.
        assert_eq!(live, before.1 + 1);
        let (state, host, _, memory) = vm_and_capacity(&engine, row.id).await;
        assert_eq!((state, host, memory), (held.0, held.1, held.3), "as before");
    }
    cloud.stop().await;
}

#[tokio::test]
async fn iso_attach_and_detach_unwind_from_every_step() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let engine = cloud.server.as_ref().expect("running").engine.clone();
    let exec = executor(&engine);
    let iso_uuid = ready_iso(&admin, &z.zone, "rescue").await;
    let vm = vm_of(&deploy(&admin, &z, &[]).await);
    let row = vm_row(&engine, vm["id"].as_str().expect("id")).await;
    let (iso_id, path) = {
        let mut db = engine.store.acquire().await.expect("db");
        let mut c = db.c();
        let iso = c
            .template_by_uuid(&iso_uuid)
            .await
            .expect("q")
            .expect("iso");
        let copy = c
            .template_refs(&[iso.id])
            .await
            .expect("q")
            .into_iter()
            .find(|r| r.is_ready())
            .expect("ready copy");
        (iso.id, copy.install_path.expect("path"))
    };
    let params = IsoParams {
        vm_id: row.id,
        iso_id,
        iso_uuid,
        path,
    };
    let iso_of = async |e: &Engine| vm_row(e, &row.uuid).await.iso_id;
    let empty = async |e: &Engine| assert_eq!(iso_of(e).await, None, "slot not given back");
    testing::action_failure_can_unwind::<AttachIso>(&exec, &engine, &params, empty).await;
    testing::action_failure_can_unwind_idempotently::<AttachIso>(&exec, &engine, &params, empty)
        .await;
    testing::actions_succeed_idempotently::<AttachIso>(&exec, &engine, params.clone()).await;
    assert_eq!(iso_of(&engine).await, Some(iso_id));

    let inserted = async |e: &Engine| assert_eq!(iso_of(e).await, Some(iso_id), "ISO lost");
    testing::action_failure_can_unwind::<DetachIso>(&exec, &engine, &params, inserted).await;
    testing::action_failure_can_unwind_idempotently::<DetachIso>(&exec, &engine, &params, inserted)
        .await;
    testing::actions_succeed_idempotently::<DetachIso>(&exec, &engine, params.clone()).await;
    assert_eq!(iso_of(&engine).await, None);
    cloud.stop().await;
}
