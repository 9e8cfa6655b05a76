//! prepareTemplate copies the template into the KVM zone's pool before any deploy.

use std::time::{Duration, Instant};

use crate::harness::KvmCloud;

#[tokio::test]
async fn prepare_template_copies_the_template_into_the_pool() {
    let Some(cloud) = KvmCloud::start().await else {
        return;
    };
    let copy = cloud
        .pool_dir()
        .join("templates")
        .join(format!("{}.qcow2", cloud.template));
    assert!(!copy.exists(), "no deploy yet, so no copy yet");
    let r = cloud
        .admin
        .ok(
            "prepareTemplate",
            &[("templateid", &cloud.template), ("zoneid", &cloud.zone)],
        )
        .await;
    assert_eq!(r["template"][0]["id"], cloud.template.as_str(), "{r}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !copy.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            copy.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The first deploy then clones it (and boots).
    let vm = cloud.deploy("kvm-prepared").await;
    assert_eq!(vm["state"], "Running", "{vm}");
}

/// A VM deployed with startvm=false gets its root volume at its first start: the host
/// copies the template from the image store then.
#[tokio::test]
async fn a_vm_deployed_stopped_gets_its_disk_and_boots_at_first_start() {
    let Some(cloud) = KvmCloud::start().await else {
        return;
    };
    let job = cloud.deploy_job("kvm-later", &[("startvm", "false")]).await;
    let vm = &job["jobresult"]["virtualmachine"];
    assert_eq!(vm["state"], "Stopped", "{job}");
    let id = vm["id"].as_str().expect("id").to_string();
    let started = cloud.job("startVirtualMachine", &[("id", &id)]).await;
    assert_eq!(started["virtualmachine"]["state"], "Running", "{started}");
    let name = started["virtualmachine"]["instancename"]
        .as_str()
        .expect("instancename")
        .to_string();
    cloud.wait_marker(&name, "STRATO-GUEST-UP", 1).await;
}
