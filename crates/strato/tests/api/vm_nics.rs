//! VMs get NICs with addresses: the account's default network created and implemented
//! on a first deploy, `networkids`/`ipaddress`/`iptonetworklist`, refusals that write
//! nothing, listNics, the NICs a host is sent, and addresses freed only by expunge.

use std::net::Ipv4Addr;

use serde_json::Value;
use strato_engine::Engine;
use strato_schema::sql::{Bind, Sql};

use crate::common::{Client, TestCloud, new_account};
use crate::hosts::wait_hosts;
use crate::vms::{SimZone, deploy, sim_zone};

const ISOLATED_OFFERING: &str = "DefaultIsolatedNetworkOfferingWithSourceNatService";
const L2_OFFERING: &str = "DefaultL2NetworkOffering";

fn engine(cloud: &TestCloud) -> Engine {
    cloud.server.as_ref().expect("running").engine.clone()
}

fn vm_of(job: &Value) -> Value {
    assert_eq!(job["jobstatus"], 1, "job failed: {job}");
    job["jobresult"]["virtualmachine"].clone()
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

async fn count(engine: &Engine, sql: Sql) -> i64 {
    let mut db = engine.store.acquire().await.expect("db");
    db.c().fetch_count(&sql).await.expect("count")
}

/// Live NICs, in all or on one network (by uuid).
async fn live_nics(engine: &Engine, network: Option<&str>) -> i64 {
    let mut sql = Sql::new("SELECT COUNT(*) FROM nic c WHERE c.removed IS NULL");
    if let Some(n) = network {
        sql.and(
            "c.network_id IN (SELECT id FROM network WHERE uuid = ?)",
            Bind::Str(n.into()),
        );
    }
    count(engine, sql).await
}

/// Source NAT addresses held by the network.
async fn source_nat(engine: &Engine, network: &str) -> i64 {
    let mut sql = Sql::new("SELECT COUNT(*) FROM public_ip WHERE source_nat = TRUE");
    sql.and(
        "network_id IN (SELECT id FROM network WHERE uuid = ?)",
        Bind::Str(network.into()),
    );
    count(engine, sql).await
}

async fn offering(admin: &Client, name: &str) -> String {
    s(&admin.ok("listNetworkOfferings", &[("name", name)]).await["networkoffering"][0]["id"])
}

async fn create_network(client: &Client, z: &SimZone, name: &str, offering: &str) -> Value {
    client
        .ok(
            "createNetwork",
            &[
                ("name", name),
                ("displaytext", name),
                ("networkofferingid", offering),
                ("zoneid", &z.zone),
            ],
        )
        .await["network"]
        .clone()
}

/// Extra parameters of a call.
type Params<'a> = &'a [(&'a str, &'a str)];

/// A deploy job refused with `code`, its text naming `names`.
fn refusal(job: &Value, code: i64, names: &str) {
    assert_eq!(job["jobstatus"], 2, "{job}");
    assert_eq!(job["jobresult"]["errorcode"], code, "{job}");
    let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
    assert!(text.contains(names), "{names}: {text}");
}

fn in_guest_cidr(ip: &str) -> bool {
    let a: Ipv4Addr = ip.parse().expect("an IPv4 address");
    a.octets()[..3] == [10, 1, 1] && a != Ipv4Addr::new(10, 1, 1, 1)
}

#[tokio::test]
async fn a_first_deploy_creates_and_implements_the_default_network() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "nina", None, "0").await;
    assert_eq!(user.ok("listNetworks", &[]).await["count"], Value::Null);

    let vm = vm_of(&deploy(&user, &z, &[("name", "web-1")]).await);
    let nics = vm["nic"].as_array().expect("nic list");
    assert_eq!(nics.len(), 1, "{vm}");
    let nic = &nics[0];
    let ip = s(&nic["ipaddress"]);
    assert!(in_guest_cidr(&ip), "{nic}");
    assert_eq!(nic["gateway"], "10.1.1.1");
    assert_eq!(nic["netmask"], "255.255.255.0");
    assert_eq!(nic["type"], "Isolated");
    assert_eq!(nic["traffictype"], "Guest");
    assert_eq!(nic["isdefault"], true);
    assert_eq!(nic["deviceid"], "0");
    assert!(s(&nic["macaddress"]).starts_with("02:00:"), "{nic}");
    assert!(s(&nic["broadcasturi"]).starts_with("vlan://"), "{nic}");

    // The network: the account's own, Implemented with a guest VLAN and source NAT.
    let networks = user.ok("listNetworks", &[]).await;
    assert_eq!(networks["count"], 1, "{networks}");
    let net = &networks["network"][0];
    assert_eq!(net["id"], nic["networkid"]);
    assert_eq!(net["name"], nic["networkname"]);
    assert_eq!(net["name"], "nina-network");
    assert_eq!(net["state"], "Implemented");
    let as_admin = admin
        .ok(
            "listNetworks",
            &[("id", &s(&net["id"])), ("listall", "true")],
        )
        .await;
    let vlan: u16 = s(&as_admin["network"][0]["vlan"]).parse().expect("vlan");
    assert!((100..=200).contains(&vlan), "{as_admin}");
    assert_eq!(nic["broadcasturi"], format!("vlan://{vlan}"));
    assert_eq!(source_nat(&engine, &s(&net["id"])).await, 1);

    // The host was sent the NIC: MAC, address, VLAN, and the subnet to serve.
    let vm = &admin
        .ok(
            "listVirtualMachines",
            &[("id", &s(&vm["id"])), ("listall", "true")],
        )
        .await["virtualmachine"][0];
    let host = engine
        .store
        .acquire()
        .await
        .expect("db")
        .c()
        .host_by_uuid(&s(&vm["hostid"]))
        .await
        .expect("q")
        .expect("host");
    let spec = engine
        .agents
        .simulator
        .vm_spec(&host.guid, &s(&vm["instancename"]))
        .expect("running on the host");
    assert_eq!(spec.nics.len(), 1);
    let sent = &spec.nics[0];
    assert_eq!(sent.mac, s(&nic["macaddress"]));
    assert_eq!(sent.ip.as_deref(), Some(ip.as_str()));
    assert!(sent.default);
    assert_eq!(
        serde_json::to_value(sent.network.isolation).expect("json"),
        serde_json::json!({"type": "vlan", "id": vlan})
    );
    let dhcp = sent.network.dhcp.as_ref().expect("DHCP for the subnet");
    assert_eq!(dhcp.network_uuid, s(&net["id"]));
    assert_eq!(dhcp.cidr, "10.1.1.0/24");
    assert_eq!(dhcp.gateway, "10.1.1.1");
    assert_eq!(dhcp.dns, ["10.147.28.6"]);

    // A second VM: same network, another address.
    let second = vm_of(&deploy(&user, &z, &[("name", "web-2")]).await);
    assert_eq!(second["nic"][0]["networkid"], nic["networkid"]);
    assert_ne!(second["nic"][0]["ipaddress"], nic["ipaddress"]);
    assert_ne!(second["nic"][0]["macaddress"], nic["macaddress"]);
    assert_eq!(user.ok("listNetworks", &[]).await["count"], 1);
    assert_eq!(source_nat(&engine, &s(&net["id"])).await, 1);

    // listVirtualMachines shows the NICs and filters by network.
    let listed = user
        .ok("listVirtualMachines", &[("networkid", &s(&net["id"]))])
        .await;
    assert_eq!(listed["count"], 2, "{listed}");
    let web1 = listed["virtualmachine"]
        .as_array()
        .and_then(|l| l.iter().find(|v| v["name"] == "web-1"))
        .expect("web-1 listed");
    assert_eq!(web1["nic"][0]["ipaddress"], ip.as_str());
    let other = create_network(
        &user,
        &z,
        "other",
        &offering(&admin, ISOLATED_OFFERING).await,
    )
    .await;
    let none = user
        .ok("listVirtualMachines", &[("networkid", &s(&other["id"]))])
        .await;
    assert_eq!(none["count"], Value::Null, "{none}");
    cloud.stop().await;
}

