//! Volumes on a Simulator zone through signed HTTP: the data volume lifecycle (create →
//! attach to a running VM → resize → detach → delete), destroy/recover, migration,
//! CloudStack's refusals, and isolation between tenants.

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::vms::{SimZone, deploy, sim_zone};

const GIB: i64 = 1 << 30;

pub async fn disk_offering(admin: &Client, name: &str) -> String {
    admin.ok("listDiskOfferings", &[("name", name)]).await["diskoffering"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("disk offering {name}"))
        .to_string()
}

pub fn done(job: &Value, key: &str) -> Value {
    assert_eq!(job["jobstatus"], 1, "job failed: {job}");
    job["jobresult"][key].clone()
}

/// A running VM of `client`; returns its id.
pub async fn running_vm(client: &Client, z: &SimZone) -> String {
    let vm = done(&deploy(client, z, &[]).await, "virtualmachine");
    assert_eq!(vm["state"], "Running", "{vm}");
    vm["id"].as_str().expect("vm id").to_string()
}

/// A new data volume of `client` from the Small (5 GB) offering.
pub async fn new_volume(client: &Client, admin: &Client, z: &SimZone, name: &str) -> String {
    let small = disk_offering(admin, "Small").await;
    let v = done(
        &client
            .wait_job(
                "createVolume",
                &[
                    ("name", name),
                    ("zoneid", &z.zone),
                    ("diskofferingid", &small),
                ],
            )
            .await,
        "volume",
    );
    v["id"].as_str().expect("volume id").to_string()
}

async fn one_volume(client: &Client, id: &str) -> Value {
    let r = client
        .ok("listVolumes", &[("id", id), ("listall", "true")])
        .await;
    assert_eq!(r["count"], 1, "{r}");
    r["volume"][0].clone()
}

async fn pool_allocated(cloud: &TestCloud) -> i64 {
    let engine = &cloud.server.as_ref().expect("running").engine;
    let mut db = engine.store.acquire().await.expect("db");
    db.c()
        .fetch_count(&strato_schema::sql::Sql::new(
            "SELECT CAST(COALESCE(SUM(allocated_bytes), 0) AS BIGINT) FROM storage_pool",
        ))
        .await
        .expect("query")
}

