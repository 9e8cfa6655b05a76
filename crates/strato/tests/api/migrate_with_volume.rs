//! migrateVirtualMachineWithVolume on a Simulator zone of two clusters, each with its
//! own pool: a running VM moves host and volumes, a stopped VM its volumes; capacity
//! follows; bad input is refused with nothing changed; a failure at every saga step
//! unwinds to where the VM was.

use std::time::Duration;

use serde_json::Value;
use strato_engine::Engine;
use strato_engine::vms::migrate_with_volume::{
    MigrateVmWithVolume, MigrateWithVolumeParams, VolumeMove,
};
use strato_saga::{SagaOutcome, SagaResult, testing};
use strato_schema::sql::Sql;

use crate::common::{Client, TestCloud, new_account};
use crate::vm_affinity::vm_of;
use crate::vm_sagas::executor;
use crate::vms::{SimZone, deploy, sim_zone};
use crate::volumes::{done, new_volume};

/// Two clusters: C0 (two hosts, pool PS0, from `sim_zone`) and C1 (one host, pool
/// PS-C1).
struct TwoClusters {
    z: SimZone,
    pod: String,
    c0: String,
    c1: String,
    ps0: String,
    /// The host of C1 and its pool.
    h1: String,
    ps1: String,
}

async fn two_clusters(admin: &Client) -> TwoClusters {
    let z = sim_zone(admin, &["", ""]).await;
    let ps0 = &admin.ok("listStoragePools", &[("zoneid", &z.zone)]).await["storagepool"][0];
    let pod = ps0["podid"].as_str().expect("pod").to_string();
    let c0 = ps0["clusterid"].as_str().expect("cluster").to_string();
    let ps0 = ps0["id"].as_str().expect("pool").to_string();
    let id = |v: &Value, key: &str| v[key][0]["id"].as_str().expect("id").to_string();
    let c1 = id(
        &admin
            .ok(
                "addCluster",
                &[
                    ("zoneid", &z.zone),
                    ("podid", &pod),
                    ("clustername", "C1"),
                    ("hypervisor", "Simulator"),
                    ("clustertype", "CloudManaged"),
                ],
            )
            .await,
        "cluster",
    );
    let h1 = id(
        &admin
            .ok(
                "addHost",
                &[
                    ("zoneid", &z.zone),
                    ("podid", &pod),
                    ("clusterid", &c1),
                    ("hypervisor", "Simulator"),
                    ("url", "http://sim/c1/h0"),
                    ("username", "root"),
                    ("password", "password"),
                ],
            )
            .await,
        "host",
    );
    crate::hosts::wait_hosts(
        admin,
        &[("clusterid", &c1)],
        "Up",
        1,
        Duration::from_secs(20),
    )
    .await;
    let ps1 = new_pool(admin, &z.zone, &pod, &c1, "PS-C1").await;
    TwoClusters {
        z,
        pod,
        c0,
        c1,
        ps0,
        h1,
        ps1,
    }
}

/// A new NFS pool of a cluster; returns its id.
async fn new_pool(admin: &Client, zone: &str, pod: &str, cluster: &str, name: &str) -> String {
    let url = format!("nfs://10.147.28.6/export/home/sandbox/{name}");
    admin
        .ok(
            "createStoragePool",
            &[
                ("zoneid", zone),
                ("podid", pod),
                ("clusterid", cluster),
                ("name", name),
                ("url", &url),
            ],
        )
        .await["storagepool"]["id"]
        .as_str()
        .expect("pool")
        .to_string()
}

/// A running VM of `user` (of `account`) in C0 with a 5 GB data disk: (vm id, root
/// id, data id).
async fn vm_with_data_disk(
    admin: &Client,
    (user, account): (&Client, &Value),
    t: &TwoClusters,
) -> [String; 3] {
    let owner = [
        ("clusterid", t.c0.as_str()),
        ("account", account["name"].as_str().expect("account")),
        ("domainid", account["domainid"].as_str().expect("domain")),
    ];
    let vm = vm_of(&deploy(admin, &t.z, &owner).await);
    let id = vm["id"].as_str().expect("id").to_string();
    let data = new_volume(user, admin, &t.z, "data").await;
    done(
        &user
            .wait_job("attachVolume", &[("id", &data), ("virtualmachineid", &id)])
            .await,
        "volume",
    );
    let root = volumes_of(admin, &id).await[0]["id"]
        .as_str()
        .expect("root")
        .to_string();
    [id, root, data]
}

