//! Virtual machines on a Simulator zone: the deploy/start/stop/destroy lifecycle through
//! signed HTTP calls, placement under capacity, and bad input.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::hosts::{sim_cluster, wait_hosts};

pub struct SimZone {
    pub zone: String,
    pub template: String,
    pub offering: String,
}

/// A Simulator zone ready for deploys: guest networking (VLANs 100-200, a public range
/// for source NAT, guest CIDR 10.1.1.0/24), hosts (one per capacity override), a cluster
/// pool, an image store with the built-in template ready, enabled.
pub async fn sim_zone(admin: &Client, hosts: &[&str]) -> SimZone {
    let (zone, pod, cluster) = sim_cluster(admin).await;
    crate::networks::guest_networking(admin, &zone).await;
    ready_sim_zone(admin, zone, &pod, &cluster, hosts).await
}

/// Finishes a zone with networking and a Simulator cluster: hosts (one per capacity
/// override), a cluster pool, an image store with the built-in template ready, enabled.
pub async fn ready_sim_zone(
    admin: &Client,
    zone: String,
    pod: &str,
    cluster: &str,
    hosts: &[&str],
) -> SimZone {
    for (i, caps) in hosts.iter().enumerate() {
        admin
            .ok(
                "addHost",
                &[
                    ("zoneid", &zone),
                    ("podid", pod),
                    ("clusterid", cluster),
                    ("hypervisor", "Simulator"),
                    ("url", &format!("http://sim/c0/h{i}/{caps}")),
                    ("username", "root"),
                    ("password", "password"),
                ],
            )
            .await;
    }
    wait_hosts(
        admin,
        &[("clusterid", cluster)],
        "Up",
        hosts.len(),
        Duration::from_secs(20),
    )
    .await;
    admin
        .ok(
            "createStoragePool",
            &[
                ("zoneid", &zone),
                ("podid", pod),
                ("clusterid", cluster),
                ("name", "PS0"),
                ("url", "nfs://10.147.28.6/export/home/sandbox/primary0"),
            ],
        )
        .await;
    admin
        .ok(
            "addImageStore",
            &[
                ("zoneid", &zone),
                ("name", "SS0"),
                ("provider", "NFS"),
                ("url", "nfs://10.147.28.6/export/home/sandbox/secondary"),
            ],
        )
        .await;
    admin
        .ok(
            "updateZone",
            &[("id", &zone), ("allocationstate", "Enabled")],
        )
        .await;
    let template = ready_featured_template(admin, &zone).await;
    let offering = admin
        .ok("listServiceOfferings", &[("name", "Small Instance")])
        .await["serviceoffering"][0]["id"]
        .as_str()
        .expect("Small Instance")
        .to_string();
    SimZone {
        zone,
        template,
        offering,
    }
}

