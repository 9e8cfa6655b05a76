//! Guest networks through the API (create, list, update, delete, restart, who sees what),
//! and the engine functions the VM deploy calls (implement, NICs and their addresses),
//! including concurrent VLAN/VNI, source NAT and address allocation on the real backend.

use std::collections::HashSet;

use serde_json::Value;
use strato_common::ApiError;
use strato_engine::{Engine, guestnet};
use strato_schema::network::NetworkRow;
use strato_schema::nic::NicRow;
use strato_schema::sql::Sql;

use crate::common::{Client, TestCloud, new_account};
use crate::networks::marvin_network_zone;

const ISOLATED_OFFERING: &str = "DefaultIsolatedNetworkOfferingWithSourceNatService";
const SHARED_OFFERING: &str = "DefaultSharedNetworkOffering";
const L2_OFFERING: &str = "DefaultL2NetworkOffering";

/// Marvin's advanced zone, enabled so that users may create networks in it. Returns
/// (zone, physical network, pod, public range) ids.
async fn ready_zone(admin: &Client) -> (String, String, String, String) {
    let ids = marvin_network_zone(admin).await;
    admin
        .ok(
            "updateZone",
            &[("id", &ids.0), ("allocationstate", "Enabled")],
        )
        .await;
    ids
}

fn engine(cloud: &TestCloud) -> Engine {
    cloud.server.as_ref().expect("running").engine.clone()
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_string()
}

async fn offering(admin: &Client, name: &str) -> String {
    let found = admin.ok("listNetworkOfferings", &[("name", name)]).await;
    id(&found["networkoffering"][0])
}

async fn network_row(engine: &Engine, uuid: &str) -> NetworkRow {
    let mut db = engine.store.acquire().await.expect("connection");
    db.c()
        .network_by_uuid(uuid)
        .await
        .expect("query")
        .expect("network exists")
}

/// Implements a network in a transaction of its own, as a deploy step would.
async fn implement(engine: &Engine, uuid: &str) -> Result<NetworkRow, ApiError> {
    let n = network_row(engine, uuid).await;
    let mut tx = engine.store.begin().await.expect("begin");
    let done = guestnet::implement_network(&mut tx.c(), engine, &n).await?;
    tx.commit().await.expect("commit");
    Ok(done)
}

/// Gives an instance a NIC in a transaction of its own.
async fn allocate(
    engine: &Engine,
    network: &NetworkRow,
    instance: i64,
    ip: Option<&str>,
) -> Result<NicRow, ApiError> {
    let mut tx = engine.store.begin().await.expect("begin");
    let nic = guestnet::allocate_nic(&mut tx.c(), network, instance, 0, ip, true).await?;
    tx.commit().await.expect("commit");
    Ok(nic)
}

async fn count(engine: &Engine, sql: &str) -> i64 {
    let mut db = engine.store.acquire().await.expect("connection");
    db.c().fetch_count(&Sql::new(sql)).await.expect("count")
}

/// Creates a network and returns its object.
async fn create(client: &Client, params: &[(&str, &str)]) -> Value {
    client.ok("createNetwork", params).await["network"].clone()
}

async fn delete(client: &Client, network: &str) -> Value {
    client.wait_job("deleteNetwork", &[("id", network)]).await
}

