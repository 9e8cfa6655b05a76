//! Volume snapshots, snapshot policies, templates from snapshots and volumes, and VM
//! snapshots on a Simulator zone through signed HTTP; refusals and isolation.

use std::time::{Duration, Instant};

use serde_json::Value;
use strato_schema::sql::{Bind, Sql};

use crate::common::{Client, TestCloud, new_account};
use crate::vms::sim_zone;
use crate::volumes::{done, new_volume, running_vm};

async fn root_of(client: &Client, vm: &str) -> String {
    let r = client
        .ok("listVolumes", &[("virtualmachineid", vm), ("type", "ROOT")])
        .await;
    r["volume"][0]["id"]
        .as_str()
        .expect("root volume")
        .to_string()
}

async fn snapshot(client: &Client, volume: &str) -> Value {
    done(
        &client
            .wait_job("createSnapshot", &[("volumeid", volume)])
            .await,
        "snapshot",
    )
}

async fn os_type(admin: &Client) -> String {
    admin.ok("listOsTypes", &[]).await["ostype"][0]["id"]
        .as_str()
        .expect("os type")
        .to_string()
}

fn failed(job: &Value, code: i64, needle: &str) {
    assert_eq!(job["jobstatus"], 2, "{job}");
    assert_eq!(job["jobresult"]["errorcode"], code, "{job}");
    let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
    assert!(text.contains(needle), "{needle:?} not in {text}");
}

#[tokio::test]
async fn a_snapshot_is_taken_reverted_to_and_made_into_a_volume_and_a_template() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let vm = running_vm(&user, &z).await;
    let root = root_of(&user, &vm).await;

    let s = snapshot(&user, &root).await;
    assert_eq!(s["state"], "BackedUp", "{s}");
    assert_eq!(s["snapshottype"], "MANUAL");
    assert_eq!(s["volumeid"], root.as_str());
    assert_eq!(s["volumetype"], "ROOT");
    assert_eq!(s["locationtype"], "SECONDARY");
    assert_eq!(s["revertable"], true);
    assert!(s["physicalsize"].as_i64().is_some_and(|n| n > 0), "{s}");
    let id = s["id"].as_str().expect("id").to_string();
    let listed = user.ok("listSnapshots", &[("volumeid", &root)]).await;
    assert_eq!(listed["count"], 1, "{listed}");
    assert_eq!(listed["snapshot"][0]["id"], id.as_str());

    // Reverting needs the VM stopped.
    let job = user.wait_job("revertSnapshot", &[("id", &id)]).await;
    failed(&job, 431, "stop the VM");
    done(
        &user.wait_job("stopVirtualMachine", &[("id", &vm)]).await,
        "virtualmachine",
    );
    let reverted = done(
        &user.wait_job("revertSnapshot", &[("id", &id)]).await,
        "snapshot",
    );
    assert_eq!(reverted["id"], id.as_str());
    let v = user.ok("listVolumes", &[("id", &root)]).await;
    assert_eq!(v["volume"][0]["state"], "Ready", "{v}");
    // Not once the volume was resized since.
    let grown = done(
        &user
            .wait_job("resizeVolume", &[("id", &root), ("size", "40")])
            .await,
        "volume",
    );
    assert_eq!(grown["size"], 40_i64 << 30);
    let job = user.wait_job("revertSnapshot", &[("id", &id)]).await;
    failed(&job, 431, "resized");

    // A volume from the snapshot: a record until attached, then created.
    let from = done(
        &user.wait_job("createVolume", &[("snapshotid", &id)]).await,
        "volume",
    );
    assert_eq!(from["snapshotid"], id.as_str(), "{from}");
    assert_eq!(from["type"], "DATADISK");
    assert_eq!(from["state"], "Allocated");
    assert_eq!(from["size"], s["virtualsize"]);
    let from_id = from["id"].as_str().expect("id");
    let attached = done(
        &user
            .wait_job(
                "attachVolume",
                &[("id", from_id), ("virtualmachineid", &vm)],
            )
            .await,
        "volume",
    );
    assert_eq!(
        attached["state"], "Ready",
        "created on the root volume's pool: {attached}"
    );

    // Templates from the snapshot and from the stopped VM's root volume.
    let os = os_type(&admin).await;
    let t = done(
        &user
            .wait_job(
                "createTemplate",
                &[
                    ("snapshotid", &id),
                    ("name", "from-snap"),
                    ("ostypeid", &os),
                ],
            )
            .await,
        "template",
    );
    assert_eq!(t["isready"], true, "{t}");
    assert_eq!(t["sourcetemplateid"], z.template.as_str());
    assert_eq!(t["ostypeid"], os.as_str());
    let tid = t["id"].as_str().expect("template id");
    let mine = user
        .ok("listTemplates", &[("templatefilter", "self"), ("id", tid)])
        .await;
    assert_eq!(mine["count"], 1, "{mine}");
    let t2 = done(
        &user
            .wait_job(
                "createTemplate",
                &[
                    ("volumeid", &root),
                    ("name", "from-root"),
                    ("ostypeid", &os),
                ],
            )
            .await,
        "template",
    );
    assert_eq!(t2["isready"], true);
    // A VM deploys from it.
    let job = user
        .wait_job(
            "deployVirtualMachine",
            &[
                ("zoneid", &z.zone),
                ("templateid", t2["id"].as_str().expect("id")),
                ("serviceofferingid", &z.offering),
            ],
        )
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");

    let r = done(
        &user.wait_job("deleteSnapshot", &[("id", &id)]).await,
        "success",
    );
    assert_eq!(r, true);
    let gone = user.ok("listSnapshots", &[("volumeid", &root)]).await;
    assert!(gone.get("snapshot").is_none(), "{gone}");
    cloud.stop().await;
}