/// The built-in Simulator template, once it is ready in the zone.
async fn ready_featured_template(admin: &Client, zone: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = admin
            .ok(
                "listTemplates",
                &[
                    ("templatefilter", "featured"),
                    ("zoneid", zone),
                    ("isready", "true"),
                ],
            )
            .await;
        if let Some(id) = r["template"][0]["id"].as_str() {
            return id.to_string();
        }
        assert!(Instant::now() < deadline, "built-in template never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn deploy(client: &Client, z: &SimZone, extra: &[(&str, &str)]) -> Value {
    let mut p = vec![
        ("zoneid", z.zone.as_str()),
        ("templateid", z.template.as_str()),
        ("serviceofferingid", z.offering.as_str()),
    ];
    p.extend_from_slice(extra);
    client.wait_job("deployVirtualMachine", &p).await
}

fn vm_of(job: &Value) -> Value {
    assert_eq!(job["jobstatus"], 1, "job failed: {job}");
    job["jobresult"]["virtualmachine"].clone()
}

#[tokio::test]
async fn a_vm_lives_through_deploy_stop_start_reboot_destroy_recover_expunge() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;

    let vm = vm_of(
        &deploy(
            &user,
            &z,
            &[
                ("name", "web-1"),
                ("displayname", "Web 1"),
                ("group", "frontend"),
            ],
        )
        .await,
    );
    assert_eq!(vm["group"], "frontend");
    let groups = user.ok("listInstanceGroups", &[]).await;
    assert_eq!(groups["instancegroup"][0]["name"], "frontend", "{groups}");
    assert_eq!(vm["state"], "Running", "{vm}");
    assert_eq!(vm["name"], "web-1");
    assert_eq!(vm["displayname"], "Web 1");
    assert_eq!(vm["account"], "tenant");
    assert_eq!(vm["cpunumber"], 1);
    assert_eq!(vm["cpuspeed"], 500);
    assert_eq!(vm["memory"], 512);
    assert_eq!(vm["hypervisor"], "Simulator");
    assert_eq!(vm["templateid"], z.template.as_str());
    // Where it runs is for root admins only, in job results as in lists.
    for hidden in ["hostid", "hostname", "instancename"] {
        assert!(vm.get(hidden).is_none(), "{hidden} shown to a tenant: {vm}");
    }
    let id = vm["id"].as_str().expect("id").to_string();

    let tagged = user
        .wait_job(
            "createTags",
            &[
                ("resourceids", &id),
                ("resourcetype", "UserVm"),
                ("tags[0].key", "tier"),
                ("tags[0].value", "web"),
            ],
        )
        .await;
    assert_eq!(tagged["jobstatus"], 1, "{tagged}");
    let listed = user.ok("listVirtualMachines", &[("id", &id)]).await;
    assert_eq!(listed["count"], 1);
    assert_eq!(
        listed["virtualmachine"][0]["tags"][0]["key"], "tier",
        "{listed}"
    );
    assert_eq!(listed["virtualmachine"][0]["state"], "Running");
    assert!(
        listed["virtualmachine"][0].get("hostid").is_none(),
        "a tenant must not see the host: {listed}"
    );
    let as_admin = admin
        .ok("listVirtualMachines", &[("id", &id), ("listall", "true")])
        .await;
    assert!(
        as_admin["virtualmachine"][0]["hostid"].is_string(),
        "{as_admin}"
    );
    assert!(
        as_admin["virtualmachine"][0]["instancename"]
            .as_str()
            .is_some_and(|n| n.starts_with("i-") && n.ends_with("-VM"))
    );

    let stopped = vm_of(&user.wait_job("stopVirtualMachine", &[("id", &id)]).await);
    assert_eq!(stopped["state"], "Stopped");
    let started = vm_of(&user.wait_job("startVirtualMachine", &[("id", &id)]).await);
    assert_eq!(started["state"], "Running");
    let rebooted = vm_of(&user.wait_job("rebootVirtualMachine", &[("id", &id)]).await);
    assert_eq!(rebooted["state"], "Running");

    // Users may not expunge or recover by default; admins may.
    let destroyed = vm_of(&user.wait_job("destroyVirtualMachine", &[("id", &id)]).await);
    assert_eq!(destroyed["state"], "Destroyed");
    user.err("recoverVirtualMachine", &[("id", &id)], 531).await;
    let recovered = admin.ok("recoverVirtualMachine", &[("id", &id)]).await;
    assert_eq!(recovered["virtualmachine"]["state"], "Stopped");
    let job = admin
        .wait_job("destroyVirtualMachine", &[("id", &id), ("expunge", "true")])
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    let gone = admin
        .ok("listVirtualMachines", &[("id", &id), ("listall", "true")])
        .await;
    assert!(gone.get("virtualmachine").is_none(), "{gone}");

    // A VM created stopped gets its root volume at its first start.
    let vm = vm_of(&deploy(&user, &z, &[("startvm", "false")]).await);
    assert_eq!(vm["state"], "Stopped");
    let id = vm["id"].as_str().expect("id").to_string();
    let started = vm_of(&user.wait_job("startVirtualMachine", &[("id", &id)]).await);
    assert_eq!(started["state"], "Running");
    cloud.stop().await;
}