#[tokio::test]
async fn an_isolated_network_from_creation_to_deletion() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    let (zone, _pn, _pod, _range) = ready_zone(&admin).await;
    let (user, account) = new_account(&admin, "alice", None, "0").await;
    let isolated = offering(&admin, ISOLATED_OFFERING).await;

    let created = create(
        &user,
        &[
            ("name", "testIsolatedNet"),
            ("displaytext", "testIsolatedNet"),
            ("networkofferingid", &isolated),
            ("zoneid", &zone),
        ],
    )
    .await;
    let net = id(&created);
    assert_eq!(created["state"], "Allocated", "{created}");
    assert_eq!(created["type"], "Isolated");
    assert_eq!(created["acltype"], "Account");
    assert_eq!(created["account"], "alice");
    assert_eq!(created["domainid"], account["domainid"]);
    assert_eq!(created["cidr"], "10.1.1.0/24");
    assert_eq!(created["gateway"], "10.1.1.1");
    assert_eq!(created["netmask"], "255.255.255.0");
    assert_eq!(created["dns1"], "10.147.28.6");
    assert_eq!(created["networkofferingname"], ISOLATED_OFFERING);
    assert_eq!(created["canusefordeploy"], true);
    assert_eq!(created["related"], net.as_str());
    let account_hex = format!("cs{:x}", network_row(&engine, &net).await.account_id);
    assert!(
        created["networkdomain"]
            .as_str()
            .is_some_and(|d| d.starts_with(&account_hex)),
        "{created}"
    );
    assert!(created.get("vlan").is_none(), "no VLAN before implement");
    let services: HashSet<&str> = created["service"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        services.contains("SourceNat") && services.contains("Dhcp"),
        "{created}"
    );
    assert!(!services.contains("Gateway"), "Gateway is never shown");

    // The shape: only declared fields, and CloudStack's JSON types where both have one.
    let declared: HashSet<&str> = strato_api::commands::networks::NETWORK_FIELDS
        .iter()
        .map(|f| f.name)
        .collect();
    let sample = sample_network();
    for (k, v) in created.as_object().expect("object") {
        assert!(declared.contains(k.as_str()), "undeclared field {k}");
        if let Some(theirs) = sample.get(k) {
            assert_eq!(
                std::mem::discriminant(v),
                std::mem::discriminant(theirs),
                "{k}: ours {v}, CloudStack's {theirs}"
            );
        }
    }
    for k in sample.as_object().expect("sample").keys() {
        assert!(
            created.get(k).is_some(),
            "CloudStack's field {k} is missing"
        );
    }

    // listNetworks shows it to its owner; the admin sees it only with listall.
    let mine = user.ok("listNetworks", &[]).await;
    assert_eq!(mine["count"], 1, "{mine}");
    assert_eq!(mine["network"][0]["id"], net.as_str());
    assert_eq!(admin.ok("listNetworks", &[]).await.get("count"), None);
    let all = admin.ok("listNetworks", &[("listall", "true")]).await;
    assert_eq!(all["count"], 1, "{all}");
    for (filter, value, hits) in [
        ("type", "Isolated", 1),
        ("type", "Shared", 0),
        ("zoneid", zone.as_str(), 1),
        ("networkofferingid", isolated.as_str(), 1),
        ("canusefordeploy", "true", 1),
        ("canusefordeploy", "false", 0),
        ("keyword", "isolated", 1),
        ("keyword", "nothere", 0),
        ("traffictype", "Guest", 1),
        ("issystem", "true", 0),
        ("supportedservices", "SourceNat,Dhcp", 1),
        ("supportedservices", "SecurityGroup", 0),
        ("forvpc", "true", 0),
    ] {
        let found = user.ok("listNetworks", &[(filter, value)]).await;
        assert_eq!(
            found["count"].as_i64().unwrap_or(0),
            hits,
            "{filter}={value}: {found}"
        );
    }

    // The first deploy implements it: a VLAN of the range and a source NAT address.
    let done = implement(&engine, &net).await.expect("implemented");
    assert_eq!(done.state, "Implemented");
    let uri = done.broadcast_uri.clone().expect("broadcast URI");
    let vlan: u64 = uri
        .strip_prefix("vlan://")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{uri}"));
    assert!((100..=200).contains(&vlan), "{uri}");
    let again = implement(&engine, &net).await.expect("idempotent");
    assert_eq!(again.broadcast_uri.as_deref(), Some(uri.as_str()));
    let held = count(
        &engine,
        "SELECT COUNT(*) FROM public_ip WHERE source_nat = TRUE AND state = 'Allocated'",
    )
    .await;
    assert_eq!(held, 1, "one source NAT address");
    let as_admin = admin
        .ok("listNetworks", &[("id", &net), ("listall", "true")])
        .await;
    assert_eq!(as_admin["network"][0]["state"], "Implemented");
    assert_eq!(as_admin["network"][0]["broadcasturi"], uri.as_str());
    assert_eq!(as_admin["network"][0]["vlan"], vlan.to_string());
    let as_owner = user.ok("listNetworks", &[("id", &net)]).await;
    assert!(as_owner["network"][0].get("vlan").is_none(), "{as_owner}");
    assert!(as_owner["network"][0].get("broadcasturi").is_none());

    // updateNetwork and restartNetwork.
    let updated = user
        .wait_job(
            "updateNetwork",
            &[
                ("id", &net),
                ("name", "renamed"),
                ("displaytext", "new text"),
                ("networkdomain", "alice.example"),
            ],
        )
        .await;
    assert_eq!(updated["jobstatus"], 1, "{updated}");
    let n = &updated["jobresult"]["network"];
    assert_eq!(n["name"], "renamed");
    assert_eq!(n["displaytext"], "new text");
    assert_eq!(n["networkdomain"], "alice.example");
    assert_eq!(updated["jobinstancetype"], "Network");
    let refused = user
        .wait_job(
            "updateNetwork",
            &[
                ("id", &net),
                ("networkofferingid", &offering(&admin, L2_OFFERING).await),
            ],
        )
        .await;
    assert_eq!(refused["jobresult"]["errorcode"], 431, "{refused}");
    let bad_domain = user
        .wait_job("updateNetwork", &[("id", &net), ("networkdomain", "-bad-")])
        .await;
    assert_eq!(bad_domain["jobresult"]["errorcode"], 431, "{bad_domain}");
    let restarted = user.wait_job("restartNetwork", &[("id", &net)]).await;
    assert_eq!(restarted["jobstatus"], 1, "{restarted}");
    assert_eq!(restarted["jobresult"]["success"], true);

    // A NIC on it blocks the delete; releasing the NIC frees it.
    let n = network_row(&engine, &net).await;
    let nic = allocate(&engine, &n, 4242, None).await.expect("nic");
    let blocked = delete(&user, &net).await;
    assert_eq!(blocked["jobresult"]["errorcode"], 536, "{blocked}");
    {
        let mut tx = engine.store.begin().await.expect("begin");
        assert_eq!(
            guestnet::release_nics(&mut tx.c(), 4242)
                .await
                .expect("release"),
            1
        );
        assert_eq!(
            guestnet::release_nics(&mut tx.c(), 4242)
                .await
                .expect("again"),
            0
        );
        tx.commit().await.expect("commit");
    }
    assert_ne!(
        nic.ip4_address.as_deref(),
        Some("10.1.1.1"),
        "never the gateway"
    );

    let deleted = delete(&user, &net).await;
    assert_eq!(deleted["jobstatus"], 1, "{deleted}");
    assert_eq!(deleted["jobinstancetype"], "Network");
    assert_eq!(user.ok("listNetworks", &[]).await.get("count"), None);
    let vnets = count(&engine, "SELECT COUNT(*) FROM guest_vnet").await;
    assert_eq!(vnets, 0, "the VLAN went back to the range");
    let held = count(
        &engine,
        "SELECT COUNT(*) FROM public_ip WHERE state <> 'Free' OR network_id IS NOT NULL",
    )
    .await;
    assert_eq!(held, 0, "the source NAT address is free again");
    let gone = user.wait_job("restartNetwork", &[("id", &net)]).await;
    assert_eq!(gone["jobresult"]["errorcode"], 431, "{gone}");
    cloud.stop().await;
}