#[tokio::test]
async fn vm_snapshots_are_created_reverted_to_and_deleted() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let vm = running_vm(&user, &z).await;
    let data = new_volume(&user, &admin, &z, "data").await;
    done(
        &user
            .wait_job("attachVolume", &[("id", &data), ("virtualmachineid", &vm)])
            .await,
        "volume",
    );

    let first = done(
        &user
            .wait_job(
                "createVMSnapshot",
                &[
                    ("virtualmachineid", &vm),
                    ("name", "before"),
                    ("description", "d"),
                ],
            )
            .await,
        "vmsnapshot",
    );
    assert_eq!(first["state"], "Ready", "{first}");
    assert_eq!(first["current"], true);
    assert_eq!(first["type"], "Disk");
    assert_eq!(first["displayname"], "before");
    assert_eq!(first["virtualmachineid"], vm.as_str());
    let first_id = first["id"].as_str().expect("id").to_string();
    let second = done(
        &user
            .wait_job("createVMSnapshot", &[("virtualmachineid", &vm)])
            .await,
        "vmsnapshot",
    );
    assert_eq!(second["parent"], first_id.as_str(), "{second}");
    let job = user
        .wait_job(
            "createVMSnapshot",
            &[("virtualmachineid", &vm), ("snapshotmemory", "true")],
        )
        .await;
    failed(&job, 431, "snapshotmemory");

    let job = user
        .wait_job("revertToVMSnapshot", &[("vmsnapshotid", &first_id)])
        .await;
    failed(&job, 431, "stop it");
    done(
        &user.wait_job("stopVirtualMachine", &[("id", &vm)]).await,
        "virtualmachine",
    );
    let back = done(
        &user
            .wait_job("revertToVMSnapshot", &[("vmsnapshotid", &first_id)])
            .await,
        "virtualmachine",
    );
    assert_eq!(back["id"], vm.as_str());
    assert_eq!(back["state"], "Stopped");
    let listed = user
        .ok("listVMSnapshot", &[("virtualmachineid", &vm)])
        .await;
    assert_eq!(listed["count"], 2, "{listed}");
    let current: Vec<&Value> = listed["vmSnapshot"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], first_id.as_str());

    let r = done(
        &user
            .wait_job("deleteVMSnapshot", &[("vmsnapshotid", &first_id)])
            .await,
        "success",
    );
    assert_eq!(r, true);
    let listed = user
        .ok("listVMSnapshot", &[("virtualmachineid", &vm)])
        .await;
    assert_eq!(listed["count"], 1, "{listed}");
    // The VM still starts with its volumes.
    done(
        &user.wait_job("startVirtualMachine", &[("id", &vm)]).await,
        "virtualmachine",
    );
    cloud.stop().await;
}