/// The VM's volumes, root first.
async fn volumes_of(client: &Client, vm: &str) -> Vec<Value> {
    let mut v = client
        .ok(
            "listVolumes",
            &[("virtualmachineid", vm), ("listall", "true")],
        )
        .await["volume"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    v.sort_by_key(|x| x["type"] != "ROOT");
    v
}

async fn vm_state(admin: &Client, vm: &str) -> (String, String) {
    let v = &admin
        .ok("listVirtualMachines", &[("id", vm), ("listall", "true")])
        .await["virtualmachine"][0];
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    (s("state"), s("hostid"))
}

/// memoryallocated of every Routing host, by host id.
async fn host_memory(admin: &Client) -> Vec<(String, i64)> {
    let hosts = admin.ok("listHosts", &[("type", "Routing")]).await;
    let mut out: Vec<(String, i64)> = hosts["host"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| {
            let id = h["id"].as_str().expect("id").to_string();
            (id, h["memoryallocated"].as_i64().expect("memoryallocated"))
        })
        .collect();
    out.sort();
    out
}

/// Bytes allocated on each pool these tests create, by name (not in listStoragePools:
/// read from the database).
async fn pool_bytes(engine: &Engine) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for name in ["PS0", "PS0b", "PS-C1", "PS-C1b"] {
        out.push((name, bytes_on(engine, name).await));
    }
    out
}

async fn bytes_on(engine: &Engine, pool: &str) -> i64 {
    let mut db = engine.store.acquire().await.expect("db");
    let q = format!(
        "SELECT CAST(COALESCE(SUM(allocated_bytes), 0) AS BIGINT) FROM storage_pool \
         WHERE name = '{pool}' AND removed IS NULL"
    );
    db.c().fetch_count(&Sql::new(&q)).await.expect("query")
}

fn engine_of(cloud: &TestCloud) -> Engine {
    cloud.server.as_ref().expect("running").engine.clone()
}

/// `migrateto` entries sending these volumes to `pool`.
fn migrate_to<'a>(vm: &'a str, volumes: &[&'a str], pool: &'a str) -> Vec<(String, &'a str)> {
    let mut p = vec![("virtualmachineid".to_string(), vm)];
    for (i, v) in volumes.iter().enumerate() {
        p.push((format!("migrateto[{i}].volume"), v));
        p.push((format!("migrateto[{i}].pool"), pool));
    }
    p
}

async fn migrate(admin: &Client, params: &[(String, &str)], extra: &[(&str, &str)]) -> Value {
    let mut p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    p.extend_from_slice(extra);
    admin.wait_job("migrateVirtualMachineWithVolume", &p).await
}

/// A tenant's running VM with a data disk in C0, on two clusters.
struct Fixture {
    cloud: TestCloud,
    admin: Client,
    t: TwoClusters,
    user: Client,
    /// (vm id, root id, data id).
    vm: [String; 3],
}

async fn fixture() -> Fixture {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let t = two_clusters(&admin).await;
    let (user, account) = new_account(&admin, "tenant", None, "0").await;
    let vm = vm_with_data_disk(&admin, (&user, &account), &t).await;
    Fixture {
        cloud,
        admin,
        t,
        user,
        vm,
    }
}

/// A refused request: its parameters, extra ones, and the parameter the error names.
type Refused<'a> = (Vec<(String, &'a str)>, Vec<(&'a str, &'a str)>, &'a str);

/// Each request fails with 431 naming its parameter.
async fn assert_refused(admin: &Client, cases: Vec<Refused<'_>>) {
    for (params, extra, name) in cases {
        let job = migrate(admin, &params, &extra).await;
        assert_eq!(
            job["jobresult"]["errorcode"], 431,
            "{params:?} {extra:?}: {job}"
        );
        let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
        assert!(text.contains(name), "{params:?} {extra:?}: {text}");
    }
}