/// CloudStack's recorded network object (services left out: they depend on providers).
fn sample_network() -> Value {
    let path = format!(
        "{}/../../../shared/reference/cloudstack-api/samples/NetworkService.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("sample")).expect("JSON");
    let mut n = all["createNetwork"]["createnetworkresponse"]["network"].clone();
    if let Some(o) = n.as_object_mut() {
        o.remove("service");
    }
    n
}

#[tokio::test]
async fn shared_and_l2_networks() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    let (zone, pn, _pod, _range) = ready_zone(&admin).await;
    let (user, _) = new_account(&admin, "bob", None, "0").await;
    let shared = offering(&admin, SHARED_OFFERING).await;
    let l2 = offering(&admin, L2_OFFERING).await;
    let shared_params = |vlan: &'static str, start: &'static str, end: &'static str| {
        vec![
            ("name", "shared"),
            ("networkofferingid", shared.as_str()),
            ("zoneid", zone.as_str()),
            ("gateway", "172.30.0.1"),
            ("netmask", "255.255.255.0"),
            ("startip", start),
            ("endip", end),
            ("vlan", vlan),
        ]
    };

    // Only root admins create Shared networks; a VLAN of the dynamic range is refused.
    user.err(
        "createNetwork",
        &shared_params("300", "172.30.0.10", "172.30.0.20"),
        531,
    )
    .await;
    let e = admin
        .err(
            "createNetwork",
            &shared_params("150", "172.30.0.10", "172.30.0.20"),
            431,
        )
        .await;
    assert!(e.contains("dynamic vlan allocation"), "{e}");
    let e = admin
        .err(
            "createNetwork",
            &shared_params("300", "172.30.0.1", "172.30.0.20"),
            431,
        )
        .await;
    assert!(e.contains("gateway"), "{e}");
    let e = admin
        .err(
            "createNetwork",
            &shared_params("300", "172.30.1.10", "172.30.1.20"),
            431,
        )
        .await;
    assert!(e.contains("startip"), "{e}");
    let e = admin
        .err(
            "createNetwork",
            &shared_params("50", "172.30.0.10", "172.30.0.20"),
            431,
        )
        .await;
    assert!(e.contains("public IP range"), "{e}");

    let net = create(&admin, &shared_params("300", "172.30.0.10", "172.30.0.20")).await;
    let shared_id = id(&net);
    assert_eq!(net["state"], "Implemented", "{net}");
    assert_eq!(net["type"], "Shared");
    assert_eq!(net["acltype"], "Domain");
    assert_eq!(net["subdomainaccess"], true);
    assert_eq!(net["vlan"], "300");
    assert_eq!(net["broadcasturi"], "vlan://300");
    assert_eq!(net["physicalnetworkid"], pn.as_str());
    assert!(net.get("account").is_none(), "{net}");
    // The VLAN is taken: a second network on it is refused.
    let e = admin
        .err(
            "createNetwork",
            &shared_params("300", "172.30.0.30", "172.30.0.40"),
            431,
        )
        .await;
    assert!(e.contains("300"), "{e}");
    // Every account of the domain may use it and sees it.
    let seen = user.ok("listNetworks", &[]).await;
    assert_eq!(seen["count"], 1, "{seen}");
    assert_eq!(seen["network"][0]["id"], shared_id.as_str());
    assert!(seen["network"][0].get("vlan").is_none());
    let seen = user.ok("listNetworks", &[("type", "Shared")]).await;
    assert_eq!(seen["count"], 1, "{seen}");
    // But not manage it.
    let denied = user.wait_job("deleteNetwork", &[("id", &shared_id)]).await;
    assert_eq!(denied["jobresult"]["errorcode"], 531, "{denied}");

    // Addresses come from startip..endip; a requested one must be in it and free.
    let row = network_row(&engine, &shared_id).await;
    let nic = allocate(&engine, &row, 1, Some("172.30.0.15"))
        .await
        .expect("nic");
    assert_eq!(nic.ip4_address.as_deref(), Some("172.30.0.15"));
    assert_eq!(nic.gateway.as_deref(), Some("172.30.0.1"));
    assert_eq!(nic.netmask.as_deref(), Some("255.255.255.0"));
    assert_eq!(nic.broadcast_uri.as_deref(), Some("vlan://300"));
    let taken = allocate(&engine, &row, 2, Some("172.30.0.15"))
        .await
        .expect_err("in use");
    assert_eq!(taken.code.as_u16(), 431);
    assert!(taken.text.contains("ipaddress"), "{}", taken.text);
    for outside in [
        "172.30.0.9",
        "172.30.0.21",
        "172.30.0.1",
        "10.0.0.1",
        "nonsense",
    ] {
        let e = allocate(&engine, &row, 3, Some(outside))
            .await
            .expect_err(outside);
        assert_eq!(e.code.as_u16(), 431, "{outside}");
        assert!(e.text.contains("ipaddress"), "{outside}: {}", e.text);
    }
    // The same instance and device again is the same NIC (a replayed deploy step).
    let replay = allocate(&engine, &row, 1, None).await.expect("replay");
    assert_eq!(replay.uuid, nic.uuid);
    let obj = guestnet::nic_obj(&nic);
    let v: Value = serde_json::to_value(
        obj.fields
            .iter()
            .map(|(k, _)| k.clone())
            .collect::<Vec<_>>(),
    )
    .expect("json");
    for field in [
        "id",
        "networkid",
        "networkname",
        "ipaddress",
        "gateway",
        "netmask",
        "isolationuri",
        "broadcasturi",
        "traffictype",
        "type",
        "isdefault",
        "macaddress",
        "deviceid",
    ] {
        assert!(
            v.as_array().expect("keys").iter().any(|k| k == field),
            "{field}: {v}"
        );
    }

    // L2: no addresses at all, a VLAN of the range on first use.
    let e = user
        .err(
            "createNetwork",
            &[
                ("name", "l2"),
                ("networkofferingid", &l2),
                ("zoneid", &zone),
                ("gateway", "10.9.0.1"),
                ("netmask", "255.255.255.0"),
            ],
            431,
        )
        .await;
    assert!(e.contains("L2"), "{e}");
    let l2_net = create(
        &user,
        &[
            ("name", "l2"),
            ("networkofferingid", &l2),
            ("zoneid", &zone),
        ],
    )
    .await;
    assert_eq!(l2_net["type"], "L2");
    assert_eq!(l2_net["state"], "Allocated");
    assert!(
        l2_net.get("gateway").is_none() && l2_net.get("cidr").is_none(),
        "{l2_net}"
    );
    let l2_row = implement(&engine, &id(&l2_net)).await.expect("implemented");
    assert!(
        l2_row
            .broadcast_uri
            .as_deref()
            .is_some_and(|u| u.starts_with("vlan://"))
    );
    let l2_nic = allocate(&engine, &l2_row, 7, None).await.expect("nic");
    assert_eq!(l2_nic.ip4_address, None);
    assert!(
        l2_nic.mac_address.starts_with("02:00:"),
        "{}",
        l2_nic.mac_address
    );
    let e = allocate(&engine, &l2_row, 8, Some("10.9.0.5"))
        .await
        .expect_err("no IPs");
    assert!(e.text.contains("ipaddress"), "{}", e.text);
    // No source NAT address for L2 (nor for the Shared network).
    let held = count(
        &engine,
        "SELECT COUNT(*) FROM public_ip WHERE state <> 'Free'",
    )
    .await;
    assert_eq!(held, 0);

    // The shared network goes once its NIC is released; its VLAN is free again.
    let blocked = admin.wait_job("deleteNetwork", &[("id", &shared_id)]).await;
    assert_eq!(blocked["jobresult"]["errorcode"], 536, "{blocked}");
    {
        let mut tx = engine.store.begin().await.expect("begin");
        guestnet::release_nics(&mut tx.c(), 1)
            .await
            .expect("release");
        tx.commit().await.expect("commit");
    }
    assert_eq!(
        admin.wait_job("deleteNetwork", &[("id", &shared_id)]).await["jobstatus"],
        1
    );
    create(&admin, &shared_params("300", "172.30.0.30", "172.30.0.40")).await;
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_implementations_get_distinct_vlans_and_addresses() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    let (zone, pn, _pod, _range) = ready_zone(&admin).await;
    // Exactly 20 VLANs to hand out.
    let done = admin
        .wait_job("updatePhysicalNetwork", &[("id", &pn), ("vlan", "100-119")])
        .await;
    assert_eq!(done["jobstatus"], 1, "{done}");
    let isolated = offering(&admin, ISOLATED_OFFERING).await;
    // Root admins are not limited to max.account.networks / max.account.public.ips (20).
    let mut ids = Vec::new();
    for i in 0..21 {
        let name = format!("net{i}");
        let n = create(
            &admin,
            &[
                ("name", &name),
                ("networkofferingid", &isolated),
                ("zoneid", &zone),
            ],
        )
        .await;
        ids.push(id(&n));
    }
    let tasks: Vec<_> = ids[..20]
        .iter()
        .map(|uuid| {
            let engine = engine.clone();
            let uuid = uuid.clone();
            tokio::spawn(async move { implement(&engine, &uuid).await })
        })
        .collect();
    let mut uris = HashSet::new();
    for t in tasks {
        let n = t.await.expect("task").expect("implemented");
        assert!(
            uris.insert(n.broadcast_uri.expect("uri")),
            "a VLAN was handed out twice"
        );
    }
    assert_eq!(uris.len(), 20);
    let distinct_ips = count(
        &engine,
        "SELECT COUNT(DISTINCT address) FROM public_ip WHERE source_nat = TRUE \
         AND state = 'Allocated' AND network_id IS NOT NULL",
    )
    .await;
    assert_eq!(distinct_ips, 20, "one source NAT address per network");
    // The 21st finds the range exhausted: CloudStack's insufficient capacity error.
    let e = implement(&engine, &ids[20])
        .await
        .expect_err("no VLAN left");
    assert_eq!(e.code.as_u16(), 533, "{}", e.text);
    assert_eq!(e.cs_code, Some(4331));
    assert_eq!(network_row(&engine, &ids[20]).await.state, "Allocated");
    // Shutting one down (the deploy's undo) frees its VLAN and address for the 21st.
    let first = network_row(&engine, &ids[0]).await;
    {
        let mut tx = engine.store.begin().await.expect("begin");
        let back = guestnet::shutdown_network(&mut tx.c(), &engine, &first)
            .await
            .expect("shut down");
        assert_eq!(back.state, "Allocated");
        assert_eq!(back.broadcast_uri, None);
        tx.commit().await.expect("commit");
    }
    let last = implement(&engine, &ids[20])
        .await
        .expect("now there is one");
    assert_eq!(last.broadcast_uri, first.broadcast_uri);
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_nic_allocations_never_share_an_address() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    let (zone, _pn, _pod, _range) = ready_zone(&admin).await;
    let (user, _) = new_account(&admin, "dave", None, "0").await;
    let isolated = offering(&admin, ISOLATED_OFFERING).await;
    // A /26: 62 host addresses, one of them the gateway.
    let net = create(
        &user,
        &[
            ("name", "small"),
            ("networkofferingid", &isolated),
            ("zoneid", &zone),
            ("gateway", "192.168.5.1"),
            ("netmask", "255.255.255.192"),
        ],
    )
    .await;
    assert_eq!(net["cidr"], "192.168.5.0/26");
    let row = network_row(&engine, &id(&net)).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let engine = engine.clone();
            let row = row.clone();
            tokio::spawn(async move { allocate(&engine, &row, 1000 + i, None).await })
        })
        .collect();
    let mut ips = HashSet::new();
    let mut macs = HashSet::new();
    for t in tasks {
        let nic = t.await.expect("task").expect("allocated");
        assert!(
            ips.insert(nic.ip4_address.expect("address")),
            "address handed out twice"
        );
        assert!(macs.insert(nic.mac_address), "MAC handed out twice");
    }
    for i in 50..61 {
        let nic = allocate(&engine, &row, 1000 + i, None)
            .await
            .expect("still room");
        assert!(ips.insert(nic.ip4_address.expect("address")));
    }
    assert_eq!(ips.len(), 61);
    assert!(
        !ips.contains("192.168.5.1"),
        "the gateway is never handed out"
    );
    let e = allocate(&engine, &row, 2000, None).await.expect_err("full");
    assert_eq!(e.code.as_u16(), 533, "{}", e.text);
    assert_eq!(e.cs_code, Some(4320));
    assert!(
        e.text.contains("Insufficient address capacity"),
        "{}",
        e.text
    );
    // nics_of reports the network with each NIC; reserve marks them reserved.
    let mut tx = engine.store.begin().await.expect("begin");
    let nics = guestnet::nics_of(&mut tx.c(), &[1000, 1001])
        .await
        .expect("nics");
    assert_eq!(nics.len(), 2);
    assert!(
        nics.iter()
            .all(|n| n.network_uuid == id(&net) && n.guest_type == "Isolated")
    );
    assert_eq!(
        guestnet::reserve_nics(&mut tx.c(), 1000, "resv-1")
            .await
            .expect("reserve"),
        1
    );
    let after = guestnet::nics_of(&mut tx.c(), &[1000]).await.expect("nics");
    assert_eq!(after[0].state, "Reserved");
    assert_eq!(after[0].reservation_id.as_deref(), Some("resv-1"));
    // A released address is handed out again.
    guestnet::release_nics(&mut tx.c(), 1000)
        .await
        .expect("release");
    tx.commit().await.expect("commit");
    let again = allocate(&engine, &row, 3000, None)
        .await
        .expect("freed address");
    assert_eq!(again.ip4_address, nics[0].ip4_address);
    cloud.stop().await;
}