#[tokio::test]
async fn list_nics_shows_a_vms_nics_to_those_who_may_see_it() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "olga", None, "0").await;
    let (stranger, _) = new_account(&admin, "peter", None, "0").await;
    let vm = vm_of(&deploy(&user, &z, &[]).await);
    let vm_id = s(&vm["id"]);
    let nic = &vm["nic"][0];

    let listed = user.ok("listNics", &[("virtualmachineid", &vm_id)]).await;
    assert_eq!(listed["count"], 1, "{listed}");
    let got = &listed["nic"][0];
    assert_eq!(got["id"], nic["id"]);
    assert_eq!(got["virtualmachineid"], vm_id.as_str());
    assert_eq!(got["ipaddress"], nic["ipaddress"]);
    assert_eq!(got["macaddress"], nic["macaddress"]);
    assert_eq!(got["networkid"], nic["networkid"]);
    let by_id = user
        .ok(
            "listNics",
            &[("virtualmachineid", &vm_id), ("nicid", &s(&nic["id"]))],
        )
        .await;
    assert_eq!(by_id["count"], 1);
    let by_network = user
        .ok(
            "listNics",
            &[
                ("virtualmachineid", &vm_id),
                ("networkid", &s(&nic["networkid"])),
            ],
        )
        .await;
    assert_eq!(by_network["count"], 1);
    let other_nic = user
        .ok(
            "listNics",
            &[
                ("virtualmachineid", &vm_id),
                ("nicid", "0f0e0d0c-0000-4000-8000-000000000000"),
            ],
        )
        .await;
    assert_eq!(other_nic["count"], Value::Null, "{other_nic}");
    // Admins see every VM's NICs; another tenant sees none of them.
    assert_eq!(
        admin.ok("listNics", &[("virtualmachineid", &vm_id)]).await["count"],
        1
    );
    let e = stranger
        .err("listNics", &[("virtualmachineid", &vm_id)], 531)
        .await;
    assert!(e.contains("permission"), "{e}");
    let e = user.err("listNics", &[], 431).await;
    assert!(e.contains("virtualmachineid"), "{e}");
    let e = user
        .err(
            "listNics",
            &[("virtualmachineid", "0f0e0d0c-0000-4000-8000-000000000001")],
            431,
        )
        .await;
    assert!(e.contains("virtualmachineid"), "{e}");
    cloud.stop().await;
}