#[tokio::test]
async fn a_data_volume_lives_through_create_attach_resize_detach_delete() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let vm = running_vm(&user, &z).await;

    // The VM's root volume is listed with it.
    let of_vm = user.ok("listVolumes", &[("virtualmachineid", &vm)]).await;
    assert_eq!(of_vm["count"], 1, "{of_vm}");
    let root = &of_vm["volume"][0];
    assert_eq!(root["type"], "ROOT");
    assert_eq!(root["state"], "Ready");
    assert_eq!(root["deviceid"], 0);
    assert_eq!(root["vmstate"], "Running");
    assert!(
        root.get("storageid").is_none(),
        "tenants do not see pools: {root}"
    );

    let before = pool_allocated(&cloud).await;
    let id = new_volume(&user, &admin, &z, "data-1").await;
    let v = one_volume(&user, &id).await;
    assert_eq!(v["state"], "Allocated", "{v}");
    assert_eq!(v["type"], "DATADISK");
    assert_eq!(v["size"], 5 * GIB);
    assert_eq!(v["diskofferingname"], "Small");
    assert!(v.get("virtualmachineid").is_none());
    assert_eq!(
        pool_allocated(&cloud).await,
        before,
        "a record takes no pool bytes"
    );

    // Attach to the running VM: created on a pool its host reaches, hot-plugged.
    let job = user
        .wait_job("attachVolume", &[("id", &id), ("virtualmachineid", &vm)])
        .await;
    let v = done(&job, "volume");
    assert_eq!(v["state"], "Ready", "{v}");
    assert_eq!(v["virtualmachineid"], vm.as_str());
    assert_eq!(v["deviceid"], 1);
    assert!(
        v.get("storageid").is_none(),
        "a tenant's answer hides the pool: {v}"
    );
    assert_eq!(pool_allocated(&cloud).await, before + 5 * GIB);
    let listed = admin
        .ok(
            "listVolumes",
            &[("virtualmachineid", &vm), ("listall", "true")],
        )
        .await;
    assert_eq!(listed["count"], 2, "{listed}");
    let data = one_volume(&admin, &id).await;
    assert!(data["vmname"].is_string(), "{data}");
    assert_eq!(data["vmstate"], "Running");
    assert!(data["storageid"].is_string(), "admins see the pool: {data}");
    assert!(data["attached"].is_string(), "{data}");

    // Deleting an attached volume is refused and changes nothing.
    let e = user.err("deleteVolume", &[("id", &id)], 431).await;
    assert!(e.contains("not attached"), "{e}");
    assert_eq!(one_volume(&user, &id).await["state"], "Ready");

    // Resize: grow through another offering, refuse a shrink without shrinkok.
    let medium = disk_offering(&admin, "Medium").await;
    let small = disk_offering(&admin, "Small").await;
    let v = done(
        &user
            .wait_job("resizeVolume", &[("id", &id), ("diskofferingid", &medium)])
            .await,
        "volume",
    );
    assert_eq!(v["size"], 20 * GIB, "{v}");
    assert_eq!(v["diskofferingname"], "Medium");
    assert_eq!(pool_allocated(&cloud).await, before + 20 * GIB);
    let job = user
        .wait_job("resizeVolume", &[("id", &id), ("diskofferingid", &small)])
        .await;
    assert_eq!(
        job["jobstatus"], 2,
        "a shrink without shrinkok fails: {job}"
    );
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    assert!(
        job["jobresult"]["errortext"]
            .as_str()
            .is_some_and(|t| t.contains("shrinkok"))
    );
    assert_eq!(one_volume(&user, &id).await["size"], 20 * GIB);
    let v = done(
        &user
            .wait_job(
                "resizeVolume",
                &[
                    ("id", &id),
                    ("diskofferingid", &small),
                    ("shrinkok", "true"),
                ],
            )
            .await,
        "volume",
    );
    assert_eq!(v["size"], 5 * GIB);
    assert_eq!(v["state"], "Ready");
    assert_eq!(pool_allocated(&cloud).await, before + 5 * GIB);

    // Detach, then delete: the pool's bytes come back.
    let v = done(
        &user.wait_job("detachVolume", &[("id", &id)]).await,
        "volume",
    );
    assert!(v.get("virtualmachineid").is_none(), "{v}");
    assert_eq!(v["state"], "Ready");
    let root_id = root["id"].as_str().expect("root id");
    let job = user.wait_job("detachVolume", &[("id", root_id)]).await;
    assert_eq!(job["jobstatus"], 2, "the root volume stays: {job}");
    let r = user.ok("deleteVolume", &[("id", &id)]).await;
    assert_eq!(r["success"], true, "{r}");
    let gone = user.ok("listVolumes", &[("id", &id)]).await;
    assert!(gone.get("volume").is_none(), "{gone}");
    assert_eq!(pool_allocated(&cloud).await, before);
    cloud.stop().await;
}