#[tokio::test]
async fn networks_count_against_the_account_limit() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, _pn, _pod, _range) = ready_zone(&admin).await;
    let (user, _) = new_account(&admin, "erin", None, "0").await;
    let isolated = offering(&admin, ISOLATED_OFFERING).await;
    let params = |name: &'static str| {
        vec![
            ("name", name),
            ("networkofferingid", isolated.as_str()),
            ("zoneid", zone.as_str()),
        ]
    };
    let mut first = String::new();
    for i in 0..20 {
        let n = create(&user, &params("n")).await;
        if i == 0 {
            first = id(&n);
        }
    }
    let e = user
        .err("createNetwork", &params("one too many"), 535)
        .await;
    assert!(e.contains("network"), "{e}");
    assert_eq!(delete(&user, &first).await["jobstatus"], 1);
    create(&user, &params("fits again")).await;
    cloud.stop().await;
}

#[tokio::test]
async fn accounts_see_and_manage_only_their_networks() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, _pn, _pod, _range) = ready_zone(&admin).await;
    let isolated = offering(&admin, ISOLATED_OFFERING).await;
    let sales = id(&admin.ok("createDomain", &[("name", "Sales")]).await["domain"]);
    let (a, a_account) = new_account(&admin, "usera", None, "0").await;
    let (b, b_account) = new_account(&admin, "userb", None, "0").await;
    let (dadmin, _) = new_account(&admin, "salesadmin", Some(&sales), "2").await;
    let (s, _) = new_account(&admin, "salesuser", Some(&sales), "0").await;
    let params = |name: &'static str| {
        vec![
            ("name", name),
            ("networkofferingid", isolated.as_str()),
            ("zoneid", zone.as_str()),
        ]
    };
    let a_net = id(&create(&a, &params("a-net")).await);
    let s_net = id(&create(&s, &params("s-net")).await);

    // B neither sees nor changes A's network.
    assert_eq!(b.ok("listNetworks", &[]).await.get("count"), None);
    assert_eq!(
        b.ok("listNetworks", &[("id", &a_net)]).await.get("count"),
        None
    );
    b.err(
        "listNetworks",
        &[("listall", "true"), ("account", "usera")],
        531,
    )
    .await;
    for cmd in ["deleteNetwork", "restartNetwork", "updateNetwork"] {
        let r = b.wait_job(cmd, &[("id", &a_net), ("name", "x")]).await;
        assert_eq!(r["jobresult"]["errorcode"], 531, "{cmd}: {r}");
    }
    // The check a deploy naming networkids makes.
    let engine = engine(&cloud);
    let row = network_row(&engine, &a_net).await;
    for (account, allowed) in [(&a_account, true), (&b_account, false)] {
        let mut db = engine.store.acquire().await.expect("connection");
        let user = db
            .c()
            .user_by_uuid(account["user"][0]["id"].as_str().expect("user id"))
            .await
            .expect("query")
            .expect("user");
        let caller = strato_engine::Caller::from_user(&user);
        let r = guestnet::check_network_use(&mut db.c(), &caller, &row).await;
        assert_eq!(r.is_ok(), allowed, "{}: {r:?}", account["name"]);
    }
    // B can't create a network for A either.
    b.err(
        "createNetwork",
        &[
            ("name", "sneaky"),
            ("networkofferingid", &isolated),
            ("zoneid", &zone),
            ("account", "usera"),
            (
                "domainid",
                &id(&admin.ok("listDomains", &[("name", "ROOT")]).await["domain"][0]),
            ),
        ],
        531,
    )
    .await;

    // The domain admin sees its subtree only, and manages what is in it.
    let seen = dadmin.ok("listNetworks", &[("listall", "true")]).await;
    assert_eq!(seen["count"], 1, "{seen}");
    assert_eq!(seen["network"][0]["id"], s_net.as_str());
    let r = dadmin.wait_job("deleteNetwork", &[("id", &a_net)]).await;
    assert_eq!(r["jobresult"]["errorcode"], 531, "{r}");
    // It creates networks for accounts of its domain, not for others.
    let made = create(
        &dadmin,
        &[
            ("name", "for-salesuser"),
            ("networkofferingid", &isolated),
            ("zoneid", &zone),
            ("account", "salesuser"),
            ("domainid", &sales),
        ],
    )
    .await;
    assert_eq!(made["account"], "salesuser");
    assert_eq!(s.ok("listNetworks", &[]).await["count"], 2);
    let r = dadmin.wait_job("deleteNetwork", &[("id", &s_net)]).await;
    assert_eq!(r["jobstatus"], 1, "{r}");
    // The root admin sees everything with listall.
    let all = admin.ok("listNetworks", &[("listall", "true")]).await;
    assert_eq!(all["count"], 2, "{all}");
    let in_sales = admin
        .ok("listNetworks", &[("domainid", &sales), ("listall", "true")])
        .await;
    assert_eq!(in_sales["count"], 1, "{in_sales}");
    // A network hidden by the root admin is not listed to its users.
    let root = id(&admin.ok("listDomains", &[("name", "ROOT")]).await["domain"][0]);
    let hidden = create(
        &admin,
        &[
            ("name", "hidden"),
            ("networkofferingid", &isolated),
            ("zoneid", &zone),
            ("account", "userb"),
            ("domainid", &root),
            ("displaynetwork", "false"),
        ],
    )
    .await;
    assert_eq!(hidden["displaynetwork"], false);
    assert_eq!(b.ok("listNetworks", &[]).await.get("count"), None);
    let shown = admin
        .ok(
            "listNetworks",
            &[("listall", "true"), ("displaynetwork", "false")],
        )
        .await;
    assert_eq!(shown["count"], 1, "{shown}");
    cloud.stop().await;
}