#[tokio::test]
async fn bad_deploys_are_refused_with_cloudstack_codes() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let (other, _) = new_account(&admin, "other", None, "0").await;
    let missing = uuid::Uuid::new_v4().to_string();
    for (params, needle) in [
        (
            vec![("serviceofferingid", missing.as_str())],
            "serviceofferingid",
        ),
        (vec![("templateid", missing.as_str())], "templateid"),
        (vec![("zoneid", missing.as_str())], "zoneid"),
        (vec![("name", "bad_name!")], "name"),
        (vec![("rootdisksize", "-1")], "rootdisksize"),
    ] {
        let mut p = vec![
            ("zoneid", z.zone.as_str()),
            ("templateid", z.template.as_str()),
            ("serviceofferingid", z.offering.as_str()),
        ];
        for (k, v) in params {
            p.retain(|(q, _)| *q != k);
            p.push((k, v));
        }
        let job = user.wait_job("deployVirtualMachine", &p).await;
        assert_eq!(job["jobstatus"], 2, "{job}");
        assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
        let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
        assert!(text.contains(needle), "{needle}: {text}");
    }
    // Only root admins choose hosts.
    let host = admin.ok("listHosts", &[("type", "Routing")]).await["host"][0]["id"]
        .as_str()
        .expect("host")
        .to_string();
    let job = deploy(&user, &z, &[("hostid", &host)]).await;
    assert_eq!(job["jobresult"]["errorcode"], 531, "{job}");

    // Another tenant's VM cannot be seen, stopped or destroyed.
    let vm = vm_of(&deploy(&user, &z, &[]).await);
    let id = vm["id"].as_str().expect("id").to_string();
    let theirs = other.ok("listVirtualMachines", &[("id", &id)]).await;
    assert!(theirs.get("virtualmachine").is_none(), "{theirs}");
    for cmd in [
        "stopVirtualMachine",
        "destroyVirtualMachine",
        "rebootVirtualMachine",
    ] {
        let job = other.wait_job(cmd, &[("id", &id)]).await;
        assert_eq!(job["jobresult"]["errorcode"], 531, "{cmd}: {job}");
    }
    other
        .err(
            "updateVirtualMachine",
            &[("id", &id), ("displayname", "x")],
            531,
        )
        .await;
    let still = user.ok("listVirtualMachines", &[("id", &id)]).await;
    assert_eq!(still["virtualmachine"][0]["state"], "Running");
    assert_eq!(still["virtualmachine"][0]["displayname"], vm["displayname"]);
    cloud.stop().await;
}

#[tokio::test]
async fn concurrent_deploys_never_overcommit_a_cluster() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    // Five hosts with room for ten 512 MiB VMs each: fifty in all.
    let five_gib = "memory=5368709120";
    let z = sim_zone(&admin, &[five_gib; 5]).await;
    for name in [
        "cluster.memory.allocated.capacity.disablethreshold",
        "cluster.cpu.allocated.capacity.disablethreshold",
    ] {
        admin
            .ok("updateConfiguration", &[("name", name), ("value", "1")])
            .await;
    }
    let jobs = crate::vm_affinity::submit_deploys(&admin, &z, 100, &[]).await;
    let (ok, no_room) = crate::vm_affinity::outcomes(&admin, jobs, 533).await;
    assert_eq!((ok, no_room), (50, 50));
    let running = admin
        .ok(
            "listVirtualMachines",
            &[("listall", "true"), ("state", "Running")],
        )
        .await;
    assert_eq!(running["count"], 50);
    // Failed deploys left no VM behind.
    let all = admin
        .ok("listVirtualMachines", &[("listall", "true")])
        .await;
    assert_eq!(all["count"], 50, "{all}");
    cloud.stop().await;
}