#[tokio::test]
async fn requested_addresses_are_honoured_and_bad_ones_refused_writing_nothing() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "quinn", None, "0").await;
    let (stranger, _) = new_account(&admin, "rosa", None, "0").await;
    let isolated = offering(&admin, ISOLATED_OFFERING).await;

    // ipaddress on the default network the deploy creates.
    let vm = vm_of(&deploy(&user, &z, &[("ipaddress", "10.1.1.50")]).await);
    assert_eq!(vm["nic"][0]["ipaddress"], "10.1.1.50");
    let net = s(&vm["nic"][0]["networkid"]);

    // A second network: networkids gives one NIC per network, the first is the default.
    let second = s(&create_network(&user, &z, "backend", &isolated).await["id"]);
    let two = vm_of(
        &deploy(
            &user,
            &z,
            &[
                ("networkids", &format!("{second},{net}")),
                ("ipaddress", "10.1.1.60"),
            ],
        )
        .await,
    );
    let nics = two["nic"].as_array().expect("nics");
    assert_eq!(nics.len(), 2, "{two}");
    assert_eq!(nics[0]["networkid"], second.as_str());
    assert_eq!(nics[0]["ipaddress"], "10.1.1.60");
    assert_eq!(nics[0]["isdefault"], true);
    assert_eq!(nics[1]["networkid"], net.as_str());
    assert_eq!(nics[1]["isdefault"], false);
    assert_eq!(nics[1]["deviceid"], "1");
    assert_ne!(nics[1]["ipaddress"], "10.1.1.50");

    // iptonetworklist names the address per network.
    let mapped = vm_of(
        &deploy(
            &user,
            &z,
            &[
                ("iptonetworklist[0].networkid", &net),
                ("iptonetworklist[0].ip", "10.1.1.70"),
            ],
        )
        .await,
    );
    assert_eq!(mapped["nic"][0]["ipaddress"], "10.1.1.70");

    // Refusals, each before anything is written.
    let foreign = s(&create_network(&stranger, &z, "theirs", &isolated).await["id"]);
    let other_zone = crate::networks::create_zone(&admin, "elsewhere").await;
    crate::networks::guest_networking(&admin, &other_zone).await;
    let far_net = s(&admin
        .ok(
            "createNetwork",
            &[
                ("name", "far"),
                ("displaytext", "far"),
                ("networkofferingid", &isolated),
                ("zoneid", &other_zone),
                ("account", "quinn"),
                ("domainid", &s(&vm["domainid"])),
            ],
        )
        .await["network"]["id"]);
    let vms_before = user.ok("listVirtualMachines", &[]).await["count"].clone();
    let nics_before = live_nics(&engine, None).await;
    let base = [
        ("zoneid", z.zone.as_str()),
        ("templateid", z.template.as_str()),
        ("serviceofferingid", z.offering.as_str()),
    ];
    let twice = format!("{net},{net}");
    let missing = "0f0e0d0c-0000-4000-8000-000000000002";
    let taken_in_map = [
        ("iptonetworklist[0].networkid", net.as_str()),
        ("iptonetworklist[0].ip", "10.1.1.70"),
    ];
    let cases: [(Params, i64, &str); 11] = [
        (
            &[("networkids", &net), ("ipaddress", "10.1.1.50")],
            431,
            "ipaddress",
        ),
        (
            &[("networkids", &net), ("ipaddress", "10.1.2.5")],
            431,
            "ipaddress",
        ),
        (
            &[("networkids", &net), ("ipaddress", "10.1.1.1")],
            431,
            "ipaddress",
        ),
        (
            &[("networkids", &net), ("ipaddress", "not-an-ip")],
            431,
            "ipaddress",
        ),
        (&[("networkids", &foreign)], 531, "network"),
        (&[("networkids", &far_net)], 431, "networkids"),
        (&[("networkids", missing)], 431, "networkids"),
        (&[("networkids", &twice)], 431, "networkids"),
        (
            &[("networkids", &net), ("iptonetworklist[0].networkid", &net)],
            431,
            "iptonetworklist",
        ),
        (&taken_in_map, 431, "ipaddress"),
        (
            &[
                ("iptonetworklist[0].networkid", &net),
                ("ipaddress", "10.1.1.90"),
            ],
            431,
            "ipaddress",
        ),
    ];
    for (extra, code, names) in cases {
        let mut p = base.to_vec();
        p.extend_from_slice(extra);
        refusal(
            &user.wait_job("deployVirtualMachine", &p).await,
            code,
            names,
        );
    }
    assert_eq!(
        user.ok("listVirtualMachines", &[]).await["count"],
        vms_before
    );
    assert_eq!(live_nics(&engine, None).await, nics_before);
    // Its default and backend networks, and the one in the other zone: no new one.
    assert_eq!(user.ok("listNetworks", &[]).await["count"], 3);

    // An L2 network: a NIC without an address, and no address may be asked for.
    let l2 =
        s(&create_network(&user, &z, "flat", &offering(&admin, L2_OFFERING).await).await["id"]);
    let mut p = base.to_vec();
    p.extend_from_slice(&[("networkids", &l2), ("ipaddress", "10.1.1.80")]);
    refusal(
        &user.wait_job("deployVirtualMachine", &p).await,
        431,
        "ipaddress",
    );
    let plain = vm_of(&deploy(&user, &z, &[("networkids", &l2)]).await);
    assert_eq!(plain["nic"][0]["type"], "L2");
    assert!(plain["nic"][0].get("ipaddress").is_none(), "{plain}");
    assert!(s(&plain["nic"][0]["macaddress"]).starts_with("02:00:"));
    cloud.stop().await;
}

