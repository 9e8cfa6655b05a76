//! Primary and secondary storage, guest OS types and hypervisors, built the way Marvin's
//! advanced.cfg does it and compared with recorded CloudStack answers; plus the bad
//! input an operator can send.

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::inventory::marvin_zone;

const PRIMARY_URL: &str = "nfs://10.147.28.6:/export/home/sandbox/primary0";
const SECONDARY_URL: &str = "nfs://10.147.28.6:/export/home/sandbox/secondary";

fn sample(file: &str, test: &str) -> Value {
    let path = format!(
        "{}/../../../shared/reference/cloudstack-api/samples/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("sample")).expect("JSON");
    all[test].clone()
}

/// Every field both answers share has the same JSON type; returns how many were shared.
fn shared_fields_agree(ours: &Value, theirs: &Value) -> usize {
    let (Some(a), Some(b)) = (ours.as_object(), theirs.as_object()) else {
        panic!("not objects: {ours} / {theirs}");
    };
    let mut shared = 0;
    for (k, v) in a {
        if let Some(w) = b.get(k) {
            shared += 1;
            assert_eq!(
                std::mem::discriminant(v),
                std::mem::discriminant(w),
                "field {k}: ours {v}, CloudStack's {w}"
            );
        }
    }
    shared
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

async fn simulator_cluster(admin: &Client, zone: &str, pod: &str, name: &str) -> String {
    let added = admin
        .ok(
            "addCluster",
            &[
                ("zoneid", zone),
                ("podid", pod),
                ("clustername", name),
                ("hypervisor", "simulator"),
                ("clustertype", "CloudManaged"),
            ],
        )
        .await;
    id(&added["cluster"][0])
}

/// Runs an async command, checking the legacy response name of its first answer, and
/// polls the job to its end.
async fn run_job(admin: &Client, command: &str, response: &str, pool: &str) -> Value {
    let first = admin.call(command, &[("id", pool)]).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let body = first.json();
    let job = body[response]["jobid"]
        .as_str()
        .unwrap_or_else(|| panic!("{command}: no {response}.jobid in {body}"))
        .to_string();
    for _ in 0..400 {
        let r = admin.ok("queryAsyncJobResult", &[("jobid", &job)]).await;
        if r["jobstatus"].as_i64() != Some(0) {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("job {job} did not finish");
}

#[tokio::test]
async fn marvin_style_primary_and_secondary_storage() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, pod) = marvin_zone(&admin).await;
    let cluster = simulator_cluster(&admin, &zone, &pod, "C0").await;

    let pool = admin
        .ok(
            "createStoragePool",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("clusterid", &cluster),
                ("name", "PS0"),
                ("url", PRIMARY_URL),
                ("tags", "ssd, fast,ssd"),
            ],
        )
        .await["storagepool"]
        .clone();
    assert_eq!(pool["type"], "NetworkFilesystem");
    assert_eq!(pool["ipaddress"], "10.147.28.6");
    assert_eq!(pool["path"], "/export/home/sandbox/primary0");
    assert_eq!(pool["scope"], "CLUSTER");
    assert_eq!(pool["state"], "Up");
    assert_eq!(pool["provider"], "DefaultPrimary");
    assert_eq!(pool["clusterid"], cluster.as_str());
    assert_eq!(pool["podid"], pod.as_str());
    assert_eq!(pool["clustername"], "C0");
    assert_eq!(pool["zonename"], "Sandbox-simulator");
    assert_eq!(pool["overprovisionfactor"], "2.0");
    assert_eq!(pool["tags"], "fast,ssd");
    // The Simulator's mock storage size, as in the recorded answers.
    assert_eq!(pool["disksizetotal"], 1_099_511_627_776_i64);
    let recorded = sample("PoolService.json", "createStoragePool");
    assert!(
        shared_fields_agree(&pool, &recorded["createstoragepoolresponse"]["storagepool"]) >= 15
    );
    let pool_id = id(&pool);

    let store = admin
        .ok(
            "addImageStore",
            &[
                ("provider", "NFS"),
                ("url", SECONDARY_URL),
                ("zoneid", &zone),
            ],
        )
        .await["imagestore"]
        .clone();
    assert_eq!(
        store["name"], SECONDARY_URL,
        "the URL names an unnamed store"
    );
    assert_eq!(store["url"], SECONDARY_URL);
    assert_eq!(store["protocol"], "nfs");
    assert_eq!(store["providername"], "NFS");
    assert_eq!(store["scope"], "ZONE");
    assert_eq!(store["readonly"], false);
    let recorded = sample("ImageStoreService.json", "addImageStore");
    assert_eq!(
        shared_fields_agree(&store, &recorded["addimagestoreresponse"]["imagestore"]),
        9
    );
    // Adding the same store again answers the existing one.
    let again = admin
        .ok(
            "addImageStore",
            &[
                ("provider", "NFS"),
                ("url", SECONDARY_URL),
                ("zoneid", &zone),
            ],
        )
        .await;
    assert_eq!(again["imagestore"]["id"], store["id"]);

    // Listed back.
    let pools = admin.ok("listStoragePools", &[("zoneid", &zone)]).await;
    assert_eq!(pools["count"], 1);
    let listed = &pools["storagepool"][0];
    assert_eq!(listed["id"], pool_id.as_str());
    assert_eq!(
        listed["storagecapabilities"]["VOLUME_SNAPSHOT_QUIESCEVM"],
        "false"
    );
    let recorded = sample("PoolService.json", "listStoragePools");
    assert!(
        shared_fields_agree(
            listed,
            &recorded["liststoragepoolsresponse"]["storagepool"][0]
        ) >= 17
    );
    for (k, v) in [
        ("clusterid", cluster.as_str()),
        ("podid", pod.as_str()),
        ("ipaddress", "10.147.28.6"),
        ("path", "/export/home/sandbox/primary0"),
        ("scope", "cluster"),
        ("status", "Up"),
        ("name", "PS0"),
        ("keyword", "ps"),
    ] {
        let r = admin.ok("listStoragePools", &[(k, v)]).await;
        assert_eq!(r["count"], 1, "filter {k}={v}: {r}");
    }
    let none = admin
        .ok("listStoragePools", &[("status", "Maintenance")])
        .await;
    assert_eq!(none.get("count"), None, "empty lists have no count: {none}");

    let stores = admin.ok("listImageStores", &[("zoneid", &zone)]).await;
    assert_eq!(stores["count"], 1);
    let recorded = sample("ImageStoreService.json", "listImageStores");
    assert_eq!(
        shared_fields_agree(
            &stores["imagestore"][0],
            &recorded["listimagestoresresponse"]["imagestore"][0]
        ),
        9
    );
    for (k, v) in [
        ("protocol", "nfs"),
        ("provider", "NFS"),
        ("readonly", "false"),
    ] {
        assert_eq!(admin.ok("listImageStores", &[(k, v)]).await["count"], 1);
    }
    let store_id = id(&store);
    let updated = admin
        .call(
            "updateImageStore",
            &[("id", &store_id), ("readonly", "true")],
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(
        updated.json()["updateImageStoreresponse"]["imagestore"]["readonly"],
        true,
        "legacy response name: {}",
        updated.text
    );
    assert_eq!(
        admin.ok("listImageStores", &[("readonly", "true")]).await["count"],
        1
    );

    // Hypervisors: the zone has a Simulator cluster; the cloud supports more.
    let zone_hv = admin.ok("listHypervisors", &[("zoneid", &zone)]).await;
    assert_eq!(zone_hv["count"], 1);
    assert_eq!(zone_hv["hypervisor"][0]["name"], "Simulator");
    let all_hv = admin.ok("listHypervisors", &[]).await;
    let names: Vec<&str> = all_hv["hypervisor"]
        .as_array()
        .expect("hypervisors")
        .iter()
        .filter_map(|h| h["name"].as_str())
        .collect();
    for h in ["KVM", "VMware", "XenServer", "Simulator"] {
        assert!(names.contains(&h), "{h} in {names:?}");
    }
    let every_zone = admin.ok("listHypervisors", &[("zoneid", "-1")]).await;
    assert_eq!(every_zone["hypervisor"][0]["name"], "Simulator");

    let caps = admin.ok("listHypervisorCapabilities", &[]).await;
    let recorded = sample("HypervisorService.json", "listHypervisorCapabilities");
    let theirs = &recorded["listhypervisorcapabilitiesresponse"]["hypervisorCapabilities"][0];
    let xen = caps["hypervisorCapabilities"]
        .as_array()
        .expect("caps")
        .iter()
        .find(|c| c["hypervisor"] == "XenServer")
        .expect("XenServer row")
        .clone();
    assert_eq!(shared_fields_agree(&xen, theirs), 7);
    for k in [
        "hypervisorversion",
        "maxguestslimit",
        "securitygroupenabled",
        "maxdatavolumeslimit",
        "storagemotionenabled",
    ] {
        assert_eq!(xen[k], theirs[k], "XenServer default {k}");
    }
    let kvm = admin
        .ok("listHypervisorCapabilities", &[("hypervisor", "kvm")])
        .await;
    assert_eq!(kvm["count"], 1);
    let kvm = kvm["hypervisorCapabilities"][0].clone();
    assert_eq!(kvm["hypervisorversion"], "default");
    assert_eq!(kvm["storagemotionenabled"], true);
    let changed = admin
        .ok(
            "updateHypervisorCapabilities",
            &[("id", &id(&kvm)), ("maxguestslimit", "100")],
        )
        .await;
    assert_eq!(changed["hypervisorcapabilities"]["maxguestslimit"], 100);
    let kvm = admin
        .ok("listHypervisorCapabilities", &[("id", &id(&kvm))])
        .await;
    assert_eq!(kvm["hypervisorCapabilities"][0]["maxguestslimit"], 100);

    // Maintenance round trip: Up → Maintenance → Up, under the legacy response names.
    let job = run_job(
        &admin,
        "enableStorageMaintenance",
        "prepareprimarystorageformaintenanceresponse",
        &pool_id,
    )
    .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    assert_eq!(job["jobinstancetype"], "StoragePool");
    assert_eq!(job["jobinstanceid"], pool_id.as_str());
    assert_eq!(job["jobresult"]["storagepool"]["state"], "Maintenance");
    let recorded = sample("StoragePoolService.json", "enableStorageMaintenance");
    shared_fields_agree(
        &job["jobresult"]["storagepool"],
        &recorded["prepareprimarystorageformaintenanceresponse"]["jobresult"]["storagepool"],
    );
    assert_eq!(
        admin.ok("listStoragePools", &[("id", &pool_id)]).await["storagepool"][0]["state"],
        "Maintenance"
    );
    // Already in maintenance: the job fails and says why.
    let twice = run_job(
        &admin,
        "enableStorageMaintenance",
        "prepareprimarystorageformaintenanceresponse",
        &pool_id,
    )
    .await;
    assert_eq!(twice["jobstatus"], 2, "{twice}");
    assert_eq!(twice["jobresultcode"], 431, "{twice}");
    let job = run_job(
        &admin,
        "cancelStorageMaintenance",
        "cancelprimarystoragemaintenanceresponse",
        &pool_id,
    )
    .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    assert_eq!(job["jobresult"]["storagepool"]["state"], "Up");
    // Cancelling a pool that is Up fails.
    let up = run_job(
        &admin,
        "cancelStorageMaintenance",
        "cancelprimarystoragemaintenanceresponse",
        &pool_id,
    )
    .await;
    assert_eq!(up["jobstatus"], 2, "{up}");
    // The missing-parameter text names the command by its legacy response name.
    let e = admin.err("enableStorageMaintenance", &[], 431).await;
    assert!(
        e.contains("prepareprimarystorageformaintenance due to missing parameter id"),
        "{e}"
    );

    // updateStoragePool: disable/enable, tags, capacity, name.
    let off = admin
        .ok(
            "updateStoragePool",
            &[("id", &pool_id), ("enabled", "false"), ("tags", "gold")],
        )
        .await["storagepool"]
        .clone();
    assert_eq!(off["state"], "Disabled");
    assert_eq!(off["tags"], "gold");
    let on = admin
        .ok(
            "updateStoragePool",
            &[
                ("id", &pool_id),
                ("enabled", "true"),
                ("capacitybytes", "2199023255552"),
                ("name", "PS0-renamed"),
            ],
        )
        .await["storagepool"]
        .clone();
    assert_eq!(on["state"], "Up");
    assert_eq!(on["disksizetotal"], 2_199_023_255_552_i64);
    assert_eq!(on["name"], "PS0-renamed");
    admin
        .err(
            "updateStoragePool",
            &[
                ("id", &pool_id),
                ("enabled", "true"),
                ("capacitybytes", "-1"),
            ],
            431,
        )
        .await;

    // In-use checks, then bottom-up removal.
    let e = admin.err("deleteZone", &[("id", &zone)], 536).await;
    assert!(e.contains("pod"), "{e}");
    admin.err("deleteCluster", &[("id", &cluster)], 536).await;
    admin.ok("deleteStoragePool", &[("id", &pool_id)]).await;
    assert_eq!(admin.ok("listStoragePools", &[]).await.get("count"), None);
    admin.ok("deleteCluster", &[("id", &cluster)]).await;
    admin.ok("deleteImageStore", &[("id", &store_id)]).await;
    assert_eq!(admin.ok("listImageStores", &[]).await.get("count"), None);
    cloud.stop().await;
}

#[tokio::test]
async fn guest_os_catalog_is_seeded_once_and_readable_by_users() {
    let mut cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (user, _) = new_account(&admin, "osreader", None, "0").await;

    let cats = user.ok("listOsCategories", &[]).await;
    let names: Vec<&str> = cats["oscategory"]
        .as_array()
        .expect("categories")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    // The 4.21 clean-up: new categories, removed ones gone, Ubuntu sorted first.
    assert_eq!(
        names,
        [
            "Ubuntu",
            "Debian",
            "Fedora",
            "CentOS",
            "Rocky Linux",
            "AlmaLinux",
            "Oracle",
            "RedHat",
            "SUSE",
            "Windows",
            "Other"
        ]
    );
    assert_eq!(cats["oscategory"][0]["isfeatured"], true);
    let centos = cats["oscategory"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["name"] == "CentOS")
        .expect("CentOS")
        .clone();

    let found = user
        .ok("listOsTypes", &[("description", "CentOS 5.6 (64-bit)")])
        .await;
    assert_eq!(found["count"], 1, "{found}");
    let os = &found["ostype"][0];
    assert_eq!(os["oscategoryname"], "CentOS");
    assert_eq!(os["oscategoryid"], centos["id"]);
    assert_eq!(os["isuserdefined"], false);
    assert_eq!(os["fordisplay"], true);
    let in_centos = user
        .ok("listOsTypes", &[("oscategoryid", &id(&centos))])
        .await;
    let centos_names: Vec<&str> = in_centos["ostype"]
        .as_array()
        .expect("os types")
        .iter()
        .filter_map(|o| o["description"].as_str())
        .collect();
    for n in ["CentOS 5.3 (64-bit)", "CentOS 5.6 (64-bit)", "CentOS 8"] {
        assert!(centos_names.contains(&n), "{n} in CentOS");
    }
    for (name, category) in [
        ("Other Linux (64-bit)", "Other"),
        ("Other (64-bit)", "Other"),
        ("Ubuntu 18.04 LTS", "Ubuntu"),
        ("Debian GNU/Linux 10 (64-bit)", "Debian"),
        ("Windows Server 2019 (64-bit)", "Windows"),
        ("Red Hat Enterprise Linux 8.0", "RedHat"),
        ("Fedora 13", "Fedora"),
        ("Rocky Linux 9", "Rocky Linux"),
        ("AlmaLinux 9", "AlmaLinux"),
        ("FreeBSD (64-bit)", "Other"),
    ] {
        let r = user.ok("listOsTypes", &[("description", name)]).await;
        assert_eq!(r["ostype"][0]["oscategoryname"], category, "{name}: {r}");
    }
    let paged = user
        .ok("listOsTypes", &[("page", "2"), ("pagesize", "10")])
        .await;
    assert_eq!(paged["ostype"].as_array().map(Vec::len), Some(10));
    let total = paged["count"].as_i64().expect("count");
    assert!(total > 250, "{total} OS types");
    let by_ids = user
        .ok(
            "listOsTypes",
            &[("ids", &format!("{},{}", id(os), id(&paged["ostype"][0])))],
        )
        .await;
    assert_eq!(by_ids["count"], 2);
    user.err(
        "listOsTypes",
        &[("oscategoryid", "4b5d3a0e-0000-4000-8000-000000000000")],
        431,
    )
    .await;

    // A restart seeds nothing twice and keeps the ids.
    cloud.restart().await;
    let user = Client::new(&cloud.url(), &user.api_key, &user.secret);
    let after = user
        .ok("listOsTypes", &[("description", "CentOS 5.6 (64-bit)")])
        .await;
    assert_eq!(after["ostype"][0]["id"], os["id"]);
    assert_eq!(
        user.ok("listOsTypes", &[("pagesize", "1"), ("page", "1")])
            .await["count"]
            .as_i64(),
        Some(total)
    );
    assert_eq!(user.ok("listOsCategories", &[]).await["count"], 11);
    cloud.stop().await;
}

#[tokio::test]
async fn storage_bad_input_is_refused_cleanly() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, pod) = marvin_zone(&admin).await;
    let cluster = simulator_cluster(&admin, &zone, &pod, "C0").await;
    let create = |extra: &[(&'static str, &str)]| {
        let mut p: Vec<(&'static str, String)> = vec![
            ("zoneid", zone.clone()),
            ("podid", pod.clone()),
            ("clusterid", cluster.clone()),
            ("name", "PS0".into()),
            ("url", PRIMARY_URL.into()),
        ];
        for (k, v) in extra {
            p.retain(|(name, _)| name != k);
            if !v.is_empty() {
                p.push((k, v.to_string()));
            }
        }
        p
    };
    let call = |p: Vec<(&'static str, String)>, code: u16| {
        let admin = admin.clone();
        async move {
            let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.err("createStoragePool", &refs, code).await
        }
    };

    let e = call(create(&[("url", "gopher://10.0.0.1/pool")]), 431).await;
    assert!(e.contains("url"), "{e}");
    let e = call(create(&[("url", "nfs://10.0.0.1")]), 431).await;
    assert!(e.contains("url"), "{e}");
    let e = call(create(&[("clusterid", "")]), 431).await;
    assert!(e.contains("clusterid"), "{e}");
    let e = call(create(&[("podid", "")]), 431).await;
    assert!(e.contains("podid"), "{e}");
    call(create(&[("scope", "galaxy")]), 431).await;
    call(create(&[("scope", "host")]), 431).await;
    call(create(&[("provider", "NoSuchProvider")]), 431).await;
    call(create(&[("capacitybytes", "lots")]), 431).await;
    call(
        create(&[("clusterid", "4b5d3a0e-0000-4000-8000-000000000000")]),
        431,
    )
    .await;

    // A cluster of another zone.
    let zone2 = id(&admin
        .ok(
            "createZone",
            &[
                ("name", "Z2"),
                ("networktype", "Advanced"),
                ("dns1", "8.8.8.8"),
                ("internaldns1", "8.8.4.4"),
            ],
        )
        .await["zone"]);
    let pod2 = id(&admin
        .ok(
            "createPod",
            &[
                ("zoneid", &zone2),
                ("name", "P2"),
                ("gateway", "172.16.20.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "172.16.20.2"),
                ("endip", "172.16.20.100"),
            ],
        )
        .await["pod"]);
    let cluster2 = simulator_cluster(&admin, &zone2, &pod2, "C2").await;
    let e = call(create(&[("clusterid", &cluster2)]), 431).await;
    assert!(e.contains("clusterid"), "{e}");
    let e = call(create(&[("zoneid", &zone2)]), 431).await;
    assert!(e.contains("podid"), "{e}");

    // Zone-wide storage needs a hypervisor that supports it.
    let e = call(create(&[("scope", "zone")]), 431).await;
    assert!(e.contains("hypervisor"), "{e}");
    call(
        create(&[("scope", "zone"), ("hypervisor", "XenServer")]),
        431,
    )
    .await;
    // Nothing half-created so far.
    assert_eq!(admin.ok("listStoragePools", &[]).await.get("count"), None);

    admin
        .ok(
            "createStoragePool",
            &create(&[])
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    let e = call(create(&[("url", "nfs://10.0.0.9/other")]), 431).await;
    assert!(e.contains("PS0"), "duplicate name: {e}");
    let e = call(create(&[("name", "PS1")]), 431).await;
    assert!(e.contains("url"), "same export twice: {e}");
    let wide = admin
        .ok(
            "createStoragePool",
            &[
                ("zoneid", &zone),
                ("scope", "zone"),
                ("hypervisor", "kvm"),
                ("name", "ZPS"),
                ("url", "rbd://ceph-mon:6789/rbdpool"),
                ("capacitybytes", "1000000"),
                ("details[0].rbd_default_data_pool", "data"),
            ],
        )
        .await["storagepool"]
        .clone();
    assert_eq!(wide["scope"], "ZONE");
    assert_eq!(wide["hypervisor"], "KVM");
    assert_eq!(wide["type"], "RBD");
    assert_eq!(wide["path"], "rbdpool");
    assert_eq!(wide["disksizetotal"], 1_000_000);
    assert_eq!(wide["details"]["rbd_default_data_pool"], "data");
    assert_eq!(wide.get("clusterid"), None);
    assert_eq!(admin.ok("listStoragePools", &[]).await["count"], 2);
    assert_eq!(
        admin.ok("listStoragePools", &[("scope", "ZONE")]).await["count"],
        1
    );

    // Image stores.
    let store = |url: &'static str, zone: Option<&str>| {
        let admin = admin.clone();
        let zone = zone.map(str::to_string);
        async move {
            let mut p = vec![("provider", "NFS".to_string()), ("url", url.to_string())];
            if let Some(z) = zone {
                p.push(("zoneid", z));
            }
            let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.call("addImageStore", &refs).await
        }
    };
    let r = store("ftp://10.0.0.1/secondary", Some(&zone)).await;
    assert_eq!(r.status, 431, "{}", r.text);
    assert!(r.text.contains("url"), "{}", r.text);
    assert_eq!(store("nfs://10.0.0.1", Some(&zone)).await.status, 431);
    assert_eq!(store(SECONDARY_URL, None).await.status, 431);
    assert_eq!(
        admin
            .call("addImageStore", &[("url", SECONDARY_URL)])
            .await
            .status,
        431,
        "provider is required"
    );
    assert_eq!(admin.ok("listImageStores", &[]).await.get("count"), None);
    let legacy = admin
        .call(
            "addSecondaryStorage",
            &[("url", "file:///export/secondary"), ("zoneid", &zone)],
        )
        .await;
    assert_eq!(legacy.status, 200, "{}", legacy.text);
    let legacy = legacy.json()["addsecondarystorageresponse"]["secondarystorage"].clone();
    assert_eq!(legacy["protocol"], "file");
    assert_eq!(legacy["providername"], "NFS");

    // Users may read the catalog, not the infrastructure.
    let (user, _) = new_account(&admin, "storageuser", None, "0").await;
    let pool_id = id(&admin.ok("listStoragePools", &[("name", "PS0")]).await["storagepool"][0]);
    for (cmd, params) in [
        (
            "createStoragePool",
            vec![
                ("zoneid", zone.as_str()),
                ("name", "U"),
                ("url", PRIMARY_URL),
            ],
        ),
        ("listStoragePools", vec![]),
        ("updateStoragePool", vec![("id", pool_id.as_str())]),
        ("deleteStoragePool", vec![("id", pool_id.as_str())]),
        ("enableStorageMaintenance", vec![("id", pool_id.as_str())]),
        ("addImageStore", vec![("provider", "NFS")]),
        ("listImageStores", vec![]),
        ("listHypervisorCapabilities", vec![]),
    ] {
        user.err(cmd, &params, 432).await;
    }
    assert!(
        user.ok("listHypervisors", &[]).await["hypervisor"].is_array(),
        "users may list hypervisors"
    );
    user.ok("listOsTypes", &[("pagesize", "1"), ("page", "1")])
        .await;
    assert_eq!(
        admin.ok("listStoragePools", &[("id", &pool_id)]).await["storagepool"][0]["state"],
        "Up",
        "the user changed nothing"
    );
    cloud.stop().await;
}