#[tokio::test]
async fn a_running_vm_moves_to_another_cluster_with_its_volumes_and_capacity() {
    let f = fixture().await;
    let (admin, t, user) = (&f.admin, &f.t, &f.user);
    let [vm, root, data] = f.vm.clone();
    let engine = engine_of(&f.cloud);
    let (_, source) = vm_state(admin, &vm).await;
    let root_bytes = volumes_of(admin, &vm).await[0]["size"]
        .as_i64()
        .expect("size");
    let both = root_bytes + (5 << 30);
    assert_eq!(
        (
            bytes_on(&engine, "PS0").await,
            bytes_on(&engine, "PS-C1").await
        ),
        (both, 0)
    );

    let params = migrate_to(&vm, &[&root, &data], &t.ps1);
    let moved = vm_of(&migrate(admin, &params, &[("hostid", &t.h1)]).await);
    assert_eq!(moved["state"], "Running");
    assert_eq!(moved["hostid"], t.h1.as_str());
    for v in volumes_of(admin, &vm).await {
        assert_eq!(v["storageid"], t.ps1.as_str(), "{v}");
        assert_eq!(v["storage"], "PS-C1", "{v}");
        assert_eq!(v["state"], "Ready", "{v}");
    }
    for (host, memory) in host_memory(admin).await {
        let want = if host == t.h1 { 512 << 20 } else { 0 };
        assert_eq!(memory, want, "host {host} (the VM left {source})");
    }
    assert_eq!(
        (
            bytes_on(&engine, "PS0").await,
            bytes_on(&engine, "PS-C1").await
        ),
        (0, both)
    );
    // The VM runs from its new pool: it stops and starts again in C1.
    vm_of(&user.wait_job("stopVirtualMachine", &[("id", &vm)]).await);
    vm_of(&user.wait_job("startVirtualMachine", &[("id", &vm)]).await);
    let started = &admin
        .ok("listVirtualMachines", &[("id", &vm), ("listall", "true")])
        .await["virtualmachine"][0];
    assert_eq!(started["hostid"], t.h1.as_str());
    f.cloud.stop().await;
}

#[tokio::test]
async fn autoselect_picks_a_host_that_reaches_the_new_pool() {
    let f = fixture().await;
    let (admin, t) = (&f.admin, &f.t);
    let [vm, root, data] = f.vm.clone();
    let params = migrate_to(&vm, &[&root, &data], &t.ps1);
    // Without a host nor autoselect.
    assert_refused(admin, vec![(params.clone(), vec![], "hostid")]).await;
    let moved = vm_of(&migrate(admin, &params, &[("autoselect", "true")]).await);
    assert_eq!(moved["hostid"], t.h1.as_str());
    f.cloud.stop().await;
}

