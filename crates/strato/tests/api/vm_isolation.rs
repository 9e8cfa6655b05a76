//! Tenants and domain admins against VMs that are not theirs: every command on another
//! account's VM (or its volumes) is refused with 531 and changes nothing; a domain admin
//! acts inside its subtree only.

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::vms::{deploy, sim_zone};
use crate::volumes::{new_volume, running_vm};

/// The command is refused with `code`, synchronously or in its job.
async fn refused(client: &Client, command: &str, params: &[(&str, &str)], code: i64) {
    let r = client.call(command, params).await;
    let answer: Value = if r.status == 200 {
        let inner = r.inner();
        let Some(job) = inner["jobid"].as_str() else {
            panic!(
                "{command} on another account's resource succeeded: {}",
                r.text
            );
        };
        let done = finished(client, job).await;
        assert_eq!(done["jobstatus"], 2, "{command}: {done}");
        done["jobresult"].clone()
    } else {
        r.inner()
    };
    assert_eq!(answer["errorcode"], code, "{command}: {answer}");
}

async fn finished(client: &Client, job: &str) -> Value {
    for _ in 0..200 {
        let r = client.ok("queryAsyncJobResult", &[("jobid", job)]).await;
        if r["jobstatus"] != 0 {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {job} did not finish");
}

async fn state_of(client: &Client, id: &str) -> Value {
    client
        .ok("listVirtualMachines", &[("id", id), ("listall", "true")])
        .await["virtualmachine"][0]["state"]
        .clone()
}

#[tokio::test]
async fn a_tenant_cannot_touch_another_accounts_vm() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", ""]).await;
    let (alice, _) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;
    let vm = running_vm(&alice, &z).await;
    let root = alice
        .ok(
            "listVolumes",
            &[("virtualmachineid", &vm), ("type", "ROOT")],
        )
        .await["volume"][0]["id"]
        .as_str()
        .expect("root")
        .to_string();
    let bobs_volume = new_volume(&bob, &admin, &z, "bob-data").await;

    let listed = bob.ok("listVirtualMachines", &[("id", &vm)]).await;
    assert!(listed.get("virtualmachine").is_none(), "{listed}");
    let listed = bob.ok("listVolumes", &[("id", &root)]).await;
    assert!(listed.get("volume").is_none(), "{listed}");
    for command in [
        "stopVirtualMachine",
        "rebootVirtualMachine",
        "destroyVirtualMachine",
        "updateVirtualMachine",
    ] {
        refused(&bob, command, &[("id", &vm)], 531).await;
    }
    refused(
        &bob,
        "attachVolume",
        &[("id", &bobs_volume), ("virtualmachineid", &vm)],
        531,
    )
    .await;
    refused(&bob, "createSnapshot", &[("volumeid", &root)], 531).await;
    refused(&bob, "createVMSnapshot", &[("virtualmachineid", &vm)], 531).await;
    refused(
        &bob,
        "createConsoleEndpoint",
        &[("virtualmachineid", &vm)],
        531,
    )
    .await;
    // Migration is an admin command: a tenant does not even have it.
    refused(
        &bob,
        "migrateVirtualMachine",
        &[("virtualmachineid", &vm)],
        432,
    )
    .await;
    assert_eq!(state_of(&alice, &vm).await, "Running");
    let stopped = alice.wait_job("stopVirtualMachine", &[("id", &vm)]).await;
    assert_eq!(stopped["jobstatus"], 1, "{stopped}");
    refused(&bob, "startVirtualMachine", &[("id", &vm)], 531).await;
    assert_eq!(state_of(&alice, &vm).await, "Stopped");
    assert_eq!(
        bob.ok("listVolumes", &[("id", &bobs_volume)]).await["volume"][0]["state"],
        "Allocated",
        "bob's own volume stays unattached"
    );
    cloud.stop().await;
}

#[tokio::test]
async fn a_domain_admin_acts_inside_its_subtree_only() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", ""]).await;
    let domain = |name: &'static str| {
        let admin = &admin;
        async move {
            admin.ok("createDomain", &[("name", name)]).await["domain"]["id"]
                .as_str()
                .expect("domain id")
                .to_string()
        }
    };
    let sales = domain("Sales").await;
    let ops = domain("Ops").await;
    let east = admin
        .ok(
            "createDomain",
            &[("name", "East"), ("parentdomainid", &sales)],
        )
        .await["domain"]["id"]
        .as_str()
        .expect("sub-domain")
        .to_string();
    let (dadmin, _) = new_account(&admin, "salesadmin", Some(&sales), "2").await;
    let (inside, _) = new_account(&admin, "eastuser", Some(&east), "0").await;
    let (outside, _) = new_account(&admin, "opsuser", Some(&ops), "0").await;
    let mine = deploy(&inside, &z, &[("name", "east-vm")]).await;
    let theirs = deploy(&outside, &z, &[("name", "ops-vm")]).await;
    let mine = mine["jobresult"]["virtualmachine"]["id"]
        .as_str()
        .expect("vm")
        .to_string();
    let theirs = theirs["jobresult"]["virtualmachine"]["id"]
        .as_str()
        .expect("vm")
        .to_string();

    let seen = dadmin
        .ok("listVirtualMachines", &[("listall", "true")])
        .await;
    assert_eq!(seen["count"], 1, "{seen}");
    assert_eq!(seen["virtualmachine"][0]["id"], mine.as_str());
    let stopped = dadmin
        .wait_job("stopVirtualMachine", &[("id", &mine)])
        .await;
    assert_eq!(stopped["jobstatus"], 1, "inside its subtree: {stopped}");
    refused(&dadmin, "stopVirtualMachine", &[("id", &theirs)], 531).await;
    refused(&dadmin, "destroyVirtualMachine", &[("id", &theirs)], 531).await;
    assert_eq!(state_of(&admin, &theirs).await, "Running");
    cloud.stop().await;
}
