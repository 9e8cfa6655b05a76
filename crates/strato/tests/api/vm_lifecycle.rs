//! scaleVirtualMachine, restoreVirtualMachine and assignVirtualMachine through the API.

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::vm_affinity::vm_of;
use crate::vms::{deploy, sim_zone};

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

async fn root_volume(client: &Client, vm: &str) -> Value {
    let r = client
        .ok("listVolumes", &[("virtualmachineid", vm), ("type", "ROOT")])
        .await;
    assert_eq!(r["count"], 1, "{r}");
    r["volume"][0].clone()
}

async fn scale(client: &Client, id: &str, offering: &str) -> Value {
    client
        .wait_job(
            "scaleVirtualMachine",
            &[("id", id), ("serviceofferingid", offering)],
        )
        .await
}

async fn account_of(client: &Client, id: &str) -> Value {
    client.ok("listAccounts", &[("id", id)]).await["account"][0].clone()
}

#[tokio::test]
async fn scale_changes_a_stopped_vm_and_refuses_a_running_one() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let (other, _) = new_account(&admin, "other", None, "0").await;
    let medium = admin
        .ok("listServiceOfferings", &[("name", "Medium Instance")])
        .await["serviceoffering"][0]["id"]
        .as_str()
        .expect("Medium Instance")
        .to_string();
    let vm = vm_of(&deploy(&user, &z, &[]).await);
    let id = id_of(&vm);
    let job = scale(&user, &id, &medium).await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
    assert!(text.contains("enable.dynamic.scale.vm"), "{text}");
    admin
        .ok(
            "updateConfiguration",
            &[("name", "enable.dynamic.scale.vm"), ("value", "true")],
        )
        .await;
    let job = scale(&user, &id, &medium).await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
    assert!(text.contains("dynamically scalable"), "{text}");

    vm_of(&user.wait_job("stopVirtualMachine", &[("id", &id)]).await);
    let job = scale(&other, &id, &medium).await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "another tenant: {job}");
    let job = scale(&user, &id, &z.offering).await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "same offering: {job}");
    let job = scale(&user, &id, &uuid::Uuid::new_v4().to_string()).await;
    assert_eq!(
        job["jobresult"]["errorcode"], 431,
        "unknown offering: {job}"
    );
    let scaled = vm_of(&scale(&user, &id, &medium).await);
    assert_eq!(scaled["serviceofferingname"], "Medium Instance");
    let listed = user.ok("listVirtualMachines", &[("id", &id)]).await;
    let v = &listed["virtualmachine"][0];
    assert_eq!(v["serviceofferingname"], "Medium Instance");
    assert_eq!(v["memory"], 1024);
    assert_eq!(v["cpuspeed"], 1000);
    let started = vm_of(&user.wait_job("startVirtualMachine", &[("id", &id)]).await);
    assert_eq!(started["state"], "Running");
    let hosts = admin.ok("listHosts", &[("type", "Routing")]).await;
    assert_eq!(hosts["host"][0]["memoryallocated"], 1024 << 20);
    cloud.stop().await;
}