#[tokio::test]
async fn bad_network_input_is_refused_naming_the_parameter() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, _pn, _pod, _range) = ready_zone(&admin).await;
    let (user, _) = new_account(&admin, "frank", None, "0").await;
    let isolated = offering(&admin, ISOLATED_OFFERING).await;
    let base = [
        ("name", "n"),
        ("networkofferingid", isolated.as_str()),
        ("zoneid", zone.as_str()),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut p = base.to_vec();
        p.extend_from_slice(extra);
        p
    };
    for (extra, code, needle) in [
        (vec![("vlan", "150")], 431, "vlan"),
        (vec![("gateway", "10.5.0.1")], 431, "netmask"),
        (
            vec![("gateway", "8.8.8.1"), ("netmask", "255.255.255.0")],
            431,
            "private",
        ),
        (
            vec![("gateway", "10.5.0.1"), ("netmask", "255.0.255.0")],
            431,
            "netmask",
        ),
        (vec![("startip", "10.1.1.5")], 431, "specifyipranges"),
        (vec![("ip6cidr", "fd00::/64")], 431, "ip6cidr"),
        (vec![("networkdomain", "bad_domain")], 431, "networkdomain"),
        (vec![("dns1", "not-an-ip")], 431, "dns1"),
        (vec![("acltype", "Domain")], 531, "acltype"),
        (vec![("acltype", "Everyone")], 431, "acltype"),
        (vec![("subdomainaccess", "true")], 431, "subdomainaccess"),
    ] {
        let e = user.err("createNetwork", &with(&extra), code).await;
        assert!(e.contains(needle), "{extra:?}: {e}");
    }
    let e = user
        .err(
            "createNetwork",
            &[
                ("name", "n"),
                ("networkofferingid", &zone),
                ("zoneid", &zone),
            ],
            431,
        )
        .await;
    assert!(e.contains("networkofferingid"), "{e}");
    let e = user
        .err("createNetwork", &[("name", "n"), ("zoneid", &zone)], 431)
        .await;
    assert!(e.contains("networkofferingid"), "{e}");
    // Isolated networks are not for admins' vlan either (the offering has specifyvlan=false).
    let e = admin
        .err("createNetwork", &with(&[("vlan", "300")]), 431)
        .await;
    assert!(e.contains("specifyvlan"), "{e}");
    let e = user
        .err(
            "listNetworks",
            &[("zoneid", "6b7c3d2e-0000-4000-8000-000000000000")],
            431,
        )
        .await;
    assert!(e.contains("zoneid"), "{e}");
    // A restart needs an implemented network.
    let n = id(&create(&user, &base).await);
    let r = user.wait_job("restartNetwork", &[("id", &n)]).await;
    assert_eq!(r["jobresult"]["errorcode"], 431, "{r}");
    cloud.stop().await;
}