#[tokio::test]
async fn volumes_are_destroyed_recovered_expunged_and_migrated() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let vm = running_vm(&user, &z).await;
    let id = new_volume(&user, &admin, &z, "data-1").await;

    // Destroy and recover a volume that was never created.
    let v = done(
        &user.wait_job("destroyVolume", &[("id", &id)]).await,
        "volume",
    );
    assert_eq!(v["state"], "Destroy");
    assert_eq!(v["destroyed"], true);
    let job = user
        .wait_job("attachVolume", &[("id", &id), ("virtualmachineid", &vm)])
        .await;
    assert_eq!(
        job["jobstatus"], 2,
        "a destroyed volume is not attached: {job}"
    );
    let v = user.ok("recoverVolume", &[("id", &id)]).await["volume"].clone();
    assert_eq!(v["state"], "Allocated", "{v}");

    // Created on the cluster's pool, detached, then moved to a second pool.
    done(
        &user
            .wait_job("attachVolume", &[("id", &id), ("virtualmachineid", &vm)])
            .await,
        "volume",
    );
    done(
        &user.wait_job("detachVolume", &[("id", &id)]).await,
        "volume",
    );
    let pools = admin.ok("listStoragePools", &[("zoneid", &z.zone)]).await;
    let pod = pools["storagepool"][0]["podid"]
        .as_str()
        .expect("pod")
        .to_string();
    let cluster = pools["storagepool"][0]["clusterid"]
        .as_str()
        .expect("cluster")
        .to_string();
    let second = admin
        .ok(
            "createStoragePool",
            &[
                ("zoneid", &z.zone),
                ("podid", &pod),
                ("clusterid", &cluster),
                ("name", "PS1"),
                ("url", "nfs://10.147.28.6/export/home/sandbox/primary1"),
            ],
        )
        .await["storagepool"]["id"]
        .as_str()
        .expect("pool id")
        .to_string();
    let from = one_volume(&admin, &id).await["storageid"].clone();
    assert_ne!(from, second.as_str());
    let v = done(
        &user
            .wait_job(
                "migrateVolume",
                &[("volumeid", &id), ("storageid", &second)],
            )
            .await,
        "volume",
    );
    assert_eq!(v["state"], "Ready", "{v}");
    assert_eq!(one_volume(&admin, &id).await["storageid"], second.as_str());
    // It still attaches (the host reaches the new pool) and detaches.
    done(
        &user
            .wait_job("attachVolume", &[("id", &id), ("virtualmachineid", &vm)])
            .await,
        "volume",
    );
    let job = user
        .wait_job(
            "migrateVolume",
            &[
                ("volumeid", &id),
                ("storageid", from.as_str().expect("pool")),
            ],
        )
        .await;
    assert_eq!(
        job["jobstatus"], 2,
        "a running VM's volume is not moved: {job}"
    );
    done(
        &user.wait_job("detachVolume", &[("id", &id)]).await,
        "volume",
    );

    // createVolume with virtualmachineid attaches at once.
    let small = disk_offering(&admin, "Small").await;
    let direct = done(
        &user
            .wait_job(
                "createVolume",
                &[
                    ("zoneid", &z.zone),
                    ("diskofferingid", &small),
                    ("virtualmachineid", &vm),
                ],
            )
            .await,
        "volume",
    );
    assert_eq!(direct["state"], "Ready", "{direct}");
    assert_eq!(direct["virtualmachineid"], vm.as_str());

    // Destroy with expunge: gone at once.
    let job = user
        .wait_job("destroyVolume", &[("id", &id), ("expunge", "true")])
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    let gone = admin
        .ok("listVolumes", &[("id", &id), ("listall", "true")])
        .await;
    assert!(gone.get("volume").is_none(), "{gone}");
    cloud.stop().await;
}

