//! Affinity groups in placement: anti-affinity spreads a group over hosts (also under
//! concurrent deploys), affinity keeps it on one host, foreign groups are refused, and
//! updateVMAffinityGroup changes a stopped VM's groups.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::vms::{SimZone, deploy, sim_zone};

pub async fn group(client: &Client, name: &str, kind: &str) -> String {
    client
        .wait_job("createAffinityGroup", &[("name", name), ("type", kind)])
        .await["jobresult"]["affinitygroup"]["id"]
        .as_str()
        .expect("group id")
        .to_string()
}

pub fn vm_of(job: &Value) -> Value {
    assert_eq!(job["jobstatus"], 1, "job failed: {job}");
    job["jobresult"]["virtualmachine"].clone()
}

/// Host of each VM the admin sees, by VM id.
async fn hosts_of(admin: &Client) -> Vec<(String, String)> {
    let all = admin
        .ok("listVirtualMachines", &[("listall", "true")])
        .await;
    all["virtualmachine"]
        .as_array()
        .map(|vms| {
            vms.iter()
                .map(|v| {
                    (
                        v["id"].as_str().unwrap_or_default().to_string(),
                        v["hostid"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn memory_allocated(admin: &Client) -> i64 {
    let hosts = admin.ok("listHosts", &[("type", "Routing")]).await;
    hosts["host"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| h["memoryallocated"].as_i64().unwrap_or(0))
        .sum()
}

/// Submits `n` deploys (named vm-0, vm-1, ...) without waiting; their job ids.
pub async fn submit_deploys(
    client: &Client,
    z: &SimZone,
    n: usize,
    extra: &[(&str, &str)],
) -> Vec<String> {
    let mut jobs = Vec::new();
    for i in 0..n {
        let name = format!("vm-{i}");
        let mut p = vec![
            ("zoneid", z.zone.as_str()),
            ("templateid", z.template.as_str()),
            ("serviceofferingid", z.offering.as_str()),
            ("name", name.as_str()),
        ];
        p.extend_from_slice(extra);
        let r = client.ok("deployVirtualMachine", &p).await;
        jobs.push(r["jobid"].as_str().expect("jobid").to_string());
    }
    jobs
}

/// Waits for every job: how many succeeded, and how many failed, all with `code`.
pub async fn outcomes(client: &Client, jobs: Vec<String>, code: i64) -> (usize, usize) {
    let (mut ok, mut failed) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(120);
    for job in jobs {
        loop {
            let r = client.ok("queryAsyncJobResult", &[("jobid", &job)]).await;
            match r["jobstatus"].as_i64() {
                Some(1) => {
                    ok += 1;
                    break;
                }
                Some(2) => {
                    assert_eq!(r["jobresult"]["errorcode"], code, "{r}");
                    failed += 1;
                    break;
                }
                _ => {}
            }
            assert!(Instant::now() < deadline, "jobs did not finish");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    (ok, failed)
}

async fn deploy_in(user: &Client, z: &SimZone, group: &str) -> Value {
    deploy(user, z, &[("affinitygroupids", group)]).await
}

#[tokio::test]
async fn anti_affinity_puts_each_member_on_its_own_host_and_refuses_a_fourth() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", "", ""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let spread = group(&user, "spread", "host anti-affinity").await;
    for _ in 0..3 {
        let vm = vm_of(&deploy_in(&user, &z, &spread).await);
        assert_eq!(vm["affinitygroup"][0]["id"], spread.as_str(), "{vm}");
        assert_eq!(vm["affinitygroup"][0]["type"], "host anti-affinity");
    }
    let hosts: HashSet<String> = hosts_of(&admin).await.into_iter().map(|v| v.1).collect();
    assert_eq!(hosts.len(), 3, "{hosts:?}");

    let job = deploy_in(&user, &z, &spread).await;
    assert_eq!(job["jobstatus"], 2, "{job}");
    assert_eq!(job["jobresult"]["errorcode"], 533, "{job}");
    // The failed deploy holds nothing: three VMs, three VMs' memory.
    assert_eq!(hosts_of(&admin).await.len(), 3);
    assert_eq!(memory_allocated(&admin).await, 3 * (512 << 20));
    let listed = user.ok("listVirtualMachines", &[]).await;
    assert_eq!(listed["count"], 3, "{listed}");
    assert_eq!(
        listed["virtualmachine"][0]["affinitygroup"][0]["name"],
        "spread"
    );
    // A group with members cannot be deleted.
    let r = user
        .wait_job("deleteAffinityGroup", &[("id", &spread)])
        .await;
    assert_eq!(r["jobstatus"], 2, "{r}");
    cloud.stop().await;
}

#[tokio::test]
async fn twenty_concurrent_deploys_in_one_anti_affinity_group_fill_exactly_four_hosts() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", "", "", ""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let spread = group(&user, "spread", "host anti-affinity").await;
    let jobs = submit_deploys(&user, &z, 20, &[("affinitygroupids", &spread)]).await;
    let (ok, no_room) = outcomes(&user, jobs, 533).await;
    assert_eq!((ok, no_room), (4, 16));
    let placed = hosts_of(&admin).await;
    assert_eq!(placed.len(), 4, "{placed:?}");
    let hosts: HashSet<&String> = placed.iter().map(|v| &v.1).collect();
    assert_eq!(hosts.len(), 4, "{placed:?}");
    assert_eq!(memory_allocated(&admin).await, 4 * (512 << 20));
    cloud.stop().await;
}

#[tokio::test]
async fn affinity_keeps_a_group_on_one_host_through_start_and_migration() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", "", ""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    group(&user, "together", "host affinity").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let vm = vm_of(&deploy(&user, &z, &[("affinitygroupnames", "together")]).await);
        ids.push(vm["id"].as_str().expect("id").to_string());
    }
    let hosts: HashSet<String> = hosts_of(&admin).await.into_iter().map(|v| v.1).collect();
    assert_eq!(hosts.len(), 1, "{hosts:?}");
    let host = hosts.into_iter().next().expect("host");

    vm_of(
        &user
            .wait_job("stopVirtualMachine", &[("id", &ids[0])])
            .await,
    );
    let started = user
        .wait_job("startVirtualMachine", &[("id", &ids[0])])
        .await;
    vm_of(&started);
    assert!(hosts_of(&admin).await.iter().all(|v| v.1 == host));

    // Moving one member away from the others breaks the rule: no host qualifies.
    let found = admin
        .ok("findHostsForMigration", &[("virtualmachineid", &ids[1])])
        .await;
    assert!(found.get("host").is_none(), "{found}");
    let job = admin
        .wait_job("migrateVirtualMachine", &[("virtualmachineid", &ids[1])])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 533, "{job}");
    let vm = user.ok("listVirtualMachines", &[("id", &ids[1])]).await;
    assert_eq!(vm["virtualmachine"][0]["state"], "Running");
    cloud.stop().await;
}

#[tokio::test]
async fn foreign_unknown_or_doubly_named_groups_are_refused() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let (other, _) = new_account(&admin, "other", None, "0").await;
    let theirs = group(&other, "theirs", "host anti-affinity").await;
    let mine = group(&user, "mine", "host anti-affinity").await;
    let missing = uuid::Uuid::new_v4().to_string();
    for (params, code, needle) in [
        (
            vec![("affinitygroupids", theirs.as_str())],
            531,
            "affinitygroupids",
        ),
        (
            vec![("affinitygroupids", missing.as_str())],
            431,
            "affinitygroupids",
        ),
        (
            vec![("affinitygroupnames", "theirs")],
            431,
            "affinitygroupnames",
        ),
        (
            vec![
                ("affinitygroupids", mine.as_str()),
                ("affinitygroupnames", "mine"),
            ],
            431,
            "mutually exclusive",
        ),
    ] {
        let job = deploy(&user, &z, &params).await;
        assert_eq!(job["jobstatus"], 2, "{job}");
        assert_eq!(job["jobresult"]["errorcode"], code, "{params:?}: {job}");
        let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert_eq!(hosts_of(&admin).await.len(), 0, "no VM was left behind");
    cloud.stop().await;
}

#[tokio::test]
async fn update_vm_affinity_group_changes_a_stopped_vms_groups_only() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", ""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let (other, _) = new_account(&admin, "other", None, "0").await;
    let a = group(&user, "a", "host anti-affinity").await;
    let b = group(&user, "b", "host affinity").await;
    let vm = vm_of(&deploy_in(&user, &z, &a).await);
    let id = vm["id"].as_str().expect("id").to_string();

    let job = user
        .wait_job(
            "updateVMAffinityGroup",
            &[("id", &id), ("affinitygroupids", &b)],
        )
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "running VM: {job}");
    vm_of(&user.wait_job("stopVirtualMachine", &[("id", &id)]).await);
    let job = other
        .wait_job(
            "updateVMAffinityGroup",
            &[("id", &id), ("affinitygroupids", &b)],
        )
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "another tenant: {job}");
    let updated = vm_of(
        &user
            .wait_job(
                "updateVMAffinityGroup",
                &[("id", &id), ("affinitygroupnames", "b")],
            )
            .await,
    );
    let names: Vec<&str> = updated["affinitygroup"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(names, ["b"]);
    // Group a is empty now and can go.
    let r = user.wait_job("deleteAffinityGroup", &[("id", &a)]).await;
    assert_eq!(r["jobstatus"], 1, "{r}");
    let cleared = vm_of(&user.wait_job("updateVMAffinityGroup", &[("id", &id)]).await);
    assert_eq!(cleared["affinitygroup"], serde_json::json!([]));
    cloud.stop().await;
}