#[tokio::test]
async fn the_default_network_of_a_deploy() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    let (zone, _pn, _pod, _range) = ready_zone(&admin).await;
    let (user, account) = new_account(&admin, "grace", None, "0").await;
    let calls = std::sync::atomic::AtomicU32::new(0);
    let default_for = |zone: String| {
        let engine = engine.clone();
        let account = id(&account);
        // Each call stands for another deploy, with its own uuid for a new network.
        let n = calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let uuid = format!("5eed0000-0000-4000-8000-{n:012}");
        async move {
            let mut tx = engine.store.begin().await.expect("begin");
            let a = tx
                .c()
                .account_by_uuid(&account)
                .await
                .expect("q")
                .expect("account");
            let z = tx.c().zone_by_uuid(&zone).await.expect("q").expect("zone");
            let n = guestnet::default_network_for_deploy(&mut tx.c(), &engine, &a, &z, &uuid).await;
            tx.commit().await.expect("commit");
            n
        }
    };
    // Advanced zone: created on first use, the same one afterwards.
    let first = default_for(zone.clone()).await.expect("created");
    assert_eq!(first.uuid, "5eed0000-0000-4000-8000-000000000000");
    assert_eq!(first.name, "grace-network");
    assert_eq!(first.guest_type, "Isolated");
    assert_eq!(first.offering_name, ISOLATED_OFFERING);
    let again = default_for(zone.clone()).await.expect("found");
    assert_eq!(again.uuid, first.uuid);
    assert_eq!(user.ok("listNetworks", &[]).await["count"], 1);
    // Two isolated networks: the deploy must name one.
    let isolated = offering(&admin, ISOLATED_OFFERING).await;
    create(
        &user,
        &[
            ("name", "second"),
            ("networkofferingid", &isolated),
            ("zoneid", &zone),
        ],
    )
    .await;
    let e = default_for(zone.clone()).await.expect_err("ambiguous");
    assert!(e.text.contains("networkids"), "{}", e.text);

    // Basic zone: its Shared network, or a clear error when there is none.
    let basic = id(&admin
        .ok(
            "createZone",
            &[
                ("name", "basic"),
                ("networktype", "Basic"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
            ],
        )
        .await["zone"]);
    let e = default_for(basic.clone()).await.expect_err("none");
    assert_eq!(e.code.as_u16(), 431);
    assert!(e.text.contains("Shared"), "{}", e.text);
    cloud.stop().await;
}