#[tokio::test]
async fn bad_volume_requests_get_cloudstack_codes_and_change_nothing() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, account) = new_account(&admin, "tenant", None, "0").await;
    let vm = running_vm(&user, &z).await;
    let small = disk_offering(&admin, "Small").await;
    let custom = disk_offering(&admin, "Custom").await;
    let missing = uuid::Uuid::new_v4().to_string();

    for (params, needle) in [
        (vec![("zoneid", z.zone.as_str())], "diskofferingid"),
        (
            vec![("zoneid", z.zone.as_str()), ("diskofferingid", &missing)],
            "diskofferingid",
        ),
        (
            vec![("zoneid", &missing), ("diskofferingid", &small)],
            "zoneid",
        ),
        (
            vec![("zoneid", z.zone.as_str()), ("diskofferingid", &custom)],
            "size",
        ),
        (
            vec![
                ("zoneid", z.zone.as_str()),
                ("diskofferingid", &custom),
                ("size", "5000"),
            ],
            "size",
        ),
        (
            vec![
                ("zoneid", z.zone.as_str()),
                ("diskofferingid", &small),
                ("size", "7"),
            ],
            "size",
        ),
        (vec![("snapshotid", &missing)], "snapshotid"),
    ] {
        let job = user.wait_job("createVolume", &params).await;
        assert_eq!(job["jobstatus"], 2, "{params:?}: {job}");
        assert_eq!(job["jobresult"]["errorcode"], 431, "{params:?}: {job}");
        let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
        assert!(text.contains(needle), "{params:?}: {text}");
    }
    let none = user.ok("listVolumes", &[("type", "DATADISK")]).await;
    assert!(none.get("volume").is_none(), "nothing was created: {none}");
    let custom_ok = done(
        &user
            .wait_job(
                "createVolume",
                &[
                    ("zoneid", &z.zone),
                    ("diskofferingid", &custom),
                    ("size", "3"),
                ],
            )
            .await,
        "volume",
    );
    assert_eq!(custom_ok["size"], 3 * GIB);

    // A volume in another zone is not attached to this VM.
    let other_zone = admin
        .ok(
            "createZone",
            &[
                ("name", "Elsewhere"),
                ("networktype", "Advanced"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
            ],
        )
        .await["zone"]["id"]
        .as_str()
        .expect("zone")
        .to_string();
    let domain = account["domainid"].as_str().expect("domain");
    let far = done(
        &admin
            .wait_job(
                "createVolume",
                &[
                    ("zoneid", &other_zone),
                    ("diskofferingid", &small),
                    ("account", "tenant"),
                    ("domainid", domain),
                ],
            )
            .await,
        "volume",
    );
    let far_id = far["id"].as_str().expect("id");
    let job = user
        .wait_job("attachVolume", &[("id", far_id), ("virtualmachineid", &vm)])
        .await;
    assert_eq!(job["jobstatus"], 2, "{job}");
    assert_eq!(job["jobresult"]["errorcode"], 431);
    assert!(
        job["jobresult"]["errortext"]
            .as_str()
            .is_some_and(|t| t.contains("zone"))
    );
    assert!(
        one_volume(&user, far_id)
            .await
            .get("virtualmachineid")
            .is_none()
    );

    // Bad device ids and a second attach.
    let id = custom_ok["id"].as_str().expect("id");
    for (device, needle) in [("3", "CD-ROM"), ("0", "deviceid"), ("99", "deviceid")] {
        let job = user
            .wait_job(
                "attachVolume",
                &[("id", id), ("virtualmachineid", &vm), ("deviceid", device)],
            )
            .await;
        assert_eq!(job["jobstatus"], 2, "{device}: {job}");
        let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
        assert!(text.contains(needle), "{text}");
    }
    done(
        &user
            .wait_job("attachVolume", &[("id", id), ("virtualmachineid", &vm)])
            .await,
        "volume",
    );
    let job = user
        .wait_job("attachVolume", &[("id", id), ("virtualmachineid", &vm)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    assert!(
        job["jobresult"]["errortext"]
            .as_str()
            .is_some_and(|t| t.contains("already attached"))
    );
    let job = user.wait_job("resizeVolume", &[("id", id)]).await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    cloud.stop().await;
}

#[tokio::test]
async fn a_tenant_cannot_see_attach_resize_or_delete_another_accounts_volume() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (alice, _) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;
    let theirs = new_volume(&alice, &admin, &z, "alice-data").await;
    let bob_vm = running_vm(&bob, &z).await;

    let seen = bob.ok("listVolumes", &[("id", &theirs)]).await;
    assert!(seen.get("volume").is_none(), "{seen}");
    let all = bob.ok("listVolumes", &[("listall", "true")]).await;
    assert!(
        all["volume"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|v| v["account"] == "bob"),
        "{all}"
    );
    let job = bob
        .wait_job(
            "attachVolume",
            &[("id", &theirs), ("virtualmachineid", &bob_vm)],
        )
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "{job}");
    let job = bob
        .wait_job("resizeVolume", &[("id", &theirs), ("size", "9")])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "{job}");
    bob.err("deleteVolume", &[("id", &theirs)], 531).await;
    let job = bob.wait_job("destroyVolume", &[("id", &theirs)]).await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "{job}");
    assert_eq!(one_volume(&alice, &theirs).await["state"], "Allocated");
    assert_eq!(one_volume(&alice, &theirs).await["size"], 5 * GIB);
    cloud.stop().await;
}

#[tokio::test]
async fn a_tenant_cannot_migrate_another_accounts_volume() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (alice, _) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;
    let vm = running_vm(&alice, &z).await;
    let theirs = new_volume(&alice, &admin, &z, "alice-data").await;
    done(
        &alice
            .wait_job(
                "attachVolume",
                &[("id", &theirs), ("virtualmachineid", &vm)],
            )
            .await,
        "volume",
    );
    done(
        &alice.wait_job("detachVolume", &[("id", &theirs)]).await,
        "volume",
    );
    let pool = one_volume(&admin, &theirs).await["storageid"].clone();
    let pool = pool.as_str().expect("pool");
    let job = bob
        .wait_job(
            "migrateVolume",
            &[("volumeid", &theirs), ("storageid", pool)],
        )
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "{job}");
    assert_eq!(one_volume(&admin, &theirs).await["storageid"], pool);
    cloud.stop().await;
}

