//! Physical networks, traffic types, service providers, virtual router elements and
//! public IP ranges, driven in the order Marvin's advanced.cfg deploys a zone, listed back
//! and compared with recorded CloudStack shapes; then the bad input an operator can send.

use serde_json::Value;
use strato_schema::sql::Sql;

use crate::common::{Client, TestCloud, new_account};

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
    assert!(shared > 3, "too few shared fields: {ours} / {theirs}");
}

/// Runs an async command and expects success; returns the job answer.
pub async fn job_ok(admin: &Client, command: &str, params: &[(&str, &str)]) -> Value {
    let r = admin.wait_job(command, params).await;
    assert_eq!(r["jobstatus"], 1, "{command} failed: {r}");
    assert_eq!(r["jobresultcode"], 0, "{r}");
    r
}

/// Runs an async command and expects its job to fail with `code`; returns the text.
async fn job_err(admin: &Client, command: &str, params: &[(&str, &str)], code: i64) -> String {
    let r = admin.wait_job(command, params).await;
    assert_eq!(r["jobstatus"], 2, "{command} should fail: {r}");
    assert_eq!(r["jobresultcode"], code, "{command}: {r}");
    assert_eq!(r["jobresult"]["errorcode"], code, "{r}");
    r["jobresult"]["errortext"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_string()
}

fn count(list: &Value) -> u64 {
    list["count"].as_u64().unwrap_or(0)
}

/// An Advanced zone with guest CIDR 10.1.1.0/24, disabled.
pub async fn create_zone(admin: &Client, name: &str) -> String {
    id(&admin
        .ok(
            "createZone",
            &[
                ("name", name),
                ("networktype", "Advanced"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
                ("guestcidraddress", "10.1.1.0/24"),
            ],
        )
        .await["zone"])
}

/// The provider `name` of a physical network, as Marvin finds it (state Disabled).
async fn provider(admin: &Client, pn: &str, name: &str, state: &str) -> Value {
    let found = admin
        .ok(
            "listNetworkServiceProviders",
            &[("physicalnetworkid", pn), ("name", name), ("state", state)],
        )
        .await;
    assert_eq!(count(&found), 1, "{name} in state {state}: {found}");
    found["networkserviceprovider"][0].clone()
}

/// Marvin's enabling of a provider: enable its element, then the provider.
pub async fn enable_provider(admin: &Client, pn: &str, name: &str) {
    let nsp = id(&provider(admin, pn, name, "Disabled").await);
    let (list, configure, key) = if name == "InternalLbVm" {
        (
            "listInternalLoadBalancerElements",
            "configureInternalLoadBalancerElement",
            "internalloadbalancerelement",
        )
    } else {
        (
            "listVirtualRouterElements",
            "configureVirtualRouterElement",
            "virtualrouterelement",
        )
    };
    let elements = admin.ok(list, &[("nspid", &nsp)]).await;
    assert_eq!(count(&elements), 1, "{elements}");
    let element = id(&elements[key][0]);
    assert_eq!(elements[key][0]["enabled"], false);
    let done = job_ok(admin, configure, &[("id", &element), ("enabled", "true")]).await;
    assert_eq!(done["jobresult"][key]["enabled"], true, "{done}");
    assert_eq!(done["jobresult"][key]["nspid"], nsp.as_str());
    assert!(done.get("jobinstancetype").is_none(), "{done}");
    let done = job_ok(
        admin,
        "updateNetworkServiceProvider",
        &[("id", &nsp), ("state", "Enabled")],
    )
    .await;
    assert_eq!(
        done["jobresult"]["networkserviceprovider"]["state"],
        "Enabled"
    );
    assert_eq!(done["jobinstancetype"], "PhysicalNetworkServiceProvider");
}

/// Marvin's guest networking of an Advanced zone: a VLAN physical network (guest VLANs
/// 100-200) carrying Guest, Management and Public traffic with the virtual router
/// providers enabled, and a public range 10.147.31.100-200 on VLAN 50. Returns the
/// physical network and public range ids.
pub async fn guest_networking(admin: &Client, zone: &str) -> (String, String) {
    let done = job_ok(
        admin,
        "createPhysicalNetwork",
        &[
            ("zoneid", zone),
            ("name", "Sandbox-pnet"),
            ("isolationmethods", "VLAN"),
        ],
    )
    .await;
    let pn = id(&done["jobresult"]["physicalnetwork"]);
    for traffic in ["Guest", "Management", "Public"] {
        let t = job_ok(
            admin,
            "addTrafficType",
            &[("physicalnetworkid", &pn), ("traffictype", traffic)],
        )
        .await;
        assert_eq!(t["jobresult"]["traffictype"]["traffictype"], traffic);
        assert_eq!(t["jobinstancetype"], "TrafficType");
    }
    for name in ["VirtualRouter", "VpcVirtualRouter", "InternalLbVm"] {
        enable_provider(admin, &pn, name).await;
    }
    let done = job_ok(
        admin,
        "updatePhysicalNetwork",
        &[("id", &pn), ("state", "Enabled"), ("vlan", "100-200")],
    )
    .await;
    let updated = &done["jobresult"]["physicalnetwork"];
    assert_eq!(updated["state"], "Enabled");
    assert_eq!(updated["vlan"], "100-200");
    let range = admin
        .ok(
            "createVlanIpRange",
            &[
                ("zoneid", zone),
                ("vlan", "50"),
                ("gateway", "10.147.31.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.31.100"),
                ("endip", "10.147.31.200"),
                ("forvirtualnetwork", "true"),
            ],
        )
        .await["vlan"]
        .clone();
    (pn, id(&range))
}

/// Marvin's advanced zone up to the public range. Returns (zone, physical network, pod,
/// public range) ids.
pub async fn marvin_network_zone(admin: &Client) -> (String, String, String, String) {
    let zone = create_zone(admin, "Sandbox-simulator").await;
    let (pn, range) = guest_networking(admin, &zone).await;
    let pod = crate::inventory::marvin_pod(admin, &zone).await;
    (zone, pn, pod, range)
}

/// Address rows of a range, straight from the store.
async fn ip_rows(cloud: &TestCloud, range: &str, state: Option<&str>) -> i64 {
    let store = &cloud.server.as_ref().expect("running").engine.store;
    let mut db = store.acquire().await.expect("connection");
    let v = db
        .c()
        .vlan_by_uuid(range)
        .await
        .expect("query")
        .expect("range exists");
    let mut sql = Sql::new("SELECT COUNT(*) FROM public_ip WHERE 1 = 1");
    sql.and("vlan_id = ?", strato_schema::sql::Bind::I64(v.id));
    if let Some(s) = state {
        sql.and("state = ?", strato_schema::sql::Bind::Str(s.into()));
    }
    db.c().fetch_count(&sql).await.expect("count")
}

/// Marks one public address as allocated (no API allocates addresses yet).
async fn set_ip_state(cloud: &TestCloud, address: &str, state: &str) {
    let store = &cloud.server.as_ref().expect("running").engine.store;
    let mut db = store.acquire().await.expect("connection");
    let mut sql = Sql::new("UPDATE public_ip SET state = ");
    sql.push_bind("?", [strato_schema::sql::Bind::Str(state.into())]);
    sql.push(" WHERE 1 = 1");
    sql.and("address = ?", strato_schema::sql::Bind::Str(address.into()));
    assert_eq!(db.c().execute(&sql).await.expect("update"), 1);
}

#[tokio::test]
async fn marvin_advanced_zone_networking() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let zone = create_zone(&admin, "Sandbox-simulator").await;

    // createPhysicalNetwork: async, PhysicalNetwork job instance, Disabled, ZONE range.
    let done = job_ok(
        &admin,
        "createPhysicalNetwork",
        &[
            ("zoneid", &zone),
            ("name", "Sandbox-pnet"),
            ("isolationmethods", "VLAN"),
        ],
    )
    .await;
    let pnet = done["jobresult"]["physicalnetwork"].clone();
    let pn = id(&pnet);
    assert_eq!(pnet["state"], "Disabled");
    assert_eq!(pnet["isolationmethods"], "VLAN");
    assert_eq!(pnet["broadcastdomainrange"], "ZONE");
    assert_eq!(pnet["zoneid"], zone.as_str());
    assert_eq!(pnet["zonename"], "Sandbox-simulator");
    assert!(pnet.get("vlan").is_none(), "no vlan until set: {pnet}");
    assert_eq!(done["jobinstancetype"], "PhysicalNetwork");
    assert_eq!(done["jobinstanceid"], pn.as_str());
    let recorded =
        sample("NetworkService.json", "createPhysicalNetwork")["createphysicalnetworkresponse"]
            .clone();
    shared_fields_agree(&pnet, &recorded["jobresult"]["physicalnetwork"]);
    for k in [
        "jobstatus",
        "jobresultcode",
        "jobresulttype",
        "jobinstancetype",
        "cmd",
    ] {
        assert_eq!(
            std::mem::discriminant(&done[k]),
            std::mem::discriminant(&recorded[k]),
            "{k}: {done}"
        );
    }

    // The default providers, as CloudStack adds them.
    let providers = admin
        .ok("listNetworkServiceProviders", &[("physicalnetworkid", &pn)])
        .await;
    assert_eq!(count(&providers), 5, "{providers}");
    let by_name = |name: &str| {
        providers["networkserviceprovider"]
            .as_array()
            .expect("providers")
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no provider {name}: {providers}"))
    };
    let vr = by_name("VirtualRouter");
    assert_eq!(vr["state"], "Disabled");
    assert_eq!(vr["physicalnetworkid"], pn.as_str());
    assert_eq!(vr["canenableindividualservice"], true);
    assert_eq!(
        vr["servicelist"],
        serde_json::json!([
            "Vpn",
            "Dhcp",
            "Dns",
            "Gateway",
            "Firewall",
            "Lb",
            "SourceNat",
            "StaticNat",
            "PortForwarding",
            "UserData"
        ])
    );
    let vpc = by_name("VpcVirtualRouter");
    assert!(
        vpc["servicelist"]
            .as_array()
            .expect("list")
            .contains(&"NetworkACL".into())
    );
    assert_eq!(
        by_name("InternalLbVm")["servicelist"],
        serde_json::json!(["Lb"])
    );
    let sg = by_name("SecurityGroupProvider");
    assert_eq!(sg["servicelist"], serde_json::json!(["SecurityGroup"]));
    assert_eq!(sg["canenableindividualservice"], false);
    assert_eq!(by_name("ConfigDrive")["state"], "Enabled");
    let elements = admin.ok("listVirtualRouterElements", &[]).await;
    assert_eq!(count(&elements), 2, "VR and VPC VR elements: {elements}");

    // Traffic types, with a label set and cleared.
    let mut traffic_ids = Vec::new();
    for traffic in ["Guest", "Management", "Public"] {
        let t = job_ok(
            &admin,
            "addTrafficType",
            &[
                ("physicalnetworkid", &pn),
                ("traffictype", traffic),
                ("kvmnetworklabel", "cloudbr0"),
            ],
        )
        .await;
        let tt = &t["jobresult"]["traffictype"];
        assert_eq!(tt["traffictype"], traffic);
        assert_eq!(tt["physicalnetworkid"], pn.as_str());
        assert_eq!(tt["kvmnetworklabel"], "cloudbr0");
        assert_eq!(t["jobinstanceid"], tt["id"]);
        traffic_ids.push(id(tt));
    }
    let t = job_ok(
        &admin,
        "updateTrafficType",
        &[
            ("id", &traffic_ids[0]),
            ("kvmnetworklabel", ""),
            ("xennetworklabel", "GUEST"),
        ],
    )
    .await;
    let tt = &t["jobresult"]["traffictype"];
    assert!(tt.get("kvmnetworklabel").is_none(), "cleared: {tt}");
    assert_eq!(tt["xennetworklabel"], "GUEST");

    // A provider cannot be enabled before its element: CloudStack's "not ready".
    let nsp = id(&provider(&admin, &pn, "VirtualRouter", "Disabled").await);
    let e = job_err(
        &admin,
        "updateNetworkServiceProvider",
        &[("id", &nsp), ("state", "Enabled")],
        530,
    )
    .await;
    assert!(e.contains("not ready"), "{e}");
    for name in ["VirtualRouter", "VpcVirtualRouter", "InternalLbVm"] {
        enable_provider(&admin, &pn, name).await;
    }
    // SecurityGroupProvider has no element and is always ready.
    let sg_id = id(&sg);
    job_ok(
        &admin,
        "updateNetworkServiceProvider",
        &[("id", &sg_id), ("state", "Enabled")],
    )
    .await;
    job_ok(
        &admin,
        "updateNetworkServiceProvider",
        &[("id", &sg_id), ("state", "Disabled")],
    )
    .await;

    // A provider's services can be narrowed when its element allows it.
    let narrowed = job_ok(
        &admin,
        "updateNetworkServiceProvider",
        &[("id", &nsp), ("servicelist", "userdata,Dhcp,Dns,SourceNat")],
    )
    .await;
    assert_eq!(
        narrowed["jobresult"]["networkserviceprovider"]["servicelist"],
        serde_json::json!(["Dhcp", "Dns", "SourceNat", "UserData"])
    );
    let e = job_err(
        &admin,
        "updateNetworkServiceProvider",
        &[("id", &sg_id), ("servicelist", "SecurityGroup")],
        431,
    )
    .await;
    assert!(e.contains("Cannot update set of Services"), "{e}");

    // Deleting a provider and adding it back.
    job_ok(&admin, "deleteNetworkServiceProvider", &[("id", &sg_id)]).await;
    assert_eq!(
        count(
            &admin
                .ok("listNetworkServiceProviders", &[("physicalnetworkid", &pn)])
                .await
        ),
        4
    );
    let added = job_ok(
        &admin,
        "addNetworkServiceProvider",
        &[
            ("physicalnetworkid", &pn),
            ("name", "securitygroupprovider"),
        ],
    )
    .await;
    let p = &added["jobresult"]["networkserviceprovider"];
    assert_eq!(p["name"], "SecurityGroupProvider");
    assert_eq!(p["state"], "Disabled");
    assert_eq!(added["jobinstanceid"], p["id"]);

    // Enable the network with its guest VLAN range; ranges are merged and sorted.
    let done = job_ok(
        &admin,
        "updatePhysicalNetwork",
        &[
            ("id", &pn),
            ("state", "Enabled"),
            ("vlan", "150-200,100-149"),
            ("networkspeed", "10G"),
        ],
    )
    .await;
    let updated = &done["jobresult"]["physicalnetwork"];
    assert_eq!(updated["state"], "Enabled");
    assert_eq!(updated["vlan"], "100-200");
    assert_eq!(updated["networkspeed"], "10G");
    assert_eq!(done["jobinstanceid"], pn.as_str());

    // Pod, then the public range on VLAN 50 (after all pods, as Marvin does).
    admin
        .ok(
            "createPod",
            &[
                ("zoneid", &zone),
                ("name", "POD0"),
                ("gateway", "172.16.15.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "172.16.15.2"),
                ("endip", "172.16.15.200"),
            ],
        )
        .await;
    let created = admin
        .ok(
            "createVlanIpRange",
            &[
                ("zoneid", &zone),
                ("vlan", "50"),
                ("gateway", "10.147.31.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.31.100"),
                ("endip", "10.147.31.200"),
                ("forvirtualnetwork", "true"),
            ],
        )
        .await;
    let range = &created["vlan"];
    assert_eq!(range["vlan"], "vlan://50");
    assert_eq!(range["cidr"], "10.147.31.0/24");
    assert_eq!(range["startip"], "10.147.31.100");
    assert_eq!(range["endip"], "10.147.31.200");
    assert_eq!(range["forvirtualnetwork"], true);
    assert_eq!(range["forsystemvms"], false);
    assert_eq!(range["physicalnetworkid"], pn.as_str());
    assert!(range.get("account").is_none(), "{range}");
    shared_fields_agree(
        range,
        &sample("VLANService.json", "createVlanIpRange")["createvlaniprangeresponse"]["vlan"],
    );
    let range_id = id(range);
    assert_eq!(ip_rows(&cloud, &range_id, None).await, 101);
    assert_eq!(ip_rows(&cloud, &range_id, Some("Free")).await, 101);

    // Everything lists back.
    let nets = admin.ok("listPhysicalNetworks", &[("zoneid", &zone)]).await;
    assert_eq!(count(&nets), 1);
    assert_eq!(nets["physicalnetwork"][0]["vlan"], "100-200");
    assert_eq!(
        count(&admin.ok("listPhysicalNetworks", &[("name", "pnet")]).await),
        1
    );
    let types = admin
        .ok("listTrafficTypes", &[("physicalnetworkid", &pn)])
        .await;
    assert_eq!(count(&types), 3);
    assert_eq!(types["traffictype"][2]["traffictype"], "Public");
    let enabled = admin
        .ok(
            "listNetworkServiceProviders",
            &[("physicalnetworkid", &pn), ("state", "Enabled")],
        )
        .await;
    assert_eq!(
        count(&enabled),
        4,
        "VR, VPC VR, ILB, ConfigDrive: {enabled}"
    );
    let elements = admin
        .ok("listVirtualRouterElements", &[("enabled", "true")])
        .await;
    assert_eq!(count(&elements), 2);
    assert_eq!(
        count(&admin.ok("listInternalLoadBalancerElements", &[]).await),
        1
    );
    let ranges = admin.ok("listVlanIpRanges", &[("zoneid", &zone)]).await;
    assert_eq!(count(&ranges), 1);
    let listed = &ranges["vlaniprange"][0];
    assert_eq!(listed["id"], range_id.as_str());
    shared_fields_agree(
        listed,
        &sample("VLANService.json", "listVlanIpRanges")["listvlaniprangesresponse"]["vlaniprange"]
            [0],
    );
    assert_eq!(
        count(&admin.ok("listVlanIpRanges", &[("vlan", "vlan://50")]).await),
        1
    );
    assert_eq!(
        count(&admin.ok("listVlanIpRanges", &[("vlan", "51")]).await),
        0
    );
    assert_eq!(
        count(
            &admin
                .ok("listVlanIpRanges", &[("physicalnetworkid", &pn)])
                .await
        ),
        1
    );

    // Dedicated ranges: to an account, and to a domain.
    let (_, account) = new_account(&admin, "tenant1", None, "0").await;
    let domain = account["domainid"].as_str().expect("domain id").to_string();
    let dedicated = admin
        .ok(
            "createVlanIpRange",
            &[
                ("zoneid", &zone),
                ("vlan", "60"),
                ("gateway", "10.147.40.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.40.10"),
                ("endip", "10.147.40.19"),
                ("account", "tenant1"),
                ("domainid", &domain),
            ],
        )
        .await["vlan"]
        .clone();
    assert_eq!(dedicated["account"], "tenant1");
    assert_eq!(dedicated["domainid"], domain.as_str());
    assert_eq!(dedicated["domain"], "ROOT");
    assert_eq!(dedicated["domainpath"], "ROOT");
    let for_domain = admin
        .ok(
            "createVlanIpRange",
            &[
                ("zoneid", &zone),
                ("vlan", "untagged"),
                ("gateway", "10.147.41.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.41.10"),
                ("endip", "10.147.41.10"),
                ("domainid", &domain),
            ],
        )
        .await["vlan"]
        .clone();
    assert_eq!(for_domain["vlan"], "vlan://untagged");
    assert!(for_domain.get("account").is_none());
    assert_eq!(for_domain["domainid"], domain.as_str());
    assert_eq!(ip_rows(&cloud, &id(&for_domain), None).await, 1);
    let mine = admin
        .ok(
            "listVlanIpRanges",
            &[("account", "tenant1"), ("domainid", &domain)],
        )
        .await;
    assert_eq!(count(&mine), 1);
    assert_eq!(mine["vlaniprange"][0]["id"], dedicated["id"]);
    assert_eq!(
        count(&admin.ok("listVlanIpRanges", &[("domainid", &domain)]).await),
        1,
        "only the range dedicated to the domain as a whole"
    );

    // Events were recorded with CloudStack's types.
    let events = admin.ok("listEvents", &[("pagesize", "-1")]).await;
    let types: Vec<&str> = events["event"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    for t in [
        "PHYSICAL.NETWORK.CREATE",
        "PHYSICAL.NETWORK.UPDATE",
        "TRAFFIC.TYPE.CREATE",
        "SERVICE.PROVIDER.UPDATE",
        "NETWORK.ELEMENT.CONFIGURE",
        "VLAN.IP.RANGE.CREATE",
    ] {
        assert!(types.contains(&t), "no {t} event in {types:?}");
    }

    // An enabled zone takes no new physical network (CloudStack's PermissionDenied).
    admin
        .ok(
            "updateZone",
            &[("id", &zone), ("allocationstate", "Enabled")],
        )
        .await;
    let e = job_err(
        &admin,
        "createPhysicalNetwork",
        &[("zoneid", &zone), ("name", "late")],
        531,
    )
    .await;
    assert!(e.contains("currently enabled"), "{e}");
    assert_eq!(count(&admin.ok("listPhysicalNetworks", &[]).await), 1);
    cloud.stop().await;
}

#[tokio::test]
async fn network_bad_input_is_refused_cleanly() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, pn, _pod, range) = marvin_network_zone(&admin).await;
    let public = |extra: &[(&'static str, &'static str)]| {
        let mut p: Vec<(&'static str, String)> = vec![
            ("zoneid", zone.clone()),
            ("vlan", "50".into()),
            ("gateway", "10.147.31.1".into()),
            ("netmask", "255.255.255.0".into()),
            ("startip", "10.147.31.150".into()),
            ("endip", "10.147.31.250".into()),
        ];
        for (k, v) in extra {
            p.retain(|(name, _)| name != k);
            if !v.is_empty() {
                p.push((k, v.to_string()));
            }
        }
        p
    };
    let create_range = |p: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        async move {
            let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.call("createVlanIpRange", &refs).await
        }
    };
    let refused = |r: crate::common::Resp, what: &str| {
        assert_eq!(r.status, 431, "{what}: {}", r.text);
        r.inner()["errortext"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    // Overlapping public ranges in the zone, named in the refusal.
    let e = refused(create_range(public(&[])).await, "overlapping range");
    assert!(e.contains("overlap"), "{e}");
    assert!(e.contains(&range), "names the conflicting range: {e}");
    let e = refused(
        create_range(public(&[
            ("vlan", "51"),
            ("startip", "10.147.31.210"),
            ("endip", "10.147.31.220"),
        ]))
        .await,
        "same subnet on another VLAN",
    );
    assert!(e.contains("overlapped with the subnet"), "{e}");
    let e = refused(
        create_range(public(&[
            ("gateway", "10.147.31.254"),
            ("startip", "10.147.31.210"),
            ("endip", "10.147.31.220"),
        ]))
        .await,
        "same subnet, other gateway",
    );
    assert!(e.contains("already been added with gateway"), "{e}");
    // Outside the netmask, reversed, gateway inside, bad addresses.
    let e = refused(
        create_range(public(&[
            ("gateway", "10.147.32.1"),
            ("startip", "10.147.32.10"),
            ("endip", "10.147.33.20"),
        ]))
        .await,
        "range outside the netmask",
    );
    assert!(e.contains("valid IP range"), "{e}");
    let e = refused(
        create_range(public(&[
            ("gateway", "10.147.32.1"),
            ("startip", "10.147.32.50"),
            ("endip", "10.147.32.10"),
        ]))
        .await,
        "start after end",
    );
    assert!(e.contains("valid IP range"), "{e}");
    let e = refused(
        create_range(public(&[
            ("gateway", "10.147.32.1"),
            ("startip", "10.147.32.1"),
            ("endip", "10.147.32.10"),
        ]))
        .await,
        "gateway in the range",
    );
    assert!(e.contains("gateway"), "{e}");
    refused(
        create_range(public(&[("netmask", "255.0.255.0")])).await,
        "bad netmask",
    );
    refused(
        create_range(public(&[("startip", "10.147.31.300")])).await,
        "bad start",
    );
    refused(create_range(public(&[("gateway", "")])).await, "no gateway");
    // The pod's reserved addresses, the guest VLAN range, a missing VLAN.
    let e = refused(
        create_range(public(&[
            ("gateway", "172.16.15.1"),
            ("startip", "172.16.15.150"),
            ("endip", "172.16.15.160"),
        ]))
        .await,
        "overlaps the pod range",
    );
    assert!(e.contains("private IP"), "{e}");
    let e = refused(
        create_range(public(&[
            ("vlan", "150"),
            ("gateway", "10.147.50.1"),
            ("startip", "10.147.50.10"),
            ("endip", "10.147.50.20"),
        ]))
        .await,
        "VLAN of the guest range",
    );
    assert!(e.contains("dynamic vlan allocation"), "{e}");
    let e = refused(
        create_range(public(&[
            ("vlan", ""),
            ("gateway", "10.147.50.1"),
            ("startip", "10.147.50.10"),
            ("endip", "10.147.50.20"),
        ]))
        .await,
        "no VLAN",
    );
    assert!(e.contains("vlan"), "{e}");
    refused(
        create_range(public(&[("vlan", "vlan://9999")])).await,
        "VLAN out of range",
    );
    refused(
        create_range(public(&[("forvirtualnetwork", "false")])).await,
        "direct range without a network",
    );
    refused(
        create_range(public(&[("ip6cidr", "fd00::/64")])).await,
        "IPv6",
    );
    // Nothing half-created.
    assert_eq!(count(&admin.ok("listVlanIpRanges", &[]).await), 1);
    assert_eq!(ip_rows(&cloud, &range, None).await, 101);

    // Traffic types: duplicates (CloudStack: CloudRuntimeException, 530), unknown names.
    let e = job_err(
        &admin,
        "addTrafficType",
        &[("physicalnetworkid", &pn), ("traffictype", "Guest")],
        530,
    )
    .await;
    assert!(e.contains("already supports the traffic type"), "{e}");
    job_err(
        &admin,
        "addTrafficType",
        &[("physicalnetworkid", &pn), ("traffictype", "Bogus")],
        431,
    )
    .await;
    job_err(
        &admin,
        "addTrafficType",
        &[("physicalnetworkid", &pn), ("traffictype", "guest")],
        431,
    )
    .await;
    assert_eq!(
        count(
            &admin
                .ok("listTrafficTypes", &[("physicalnetworkid", &pn)])
                .await
        ),
        3
    );
    admin
        .err("listTrafficTypes", &[("physicalnetworkid", &zone)], 431)
        .await;

    // Physical networks: unknown or several isolation methods, bad VLAN ranges, states.
    admin
        .ok(
            "updateZone",
            &[("id", &zone), ("allocationstate", "Disabled")],
        )
        .await;
    let e = job_err(
        &admin,
        "createPhysicalNetwork",
        &[
            ("zoneid", &zone),
            ("name", "p2"),
            ("isolationmethods", "FOO"),
        ],
        431,
    )
    .await;
    assert!(e.contains("isolationmethods"), "{e}");
    job_err(
        &admin,
        "createPhysicalNetwork",
        &[
            ("zoneid", &zone),
            ("name", "p2"),
            ("isolationmethods", "VLAN,GRE"),
        ],
        431,
    )
    .await;
    job_err(
        &admin,
        "createPhysicalNetwork",
        &[
            ("zoneid", &zone),
            ("name", "p2"),
            ("broadcastdomainrange", "POD"),
        ],
        431,
    )
    .await;
    for vlan in ["200-100", "100", "1-5000", "a-b"] {
        let e = job_err(
            &admin,
            "updatePhysicalNetwork",
            &[("id", &pn), ("vlan", vlan)],
            431,
        )
        .await;
        assert!(e.contains("net range"), "{vlan}: {e}");
    }
    job_err(
        &admin,
        "updatePhysicalNetwork",
        &[("id", &pn), ("state", "Running")],
        431,
    )
    .await;
    let nets = admin.ok("listPhysicalNetworks", &[]).await;
    assert_eq!(count(&nets), 1, "nothing half-created: {nets}");
    assert_eq!(nets["physicalnetwork"][0]["vlan"], "100-200");
    assert_eq!(nets["physicalnetwork"][0]["state"], "Enabled");

    // A second network may carry Guest traffic only with a tag; never Public again.
    let p2 = id(&job_ok(
        &admin,
        "createPhysicalNetwork",
        &[
            ("zoneid", &zone),
            ("name", "p2"),
            ("isolationmethods", "vxlan"),
        ],
    )
    .await["jobresult"]["physicalnetwork"]);
    let e = job_err(
        &admin,
        "addTrafficType",
        &[("physicalnetworkid", &p2), ("traffictype", "Public")],
        530,
    )
    .await;
    assert!(e.contains("Zone already has"), "{e}");
    let e = job_err(
        &admin,
        "addTrafficType",
        &[("physicalnetworkid", &p2), ("traffictype", "Guest")],
        530,
    )
    .await;
    assert!(e.contains("without tags"), "{e}");
    job_ok(
        &admin,
        "updatePhysicalNetwork",
        &[("id", &p2), ("tags", "fast")],
    )
    .await;
    job_ok(
        &admin,
        "addTrafficType",
        &[("physicalnetworkid", &p2), ("traffictype", "Guest")],
    )
    .await;
    let done = job_ok(
        &admin,
        "updatePhysicalNetwork",
        &[("id", &p2), ("vlan", "5000-6000")],
    )
    .await;
    assert_eq!(done["jobresult"]["physicalnetwork"]["vlan"], "5000-6000");
    assert_eq!(
        done["jobresult"]["physicalnetwork"]["isolationmethods"],
        "VXLAN"
    );
    assert_eq!(done["jobresult"]["physicalnetwork"]["tags"], "fast");

    // Providers: duplicates, unknown names, providers without an element here.
    let e = job_err(
        &admin,
        "addNetworkServiceProvider",
        &[("physicalnetworkid", &pn), ("name", "VirtualRouter")],
        530,
    )
    .await;
    assert!(e.contains("already exists"), "{e}");
    let e = job_err(
        &admin,
        "addNetworkServiceProvider",
        &[("physicalnetworkid", &pn), ("name", "Teleporter")],
        431,
    )
    .await;
    assert!(e.contains("Invalid Network Service Provider"), "{e}");
    let e = job_err(
        &admin,
        "addNetworkServiceProvider",
        &[("physicalnetworkid", &pn), ("name", "Netscaler")],
        431,
    )
    .await;
    assert!(e.contains("Network Element"), "{e}");
    let vr = id(&provider(&admin, &pn, "VirtualRouter", "Enabled").await);
    job_err(
        &admin,
        "updateNetworkServiceProvider",
        &[("id", &vr), ("state", "Shutdown")],
        431,
    )
    .await;
    job_err(
        &admin,
        "updateNetworkServiceProvider",
        &[("id", &vr), ("servicelist", "Dhcp,Teleport")],
        431,
    )
    .await;
    assert_eq!(
        provider(&admin, &pn, "VirtualRouter", "Enabled").await["servicelist"]
            .as_array()
            .map(Vec::len),
        Some(10),
        "unchanged"
    );
    // An ILB element is not a virtual router element, and the other way round.
    let ilb_nsp = id(&provider(&admin, &pn, "InternalLbVm", "Enabled").await);
    let ilb = id(&admin
        .ok("listInternalLoadBalancerElements", &[("nspid", &ilb_nsp)])
        .await["internalloadbalancerelement"][0]);
    job_err(
        &admin,
        "configureVirtualRouterElement",
        &[("id", &ilb), ("enabled", "false")],
        530,
    )
    .await;
    let vr_element = id(&admin
        .ok("listVirtualRouterElements", &[("nspid", &vr)])
        .await["virtualrouterelement"][0]);
    job_err(
        &admin,
        "configureInternalLoadBalancerElement",
        &[("id", &vr_element), ("enabled", "false")],
        431,
    )
    .await;

    // Another account (a User) may do none of this: 432.
    let (user, _) = new_account(&admin, "netuser", None, "0").await;
    for (command, params) in [
        ("listPhysicalNetworks", vec![]),
        (
            "createPhysicalNetwork",
            vec![("zoneid", zone.as_str()), ("name", "mine")],
        ),
        ("updatePhysicalNetwork", vec![("id", pn.as_str())]),
        ("deletePhysicalNetwork", vec![("id", pn.as_str())]),
        (
            "addTrafficType",
            vec![
                ("physicalnetworkid", pn.as_str()),
                ("traffictype", "Storage"),
            ],
        ),
        ("listTrafficTypes", vec![("physicalnetworkid", pn.as_str())]),
        ("listNetworkServiceProviders", vec![]),
        (
            "updateNetworkServiceProvider",
            vec![("id", vr.as_str()), ("state", "Disabled")],
        ),
        ("listVirtualRouterElements", vec![]),
        (
            "configureVirtualRouterElement",
            vec![("id", vr_element.as_str()), ("enabled", "false")],
        ),
        ("listVlanIpRanges", vec![]),
        ("deleteVlanIpRange", vec![("id", range.as_str())]),
    ] {
        user.err(command, &params, 432).await;
    }
    let r = create_range(public(&[("startip", "10.147.60.10")])).await;
    assert_eq!(r.status, 431, "(admin, sanity) {}", r.text);
    let refs: Vec<(&str, String)> = public(&[
        ("gateway", "10.147.60.1"),
        ("startip", "10.147.60.10"),
        ("endip", "10.147.60.20"),
    ]);
    let refs: Vec<(&str, &str)> = refs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    user.err("createVlanIpRange", &refs, 432).await;
    assert_eq!(count(&admin.ok("listVlanIpRanges", &[]).await), 1);

    // Things still in use: the zone holds networks and ranges; an allocated address keeps
    // its range and its physical network.
    admin.err("deleteZone", &[("id", &zone)], 536).await;
    set_ip_state(&cloud, "10.147.31.100", "Allocated").await;
    let e = admin.err("deleteVlanIpRange", &[("id", &range)], 431).await;
    assert!(e.contains("in use"), "{e}");
    let e = job_err(&admin, "deletePhysicalNetwork", &[("id", &pn)], 530).await;
    assert!(e.contains("not deletable"), "{e}");
    assert_eq!(count(&admin.ok("listVlanIpRanges", &[]).await), 1);
    assert_eq!(count(&admin.ok("listPhysicalNetworks", &[]).await), 2);
    set_ip_state(&cloud, "10.147.31.100", "Free").await;

    // Bottom-up removal works; deleting the network takes its free ranges with it.
    admin.ok("deleteVlanIpRange", &[("id", &range)]).await;
    assert_eq!(count(&admin.ok("listVlanIpRanges", &[]).await), 0);
    let again = admin
        .ok(
            "createVlanIpRange",
            &[
                ("zoneid", &zone),
                ("vlan", "50"),
                ("gateway", "10.147.31.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.31.100"),
                ("endip", "10.147.31.200"),
            ],
        )
        .await;
    assert_eq!(
        again["vlan"]["startip"], "10.147.31.100",
        "addresses reusable"
    );
    let traffic = admin
        .ok("listTrafficTypes", &[("physicalnetworkid", &p2)])
        .await;
    job_ok(
        &admin,
        "deleteTrafficType",
        &[("id", &id(&traffic["traffictype"][0]))],
    )
    .await;
    job_ok(&admin, "deletePhysicalNetwork", &[("id", &p2)]).await;
    job_ok(&admin, "deletePhysicalNetwork", &[("id", &pn)]).await;
    assert_eq!(count(&admin.ok("listPhysicalNetworks", &[]).await), 0);
    assert_eq!(count(&admin.ok("listVlanIpRanges", &[]).await), 0);
    assert_eq!(
        count(&admin.ok("listNetworkServiceProviders", &[]).await),
        0
    );
    assert_eq!(count(&admin.ok("listVirtualRouterElements", &[]).await), 0);
    let pods = admin.ok("listPods", &[("zoneid", &zone)]).await;
    admin.ok("deletePod", &[("id", &id(&pods["pod"][0]))]).await;
    admin.ok("deleteZone", &[("id", &zone)]).await;
    cloud.stop().await;
}