#[tokio::test]
async fn vxlan_physical_networks_give_vnis() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    let zone = id(&admin
        .ok(
            "createZone",
            &[
                ("name", "vx"),
                ("networktype", "Advanced"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
                ("guestcidraddress", "10.2.0.0/24"),
            ],
        )
        .await["zone"]);
    let job = |cmd: &'static str, params: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        async move {
            let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = admin.wait_job(cmd, &refs).await;
            assert_eq!(r["jobstatus"], 1, "{cmd}: {r}");
            r
        }
    };
    let created = job(
        "createPhysicalNetwork",
        vec![
            ("zoneid", zone.clone()),
            ("name", "vx-pnet".into()),
            ("isolationmethods", "VXLAN".into()),
        ],
    )
    .await;
    let pn = id(&created["jobresult"]["physicalnetwork"]);
    job(
        "addTrafficType",
        vec![
            ("physicalnetworkid", pn.clone()),
            ("traffictype", "Guest".into()),
        ],
    )
    .await;
    job(
        "updatePhysicalNetwork",
        vec![("id", pn.clone()), ("vlan", "5000-5001".into())],
    )
    .await;
    admin
        .ok(
            "updateZone",
            &[("id", &zone), ("allocationstate", "Enabled")],
        )
        .await;
    let (user, _) = new_account(&admin, "heidi", None, "0").await;
    let l2 = offering(&admin, L2_OFFERING).await;
    let mut uris = HashSet::new();
    for name in ["a", "b", "c"] {
        let n = create(
            &user,
            &[
                ("name", name),
                ("networkofferingid", &l2),
                ("zoneid", &zone),
            ],
        )
        .await;
        assert_eq!(n["broadcastdomaintype"], "Vxlan", "{n}");
        assert_eq!(n["physicalnetworkid"], pn.as_str());
        match implement(&engine, &id(&n)).await {
            Ok(row) => {
                let nic = allocate(&engine, &row, uris.len() as i64 + 1, None)
                    .await
                    .expect("nic");
                let obj = guestnet::nic_obj(&nic);
                let uri = row.broadcast_uri.expect("uri");
                assert!(
                    obj.fields.iter().any(|(k, v)| k == "isolationuri"
                        && *v == strato_api::response::Node::Str(uri.clone())),
                    "{obj:?}"
                );
                uris.insert(uri);
            }
            Err(e) => {
                assert_eq!(name, "c", "only the third runs out: {e}");
                assert_eq!(e.code.as_u16(), 533);
            }
        }
    }
    let want: HashSet<String> = ["vxlan://5000", "vxlan://5001"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(uris, want);
    cloud.stop().await;
}