/// Makes every policy due now, as if its schedule had come round.
async fn make_due(cloud: &TestCloud) {
    let engine = &cloud.server.as_ref().expect("running").engine;
    let mut sql = Sql::new("UPDATE snapshot_policy SET ");
    sql.push_bind(
        "next_run = ? WHERE removed IS NULL",
        [Bind::Time(
            strato_schema::now() - chrono::Duration::minutes(1),
        )],
    );
    engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .execute(&sql)
        .await
        .expect("update");
}

async fn wait_for_snapshots(
    user: &Client,
    volume: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = user
            .ok(
                "listSnapshots",
                &[("volumeid", volume), ("snapshottype", "HOURLY")],
            )
            .await;
        let list = r["snapshot"].as_array().cloned().unwrap_or_default();
        // A snapshot still being taken is not there yet.
        if list.iter().all(|s| s["state"] == "BackedUp") && pred(&list) {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "the scheduler never got there: {r}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn snapshot_policies_run_on_schedule_and_keep_maxsnaps() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let vm = running_vm(&user, &z).await;
    let root = root_of(&user, &vm).await;
    admin
        .ok(
            "updateConfiguration",
            &[("name", "snapshot.poll.interval"), ("value", "1")],
        )
        .await;

    for (params, needle) in [
        (
            vec![("intervaltype", "YEARLY"), ("schedule", "5")],
            "intervaltype",
        ),
        (
            vec![("intervaltype", "HOURLY"), ("schedule", "75")],
            "schedule",
        ),
        (
            vec![("intervaltype", "DAILY"), ("schedule", "5")],
            "schedule",
        ),
    ] {
        let mut p = vec![
            ("volumeid", root.as_str()),
            ("timezone", "UTC"),
            ("maxsnaps", "1"),
        ];
        p.extend(params);
        let e = user.err("createSnapshotPolicy", &p, 431).await;
        assert!(e.contains(needle), "{e}");
    }
    let e = user
        .err(
            "createSnapshotPolicy",
            &[
                ("volumeid", &root),
                ("intervaltype", "HOURLY"),
                ("schedule", "5"),
                ("timezone", "Mars/Olympus"),
                ("maxsnaps", "1"),
            ],
            431,
        )
        .await;
    assert!(e.contains("timezone"), "{e}");

    let p = user
        .ok(
            "createSnapshotPolicy",
            &[
                ("volumeid", &root),
                ("intervaltype", "HOURLY"),
                ("schedule", "5"),
                ("timezone", "GMT+05:30"),
                ("maxsnaps", "1"),
            ],
        )
        .await["snapshotpolicy"]
        .clone();
    assert_eq!(p["intervaltype"], 0, "{p}");
    assert_eq!(p["maxsnaps"], 1);
    assert_eq!(p["schedule"], "5");
    assert_eq!(p["volumeid"], root.as_str());
    let pid = p["id"].as_str().expect("id").to_string();
    let listed = user
        .ok("listSnapshotPolicies", &[("volumeid", &root)])
        .await;
    assert_eq!(listed["count"], 1, "{listed}");
    // The next run is an hour away at most: nothing yet.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let none = user.ok("listSnapshots", &[("volumeid", &root)]).await;
    assert!(none.get("snapshot").is_none(), "{none}");

    make_due(&cloud).await;
    let first = wait_for_snapshots(&user, &root, |l| l.len() == 1).await;
    assert_eq!(first[0]["intervaltype"], "HOURLY");
    assert_eq!(first[0]["state"], "BackedUp");
    make_due(&cloud).await;
    let second = wait_for_snapshots(&user, &root, |l| {
        l.len() == 1 && l[0]["id"] != first[0]["id"]
    })
    .await;
    assert_eq!(second.len(), 1, "maxsnaps=1 keeps only the newest");

    let updated = done(
        &admin
            .wait_job(
                "updateSnapshotPolicy",
                &[("id", &pid), ("fordisplay", "false")],
            )
            .await,
        "snapshotpolicy",
    );
    assert_eq!(updated["fordisplay"], false);
    let hidden = user
        .ok("listSnapshotPolicies", &[("volumeid", &root)])
        .await;
    assert!(hidden.get("snapshotpolicy").is_none(), "{hidden}");
    let r = user.ok("deleteSnapshotPolicies", &[("id", &pid)]).await;
    assert_eq!(r["success"], true);
    let gone = admin
        .ok(
            "listSnapshotPolicies",
            &[("volumeid", &root), ("listall", "true")],
        )
        .await;
    assert!(gone.get("snapshotpolicy").is_none(), "{gone}");
    cloud.stop().await;
}

#[tokio::test]
async fn bad_snapshot_requests_get_cloudstack_codes() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let vm = running_vm(&user, &z).await;
    let root = root_of(&user, &vm).await;
    let record = new_volume(&user, &admin, &z, "record").await;
    let missing = uuid::Uuid::new_v4().to_string();
    let os = os_type(&admin).await;

    failed(
        &user
            .wait_job("createSnapshot", &[("volumeid", &record)])
            .await,
        431,
        "Ready",
    );
    failed(
        &user
            .wait_job("createSnapshot", &[("volumeid", &missing)])
            .await,
        431,
        "volumeid",
    );
    let s = snapshot(&user, &root).await;
    let sid = s["id"].as_str().expect("id");
    for params in [
        vec![("name", "t"), ("ostypeid", os.as_str())],
        vec![
            ("name", "t"),
            ("ostypeid", os.as_str()),
            ("snapshotid", sid),
            ("volumeid", &root),
        ],
    ] {
        failed(
            &user.wait_job("createTemplate", &params).await,
            431,
            "snapshotid",
        );
    }
    failed(
        &user
            .wait_job(
                "createTemplate",
                &[("name", "t"), ("ostypeid", &os), ("volumeid", &root)],
            )
            .await,
        431,
        "stop it",
    );
    failed(
        &user
            .wait_job("deleteVMSnapshot", &[("vmsnapshotid", &missing)])
            .await,
        431,
        "vmsnapshotid",
    );
    let listed = user.ok("listSnapshots", &[]).await;
    assert_eq!(listed["count"], 1, "nothing else was made: {listed}");
    cloud.stop().await;
}

