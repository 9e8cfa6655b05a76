//! Zones, pods and clusters built the way Marvin's advanced.cfg and the CloudStack guides
//! do it, listed back, compared with recorded CloudStack shapes; and the bad input an
//! operator can send.

use serde_json::Value;

use crate::common::{Client, TestCloud};

/// Marvin's advanced zone: createZone, then a pod with a reserved range, then a
/// Simulator cluster. Returns (zone id, pod id).
pub async fn marvin_zone(admin: &Client) -> (String, String) {
    let zone = admin
        .ok(
            "createZone",
            &[
                ("name", "Sandbox-simulator"),
                ("networktype", "Advanced"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
                ("guestcidraddress", "10.1.1.0/24"),
            ],
        )
        .await["zone"]
        .clone();
    let zone_id = zone["id"].as_str().expect("zone id").to_string();
    let pod_id = marvin_pod(admin, &zone_id).await;
    (zone_id, pod_id)
}

/// Marvin's pod POD0 with reserved range 172.16.15.2-200. Returns its id.
pub async fn marvin_pod(admin: &Client, zone: &str) -> String {
    let pod = admin
        .ok(
            "createPod",
            &[
                ("zoneid", zone),
                ("name", "POD0"),
                ("gateway", "172.16.15.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "172.16.15.2"),
                ("endip", "172.16.15.200"),
            ],
        )
        .await["pod"]
        .clone();
    pod["id"].as_str().expect("pod id").to_string()
}

fn sample(file: &str, test: &str) -> Value {
    let path = format!(
        "{}/../../../shared/reference/cloudstack-api/samples/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("sample")).expect("JSON");
    all[test].clone()
}

/// Every field both answers share has the same JSON type.
fn shared_fields_agree(ours: &Value, theirs: &Value) {
    let (Some(a), Some(b)) = (ours.as_object(), theirs.as_object()) else {
        return;
    };
    for (k, v) in a {
        if let Some(w) = b.get(k) {
            assert_eq!(
                std::mem::discriminant(v),
                std::mem::discriminant(w),
                "field {k}: ours {v}, CloudStack's {w}"
            );
        }
    }
}

#[tokio::test]
async fn marvin_style_zone_pod_cluster() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone_id, pod_id) = marvin_zone(&admin).await;
    let added = admin
        .ok(
            "addCluster",
            &[
                ("zoneid", &zone_id),
                ("podid", &pod_id),
                ("clustername", "C0"),
                ("hypervisor", "simulator"),
                ("clustertype", "CloudManaged"),
            ],
        )
        .await;
    assert_eq!(added["count"], 1);
    let cluster = &added["cluster"][0];
    assert_eq!(cluster["hypervisortype"], "Simulator");
    assert_eq!(cluster["allocationstate"], "Enabled");
    shared_fields_agree(
        cluster,
        &sample("ClusterService.json", "listClusters")["listclustersresponse"]["cluster"][0],
    );

    let zones = admin.ok("listZones", &[("id", &zone_id)]).await;
    assert_eq!(
        zones["zone"][0]["allocationstate"], "Disabled",
        "zones start disabled"
    );
    assert_eq!(zones["zone"][0]["networktype"], "Advanced");
    let pods = admin.ok("listPods", &[("zoneid", &zone_id)]).await;
    assert_eq!(pods["pod"][0]["startip"][0], "172.16.15.2");
    assert_eq!(pods["pod"][0]["netmask"], "255.255.255.0");
    let clusters = admin.ok("listClusters", &[("podid", &pod_id)]).await;
    assert_eq!(clusters["count"], 1);

    // Users do not see disabled zones; after enabling they do.
    let (user, _) = crate::common::new_account(&admin, "zoneuser", None, "0").await;
    assert_eq!(user.ok("listZones", &[]).await.get("count"), None);
    admin
        .ok(
            "updateZone",
            &[("id", &zone_id), ("allocationstate", "Enabled")],
        )
        .await;
    assert_eq!(user.ok("listZones", &[]).await["count"], 1);
    user.err(
        "createZone",
        &[
            ("name", "x"),
            ("networktype", "Basic"),
            ("dns1", "1.1.1.1"),
            ("internaldns1", "1.1.1.1"),
        ],
        432,
    )
    .await;
    cloud.stop().await;
}

#[tokio::test]
async fn inventory_bad_input_is_refused_cleanly() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone_id, pod_id) = marvin_zone(&admin).await;
    let zone = |extra: &[(&'static str, &'static str)]| {
        let mut p = vec![
            ("name", "Z2"),
            ("networktype", "Advanced"),
            ("dns1", "8.8.8.8"),
            ("internaldns1", "8.8.4.4"),
        ];
        for (k, v) in extra {
            p.retain(|(name, _)| name != k);
            p.push((k, v));
        }
        p
    };
    // Duplicate zone name, bad network type, bad DNS, bad CIDR.
    admin
        .err("createZone", &zone(&[("name", "Sandbox-simulator")]), 431)
        .await;
    let e = admin
        .err("createZone", &zone(&[("networktype", "Fancy")]), 431)
        .await;
    assert!(e.contains("networktype"), "{e}");
    let e = admin
        .err(
            "createZone",
            &[
                ("name", "Z3"),
                ("networktype", "Basic"),
                ("dns1", "not-an-ip"),
                ("internaldns1", "1.1.1.1"),
            ],
            431,
        )
        .await;
    assert!(e.contains("dns1"), "{e}");
    admin
        .err(
            "createZone",
            &zone(&[("guestcidraddress", "10.1.1.0/40")]),
            431,
        )
        .await;

    // A pod range outside the pod's netmask; a second pod overlapping the first.
    let pod = |name: &'static str, gw: &'static str, start: &'static str, end: &'static str| {
        vec![
            ("zoneid", zone_id.clone()),
            ("name", name.into()),
            ("gateway", gw.into()),
            ("netmask", "255.255.255.0".into()),
            ("startip", start.into()),
            ("endip", end.into()),
        ]
    };
    let call = |p: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        async move {
            let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.call("createPod", &refs).await
        }
    };
    let r = call(pod("P1", "172.16.16.1", "172.16.16.10", "172.16.17.20")).await;
    assert_eq!(r.status, 431, "{}", r.text);
    assert!(r.text.contains("outside"), "{}", r.text);
    let r = call(pod("P2", "172.16.15.129", "172.16.15.130", "172.16.15.140")).await;
    assert_eq!(r.status, 431, "{}", r.text);
    assert!(r.text.contains("overlaps"), "{}", r.text);
    let r = call(pod("POD0", "172.16.30.1", "172.16.30.10", "172.16.30.20")).await;
    assert_eq!(r.status, 431, "duplicate pod name: {}", r.text);
    // Nothing half-created.
    assert_eq!(admin.ok("listPods", &[]).await["count"], 1);
    assert_eq!(admin.ok("listZones", &[]).await["count"], 1);

    // A cluster of an unknown hypervisor, or in a pod of another zone.
    admin
        .err(
            "addCluster",
            &[
                ("zoneid", &zone_id),
                ("podid", &pod_id),
                ("clustername", "C"),
                ("hypervisor", "Potato"),
                ("clustertype", "CloudManaged"),
            ],
            431,
        )
        .await;
    let other = admin.ok("createZone", &zone(&[])).await["zone"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    admin
        .err(
            "addCluster",
            &[
                ("zoneid", &other),
                ("podid", &pod_id),
                ("clustername", "C"),
                ("hypervisor", "KVM"),
                ("clustertype", "CloudManaged"),
            ],
            431,
        )
        .await;

    // Deleting a zone with pods, a pod with clusters: refused; bottom-up works.
    admin
        .ok(
            "addCluster",
            &[
                ("zoneid", &zone_id),
                ("podid", &pod_id),
                ("clustername", "C0"),
                ("hypervisor", "KVM"),
                ("clustertype", "CloudManaged"),
            ],
        )
        .await;
    let e = admin.err("deleteZone", &[("id", &zone_id)], 536).await;
    assert!(e.contains("pod"), "{e}");
    admin.err("deletePod", &[("id", &pod_id)], 536).await;
    let cluster = admin.ok("listClusters", &[]).await["cluster"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    admin.ok("deleteCluster", &[("id", &cluster)]).await;
    admin.ok("deletePod", &[("id", &pod_id)]).await;
    admin.ok("deleteZone", &[("id", &zone_id)]).await;
    assert_eq!(admin.ok("listZones", &[]).await["count"], 1);
    cloud.stop().await;
}
