//! A Basic zone built the way Marvin builds one (a shared network with security groups,
//! guest addresses from a pod's range) and tenants deploying into it without naming a
//! network.

use serde_json::Value;
use strato_schema::sql::{Bind, Sql};

use crate::common::{Client, TestCloud, new_account};
use crate::hosts::add_sim_cluster;
use crate::inventory::marvin_pod;
use crate::networks::{enable_provider, job_ok};
use crate::vms::{SimZone, ready_sim_zone};

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_string()
}

struct BasicZone {
    sim: SimZone,
    network: String,
}

/// Marvin's basic zone: physical network with Guest and Management traffic, the virtual
/// router and security group providers, the shared network of
/// DefaultSharedNetworkOfferingWithSGService, Marvin's pod with guest range
/// 10.147.29.10-12 (three addresses), a Simulator cluster with one host, storage, enabled.
async fn basic_zone(admin: &Client) -> BasicZone {
    let zone = id(&admin
        .ok(
            "createZone",
            &[
                ("name", "Sandbox-basic"),
                ("networktype", "Basic"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
            ],
        )
        .await["zone"]);
    let done = job_ok(
        admin,
        "createPhysicalNetwork",
        &[("zoneid", &zone), ("name", "basic-pnet")],
    )
    .await;
    let pn = id(&done["jobresult"]["physicalnetwork"]);
    for traffic in ["Guest", "Management"] {
        job_ok(
            admin,
            "addTrafficType",
            &[("physicalnetworkid", &pn), ("traffictype", traffic)],
        )
        .await;
    }
    enable_provider(admin, &pn, "VirtualRouter").await;
    let sg = admin
        .ok(
            "listNetworkServiceProviders",
            &[
                ("physicalnetworkid", &pn),
                ("name", "SecurityGroupProvider"),
            ],
        )
        .await;
    let sg = id(&sg["networkserviceprovider"][0]);
    job_ok(
        admin,
        "updateNetworkServiceProvider",
        &[("id", &sg), ("state", "Enabled")],
    )
    .await;
    job_ok(
        admin,
        "updatePhysicalNetwork",
        &[("id", &pn), ("state", "Enabled")],
    )
    .await;
    let offering = admin
        .ok(
            "listNetworkOfferings",
            &[("name", "DefaultSharedNetworkOfferingWithSGService")],
        )
        .await;
    let offering = id(&offering["networkoffering"][0]);
    let pod = marvin_pod(admin, &zone).await;
    let network = id(&admin
        .ok(
            "createNetwork",
            &[
                ("zoneid", &zone),
                ("name", "guestNetworkForBasicZone"),
                ("displaytext", "guestNetworkForBasicZone"),
                ("networkofferingid", &offering),
            ],
        )
        .await["network"]);
    admin
        .ok(
            "createVlanIpRange",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("networkid", &network),
                ("gateway", "10.147.29.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.29.10"),
                ("endip", "10.147.29.12"),
                ("forvirtualnetwork", "false"),
            ],
        )
        .await;
    let cluster = add_sim_cluster(admin, &zone, &pod).await;
    let sim = ready_sim_zone(admin, zone, &pod, &cluster, &[""]).await;
    BasicZone { sim, network }
}

async fn deploy(client: &Client, z: &BasicZone, name: &str) -> Value {
    crate::vms::deploy(client, &z.sim, &[("name", name)]).await
}