#[tokio::test]
async fn restore_gives_a_stopped_vm_a_new_root_volume_that_boots() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, account) = new_account(&admin, "tenant", None, "0").await;
    let (other, _) = new_account(&admin, "other", None, "0").await;
    let vm = vm_of(&deploy(&user, &z, &[]).await);
    let id = id_of(&vm);
    let old_root = root_volume(&user, &id).await;
    assert_eq!(old_root["state"], "Ready");

    vm_of(&user.wait_job("stopVirtualMachine", &[("id", &id)]).await);
    let job = other
        .wait_job("restoreVirtualMachine", &[("virtualmachineid", &id)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "another tenant: {job}");
    let job = user
        .wait_job(
            "restoreVirtualMachine",
            &[("virtualmachineid", &id), ("rootdisksize", "0")],
        )
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    let missing = uuid::Uuid::new_v4().to_string();
    let job = user
        .wait_job(
            "restoreVirtualMachine",
            &[("virtualmachineid", &id), ("templateid", &missing)],
        )
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    assert_eq!(root_volume(&user, &id).await["id"], old_root["id"]);

    let restored = vm_of(
        &user
            .wait_job("restoreVirtualMachine", &[("virtualmachineid", &id)])
            .await,
    );
    assert_eq!(restored["templateid"], z.template.as_str());
    assert_eq!(restored["state"], "Stopped");
    let new_root = root_volume(&user, &id).await;
    assert_ne!(new_root["id"], old_root["id"]);
    let gone = user
        .ok(
            "listVolumes",
            &[("id", old_root["id"].as_str().expect("id"))],
        )
        .await;
    assert!(
        gone.get("volume").is_none(),
        "old root still listed: {gone}"
    );
    let acct = account_of(&user, account["id"].as_str().expect("account")).await;
    assert_eq!(acct["volumetotal"], 1, "{acct}");

    let started = vm_of(&user.wait_job("startVirtualMachine", &[("id", &id)]).await);
    assert_eq!(started["state"], "Running");
    let root = root_volume(&user, &id).await;
    assert_eq!(root["id"], new_root["id"]);
    assert_eq!(root["state"], "Ready");
    cloud.stop().await;
}

#[tokio::test]
async fn restore_stops_a_running_vm_and_starts_it_again_on_its_host() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", ""]).await;
    let (user, account) = new_account(&admin, "tenant", None, "0").await;
    let vm = vm_of(&deploy(&user, &z, &[]).await);
    let id = id_of(&vm);
    let host = admin
        .ok("listVirtualMachines", &[("id", &id), ("listall", "true")])
        .await["virtualmachine"][0]["hostid"]
        .as_str()
        .expect("host")
        .to_string();
    let old_root = root_volume(&user, &id).await;
    let volumes = async || user.ok("listVolumes", &[]).await["count"].clone();
    let before = volumes().await;

    // The start with the new root volume fails (once: the undo starts the VM again
    // with its old one).
    let mock = admin
        .call(
            "configureSimulator",
            &[
                ("name", "StartCommand"),
                ("value", "result:fail"),
                ("hostid", &host),
                ("count", "1"),
            ],
        )
        .await;
    assert_eq!(mock.status, 200, "{}", mock.text);
    let job = user
        .wait_job("restoreVirtualMachine", &[("virtualmachineid", &id)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 530, "{job}");
    let listed = &admin
        .ok("listVirtualMachines", &[("id", &id), ("listall", "true")])
        .await["virtualmachine"][0];
    assert_eq!(listed["state"], "Running", "{listed}");
    assert_eq!(listed["hostid"], host.as_str(), "{listed}");
    assert_eq!(root_volume(&user, &id).await["id"], old_root["id"]);
    assert_eq!(
        volumes().await,
        before,
        "the new root volume was left behind"
    );
    let acct = account_of(&user, account["id"].as_str().expect("account")).await;
    assert_eq!(acct["volumetotal"], 1, "{acct}");

    let restored = vm_of(
        &admin
            .wait_job("restoreVirtualMachine", &[("virtualmachineid", &id)])
            .await,
    );
    assert_eq!(restored["state"], "Running");
    assert_eq!(restored["hostid"], host.as_str());
    let root = root_volume(&user, &id).await;
    assert_ne!(root["id"], old_root["id"]);
    assert_eq!(root["state"], "Ready");
    assert_eq!(volumes().await, before, "the old root volume is expunged");
    let hosts = admin.ok("listHosts", &[("id", &host)]).await;
    assert_eq!(hosts["host"][0]["memoryallocated"], 512 << 20, "{hosts}");
    cloud.stop().await;
}