#[tokio::test]
async fn a_running_vm_migrates_and_its_capacity_moves_with_it() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", ""]).await;
    let vm = vm_of(&deploy(&admin, &z, &[]).await);
    let id = vm["id"].as_str().expect("id").to_string();
    let source = vm["hostid"].as_str().expect("host").to_string();
    let found = admin
        .ok("findHostsForMigration", &[("virtualmachineid", &id)])
        .await;
    assert_eq!(found["count"], 1, "{found}");
    let target = found["host"][0]["id"].as_str().expect("target").to_string();
    assert_ne!(target, source);
    assert_eq!(found["host"][0]["suitableformigration"], true);

    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let r = user
        .call("migrateVirtualMachine", &[("virtualmachineid", &id)])
        .await;
    assert_eq!(r.status, 432, "migration is for admins: {}", r.text);
    let job = admin
        .wait_job(
            "migrateVirtualMachine",
            &[("virtualmachineid", &id), ("hostid", &source)],
        )
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "same host: {job}");

    let moved = vm_of(
        &admin
            .wait_job("migrateVirtualMachine", &[("virtualmachineid", &id)])
            .await,
    );
    assert_eq!(moved["state"], "Running");
    assert_eq!(moved["hostid"], target.as_str());
    let hosts = admin.ok("listHosts", &[("type", "Routing")]).await;
    for h in hosts["host"].as_array().expect("hosts") {
        let want = if h["id"] == target.as_str() {
            512 << 20
        } else {
            0
        };
        assert_eq!(h["memoryallocated"], want, "{h}");
    }
    cloud.stop().await;
}

#[tokio::test]
async fn a_stopped_vm_changes_offering_and_starts_with_the_new_size() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let vm = vm_of(&deploy(&user, &z, &[]).await);
    let id = vm["id"].as_str().expect("id").to_string();
    let medium = admin
        .ok("listServiceOfferings", &[("name", "Medium Instance")])
        .await["serviceoffering"][0]["id"]
        .as_str()
        .expect("Medium Instance")
        .to_string();
    let text = user
        .err(
            "changeServiceForVirtualMachine",
            &[("id", &id), ("serviceofferingid", &medium)],
            431,
        )
        .await;
    assert!(text.contains("Running"), "{text}");
    vm_of(&user.wait_job("stopVirtualMachine", &[("id", &id)]).await);
    let changed = user
        .ok(
            "changeServiceForVirtualMachine",
            &[("id", &id), ("serviceofferingid", &medium)],
        )
        .await;
    assert_eq!(changed["virtualmachine"]["memory"], 1024);
    assert_eq!(
        changed["virtualmachine"]["serviceofferingname"],
        "Medium Instance"
    );
    vm_of(&user.wait_job("startVirtualMachine", &[("id", &id)]).await);
    let hosts = admin.ok("listHosts", &[("type", "Routing")]).await;
    assert_eq!(hosts["host"][0]["memoryallocated"], 1024 << 20);
    cloud.stop().await;
}

#[tokio::test]
async fn concurrent_deploys_never_pass_an_account_limit() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["memory=68719476736", "memory=68719476736"]).await;
    let (user, account) = new_account(&admin, "capped", None, "0").await;
    let domain = account["domainid"].as_str().expect("domain").to_string();
    admin
        .ok(
            "updateResourceLimit",
            &[
                ("account", "capped"),
                ("domainid", &domain),
                ("resourcetype", "0"),
                ("max", "10"),
            ],
        )
        .await;
    let mut jobs = Vec::new();
    for _ in 0..100 {
        let r = user
            .ok(
                "deployVirtualMachine",
                &[
                    ("zoneid", z.zone.as_str()),
                    ("templateid", z.template.as_str()),
                    ("serviceofferingid", z.offering.as_str()),
                ],
            )
            .await;
        jobs.push(r["jobid"].as_str().expect("jobid").to_string());
    }
    let (ok, refused) = crate::vm_affinity::outcomes(&user, jobs, 535).await;
    assert_eq!((ok, refused), (10, 90));
    let limits = user
        .ok("listResourceLimits", &[("resourcetype", "0")])
        .await;
    assert_eq!(limits["resourcelimit"][0]["max"], 10, "{limits}");
    let mine = user.ok("listVirtualMachines", &[]).await;
    assert_eq!(mine["count"], 10);
    // Expunging one gives its slot back.
    let id = mine["virtualmachine"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let job = admin
        .wait_job("destroyVirtualMachine", &[("id", &id), ("expunge", "true")])
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    let again = deploy(&user, &z, &[]).await;
    assert_eq!(again["jobstatus"], 1, "{again}");
    cloud.stop().await;
}