#[tokio::test]
async fn tenants_deploy_into_the_shared_network_of_a_basic_zone() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = basic_zone(&admin).await;
    let (alice, _) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;

    // No networkids: the zone's shared network, an address from the pod's range.
    let mut addresses = Vec::new();
    for (client, name) in [(&alice, "a1"), (&bob, "b1"), (&alice, "a2")] {
        let r = deploy(client, &z, name).await;
        assert_eq!(r["jobstatus"], 1, "{name}: {r}");
        let vm = &r["jobresult"]["virtualmachine"];
        assert_eq!(vm["state"], "Running", "{vm}");
        let nic = &vm["nic"][0];
        assert_eq!(nic["networkid"], z.network.as_str(), "{vm}");
        assert_eq!(nic["type"], "Shared", "{nic}");
        assert_eq!(nic["gateway"], "10.147.29.1", "{nic}");
        assert_eq!(nic["netmask"], "255.255.255.0", "{nic}");
        let ip = nic["ipaddress"].as_str().expect("an address").to_string();
        assert!(
            ["10.147.29.10", "10.147.29.11", "10.147.29.12"].contains(&ip.as_str()),
            "{ip}"
        );
        addresses.push(ip);
    }
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 3, "distinct addresses: {addresses:?}");

    // Each tenant sees only its own VMs, though they share the network.
    let mine = alice.ok("listVirtualMachines", &[]).await;
    assert_eq!(mine["count"], 2, "{mine}");
    let theirs = bob.ok("listVirtualMachines", &[]).await;
    assert_eq!(theirs["count"], 1, "{theirs}");

    // The range is used up: the next deploy fails with insufficient capacity (533) and
    // leaves no VM behind.
    let r = deploy(&bob, &z, "b2").await;
    assert_eq!(r["jobstatus"], 2, "{r}");
    assert_eq!(r["jobresult"]["errorcode"], 533, "{r}");
    let theirs = bob.ok("listVirtualMachines", &[]).await;
    assert_eq!(theirs["count"], 1, "{theirs}");

    // Expunging a VM frees its address for the next deploy.
    let a1 = mine["virtualmachine"]
        .as_array()
        .and_then(|vms| vms.iter().find(|v| v["name"] == "a1"))
        .map(id)
        .expect("a1");
    let r = admin
        .wait_job("destroyVirtualMachine", &[("id", &a1), ("expunge", "true")])
        .await;
    assert_eq!(r["jobstatus"], 1, "{r}");
    let r = deploy(&bob, &z, "b2").await;
    assert_eq!(r["jobstatus"], 1, "{r}");
    cloud.stop().await;
}

/// Public address rows of a zone.
async fn public_ip_rows(cloud: &TestCloud, zone: &str) -> i64 {
    let engine = &cloud.server.as_ref().expect("running").engine;
    let mut sql = Sql::new("SELECT COUNT(*) FROM public_ip WHERE 1 = 1");
    sql.and(
        "zone_id IN (SELECT id FROM zone WHERE uuid = ?)",
        Bind::Str(zone.into()),
    );
    let mut db = engine.store.acquire().await.expect("db");
    db.c().fetch_count(&sql).await.expect("count")
}