#[tokio::test]
async fn only_expunging_frees_an_address() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "sam", None, "0").await;
    let vm = vm_of(&deploy(&user, &z, &[("ipaddress", "10.1.1.77")]).await);
    let id = s(&vm["id"]);
    let again = async || {
        let p = [
            ("zoneid", z.zone.as_str()),
            ("templateid", z.template.as_str()),
            ("serviceofferingid", z.offering.as_str()),
            ("ipaddress", "10.1.1.77"),
            ("name", "taker"),
        ];
        user.wait_job("deployVirtualMachine", &p).await
    };

    // Stopped and destroyed VMs keep their address.
    user.wait_job("stopVirtualMachine", &[("id", &id)]).await;
    refusal(&again().await, 431, "ipaddress");
    let destroyed = admin
        .wait_job("destroyVirtualMachine", &[("id", &id)])
        .await;
    assert_eq!(destroyed["jobstatus"], 1, "{destroyed}");
    refusal(&again().await, 431, "ipaddress");
    let listed = admin.ok("listNics", &[("virtualmachineid", &id)]).await;
    assert_eq!(listed["nic"][0]["ipaddress"], "10.1.1.77");
    // A recovered VM still has it, and starts with it.
    let recovered = admin.ok("recoverVirtualMachine", &[("id", &id)]).await;
    assert_eq!(
        recovered["virtualmachine"]["nic"][0]["ipaddress"],
        "10.1.1.77"
    );
    let started = vm_of(&user.wait_job("startVirtualMachine", &[("id", &id)]).await);
    assert_eq!(started["nic"][0]["ipaddress"], "10.1.1.77");

    // Expunged: the address is free for the next VM.
    let gone = admin
        .wait_job("destroyVirtualMachine", &[("id", &id), ("expunge", "true")])
        .await;
    assert_eq!(gone["jobstatus"], 1, "{gone}");
    let done = again().await;
    assert_eq!(vm_of(&done)["nic"][0]["ipaddress"], "10.1.1.77");
    cloud.stop().await;
}