#[tokio::test]
async fn assign_moves_a_stopped_vm_its_volumes_and_counts_to_another_account() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (alice, a) = new_account(&admin, "alice", None, "0").await;
    let (bob, b) = new_account(&admin, "bob", None, "0").await;
    let domain = a["domainid"].as_str().expect("domain").to_string();
    let vm = vm_of(&deploy(&alice, &z, &[]).await);
    let id = id_of(&vm);
    let to_bob = [
        ("virtualmachineid", id.as_str()),
        ("account", "bob"),
        ("domainid", domain.as_str()),
    ];

    let r = alice.call("assignVirtualMachine", &to_bob).await;
    assert_eq!(r.status, 432, "admins only: {}", r.text);
    admin.err("assignVirtualMachine", &to_bob, 431).await;
    vm_of(&alice.wait_job("stopVirtualMachine", &[("id", &id)]).await);
    admin
        .err(
            "assignVirtualMachine",
            &[
                ("virtualmachineid", id.as_str()),
                ("account", "alice"),
                ("domainid", domain.as_str()),
            ],
            431,
        )
        .await;
    admin
        .err(
            "assignVirtualMachine",
            &[
                ("virtualmachineid", id.as_str()),
                ("account", "nobody"),
                ("domainid", domain.as_str()),
            ],
            431,
        )
        .await;

    // A VM with NICs needs networks of its new owner (bob's default network, made by
    // his first deploy).
    let has_nics = vm["nic"].as_array().is_some_and(|n| !n.is_empty());
    let mut to_bob = to_bob.to_vec();
    let mut bob_net = String::new();
    if has_nics {
        let text = admin.err("assignVirtualMachine", &to_bob, 431).await;
        assert!(text.contains("networkids"), "{text}");
        let own = vm_of(&deploy(&bob, &z, &[("startvm", "false")]).await);
        bob_net = own["nic"][0]["networkid"]
            .as_str()
            .expect("bob's network")
            .to_string();
        let alice_net = vm["nic"][0]["networkid"].as_str().expect("network");
        let mut wrong = to_bob.clone();
        wrong.push(("networkids", alice_net));
        let text = admin.err("assignVirtualMachine", &wrong, 431).await;
        assert!(text.contains("networkids"), "{text}");
        to_bob.push(("networkids", &bob_net));
        let gone = admin
            .wait_job(
                "destroyVirtualMachine",
                &[("id", &id_of(&own)), ("expunge", "true")],
            )
            .await;
        assert_eq!(gone["jobstatus"], 1, "{gone}");
    }
    let moved = admin.ok("assignVirtualMachine", &to_bob).await["virtualmachine"].clone();
    if has_nics {
        assert_eq!(moved["nic"][0]["networkid"], bob_net.as_str(), "{moved}");
    }
    assert_eq!(moved["account"], "bob");
    let theirs = bob.ok("listVirtualMachines", &[]).await;
    assert_eq!(theirs["count"], 1, "{theirs}");
    assert_eq!(theirs["virtualmachine"][0]["id"], id.as_str());
    assert!(
        alice
            .ok("listVirtualMachines", &[])
            .await
            .get("virtualmachine")
            .is_none()
    );
    let volumes = bob.ok("listVolumes", &[]).await;
    assert_eq!(volumes["count"], 1, "{volumes}");
    assert!(alice.ok("listVolumes", &[]).await.get("volume").is_none());
    let alice_now = account_of(&admin, a["id"].as_str().expect("id")).await;
    let bob_now = account_of(&admin, b["id"].as_str().expect("id")).await;
    assert_eq!(alice_now["vmtotal"], 0, "{alice_now}");
    assert_eq!(alice_now["volumetotal"], 0, "{alice_now}");
    assert_eq!(bob_now["vmtotal"], 1, "{bob_now}");
    assert_eq!(bob_now["volumetotal"], 1, "{bob_now}");
    assert_eq!(bob_now["memorytotal"], 512, "{bob_now}");

    // Alice can no longer touch it; bob can start it.
    let job = alice.wait_job("startVirtualMachine", &[("id", &id)]).await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "{job}");
    let started = vm_of(&bob.wait_job("startVirtualMachine", &[("id", &id)]).await);
    assert_eq!(started["state"], "Running");
    cloud.stop().await;
}
