//! attachIso and detachIso: one ISO at a time, on running and stopped VMs, with
//! listIsos' visibility rules.

use std::time::{Duration, Instant};

use crate::common::{Client, TestCloud, new_account};
use crate::vm_affinity::vm_of;
use crate::vms::{deploy, sim_zone};

/// Registers an ISO in the (simulated) zone and waits until it is ready.
pub async fn ready_iso(client: &Client, zone: &str, name: &str) -> String {
    let r = client
        .ok(
            "registerIso",
            &[
                ("name", name),
                ("displaytext", name),
                ("url", &format!("http://mirror.example.org/{name}.iso")),
                ("zoneid", zone),
            ],
        )
        .await;
    let id = r["iso"][0]["id"].as_str().expect("iso id").to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let l = client
            .ok(
                "listIsos",
                &[("id", &id), ("isofilter", "self"), ("zoneid", zone)],
            )
            .await;
        if l["iso"][0]["isready"] == true {
            return id;
        }
        assert!(Instant::now() < deadline, "ISO never ready: {l}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn one_iso_at_a_time_goes_in_and_out_of_a_vm() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let cd = ready_iso(&user, &z.zone, "rescue").await;
    let other_cd = ready_iso(&user, &z.zone, "tools").await;
    let vm = vm_of(&deploy(&user, &z, &[]).await);
    let id = vm["id"].as_str().expect("id").to_string();
    assert!(vm.get("isoid").is_none(), "{vm}");

    let attached = vm_of(
        &user
            .wait_job("attachIso", &[("id", &cd), ("virtualmachineid", &id)])
            .await,
    );
    assert_eq!(attached["isoid"], cd.as_str());
    assert_eq!(attached["isoname"], "rescue");
    assert_eq!(attached["state"], "Running");
    let listed = user.ok("listVirtualMachines", &[("id", &id)]).await;
    assert_eq!(listed["virtualmachine"][0]["isoid"], cd.as_str());

    for iso in [&cd, &other_cd] {
        let job = user
            .wait_job("attachIso", &[("id", iso), ("virtualmachineid", &id)])
            .await;
        assert_eq!(job["jobresult"]["errorcode"], 431, "second ISO: {job}");
    }
    let detached = vm_of(
        &user
            .wait_job("detachIso", &[("virtualmachineid", &id)])
            .await,
    );
    assert!(detached.get("isoid").is_none(), "{detached}");
    let job = user
        .wait_job("detachIso", &[("virtualmachineid", &id)])
        .await;
    assert_eq!(
        job["jobresult"]["errorcode"], 431,
        "nothing to eject: {job}"
    );

    // A stopped VM keeps the ISO in its record; its host gets it at the next start.
    vm_of(&user.wait_job("stopVirtualMachine", &[("id", &id)]).await);
    let attached = vm_of(
        &user
            .wait_job("attachIso", &[("id", &other_cd), ("virtualmachineid", &id)])
            .await,
    );
    assert_eq!(attached["isoid"], other_cd.as_str());
    let started = vm_of(&user.wait_job("startVirtualMachine", &[("id", &id)]).await);
    assert_eq!(started["isoid"], other_cd.as_str());
    cloud.stop().await;
}

#[tokio::test]
async fn isos_of_others_unknown_ids_and_foreign_vms_are_refused() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let (other, _) = new_account(&admin, "other", None, "0").await;
    let theirs = ready_iso(&other, &z.zone, "private").await;
    let mine = ready_iso(&user, &z.zone, "mine").await;
    let vm = vm_of(&deploy(&user, &z, &[]).await);
    let id = vm["id"].as_str().expect("id").to_string();
    let missing = uuid::Uuid::new_v4().to_string();

    for (iso, code) in [
        (theirs.as_str(), 531),
        (missing.as_str(), 431),
        // A template is not an ISO.
        (z.template.as_str(), 431),
    ] {
        let job = user
            .wait_job("attachIso", &[("id", iso), ("virtualmachineid", &id)])
            .await;
        assert_eq!(job["jobresult"]["errorcode"], code, "{iso}: {job}");
    }
    let job = other
        .wait_job("attachIso", &[("id", &theirs), ("virtualmachineid", &id)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "foreign VM: {job}");
    vm_of(
        &user
            .wait_job("attachIso", &[("id", &mine), ("virtualmachineid", &id)])
            .await,
    );
    let job = other
        .wait_job("detachIso", &[("virtualmachineid", &id)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "foreign VM: {job}");
    let listed = user.ok("listVirtualMachines", &[("id", &id)]).await;
    assert_eq!(listed["virtualmachine"][0]["isoid"], mine.as_str());
    // A public ISO of another account may be used.
    admin
        .ok(
            "updateIsoPermissions",
            &[("id", &theirs), ("ispublic", "true")],
        )
        .await;
    vm_of(
        &user
            .wait_job("detachIso", &[("virtualmachineid", &id)])
            .await,
    );
    let attached = vm_of(
        &user
            .wait_job("attachIso", &[("id", &theirs), ("virtualmachineid", &id)])
            .await,
    );
    assert_eq!(attached["isoid"], theirs.as_str());
    cloud.stop().await;
}