/// The direct ranges of a network, as listVlanIpRanges shows them.
async fn direct_ranges(admin: &Client, network: &str) -> Vec<Value> {
    let r = admin
        .ok("listVlanIpRanges", &[("networkid", network)])
        .await;
    r["vlaniprange"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn direct_ranges_are_checked_listed_and_deleted_only_when_unused() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = basic_zone(&admin).await;
    let (advanced, _, advanced_pod, _) = crate::networks::marvin_network_zone(&admin).await;

    // The first range gave the network its subnet; the range shows its network and pod.
    let net = &admin.ok("listNetworks", &[("id", &z.network)]).await["network"][0];
    assert_eq!(net["gateway"], "10.147.29.1", "{net}");
    assert_eq!(net["netmask"], "255.255.255.0", "{net}");
    assert_eq!(net["cidr"], "10.147.29.0/24", "{net}");
    let ranges = direct_ranges(&admin, &z.network).await;
    assert_eq!(ranges.len(), 1, "{ranges:?}");
    let first = &ranges[0];
    assert_eq!(first["networkid"], z.network.as_str(), "{first}");
    assert_eq!(first["forvirtualnetwork"], false, "{first}");
    assert_eq!(first["vlan"], "vlan://untagged", "{first}");
    assert_eq!(first["podname"], "POD0", "{first}");
    assert_eq!(
        (&first["startip"], &first["endip"]),
        (&"10.147.29.10".into(), &"10.147.29.12".into())
    );
    // Direct ranges have no public addresses.
    assert_eq!(public_ip_rows(&cloud, &z.sim.zone).await, 0);

    // Bad input (an unknown id too: 431 with cserrorcode 4350, as CloudStack answers it);
    // nothing written.
    let direct = |extra: &'static [(&'static str, &'static str)]| {
        let mut p: Vec<(&str, &str)> = vec![
            ("zoneid", z.sim.zone.as_str()),
            ("networkid", z.network.as_str()),
            ("gateway", "10.147.29.1"),
            ("netmask", "255.255.255.0"),
            ("startip", "10.147.29.20"),
            ("endip", "10.147.29.30"),
            ("forvirtualnetwork", "false"),
        ];
        for (k, v) in extra {
            p.retain(|(key, _)| key != k);
            p.push((k, v));
        }
        p
    };
    let unknown = "5a1c1a2e-0000-4000-8000-000000000000";
    let e = admin
        .err(
            "createVlanIpRange",
            &[
                ("zoneid", &z.sim.zone),
                ("networkid", unknown),
                ("gateway", "10.147.29.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.29.20"),
                ("forvirtualnetwork", "false"),
            ],
            431,
        )
        .await;
    assert!(e.contains("networkid"), "{e}");
    let isolated_offering = id(&admin
        .ok(
            "listNetworkOfferings",
            &[("name", "DefaultIsolatedNetworkOfferingWithSourceNatService")],
        )
        .await["networkoffering"][0]);
    let isolated = id(&admin
        .ok(
            "createNetwork",
            &[
                ("zoneid", &advanced),
                ("name", "iso"),
                ("displaytext", "iso"),
                ("networkofferingid", &isolated_offering),
            ],
        )
        .await["network"]);
    let e = admin
        .err(
            "createVlanIpRange",
            &[
                ("zoneid", &advanced),
                ("networkid", &isolated),
                ("gateway", "10.1.1.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.1.1.100"),
                ("forvirtualnetwork", "false"),
            ],
            431,
        )
        .await;
    assert!(e.contains("Isolated"), "{e}");
    let e = admin
        .err(
            "createVlanIpRange",
            &[
                ("zoneid", &advanced),
                ("gateway", "10.147.40.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.40.10"),
                ("forvirtualnetwork", "false"),
            ],
            431,
        )
        .await;
    assert!(e.contains("Nework id is required"), "{e}");
    // An Advanced zone's Shared network takes direct ranges in its subnet, on its VLAN,
    // beside its own range, without a pod.
    let shared_offering = id(&admin
        .ok(
            "listNetworkOfferings",
            &[("name", "DefaultSharedNetworkOffering")],
        )
        .await["networkoffering"][0]);
    let shared = id(&admin
        .ok(
            "createNetwork",
            &[
                ("zoneid", &advanced),
                ("name", "shared"),
                ("displaytext", "shared"),
                ("networkofferingid", &shared_offering),
                ("gateway", "172.30.0.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "172.30.0.10"),
                ("endip", "172.30.0.20"),
                ("vlan", "300"),
            ],
        )
        .await["network"]);
    let on_shared = |start: &'static str, end: &'static str| {
        vec![
            ("zoneid", advanced.as_str()),
            ("networkid", shared.as_str()),
            ("gateway", "172.30.0.1"),
            ("netmask", "255.255.255.0"),
            ("startip", start),
            ("endip", end),
            ("forvirtualnetwork", "false"),
        ]
    };
    let e = admin
        .err(
            "createVlanIpRange",
            &on_shared("172.30.0.15", "172.30.0.25"),
            431,
        )
        .await;
    assert!(e.contains("overlap"), "{e}");
    let mut with_pod = on_shared("172.30.0.30", "172.30.0.40");
    with_pod.push(("podid", advanced_pod.as_str()));
    let e = admin.err("createVlanIpRange", &with_pod, 431).await;
    assert!(e.contains("Pod id"), "{e}");
    let r = admin
        .ok(
            "createVlanIpRange",
            &on_shared("172.30.0.30", "172.30.0.40"),
        )
        .await["vlan"]
        .clone();
    assert_eq!(r["vlan"], "vlan://300", "{r}");
    assert_eq!(r["networkid"], shared.as_str(), "{r}");
    assert!(r["podid"].is_null(), "{r}");
    assert_eq!(direct_ranges(&admin, &shared).await.len(), 1);
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[
                ("gateway", "10.147.30.1"),
                ("startip", "10.147.30.10"),
                ("endip", "10.147.30.20"),
            ],
            "gateway and netmask",
        ),
        (&[("netmask", "255.255.0.0")], "gateway and netmask"),
        (&[("startip", "10.147.29.11")], "overlap"),
        (&[("endip", "10.147.30.5")], "valid IP range"),
        (&[("startip", "10.147.29.1")], "gateway"),
        (&[("vlan", "77")], "vlan"),
    ];
    for (extra, needle) in cases {
        let e = admin.err("createVlanIpRange", &direct(extra), 431).await;
        assert!(e.contains(needle), "{extra:?}: {e}");
    }
    assert_eq!(direct_ranges(&admin, &z.network).await.len(), 1);
    let all = admin
        .ok("listVlanIpRanges", &[("zoneid", &z.sim.zone)])
        .await;
    assert_eq!(all["count"], 1, "{all}");
    let net = &admin.ok("listNetworks", &[("id", &z.network)]).await["network"][0];
    assert_eq!(net["gateway"], "10.147.29.1", "{net}");
    admin
        .err("listVlanIpRanges", &[("networkid", unknown)], 431)
        .await;

    // A second range without networkid goes to the zone's Shared network.
    let second = admin
        .ok(
            "createVlanIpRange",
            &[
                ("zoneid", &z.sim.zone),
                ("gateway", "10.147.29.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "10.147.29.20"),
                ("endip", "10.147.29.20"),
                ("forvirtualnetwork", "false"),
            ],
        )
        .await["vlan"]
        .clone();
    assert_eq!(second["networkid"], z.network.as_str(), "{second}");
    assert_eq!(direct_ranges(&admin, &z.network).await.len(), 2);

    // Four addresses in two ranges: four VMs, then 533.
    let (alice, _) = new_account(&admin, "alice", None, "0").await;
    let mut by_address = Vec::new();
    for name in ["v1", "v2", "v3", "v4"] {
        let r = deploy(&alice, &z, name).await;
        assert_eq!(r["jobstatus"], 1, "{name}: {r}");
        let vm = &r["jobresult"]["virtualmachine"];
        let ip = vm["nic"][0]["ipaddress"]
            .as_str()
            .expect("address")
            .to_string();
        by_address.push((ip, id(vm)));
    }
    let mut ips: Vec<&str> = by_address.iter().map(|(ip, _)| ip.as_str()).collect();
    ips.sort_unstable();
    assert_eq!(
        ips,
        [
            "10.147.29.10",
            "10.147.29.11",
            "10.147.29.12",
            "10.147.29.20"
        ]
    );
    let r = deploy(&alice, &z, "v5").await;
    assert_eq!(r["jobresult"]["errorcode"], 533, "{r}");

    // A range in use stays; once its VM is expunged it goes, and its address with it.
    let second_id = id(&second);
    let e = admin
        .err("deleteVlanIpRange", &[("id", &second_id)], 431)
        .await;
    assert!(e.contains("in use"), "{e}");
    assert_eq!(direct_ranges(&admin, &z.network).await.len(), 2);
    let holder = by_address
        .iter()
        .find(|(ip, _)| ip == "10.147.29.20")
        .map(|(_, vm)| vm.clone())
        .expect("the VM on .20");
    let r = admin
        .wait_job(
            "destroyVirtualMachine",
            &[("id", &holder), ("expunge", "true")],
        )
        .await;
    assert_eq!(r["jobstatus"], 1, "{r}");
    admin.ok("deleteVlanIpRange", &[("id", &second_id)]).await;
    assert_eq!(direct_ranges(&admin, &z.network).await.len(), 1);
    let r = deploy(&alice, &z, "v5").await;
    assert_eq!(
        r["jobresult"]["errorcode"], 533,
        "range gone, pool full again: {r}"
    );

    // Deleting the network (once its VMs are gone) takes its ranges with it.
    for (_, vm) in by_address.iter().filter(|(_, vm)| *vm != holder) {
        let r = admin
            .wait_job("destroyVirtualMachine", &[("id", vm), ("expunge", "true")])
            .await;
        assert_eq!(r["jobstatus"], 1, "{r}");
    }
    let r = admin.wait_job("deleteNetwork", &[("id", &z.network)]).await;
    assert_eq!(r["jobstatus"], 1, "{r}");
    let all = admin
        .ok("listVlanIpRanges", &[("zoneid", &z.sim.zone)])
        .await;
    assert_eq!(all["count"].as_i64().unwrap_or(0), 0, "{all}");
    cloud.stop().await;
}
