//! A Basic zone built the way Marvin builds one (a shared network with security groups,
//! guest addresses from a pod's range) and tenants deploying into it without naming a
//! network.

use std::time::Duration;

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::hosts::wait_hosts;
use crate::networks::{enable_provider, job_ok};

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_string()
}

struct BasicZone {
    zone: String,
    network: String,
    template: String,
    offering: String,
}

/// Marvin's basic zone: physical network with Guest and Management traffic, the virtual
/// router and security group providers, the shared network of
/// DefaultSharedNetworkOfferingWithSGService, a pod with guest range 10.147.29.10-12
/// (three addresses), a Simulator cluster with one host, storage, enabled.
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
    let pod = id(&admin
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
        .await["pod"]);
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
    let cluster = admin
        .ok(
            "addCluster",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("clustername", "C0"),
                ("hypervisor", "Simulator"),
                ("clustertype", "CloudManaged"),
            ],
        )
        .await["cluster"][0]["id"]
        .as_str()
        .expect("cluster id")
        .to_string();
    admin
        .ok(
            "addHost",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("clusterid", &cluster),
                ("hypervisor", "Simulator"),
                ("url", "http://sim/c0/h0"),
                ("username", "root"),
                ("password", "password"),
            ],
        )
        .await;
    wait_hosts(
        admin,
        &[("clusterid", &cluster)],
        "Up",
        1,
        Duration::from_secs(20),
    )
    .await;
    admin
        .ok(
            "createStoragePool",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("clusterid", &cluster),
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
    let template = crate::vms::ready_featured_template(admin, &zone).await;
    let offering = admin
        .ok("listServiceOfferings", &[("name", "Small Instance")])
        .await["serviceoffering"][0]["id"]
        .as_str()
        .expect("Small Instance")
        .to_string();
    BasicZone {
        zone,
        network,
        template,
        offering,
    }
}

async fn deploy(client: &Client, z: &BasicZone, name: &str) -> Value {
    client
        .wait_job(
            "deployVirtualMachine",
            &[
                ("zoneid", &z.zone),
                ("templateid", &z.template),
                ("serviceofferingid", &z.offering),
                ("name", name),
            ],
        )
        .await
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