#[tokio::test]
async fn a_tenant_cannot_see_take_or_use_another_accounts_snapshots() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (alice, _) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;
    let vm = running_vm(&alice, &z).await;
    let root = root_of(&alice, &vm).await;
    let s = snapshot(&alice, &root).await;
    let sid = s["id"].as_str().expect("id");
    let os = os_type(&admin).await;

    let seen = bob.ok("listSnapshots", &[("id", sid)]).await;
    assert!(seen.get("snapshot").is_none(), "{seen}");
    let seen = bob.ok("listSnapshots", &[("listall", "true")]).await;
    assert!(seen.get("snapshot").is_none(), "{seen}");
    for (cmd, params) in [
        ("createSnapshot", vec![("volumeid", root.as_str())]),
        ("deleteSnapshot", vec![("id", sid)]),
        ("revertSnapshot", vec![("id", sid)]),
        ("createVolume", vec![("snapshotid", sid)]),
        (
            "createTemplate",
            vec![
                ("snapshotid", sid),
                ("name", "x"),
                ("ostypeid", os.as_str()),
            ],
        ),
        ("createVMSnapshot", vec![("virtualmachineid", vm.as_str())]),
    ] {
        let job = bob.wait_job(cmd, &params).await;
        assert_eq!(job["jobresult"]["errorcode"], 531, "{cmd}: {job}");
    }
    bob.err(
        "createSnapshotPolicy",
        &[
            ("volumeid", &root),
            ("intervaltype", "DAILY"),
            ("schedule", "00:01"),
            ("timezone", "UTC"),
            ("maxsnaps", "2"),
        ],
        531,
    )
    .await;
    let theirs = alice.ok("listSnapshots", &[]).await;
    assert_eq!(theirs["count"], 1, "{theirs}");
    assert_eq!(theirs["snapshot"][0]["state"], "BackedUp");
    let vs = alice.ok("listVMSnapshot", &[]).await;
    assert!(vs.get("vmSnapshot").is_none(), "{vs}");
    cloud.stop().await;
}