#[tokio::test]
async fn a_failed_deploy_leaves_no_nic_and_its_address_free() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    // One host with 256 MiB: a 512 MiB Small Instance fits nowhere.
    let z = sim_zone(&admin, &["memory=268435456"]).await;
    let (user, _) = new_account(&admin, "tara", None, "0").await;

    // The default network the failed deploy created is gone again.
    let failed = deploy(&user, &z, &[("ipaddress", "10.1.1.30")]).await;
    assert_eq!(failed["jobresult"]["errorcode"], 533, "{failed}");
    assert_eq!(live_nics(&engine, None).await, 0);
    assert_eq!(user.ok("listNetworks", &[]).await["count"], Value::Null);

    // On a network of its own, the network is back to Allocated, its address free.
    let isolated = offering(&admin, ISOLATED_OFFERING).await;
    let net = s(&create_network(&user, &z, "mine", &isolated).await["id"]);
    let on_net = [("networkids", net.as_str()), ("ipaddress", "10.1.1.30")];
    let failed = deploy(&user, &z, &on_net).await;
    assert_eq!(failed["jobresult"]["errorcode"], 533, "{failed}");
    assert_eq!(live_nics(&engine, Some(&net)).await, 0);
    let listed = user.ok("listNetworks", &[("id", &net)]).await;
    assert_eq!(listed["network"][0]["state"], "Allocated", "{listed}");
    assert_eq!(source_nat(&engine, &net).await, 0);

    // With room on a second host, the same address is taken by the next deploy.
    let cluster = s(&admin.ok("listClusters", &[("zoneid", &z.zone)]).await["cluster"][0]["id"]);
    let pod = s(&admin.ok("listPods", &[("zoneid", &z.zone)]).await["pod"][0]["id"]);
    admin
        .ok(
            "addHost",
            &[
                ("zoneid", &z.zone),
                ("podid", &pod),
                ("clusterid", &cluster),
                ("hypervisor", "Simulator"),
                ("url", "http://sim/c0/h9/"),
                ("username", "root"),
                ("password", "password"),
            ],
        )
        .await;
    wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Up",
        2,
        std::time::Duration::from_secs(20),
    )
    .await;
    let vm = vm_of(&deploy(&user, &z, &on_net).await);
    assert_eq!(vm["nic"][0]["ipaddress"], "10.1.1.30");
    assert_eq!(source_nat(&engine, &net).await, 1);
    cloud.stop().await;
}

#[tokio::test]
async fn a_vm_deployed_stopped_keeps_its_address_and_implements_its_network_on_start() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let engine = engine(&cloud);
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "uma", None, "0").await;
    let vm = vm_of(&deploy(&user, &z, &[("startvm", "false")]).await);
    assert_eq!(vm["state"], "Stopped");
    let ip = s(&vm["nic"][0]["ipaddress"]);
    assert!(in_guest_cidr(&ip), "{vm}");
    let net = s(&vm["nic"][0]["networkid"]);
    let listed = user.ok("listNetworks", &[("id", &net)]).await;
    assert_eq!(listed["network"][0]["state"], "Allocated", "{listed}");
    assert_eq!(source_nat(&engine, &net).await, 0);

    let started = vm_of(
        &user
            .wait_job("startVirtualMachine", &[("id", &s(&vm["id"]))])
            .await,
    );
    assert_eq!(started["nic"][0]["ipaddress"], ip.as_str());
    assert!(s(&started["nic"][0]["broadcasturi"]).starts_with("vlan://"));
    let listed = user.ok("listNetworks", &[("id", &net)]).await;
    assert_eq!(listed["network"][0]["state"], "Implemented");
    assert_eq!(source_nat(&engine, &net).await, 1);
    cloud.stop().await;
}