#[tokio::test]
async fn a_volume_is_not_attached_where_the_vms_host_cannot_reach_its_pool() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let pools = admin.ok("listStoragePools", &[("zoneid", &z.zone)]).await;
    let pod = pools["storagepool"][0]["podid"].as_str().expect("pod");
    let c0 = pools["storagepool"][0]["clusterid"]
        .as_str()
        .expect("cluster");
    let c1 = admin
        .ok(
            "addCluster",
            &[
                ("zoneid", &z.zone),
                ("podid", pod),
                ("clustername", "C1"),
                ("hypervisor", "Simulator"),
                ("clustertype", "CloudManaged"),
            ],
        )
        .await["cluster"][0]["id"]
        .as_str()
        .expect("cluster")
        .to_string();
    admin
        .ok(
            "addHost",
            &[
                ("zoneid", &z.zone),
                ("podid", pod),
                ("clusterid", &c1),
                ("hypervisor", "Simulator"),
                ("url", "http://sim/c1/h0"),
                ("username", "root"),
                ("password", "password"),
            ],
        )
        .await;
    crate::hosts::wait_hosts(
        &admin,
        &[("clusterid", &c1)],
        "Up",
        1,
        std::time::Duration::from_secs(20),
    )
    .await;
    admin
        .ok(
            "createStoragePool",
            &[
                ("zoneid", &z.zone),
                ("podid", pod),
                ("clusterid", &c1),
                ("name", "PS-C1"),
                ("url", "nfs://10.147.28.6/export/home/sandbox/c1"),
            ],
        )
        .await;
    let vm_c0 = done(
        &deploy(&admin, &z, &[("clusterid", c0)]).await,
        "virtualmachine",
    );
    let vm_c1 = done(
        &deploy(&admin, &z, &[("clusterid", &c1)]).await,
        "virtualmachine",
    );
    let (vm0, vm1) = (
        vm_c0["id"].as_str().expect("id"),
        vm_c1["id"].as_str().expect("id"),
    );
    let id = new_volume(&admin, &admin, &z, "c1-data").await;
    done(
        &admin
            .wait_job("attachVolume", &[("id", &id), ("virtualmachineid", vm1)])
            .await,
        "volume",
    );
    assert_eq!(one_volume(&admin, &id).await["storage"], "PS-C1");
    done(
        &admin.wait_job("detachVolume", &[("id", &id)]).await,
        "volume",
    );
    let job = admin
        .wait_job("attachVolume", &[("id", &id), ("virtualmachineid", vm0)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    assert!(
        job["jobresult"]["errortext"]
            .as_str()
            .is_some_and(|t| t.contains("does not reach")),
        "{job}"
    );
    let v = one_volume(&admin, &id).await;
    assert!(v.get("virtualmachineid").is_none(), "{v}");
    assert_eq!(v["state"], "Ready");
    cloud.stop().await;
}

#[tokio::test]
async fn volumes_and_snapshots_count_against_the_owners_limits() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, account) = new_account(&admin, "tenant", None, "0").await;
    let domain = account["domainid"].as_str().expect("domain");
    let vm = running_vm(&user, &z).await;
    for (t, max) in [("2", "2"), ("3", "1")] {
        admin
            .ok(
                "updateResourceLimit",
                &[
                    ("account", "tenant"),
                    ("domainid", domain),
                    ("resourcetype", t),
                    ("max", max),
                ],
            )
            .await;
    }
    // The root volume counts: one data volume more fits, a second does not.
    let id = new_volume(&user, &admin, &z, "one").await;
    let small = disk_offering(&admin, "Small").await;
    let job = user
        .wait_job(
            "createVolume",
            &[("zoneid", &z.zone), ("diskofferingid", &small)],
        )
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 535, "{job}");
    let data = user.ok("listVolumes", &[("type", "DATADISK")]).await;
    assert_eq!(data["count"], 1, "nothing more was created: {data}");
    // Deleting gives the count back.
    user.ok("deleteVolume", &[("id", &id)]).await;
    new_volume(&user, &admin, &z, "two").await;

    // One snapshot fits, the second is refused and leaves nothing behind.
    let root = user
        .ok(
            "listVolumes",
            &[("virtualmachineid", &vm), ("type", "ROOT")],
        )
        .await["volume"][0]["id"]
        .as_str()
        .expect("root")
        .to_string();
    done(
        &user
            .wait_job("createSnapshot", &[("volumeid", &root)])
            .await,
        "snapshot",
    );
    let job = user
        .wait_job("createSnapshot", &[("volumeid", &root)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 535, "{job}");
    let snaps = user.ok("listSnapshots", &[]).await;
    assert_eq!(snaps["count"], 1, "{snaps}");
    cloud.stop().await;
}