#[tokio::test]
async fn a_stopped_vm_has_only_its_volumes_moved() {
    let f = fixture().await;
    let (admin, t) = (&f.admin, &f.t);
    let [vm, root, data] = f.vm.clone();
    let ps0b = new_pool(admin, &t.z.zone, &t.pod, &t.c0, "PS0b").await;
    vm_of(&admin.wait_job("stopVirtualMachine", &[("id", &vm)]).await);
    let params = migrate_to(&vm, &[&root, &data], &ps0b);
    let refused: Vec<Refused> = vec![
        (params.clone(), vec![("hostid", &t.h1)], "hostid"),
        // Only the data disk: the VM could not start with its disks in two clusters.
        (migrate_to(&vm, &[&data], &t.ps1), vec![], "migrateto"),
        // A stopped volume is copied through one host: none reaches C0's and C1's pools.
        (
            migrate_to(&vm, &[&root, &data], &t.ps1),
            vec![],
            "migrateto",
        ),
        (migrate_to(&vm, &[], &ps0b), vec![], "migrateto"),
    ];
    assert_refused(admin, refused).await;

    let moved = vm_of(&migrate(admin, &params, &[]).await);
    assert_eq!(moved["state"], "Stopped");
    for v in volumes_of(admin, &vm).await {
        assert_eq!(v["storage"], "PS0b", "{v}");
        assert_eq!(v["state"], "Ready", "{v}");
    }
    assert_eq!(bytes_on(&engine_of(&f.cloud), "PS0").await, 0);
    let started = vm_of(&admin.wait_job("startVirtualMachine", &[("id", &vm)]).await);
    assert_eq!(started["state"], "Running");
    assert_ne!(
        started["hostid"],
        t.h1.as_str(),
        "C0 reaches PS0b, C1 does not"
    );
    f.cloud.stop().await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_change_nothing() {
    let f = fixture().await;
    let (admin, t, user) = (&f.admin, &f.t, &f.user);
    let [vm, root, data] = f.vm.clone();
    let engine = engine_of(&f.cloud);
    let before = (
        vm_state(admin, &vm).await,
        host_memory(admin).await,
        pool_bytes(&engine).await,
    );
    let (_, source) = &before.0;
    let ps0 = t.ps0.clone();
    let to_c1 = migrate_to(&vm, &[&root, &data], &t.ps1);

    // An admin command: a tenant does not have it, not even for its own VM.
    let r = user
        .call(
            "migrateVirtualMachineWithVolume",
            &[("virtualmachineid", &vm)],
        )
        .await;
    assert_eq!(r.status, 432, "{}", r.text);
    admin
        .err("migrateVirtualMachineWithVolume", &[("hostid", &t.h1)], 431)
        .await;

    let missing = uuid::Uuid::new_v4().to_string();
    let other = new_volume(user, admin, &t.z, "unattached").await;
    let cases: Vec<Refused> = vec![
        (to_c1.clone(), vec![("hostid", source)], "hostid"),
        (to_c1.clone(), vec![("hostid", &missing)], "hostid"),
        (
            migrate_to(&vm, &[&missing], &t.ps1),
            vec![("hostid", &t.h1)],
            "migrateto",
        ),
        (
            migrate_to(&vm, &[&other], &t.ps1),
            vec![("hostid", &t.h1)],
            "migrateto",
        ),
        (
            migrate_to(&vm, &[&root], &missing),
            vec![("hostid", &t.h1)],
            "migrateto",
        ),
        (
            migrate_to(&vm, &[&data], &ps0),
            vec![("hostid", &t.h1)],
            "migrateto",
        ),
        (
            migrate_to(&vm, &[&data, &data], &t.ps1),
            vec![("hostid", &t.h1)],
            "migrateto",
        ),
        (
            vec![
                ("virtualmachineid".to_string(), vm.as_str()),
                ("migrateto[0].volume".to_string(), root.as_str()),
            ],
            vec![("hostid", &t.h1)],
            "migrateto",
        ),
        // The root moves, the data disk would stay where the C1 host cannot reach it.
        (
            migrate_to(&vm, &[&root], &t.ps1),
            vec![("hostid", &t.h1)],
            "migrateto",
        ),
        (
            vec![("virtualmachineid".to_string(), vm.as_str())],
            vec![("hostid", &t.h1)],
            "migrateto",
        ),
    ];
    assert_refused(admin, cases).await;
    let after = (
        vm_state(admin, &vm).await,
        host_memory(admin).await,
        pool_bytes(&engine).await,
    );
    assert_eq!(after, before, "a refused migration changed something");
    for v in volumes_of(admin, &vm).await {
        assert_eq!(v["storageid"], ps0.as_str(), "{v}");
        assert_eq!(v["state"], "Ready", "{v}");
    }

    // No room on the destination pool: 533, and still nothing changed.
    admin
        .ok(
            "updateStoragePool",
            &[("id", &t.ps1), ("capacitybytes", &(1i64 << 30).to_string())],
        )
        .await;
    let job = migrate(admin, &to_c1, &[("hostid", &t.h1)]).await;
    assert_eq!(job["jobresult"]["errorcode"], 533, "{job}");
    assert_eq!(vm_state(admin, &vm).await, before.0);
    assert_eq!(host_memory(admin).await, before.1);
    assert_eq!(pool_bytes(&engine).await, before.2);
    f.cloud.stop().await;
}

/// The saga's parameters for moving every volume of `vm` to `pool` (and the VM to
/// `host` when it runs), as the command would build them.
async fn params_for(
    engine: &Engine,
    vm: &str,
    host: Option<&str>,
    pool: &str,
) -> MigrateWithVolumeParams {
    let mut db = engine.store.acquire().await.expect("db");
    let mut c = db.c();
    let v = c.vm_by_uuid(vm).await.expect("q").expect("vm");
    let dest = c
        .storage_pool_by_uuid(pool)
        .await
        .expect("q")
        .expect("pool");
    let host_id = match host {
        Some(h) => Some(c.host_by_uuid(h).await.expect("q").expect("host").id),
        None => None,
    };
    let moves = c
        .volumes_of_vms(&[v.id])
        .await
        .expect("volumes")
        .into_iter()
        .map(|x| VolumeMove {
            volume_id: x.id,
            volume_uuid: x.uuid,
            size: x.size,
            src_pool: x.pool_id.expect("placed"),
            src_pool_uuid: x.pool_uuid.expect("placed"),
            dest_pool: dest.id,
            dest_pool_uuid: dest.uuid.clone(),
        })
        .collect();
    MigrateWithVolumeParams {
        vm_id: v.id,
        zone_id: v.zone_id,
        live: v.state == "Running",
        host_id,
        moves,
    }
}

/// (VM state, its host, hosts holding its capacity, its volumes' (pool, state)).
async fn where_is(
    engine: &Engine,
    vm_id: i64,
) -> (String, Option<i64>, Vec<i64>, Vec<(i64, String)>) {
    let mut db = engine.store.acquire().await.expect("db");
    let mut c = db.c();
    let v = c.vm_by_id(vm_id).await.expect("q").expect("vm");
    let held = c.host_reservations_of(vm_id).await.expect("q");
    let vols = c
        .volumes_of_vms(&[vm_id])
        .await
        .expect("q")
        .into_iter()
        .map(|x| (x.pool_id.expect("placed"), x.state))
        .collect();
    (v.state, v.host_id, held, vols)
}

#[tokio::test]
async fn a_failure_or_crash_at_every_step_unwinds_to_where_the_vm_was() {
    let f = fixture().await;
    let (admin, t) = (&f.admin, &f.t);
    let [vm, _, _] = f.vm.clone();
    let engine = engine_of(&f.cloud);
    let exec = executor(&engine);
    // Running, to C1 with its host; then stopped, its volumes to another pool of C1.
    let ps1b = new_pool(admin, &t.z.zone, &t.pod, &t.c1, "PS-C1b").await;
    for (host, pool) in [(Some(t.h1.as_str()), &t.ps1), (None, &ps1b)] {
        if host.is_none() {
            vm_of(&admin.wait_job("stopVirtualMachine", &[("id", &vm)]).await);
        }
        let params = params_for(&engine, &vm, host, pool).await;
        let before = where_is(&engine, params.vm_id).await;
        let bytes = pool_bytes(&engine).await;
        let memory = host_memory(admin).await;
        let unchanged = async |e: &Engine| {
            assert_eq!(where_is(e, params.vm_id).await, before, "not unwound");
            assert_eq!(pool_bytes(e).await, bytes, "pool bytes leaked");
            assert_eq!(host_memory(admin).await, memory, "host capacity leaked");
        };
        testing::action_failure_can_unwind::<MigrateVmWithVolume>(
            &exec, &engine, &params, unchanged,
        )
        .await;
        testing::action_failure_can_unwind_idempotently::<MigrateVmWithVolume>(
            &exec, &engine, &params, unchanged,
        )
        .await;
        // A crash anywhere is finished or unwound by recovery; a finished move is
        // undone by moving back before the next crash.
        let source_host = vm_state(admin, &vm).await.1;
        let source_pool = params.moves[0].src_pool_uuid.clone();
        let check = async |e: &Engine, outcome: &SagaOutcome| {
            if let SagaResult::Done(_) = &outcome.result {
                let from = host.map(|_| source_host.as_str());
                let back = params_for(e, &vm, from, &source_pool).await;
                let out = exec.run::<MigrateVmWithVolume>(e, back, None).await;
                let moved_back = out.expect("move back").result;
                assert!(matches!(moved_back, SagaResult::Done(_)), "{moved_back:?}");
            }
            unchanged(e).await;
        };
        testing::crash_at_each_step::<MigrateVmWithVolume>(&exec, &engine, &params, check).await;
        // The simulated hosts were unwound too: the real move still succeeds, with
        // every action run twice.
        testing::actions_succeed_idempotently::<MigrateVmWithVolume>(
            &exec,
            &engine,
            params.clone(),
        )
        .await;
        let (state, on, held, volumes) = where_is(&engine, params.vm_id).await;
        assert_eq!(state, before.0);
        let target = params.host_id;
        assert_eq!(on, target.or(before.1));
        assert_eq!(
            held,
            target.into_iter().collect::<Vec<_>>(),
            "capacity on one host"
        );
        let dest = params.moves[0].dest_pool;
        assert!(
            volumes.iter().all(|(p, s)| *p == dest && s == "Ready"),
            "{volumes:?}"
        );
    }
    f.cloud.stop().await;
}
