//! Compute, disk, network and VPC offerings: what a fresh cloud has, creating, updating
//! and deleting them, bad input, who may do what, and domain/zone scoping.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};

fn count(list: &Value) -> u64 {
    list["count"].as_u64().unwrap_or(0)
}

fn items<'a>(list: &'a Value, key: &str) -> Vec<&'a Value> {
    list[key]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn names(list: &Value, key: &str) -> BTreeSet<String> {
    items(list, key)
        .iter()
        .filter_map(|o| o["name"].as_str().map(str::to_string))
        .collect()
}

fn named<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    items(list, key)
        .into_iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no {key} named {name} in {list}"))
}

fn keys(obj: &Value) -> BTreeSet<String> {
    obj.as_object().expect("object").keys().cloned().collect()
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_string()
}

/// A service of a network or VPC offering and its provider names.
fn providers(offering: &Value, service: &str) -> Vec<String> {
    let svc = items(offering, "service")
        .into_iter()
        .find(|s| s["name"] == service)
        .unwrap_or_else(|| panic!("no service {service} in {offering}"));
    items(svc, "provider")
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect()
}

fn capability<'a>(offering: &'a Value, service: &str, name: &str) -> &'a Value {
    let svc = items(offering, "service")
        .into_iter()
        .find(|s| s["name"] == service)
        .unwrap_or_else(|| panic!("no service {service} in {offering}"));
    &items(svc, "capability")
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no capability {name} in {svc}"))["value"]
}

async fn create_domain(admin: &Client, name: &str, parent: Option<&str>) -> String {
    let mut p = vec![("name", name)];
    if let Some(parent) = parent {
        p.push(("parentdomainid", parent));
    }
    id(&admin.ok("createDomain", &p).await["domain"])
}

async fn create_zone(admin: &Client, name: &str) -> String {
    id(&admin
        .ok(
            "createZone",
            &[
                ("name", name),
                ("networktype", "Advanced"),
                ("dns1", "8.8.8.8"),
                ("internaldns1", "10.0.0.2"),
            ],
        )
        .await["zone"])
}

async fn create_offering(admin: &Client, params: &[(&str, &str)]) -> Value {
    admin.ok("createServiceOffering", params).await["serviceoffering"].clone()
}

const SMALL_INSTANCE_KEYS: &[&str] = &[
    "id",
    "name",
    "displaytext",
    "cpunumber",
    "cpuspeed",
    "memory",
    "created",
    "storagetype",
    "provisioningtype",
    "offerha",
    "limitcpuuse",
    "isvolatile",
    "issystem",
    "defaultuse",
    "iscustomized",
    "cacheMode",
    "rootdisksize",
    "dynamicscalingenabled",
    "diskofferingstrictness",
    "encryptroot",
    "state",
    "hasannotations",
];

#[tokio::test]
async fn a_fresh_cloud_has_cloudstacks_default_offerings() {
    let mut cloud = TestCloud::start().await;
    let admin = cloud.admin().await;

    let so = admin.ok("listServiceOfferings", &[]).await;
    assert_eq!(
        names(&so, "serviceoffering"),
        BTreeSet::from(["Small Instance".to_string(), "Medium Instance".to_string()])
    );
    let small = named(&so, "serviceoffering", "Small Instance");
    assert_eq!(
        keys(small),
        SMALL_INSTANCE_KEYS.iter().map(|k| k.to_string()).collect(),
        "{small}"
    );
    assert_eq!(small["displaytext"], "Small Instance");
    assert_eq!(
        (&small["cpunumber"], &small["cpuspeed"], &small["memory"]),
        (&Value::from(1), &Value::from(500), &Value::from(512))
    );
    assert_eq!(small["storagetype"], "shared");
    assert_eq!(small["provisioningtype"], "thin");
    assert_eq!(small["cacheMode"], "none");
    assert_eq!(small["rootdisksize"], 0);
    assert_eq!(small["state"], "Active");
    for (k, v) in [
        ("offerha", false),
        ("limitcpuuse", false),
        ("isvolatile", false),
        ("issystem", false),
        ("defaultuse", false),
        ("iscustomized", false),
        ("dynamicscalingenabled", true),
    ] {
        assert_eq!(small[k], v, "{k}: {small}");
    }
    let medium = named(&so, "serviceoffering", "Medium Instance");
    assert_eq!(
        (&medium["cpuspeed"], &medium["memory"]),
        (&1000.into(), &1024.into())
    );

    // System offerings: only with issystem=true.
    let sys = admin
        .ok("listServiceOfferings", &[("issystem", "true")])
        .await;
    assert_eq!(count(&sys), 9, "{sys}");
    let router = named(
        &sys,
        "serviceoffering",
        "System Offering For Software Router",
    );
    assert_eq!(router["systemvmtype"], "domainrouter");
    assert_eq!(router["issystem"], true);
    assert_eq!(router["defaultuse"], true);
    assert_eq!(router["memory"], 256);
    assert_eq!(router["offerha"], true);
    let local = named(
        &sys,
        "serviceoffering",
        "System Offering For Software Router - Local Storage",
    );
    assert_eq!(local["storagetype"], "local");
    let proxies = admin
        .ok(
            "listServiceOfferings",
            &[("issystem", "true"), ("systemvmtype", "consoleproxy")],
        )
        .await;
    assert_eq!(count(&proxies), 2);
    assert_eq!(proxies["serviceoffering"][0]["memory"], 1024);
    let ssvm = named(
        &sys,
        "serviceoffering",
        "System Offering For Secondary Storage VM",
    );
    assert_eq!(ssvm["systemvmtype"], "secondarystoragevm");
    named(
        &sys,
        "serviceoffering",
        "System Offering For Internal LB VM",
    );
    // The system offerings the system uses cannot be deleted.
    let e = admin
        .err("deleteServiceOffering", &[("id", &id(router))], 431)
        .await;
    assert!(e.contains("default"), "{e}");

    let disks = admin.ok("listDiskOfferings", &[]).await;
    assert_eq!(count(&disks), 4);
    let small_disk = named(&disks, "diskoffering", "Small");
    assert_eq!(small_disk["displaytext"], "Small Disk, 5 GB");
    assert_eq!(small_disk["disksize"], 5);
    assert_eq!(small_disk["iscustomized"], false);
    assert_eq!(small_disk["storagetype"], "shared");
    assert_eq!(small_disk["provisioningtype"], "thin");
    assert_eq!(small_disk["displayoffering"], true);
    assert_eq!(small_disk["cacheMode"], "none");
    assert_eq!(named(&disks, "diskoffering", "Medium")["disksize"], 20);
    assert_eq!(named(&disks, "diskoffering", "Large")["disksize"], 100);
    let custom = named(&disks, "diskoffering", "Custom");
    assert_eq!(
        (&custom["iscustomized"], &custom["disksize"]),
        (&true.into(), &0.into())
    );

    let nets = admin.ok("listNetworkOfferings", &[]).await;
    let net_names = names(&nets, "networkoffering");
    for n in [
        "QuickCloudNoServices",
        "DefaultSharedNetworkOfferingWithSGService",
        "DefaultSharedNetworkOffering",
        "DefaultIsolatedNetworkOfferingWithSourceNatService",
        "DefaultIsolatedNetworkOffering",
        "DefaultIsolatedNetworkOfferingForVpcNetworks",
        "DefaultIsolatedNetworkOfferingForVpcNetworksNoLB",
        "DefaultIsolatedNetworkOfferingForVpcNetworksWithInternalLB",
        "DefaultL2NetworkOffering",
        "DefaultL2NetworkOfferingVlan",
        "DefaultL2NetworkOfferingConfigDrive",
        "DefaultL2NetworkOfferingConfigDriveVlan",
    ] {
        assert!(net_names.contains(n), "{n} missing: {net_names:?}");
    }
    assert!(
        !net_names.iter().any(|n| n.starts_with("System-")),
        "system offerings are never listed: {net_names:?}"
    );
    let isolated = named(
        &nets,
        "networkoffering",
        "DefaultIsolatedNetworkOfferingWithSourceNatService",
    );
    assert_eq!(isolated["availability"], "Required");
    assert_eq!(isolated["state"], "Enabled");
    assert_eq!(isolated["isdefault"], true);
    assert_eq!(isolated["guestiptype"], "Isolated");
    assert_eq!(isolated["traffictype"], "Guest");
    assert_eq!(isolated["networkrate"], 200);
    assert_eq!(isolated["conservemode"], true);
    assert_eq!(isolated["egressdefaultpolicy"], false);
    assert_eq!(providers(isolated, "SourceNat"), ["VirtualRouter"]);
    assert_eq!(
        capability(isolated, "SourceNat", "SupportedSourceNatTypes"),
        "peraccount"
    );
    assert!(
        !items(isolated, "service")
            .iter()
            .any(|s| s["name"] == "Gateway"),
        "Gateway is never shown: {isolated}"
    );
    let sg = named(
        &nets,
        "networkoffering",
        "DefaultSharedNetworkOfferingWithSGService",
    );
    assert_eq!(providers(sg, "SecurityGroup"), ["SecurityGroupProvider"]);
    assert_eq!(sg["specifyipranges"], true);
    let vpc_tier = named(
        &nets,
        "networkoffering",
        "DefaultIsolatedNetworkOfferingForVpcNetworks",
    );
    assert_eq!(vpc_tier["forvpc"], true);
    assert_eq!(vpc_tier["conservemode"], false);
    assert_eq!(providers(vpc_tier, "NetworkACL"), ["VpcVirtualRouter"]);
    let internal = named(
        &nets,
        "networkoffering",
        "DefaultIsolatedNetworkOfferingForVpcNetworksWithInternalLB",
    );
    assert_eq!(internal["supportsinternallb"], true);
    assert_eq!(providers(internal, "Lb"), ["InternalLbVm"]);
    let l2 = named(
        &nets,
        "networkoffering",
        "DefaultL2NetworkOfferingConfigDrive",
    );
    assert_eq!(providers(l2, "UserData"), ["ConfigDrive"]);
    assert_eq!(
        named(&nets, "networkoffering", "DefaultL2NetworkOffering")["service"],
        Value::Array(Vec::new())
    );

    let vpcs = admin.ok("listVPCOfferings", &[]).await;
    assert_eq!(
        names(&vpcs, "vpcoffering"),
        BTreeSet::from([
            "Default VPC offering".to_string(),
            "Redundant VPC offering".to_string()
        ])
    );
    let default_vpc = named(&vpcs, "vpcoffering", "Default VPC offering");
    assert_eq!(default_vpc["state"], "Enabled");
    assert_eq!(default_vpc["isdefault"], true);
    assert_eq!(
        providers(default_vpc, "Lb"),
        ["VpcVirtualRouter", "InternalLbVm"]
    );

    // Users see the public offerings but never the system ones.
    let (user, _) = new_account(&admin, "offeringuser", None, "0").await;
    assert_eq!(count(&user.ok("listServiceOfferings", &[]).await), 2);
    let e = user
        .err("listServiceOfferings", &[("issystem", "true")], 431)
        .await;
    assert!(e.contains("issystem"), "{e}");
    assert_eq!(count(&user.ok("listDiskOfferings", &[]).await), 4);
    assert!(count(&user.ok("listNetworkOfferings", &[]).await) >= 12);
    assert_eq!(count(&user.ok("listVPCOfferings", &[]).await), 2);

    // Seeding runs at every start and adds nothing twice.
    let uuids = |v: &Value, key: &str| -> BTreeSet<String> {
        items(v, key).iter().map(|o| id(o)).collect()
    };
    let before = (
        uuids(&so, "serviceoffering"),
        uuids(&disks, "diskoffering"),
        uuids(&nets, "networkoffering"),
    );
    cloud.restart().await;
    let admin = cloud.admin().await;
    let after = (
        uuids(
            &admin.ok("listServiceOfferings", &[]).await,
            "serviceoffering",
        ),
        uuids(&admin.ok("listDiskOfferings", &[]).await, "diskoffering"),
        uuids(
            &admin.ok("listNetworkOfferings", &[]).await,
            "networkoffering",
        ),
    );
    assert_eq!(before, after);
    assert_eq!(
        count(
            &admin
                .ok("listServiceOfferings", &[("issystem", "true")])
                .await
        ),
        9
    );
    cloud.stop().await;
}

#[tokio::test]
async fn compute_offerings_are_created_changed_and_deleted() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;

    // A fixed offering, shaped like CloudStack's recorded answer.
    let fixed = create_offering(
        &admin,
        &[
            ("name", "testServiceOffering"),
            ("cpunumber", "2"),
            ("cpuspeed", "1000"),
            ("memory", "2048"),
        ],
    )
    .await;
    assert_eq!(fixed["displaytext"], "testServiceOffering");
    assert_eq!(
        keys(&fixed),
        SMALL_INSTANCE_KEYS.iter().map(|k| k.to_string()).collect()
    );
    assert_eq!(
        (&fixed["cpunumber"], &fixed["memory"]),
        (&2.into(), &2048.into())
    );

    // Everything a root disk and a VM can be given.
    let rich = create_offering(
        &admin,
        &[
            ("name", "rich"),
            ("displaytext", "Rich offering"),
            ("cpunumber", "4"),
            ("cpuspeed", "2000"),
            ("memory", "4096"),
            ("offerha", "true"),
            ("limitcpuuse", "true"),
            ("isvolatile", "true"),
            ("hosttags", "ssd-host, gpu"),
            ("tags", "fast,,replicated"),
            ("provisioningtype", "fat"),
            ("networkrate", "300"),
            ("rootdisksize", "40"),
            ("customizediops", "false"),
            ("miniops", "100"),
            ("maxiops", "500"),
            ("bytesreadrate", "1048576"),
            ("iopswriterate", "400"),
            ("cachemode", "writeback"),
            ("dynamicscalingenabled", "false"),
            ("diskofferingstrictness", "true"),
            ("encryptroot", "true"),
        ],
    )
    .await;
    for (k, v) in [
        ("displaytext", Value::from("Rich offering")),
        ("offerha", true.into()),
        ("limitcpuuse", true.into()),
        ("isvolatile", true.into()),
        ("hosttags", "ssd-host,gpu".into()),
        ("storagetags", "fast,replicated".into()),
        ("provisioningtype", "fat".into()),
        ("networkrate", 300.into()),
        ("rootdisksize", 40.into()),
        ("iscustomizediops", false.into()),
        ("miniops", 100.into()),
        ("maxiops", 500.into()),
        ("diskBytesReadRate", 1048576.into()),
        ("diskIopsWriteRate", 400.into()),
        ("cacheMode", "writeback".into()),
        ("dynamicscalingenabled", false.into()),
        ("diskofferingstrictness", true.into()),
        ("encryptroot", true.into()),
    ] {
        assert_eq!(rich[k], v, "{k}: {rich}");
    }
    assert!(rich.get("diskofferingid").is_none(), "{rich}");

    // Customized, bounded and free.
    let bounded = create_offering(
        &admin,
        &[
            ("name", "bounded"),
            ("customized", "true"),
            ("mincpunumber", "1"),
            ("maxcpunumber", "8"),
            ("minmemory", "512"),
            ("maxmemory", "8192"),
            ("cpuspeed", "1500"),
        ],
    )
    .await;
    assert_eq!(bounded["iscustomized"], true);
    assert!(bounded.get("cpunumber").is_none(), "{bounded}");
    assert_eq!(bounded["cpuspeed"], 1500);
    assert_eq!(bounded["serviceofferingdetails"]["maxcpunumber"], "8");
    assert_eq!(bounded["serviceofferingdetails"]["minmemory"], "512");
    let free = create_offering(&admin, &[("name", "free")]).await;
    assert_eq!(free["iscustomized"], true);
    assert!(free.get("serviceofferingdetails").is_none(), "{free}");

    // The root disk from a disk offering.
    let disks = admin.ok("listDiskOfferings", &[("name", "Medium")]).await;
    let medium = id(&disks["diskoffering"][0]);
    let linked = create_offering(
        &admin,
        &[
            ("name", "linked"),
            ("cpunumber", "1"),
            ("cpuspeed", "500"),
            ("memory", "512"),
            ("diskofferingid", &medium),
        ],
    )
    .await;
    assert_eq!(linked["diskofferingid"], medium.as_str());
    assert_eq!(linked["diskofferingname"], "Medium");
    assert_eq!(linked["rootdisksize"], 20);

    // A system offering.
    let router = create_offering(
        &admin,
        &[
            ("name", "bigrouter"),
            ("cpunumber", "2"),
            ("cpuspeed", "1000"),
            ("memory", "1024"),
            ("issystem", "true"),
            ("networkrate", "1000"),
        ],
    )
    .await;
    assert_eq!(router["systemvmtype"], "domainrouter");
    assert_eq!(router["defaultuse"], false);
    let listed = admin.ok("listServiceOfferings", &[]).await;
    assert!(!names(&listed, "serviceoffering").contains("bigrouter"));

    // Bad input: 431 naming the parameter.
    let base = [("cpunumber", "1"), ("cpuspeed", "500"), ("memory", "512")];
    let bad = |extra: &'static [(&'static str, &'static str)]| {
        let mut p: Vec<(&str, &str)> = vec![("name", "bad")];
        for (k, v) in base {
            if !extra.iter().any(|(e, _)| *e == k) {
                p.push((k, v));
            }
        }
        p.extend(extra.iter().filter(|(_, v)| !v.is_empty()).copied());
        p
    };
    for (extra, param) in [
        (&[("cpunumber", "-1")][..], "cpunumber"),
        (&[("memory", ""), ("customized", "false")][..], "memory"),
        (&[("memory", "16")][..], "memory"),
        (&[("provisioningtype", "ultra")][..], "provisioningtype"),
        (&[("storagetype", "ssd")][..], "storagetype"),
        (&[("cachemode", "mostly")][..], "cachemode"),
        (&[("systemvmtype", "consoleproxy")][..], "systemvmtype"),
        (
            &[("issystem", "true"), ("systemvmtype", "bogus")][..],
            "systemvmtype",
        ),
        (
            &[
                ("issystem", "true"),
                ("systemvmtype", "consoleproxy"),
                ("networkrate", "10"),
            ][..],
            "networkrate",
        ),
        (
            &[("offerha", "true"), ("storagetype", "local")][..],
            "offerha",
        ),
        (
            &[
                ("customizediops", "false"),
                ("miniops", "500"),
                ("maxiops", "100"),
            ][..],
            "miniops",
        ),
        (
            &[("bytesreadrate", "1000"), ("bytesreadratemax", "10")][..],
            "bytesreadratemax",
        ),
        (&[("rootdisksize", "0")][..], "rootdisksize"),
        (
            &[("domainid", "4b5d3a0e-0000-4000-8000-000000000000")][..],
            "domainid",
        ),
        (&[("zoneid", "not-a-uuid")][..], "zoneid"),
        (
            &[
                ("customized", "true"),
                ("cpunumber", ""),
                ("memory", ""),
                ("cpuspeed", ""),
                ("mincpunumber", "2"),
            ][..],
            "mincpunumber",
        ),
    ] {
        let e = admin.err("createServiceOffering", &bad(extra), 431).await;
        assert!(e.contains(param), "{extra:?}: {e}");
    }
    let mut with_disk = bad(&[("tags", "x")]);
    with_disk.push(("diskofferingid", &medium));
    let e = admin.err("createServiceOffering", &with_disk, 431).await;
    assert!(e.contains("tags") && e.contains("diskofferingid"), "{e}");
    let e = admin
        .err("createServiceOffering", &[("cpunumber", "1")], 431)
        .await;
    assert!(e.contains("name"), "{e}");

    // Filters.
    let two = admin
        .ok("listServiceOfferings", &[("cpunumber", "2")])
        .await;
    let two_names = names(&two, "serviceoffering");
    for n in ["testServiceOffering", "rich", "bounded", "free"] {
        assert!(two_names.contains(n), "{n}: {two_names:?}");
    }
    assert!(!two_names.contains("Small Instance"), "{two_names:?}");
    let big = admin
        .ok("listServiceOfferings", &[("memory", "10000")])
        .await;
    assert_eq!(
        names(&big, "serviceoffering"),
        BTreeSet::from(["free".to_string()])
    );
    let kw = admin
        .ok("listServiceOfferings", &[("keyword", "RICH")])
        .await;
    assert_eq!(
        names(&kw, "serviceoffering"),
        BTreeSet::from(["rich".to_string()])
    );
    let local = admin
        .ok("listServiceOfferings", &[("storagetype", "local")])
        .await;
    assert_eq!(count(&local), 0);

    // Update: name, text, order, tags, state.
    let fixed_id = id(&fixed);
    let updated = admin
        .ok(
            "updateServiceOffering",
            &[
                ("id", &fixed_id),
                ("name", "testServiceOfferingUpdated"),
                ("displaytext", "new text"),
                ("sortkey", "-5"),
                ("hosttags", "h1"),
                ("storagetags", "s1"),
            ],
        )
        .await["serviceoffering"]
        .clone();
    assert_eq!(updated["name"], "testServiceOfferingUpdated");
    assert_eq!(updated["displaytext"], "new text");
    assert_eq!(updated["hosttags"], "h1");
    assert_eq!(updated["storagetags"], "s1");
    let first = admin.ok("listServiceOfferings", &[]).await;
    assert_eq!(
        first["serviceoffering"][0]["id"],
        fixed_id.as_str(),
        "sort key first"
    );
    admin
        .ok(
            "updateServiceOffering",
            &[("id", &fixed_id), ("state", "Inactive")],
        )
        .await;
    let active = admin.ok("listServiceOfferings", &[("id", &fixed_id)]).await;
    assert_eq!(count(&active), 0);
    let all = admin
        .ok(
            "listServiceOfferings",
            &[("id", &fixed_id), ("state", "all")],
        )
        .await;
    assert_eq!(all["serviceoffering"][0]["state"], "Inactive");
    let e = admin
        .err(
            "updateServiceOffering",
            &[("id", &fixed_id), ("state", "Sleeping")],
            431,
        )
        .await;
    assert!(e.contains("state"), "{e}");

    // A user may list but not manage.
    let (user, _) = new_account(&admin, "souser", None, "0").await;
    user.err(
        "createServiceOffering",
        &[
            ("name", "mine"),
            ("cpunumber", "1"),
            ("cpuspeed", "1"),
            ("memory", "64"),
        ],
        432,
    )
    .await;
    user.err(
        "updateServiceOffering",
        &[("id", &fixed_id), ("name", "x")],
        432,
    )
    .await;
    user.err("deleteServiceOffering", &[("id", &fixed_id)], 432)
        .await;

    // Delete: gone from every list, and gone for good.
    let rich_id = id(&rich);
    let done = admin.ok("deleteServiceOffering", &[("id", &rich_id)]).await;
    assert_eq!(done["success"], true);
    let gone = admin
        .ok(
            "listServiceOfferings",
            &[("id", &rich_id), ("state", "all")],
        )
        .await;
    assert_eq!(count(&gone), 0);
    admin
        .err("deleteServiceOffering", &[("id", &rich_id)], 431)
        .await;
    admin
        .err(
            "updateServiceOffering",
            &[("id", &rich_id), ("name", "x")],
            431,
        )
        .await;
    cloud.stop().await;
}

#[tokio::test]
async fn disk_offerings_are_created_changed_and_deleted() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;

    // CloudStack's recorded answer for a customized offering.
    let custom = admin
        .ok(
            "createDiskOffering",
            &[("name", "test"), ("customized", "true")],
        )
        .await["diskoffering"]
        .clone();
    let mut want: BTreeSet<String> = [
        "id",
        "name",
        "displaytext",
        "disksize",
        "created",
        "iscustomized",
        "storagetype",
        "provisioningtype",
        "cacheMode",
        "displayoffering",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    want.extend(
        ["encrypt", "disksizestrictness", "state", "hasannotations"]
            .iter()
            .map(|k| k.to_string()),
    );
    assert_eq!(keys(&custom), want, "{custom}");
    assert_eq!(custom["disksize"], 0);
    assert_eq!(custom["iscustomized"], true);
    assert_eq!(custom["displaytext"], "test");

    let fast = admin
        .ok(
            "createDiskOffering",
            &[
                ("name", "fast"),
                ("displaytext", "Fast disk"),
                ("disksize", "50"),
                ("tags", "ssd"),
                ("provisioningtype", "sparse"),
                ("storagetype", "local"),
                ("customizediops", "false"),
                ("miniops", "100"),
                ("maxiops", "500"),
                ("hypervisorsnapshotreserve", "25"),
                ("iopsreadrate", "300"),
                ("iopsreadratemax", "600"),
                ("iopsreadratemaxlength", "60"),
                ("cachemode", "writethrough"),
                ("displayoffering", "false"),
                ("encrypt", "true"),
                ("disksizestrictness", "true"),
            ],
        )
        .await["diskoffering"]
        .clone();
    for (k, v) in [
        ("disksize", Value::from(50)),
        ("tags", "ssd".into()),
        ("provisioningtype", "sparse".into()),
        ("storagetype", "local".into()),
        ("iscustomizediops", false.into()),
        ("miniops", 100.into()),
        ("maxiops", 500.into()),
        ("hypervisorsnapshotreserve", 25.into()),
        ("diskIopsReadRate", 300.into()),
        ("diskIopsReadRateMax", 600.into()),
        ("diskIopsReadRateMaxLength", 60.into()),
        ("cacheMode", "writethrough".into()),
        ("displayoffering", false.into()),
        ("encrypt", true.into()),
        ("disksizestrictness", true.into()),
    ] {
        assert_eq!(fast[k], v, "{k}: {fast}");
    }
    let fast_id = id(&fast);

    // Bad input.
    for (params, param) in [
        (&[("name", "x")][..], "disksize"),
        (
            &[("name", "x"), ("customized", "true"), ("disksize", "5")][..],
            "disksize",
        ),
        (&[("name", "x"), ("disksize", "0")][..], "disksize"),
        (
            &[
                ("name", "x"),
                ("disksize", "5"),
                ("provisioningtype", "thick"),
            ][..],
            "provisioningtype",
        ),
        (
            &[("name", "x"), ("disksize", "5"), ("cachemode", "lots")][..],
            "cachemode",
        ),
        (
            &[("name", "x"), ("disksize", "5"), ("storagetype", "nvme")][..],
            "storagetype",
        ),
        (
            &[
                ("name", "x"),
                ("disksize", "5"),
                ("hypervisorsnapshotreserve", "-1"),
            ][..],
            "hypervisorsnapshotreserve",
        ),
        (
            &[
                ("name", "x"),
                ("disksize", "5"),
                ("customizediops", "false"),
                ("miniops", "0"),
            ][..],
            "miniops",
        ),
        (&[("name", "x"), ("disksize", "big")][..], "disksize"),
        (&[("disksize", "5")][..], "name"),
    ] {
        let e = admin.err("createDiskOffering", params, 431).await;
        assert!(e.contains(param), "{params:?}: {e}");
    }

    // Hidden offerings: admins see them, users do not.
    let (user, _) = new_account(&admin, "diskuser", None, "0").await;
    let seen = names(&user.ok("listDiskOfferings", &[]).await, "diskoffering");
    assert!(seen.contains("test") && !seen.contains("fast"), "{seen:?}");
    let local = admin
        .ok("listDiskOfferings", &[("storagetype", "local")])
        .await;
    assert_eq!(
        names(&local, "diskoffering"),
        BTreeSet::from(["fast".to_string()])
    );

    // Update.
    let changed = admin
        .ok(
            "updateDiskOffering",
            &[
                ("id", &fast_id),
                ("name", "faster"),
                ("displayoffering", "true"),
                ("tags", "nvme,ssd"),
                ("cachemode", "none"),
                ("byteswriterate", "2048"),
            ],
        )
        .await["diskoffering"]
        .clone();
    assert_eq!(changed["name"], "faster");
    assert_eq!(changed["tags"], "nvme,ssd");
    assert_eq!(changed["cacheMode"], "none");
    assert_eq!(changed["diskBytesWriteRate"], 2048);
    assert_eq!(changed["diskIopsReadRate"], 300, "untouched limits stay");
    assert!(names(&user.ok("listDiskOfferings", &[]).await, "diskoffering").contains("faster"));
    let e = admin
        .err(
            "updateDiskOffering",
            &[("id", &fast_id), ("cachemode", "x")],
            431,
        )
        .await;
    assert!(e.contains("cachemode"), "{e}");

    // Permissions and delete.
    user.err(
        "createDiskOffering",
        &[("name", "u"), ("disksize", "1")],
        432,
    )
    .await;
    user.err("deleteDiskOffering", &[("id", &fast_id)], 432)
        .await;
    admin.ok("deleteDiskOffering", &[("id", &fast_id)]).await;
    assert_eq!(
        count(
            &admin
                .ok("listDiskOfferings", &[("id", &fast_id), ("state", "all")])
                .await
        ),
        0
    );
    admin
        .err("deleteDiskOffering", &[("id", &fast_id)], 431)
        .await;
    // A deleted disk offering cannot back a new compute offering.
    let e = admin
        .err(
            "createServiceOffering",
            &[
                ("name", "on-deleted"),
                ("cpunumber", "1"),
                ("cpuspeed", "500"),
                ("memory", "512"),
                ("diskofferingid", &fast_id),
            ],
            431,
        )
        .await;
    assert!(e.contains("diskofferingid"), "{e}");
    cloud.stop().await;
}

#[tokio::test]
async fn domain_and_zone_limits_decide_who_sees_an_offering() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let sales = create_domain(&admin, "Sales", None).await;
    let east = create_domain(&admin, "East", Some(&sales)).await;
    let ops = create_domain(&admin, "Ops", None).await;
    let (east_user, _) = new_account(&admin, "eastuser", Some(&east), "0").await;
    let (ops_user, _) = new_account(&admin, "opsuser", Some(&ops), "0").await;
    let (sales_admin, _) = new_account(&admin, "salesadmin", Some(&sales), "2").await;

    let sized = [("cpunumber", "1"), ("cpuspeed", "500"), ("memory", "512")];
    let with = |extra: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        sized
            .iter()
            .chain(extra.iter())
            .map(|(k, v)| (*k, v.to_string()))
            .collect()
    };
    let call = |c: &Client, cmd: &'static str, p: Vec<(&'static str, String)>| {
        let c = c.clone();
        async move {
            let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.call(cmd, &refs).await
        }
    };

    let sales_so = create_offering(
        &admin,
        &[
            ("name", "sales-only"),
            ("cpunumber", "1"),
            ("cpuspeed", "500"),
            ("memory", "512"),
            ("domainid", &sales),
        ],
    )
    .await;
    assert_eq!(sales_so["domainid"], sales.as_str());
    assert_eq!(sales_so["domain"], "Sales");
    let sales_disk = admin
        .ok(
            "createDiskOffering",
            &[
                ("name", "sales-disk"),
                ("disksize", "1"),
                ("domainid", &sales),
            ],
        )
        .await["diskoffering"]
        .clone();
    assert_eq!(sales_disk["domain"], "Sales");
    admin
        .ok(
            "createNetworkOffering",
            &[
                ("name", "sales-net"),
                ("traffictype", "Guest"),
                ("guestiptype", "L2"),
                ("domainid", &sales),
            ],
        )
        .await;
    let vpc_job = admin
        .wait_job(
            "createVPCOffering",
            &[("name", "sales-vpc"), ("domainid", &sales)],
        )
        .await;
    assert_eq!(vpc_job["jobstatus"], 1, "{vpc_job}");

    // Inside the domain (a sub-domain too) they are visible; outside they are not.
    for (list, key, name) in [
        ("listServiceOfferings", "serviceoffering", "sales-only"),
        ("listDiskOfferings", "diskoffering", "sales-disk"),
        ("listNetworkOfferings", "networkoffering", "sales-net"),
        ("listVPCOfferings", "vpcoffering", "sales-vpc"),
    ] {
        let inside = names(&east_user.ok(list, &[]).await, key);
        assert!(inside.contains(name), "{list}: {inside:?}");
        let outside = names(&ops_user.ok(list, &[]).await, key);
        assert!(!outside.contains(name), "{list}: {outside:?}");
        assert!(
            outside.len() >= 2,
            "public offerings stay visible: {outside:?}"
        );
        assert!(names(&admin.ok(list, &[]).await, key).contains(name));
    }
    // Root admins filter by domain; others may not ask for a domain outside their line.
    let only = admin
        .ok("listServiceOfferings", &[("domainid", &sales)])
        .await;
    assert_eq!(
        names(&only, "serviceoffering"),
        BTreeSet::from(["sales-only".to_string()])
    );
    ops_user
        .err("listServiceOfferings", &[("domainid", &sales)], 531)
        .await;
    east_user
        .ok("listServiceOfferings", &[("domainid", &sales)])
        .await;
    east_user
        .err("listServiceOfferings", &[("isrecursive", "true")], 431)
        .await;

    // A domain admin manages offerings of its own domains only.
    let own = call(
        &sales_admin,
        "createServiceOffering",
        with(&[("name", "by-dadmin"), ("domainid", &east)]),
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.text);
    let own_id = id(&own.inner()["serviceoffering"]);
    assert!(
        names(
            &east_user.ok("listServiceOfferings", &[]).await,
            "serviceoffering"
        )
        .contains("by-dadmin")
    );
    for (extra, why) in [
        (vec![("name", "public")], "domainid"),
        (vec![("name", "ops"), ("domainid", ops.as_str())], "outside"),
        (
            vec![
                ("name", "tagged"),
                ("domainid", sales.as_str()),
                ("hosttags", "x"),
            ],
            "tags",
        ),
    ] {
        let r = call(&sales_admin, "createServiceOffering", with(&extra)).await;
        assert_eq!(r.status, 431, "{extra:?}: {}", r.text);
        assert!(r.text.contains(why), "{}", r.text);
    }
    let small = id(&admin
        .ok("listServiceOfferings", &[("name", "Small Instance")])
        .await["serviceoffering"][0]);
    sales_admin
        .err("deleteServiceOffering", &[("id", &small)], 431)
        .await;
    sales_admin
        .err(
            "updateServiceOffering",
            &[("id", &own_id), ("domainid", "public")],
            431,
        )
        .await;
    sales_admin
        .ok(
            "updateServiceOffering",
            &[("id", &own_id), ("displaytext", "mine")],
        )
        .await;
    sales_admin
        .err(
            "createNetworkOffering",
            &[
                ("name", "n"),
                ("traffictype", "Guest"),
                ("guestiptype", "L2"),
            ],
            432,
        )
        .await;
    sales_admin
        .ok("deleteServiceOffering", &[("id", &own_id)])
        .await;

    // Making an offering public shows it to everyone.
    admin
        .ok(
            "updateServiceOffering",
            &[("id", &id(&sales_so)), ("domainid", "public")],
        )
        .await;
    assert!(
        names(
            &ops_user.ok("listServiceOfferings", &[]).await,
            "serviceoffering"
        )
        .contains("sales-only")
    );
    let public = admin
        .ok("listServiceOfferings", &[("id", &id(&sales_so))])
        .await;
    assert!(public["serviceoffering"][0].get("domainid").is_none());

    // A new domain that takes a removed domain's place does not inherit its offerings.
    let temp = create_domain(&admin, "Temp", None).await;
    admin
        .ok(
            "createDiskOffering",
            &[
                ("name", "temp-disk"),
                ("disksize", "1"),
                ("domainid", &temp),
            ],
        )
        .await;
    let job = admin.wait_job("deleteDomain", &[("id", &temp)]).await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    let again = create_domain(&admin, "Temp", None).await;
    let (temp_user, _) = new_account(&admin, "tempuser", Some(&again), "0").await;
    let seen = names(
        &temp_user.ok("listDiskOfferings", &[]).await,
        "diskoffering",
    );
    assert!(
        !seen.contains("temp-disk") && seen.contains("Small"),
        "{seen:?}"
    );

    // Zones: an offering limited to a zone is listed for that zone only.
    let z1 = create_zone(&admin, "Z1").await;
    let z2 = create_zone(&admin, "Z2").await;
    let zoned = admin
        .ok(
            "createDiskOffering",
            &[("name", "z1-disk"), ("disksize", "2"), ("zoneid", &z1)],
        )
        .await["diskoffering"]
        .clone();
    assert_eq!(zoned["zoneid"], z1.as_str());
    assert_eq!(zoned["zone"], "Z1");
    let in_z1 = names(
        &admin.ok("listDiskOfferings", &[("zoneid", &z1)]).await,
        "diskoffering",
    );
    assert!(
        in_z1.contains("z1-disk") && in_z1.contains("Small"),
        "{in_z1:?}"
    );
    let in_z2 = names(
        &admin.ok("listDiskOfferings", &[("zoneid", &z2)]).await,
        "diskoffering",
    );
    assert!(
        !in_z2.contains("z1-disk") && in_z2.contains("Small"),
        "{in_z2:?}"
    );
    let both = admin
        .ok(
            "updateDiskOffering",
            &[("id", &id(&zoned)), ("zoneid", &format!("{z1},{z2}"))],
        )
        .await["diskoffering"]
        .clone();
    assert_eq!(both["zone"], "Z1,Z2");
    let everywhere = admin
        .ok(
            "updateDiskOffering",
            &[("id", &id(&zoned)), ("zoneid", "all")],
        )
        .await["diskoffering"]
        .clone();
    assert!(everywhere.get("zoneid").is_none(), "{everywhere}");
    cloud.stop().await;
}

/// Builds the map parameters of a service list: (service, provider) pairs.
fn provider_params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .enumerate()
        .flat_map(|(i, (s, p))| {
            [
                (format!("serviceproviderlist[{i}].service"), s.to_string()),
                (format!("serviceproviderlist[{i}].provider"), p.to_string()),
            ]
        })
        .collect()
}

fn refs(p: &[(String, String)]) -> Vec<(&str, &str)> {
    p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn network_offerings_are_created_enabled_and_deleted() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;

    // An L2 offering, shaped like CloudStack's recorded answer.
    let l2 = admin
        .ok(
            "createNetworkOffering",
            &[
                ("name", "testNetOffering"),
                ("displaytext", "testNetOffering"),
                ("traffictype", "Guest"),
                ("guestiptype", "L2"),
                ("specifyvlan", "true"),
            ],
        )
        .await["networkoffering"]
        .clone();
    for k in [
        "id",
        "name",
        "displaytext",
        "traffictype",
        "isdefault",
        "specifyvlan",
        "conservemode",
        "specifyipranges",
        "availability",
        "networkrate",
        "state",
        "guestiptype",
        "service",
        "forvpc",
        "ispersistent",
        "egressdefaultpolicy",
        "supportsstrechedl2subnet",
        "supportspublicaccess",
    ] {
        assert!(l2.get(k).is_some(), "{k} missing: {l2}");
    }
    assert_eq!(l2["state"], "Disabled");
    assert_eq!(l2["availability"], "Optional");
    assert_eq!(l2["networkrate"], 200);
    assert_eq!(l2["traffictype"], "Guest");
    assert_eq!(l2["isdefault"], false);
    assert_eq!(l2["conservemode"], true);
    assert_eq!(l2["egressdefaultpolicy"], true);
    assert_eq!(l2["service"], Value::Array(Vec::new()));
    let l2_id = id(&l2);

    // An isolated offering with the virtual router and capabilities.
    let mut p = vec![
        ("name".to_string(), "isolated-vr".to_string()),
        ("traffictype".into(), "GUEST".into()),
        ("guestiptype".into(), "isolated".into()),
        (
            "supportedservices".into(),
            "Dhcp,Dns,UserData,SourceNat,StaticNat,PortForwarding,Lb".into(),
        ),
        ("networkrate".into(), "100".into()),
        ("tags".into(), "guest-tag".into()),
        ("ispersistent".into(), "true".into()),
        (
            "servicecapabilitylist[0].service".into(),
            "SourceNat".into(),
        ),
        (
            "servicecapabilitylist[0].capabilitytype".into(),
            "RedundantRouter".into(),
        ),
        (
            "servicecapabilitylist[0].capabilityvalue".into(),
            "true".into(),
        ),
    ];
    p.extend(provider_params(&[
        ("Dhcp", "VirtualRouter"),
        ("Dns", "VirtualRouter"),
        ("UserData", "VirtualRouter"),
        ("SourceNat", "VirtualRouter"),
        ("StaticNat", "VirtualRouter"),
        ("PortForwarding", "VirtualRouter"),
        ("Lb", "VirtualRouter"),
    ]));
    let iso = admin.ok("createNetworkOffering", &refs(&p)).await["networkoffering"].clone();
    assert_eq!(iso["guestiptype"], "Isolated");
    assert_eq!(iso["traffictype"], "Guest");
    assert_eq!(iso["networkrate"], 100);
    assert_eq!(iso["tags"], "guest-tag");
    assert_eq!(iso["ispersistent"], true);
    assert_eq!(providers(&iso, "SourceNat"), ["VirtualRouter"]);
    // Port forwarding on the router brings its firewall.
    assert_eq!(providers(&iso, "Firewall"), ["VirtualRouter"]);
    assert_eq!(capability(&iso, "SourceNat", "RedundantRouter"), "true");
    assert_eq!(capability(&iso, "Lb", "SupportedLBIsolation"), "dedicated");
    assert!(
        !items(&iso, "service")
            .iter()
            .any(|s| s["name"] == "Gateway")
    );
    let iso_id = id(&iso);

    // Enabling.
    let on = admin
        .ok(
            "updateNetworkOffering",
            &[("id", &iso_id), ("state", "Enabled")],
        )
        .await["networkoffering"]
        .clone();
    assert_eq!(on["state"], "Enabled");
    let enabled = admin
        .ok(
            "listNetworkOfferings",
            &[("state", "Enabled"), ("isdefault", "false")],
        )
        .await;
    assert_eq!(
        names(&enabled, "networkoffering"),
        BTreeSet::from(["isolated-vr".to_string()])
    );
    let e = admin
        .err(
            "updateNetworkOffering",
            &[("id", &iso_id), ("state", "On")],
            431,
        )
        .await;
    assert!(e.contains("state"), "{e}");
    // Only one offering may be Required.
    let e = admin
        .err(
            "updateNetworkOffering",
            &[("id", &iso_id), ("availability", "Required")],
            431,
        )
        .await;
    assert!(e.contains("Required"), "{e}");

    // Capabilities given without a provider are kept as asked.
    let p: Vec<(String, String)> = [
        ("name", "no-provider"),
        ("traffictype", "Guest"),
        ("guestiptype", "Isolated"),
        ("supportedservices", "Lb,SourceNat"),
        ("servicecapabilitylist[0].service", "Lb"),
        (
            "servicecapabilitylist[0].capabilitytype",
            "SupportedLBIsolation",
        ),
        ("servicecapabilitylist[0].capabilityvalue", "shared"),
        ("servicecapabilitylist[1].service", "SourceNat"),
        (
            "servicecapabilitylist[1].capabilitytype",
            "SupportedSourceNatTypes",
        ),
        ("servicecapabilitylist[1].capabilityvalue", "perzone"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let bare = admin.ok("createNetworkOffering", &refs(&p)).await["networkoffering"].clone();
    assert_eq!(capability(&bare, "Lb", "SupportedLBIsolation"), "shared");
    assert_eq!(
        capability(&bare, "SourceNat", "SupportedSourceNatTypes"),
        "perzone"
    );
    assert!(providers(&bare, "Lb").is_empty(), "{bare}");
    // The virtual router balances per network only.
    let mut p = p.clone();
    p[0].1 = "vr-shared-lb".into();
    p.extend(provider_params(&[("Lb", "VirtualRouter")]));
    let e = admin.err("createNetworkOffering", &refs(&p), 431).await;
    assert!(e.contains("SupportedLBIsolation"), "{e}");

    // A shared offering with security groups.
    let mut p = vec![
        ("name".to_string(), "shared-sg".to_string()),
        ("traffictype".into(), "Guest".into()),
        ("guestiptype".into(), "Shared".into()),
        ("specifyipranges".into(), "true".into()),
        ("specifyvlan".into(), "true".into()),
        (
            "supportedservices".into(),
            "Dhcp,Dns,UserData,SecurityGroup".into(),
        ),
        ("enable".into(), "true".into()),
    ];
    p.extend(provider_params(&[
        ("Dhcp", "VirtualRouter"),
        ("Dns", "VirtualRouter"),
        ("UserData", "VirtualRouter"),
    ]));
    let sg = admin.ok("createNetworkOffering", &refs(&p)).await["networkoffering"].clone();
    assert_eq!(sg["state"], "Enabled");
    assert_eq!(providers(&sg, "SecurityGroup"), ["SecurityGroupProvider"]);

    // Filters.
    let l2s = admin
        .ok(
            "listNetworkOfferings",
            &[("guestiptype", "L2"), ("isdefault", "false")],
        )
        .await;
    assert_eq!(
        names(&l2s, "networkoffering"),
        BTreeSet::from(["testNetOffering".to_string()])
    );
    let with_sg = admin
        .ok(
            "listNetworkOfferings",
            &[("supportedservices", "SecurityGroup")],
        )
        .await;
    assert_eq!(
        names(&with_sg, "networkoffering"),
        BTreeSet::from([
            "shared-sg".to_string(),
            "DefaultSharedNetworkOfferingWithSGService".to_string()
        ])
    );
    let vpc_tiers = admin
        .ok("listNetworkOfferings", &[("forvpc", "true")])
        .await;
    assert_eq!(count(&vpc_tiers), 3);
    let required = admin
        .ok("listNetworkOfferings", &[("availability", "Required")])
        .await;
    assert_eq!(count(&required), 1);
    let nat = admin
        .ok(
            "listNetworkOfferings",
            &[("sourcenatsupported", "true"), ("forvpc", "false")],
        )
        .await;
    assert_eq!(
        names(&nat, "networkoffering"),
        BTreeSet::from([
            "isolated-vr".to_string(),
            "no-provider".to_string(),
            "DefaultIsolatedNetworkOfferingWithSourceNatService".to_string()
        ])
    );
    let kw = admin
        .ok("listNetworkOfferings", &[("keyword", "testnet")])
        .await;
    assert_eq!(count(&kw), 1);
    let e = admin
        .err(
            "listNetworkOfferings",
            &[("supportedservices", "Teleport")],
            431,
        )
        .await;
    assert!(e.contains("Teleport"), "{e}");

    // In a zone: only offerings whose providers are enabled there; none in Basic zones.
    let zone = create_zone(&admin, "NZ").await;
    let in_zone = |admin: Client, zone: String| async move {
        names(
            &admin
                .ok(
                    "listNetworkOfferings",
                    &[("zoneid", &zone), ("isdefault", "true")],
                )
                .await,
            "networkoffering",
        )
    };
    let bare_zone = in_zone(admin.clone(), zone.clone()).await;
    assert_eq!(
        bare_zone,
        BTreeSet::from([
            "QuickCloudNoServices".to_string(),
            "DefaultL2NetworkOffering".to_string(),
            "DefaultL2NetworkOfferingVlan".to_string()
        ])
    );
    let job = admin
        .wait_job(
            "createPhysicalNetwork",
            &[("zoneid", &zone), ("name", "pn")],
        )
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    let with_pn = in_zone(admin.clone(), zone.clone()).await;
    assert!(
        with_pn.contains("DefaultL2NetworkOfferingConfigDrive")
            && !with_pn.contains("DefaultSharedNetworkOffering"),
        "ConfigDrive is enabled on a new physical network, the router is not: {with_pn:?}"
    );
    let basic = id(&admin
        .ok(
            "createZone",
            &[
                ("name", "BZ"),
                ("networktype", "Basic"),
                ("dns1", "8.8.8.8"),
                ("internaldns1", "10.0.0.2"),
            ],
        )
        .await["zone"]);
    assert_eq!(
        count(
            &admin
                .ok("listNetworkOfferings", &[("zoneid", &basic)])
                .await
        ),
        0
    );

    // Bad input: 431 naming what is wrong.
    let guest = |name: &str, extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut p = vec![
            ("name".to_string(), name.to_string()),
            ("traffictype".into(), "Guest".into()),
            ("guestiptype".into(), "Isolated".into()),
        ];
        for (k, v) in extra {
            p.retain(|(n, _)| n != k);
            p.push((k.to_string(), v.to_string()));
        }
        p
    };
    for (extra, why) in [
        (vec![("traffictype", "Public")], "traffictype"),
        (vec![("guestiptype", "Bogus")], "guestiptype"),
        (vec![("supportedservices", "Dhcp,Teleport")], "Teleport"),
        (vec![("supportedservices", "Gateway")], "Gateway"),
        (vec![("availability", "Sometimes")], "availability"),
        (
            vec![
                ("availability", "Required"),
                ("supportedservices", "SourceNat"),
            ],
            "Required",
        ),
        (
            vec![("supportedservices", "SecurityGroup")],
            "SecurityGroup",
        ),
        (vec![("guestiptype", "Shared")], "specifyipranges"),
        (
            vec![
                ("guestiptype", "Shared"),
                ("specifyipranges", "true"),
                ("ispersistent", "true"),
            ],
            "ispersistent",
        ),
        (
            vec![
                ("supportedservices", "SourceNat"),
                ("specifyipranges", "true"),
            ],
            "specifyipranges",
        ),
        (vec![("name", "testNetOffering")], "already exists"),
        (
            vec![("serviceofferingid", "4b5d3a0e-0000-4000-8000-000000000000")],
            "serviceofferingid",
        ),
        (
            vec![
                ("supportedservices", "Lb"),
                ("servicecapabilitylist[0].service", "Lb"),
                ("servicecapabilitylist[0].capabilitytype", "ElasticLb"),
                ("servicecapabilitylist[0].capabilityvalue", "true"),
            ],
            "ElasticLb",
        ),
        (
            vec![
                ("supportedservices", "SourceNat"),
                ("servicecapabilitylist[0].service", "SourceNat"),
                ("servicecapabilitylist[0].capabilitytype", "Teleportation"),
                ("servicecapabilitylist[0].capabilityvalue", "true"),
            ],
            "Teleportation",
        ),
        (
            vec![
                ("supportedservices", "Dhcp"),
                ("servicecapabilitylist[0].service", "Lb"),
                ("servicecapabilitylist[0].capabilitytype", "ElasticLb"),
                ("servicecapabilitylist[0].capabilityvalue", "false"),
            ],
            "Lb",
        ),
    ] {
        let e = admin
            .err("createNetworkOffering", &refs(&guest("bad", &extra)), 431)
            .await;
        assert!(e.contains(why), "{extra:?}: {e}");
    }
    for (services, pairs, why) in [
        ("Dhcp", vec![("Dhcp", "Netscaler")], "Netscaler"),
        ("Dhcp", vec![("Dns", "VirtualRouter")], "Dns"),
        (
            "NetworkACL",
            vec![("NetworkACL", "VirtualRouter")],
            "VirtualRouter",
        ),
        (
            "Dhcp",
            vec![("Dhcp", "VirtualRouter"), ("Dhcp", "ConfigDrive")],
            "one provider",
        ),
        ("UserData", vec![("UserData", "VirtualRouter")], "Dhcp"),
        ("Dhcp", vec![("Dhcp", "VpcVirtualRouter")], "forvpc"),
    ] {
        let mut p = guest("bad", &[("supportedservices", services)]);
        if services == "Dhcp" && why == "forvpc" {
            p.push(("forvpc".into(), "false".into()));
        }
        p.extend(provider_params(&pairs));
        let e = admin.err("createNetworkOffering", &refs(&p), 431).await;
        assert!(e.contains(why), "{pairs:?}: {e}");
    }

    // Permissions.
    let (user, _) = new_account(&admin, "netuser", None, "0").await;
    user.err(
        "createNetworkOffering",
        &[
            ("name", "u"),
            ("traffictype", "Guest"),
            ("guestiptype", "L2"),
        ],
        432,
    )
    .await;
    user.err(
        "updateNetworkOffering",
        &[("id", &l2_id), ("state", "Enabled")],
        432,
    )
    .await;
    user.err("deleteNetworkOffering", &[("id", &l2_id)], 432)
        .await;
    assert!(
        names(
            &user.ok("listNetworkOfferings", &[]).await,
            "networkoffering"
        )
        .contains("isolated-vr")
    );

    // Delete: gone; default offerings stay.
    assert_eq!(
        admin.ok("deleteNetworkOffering", &[("id", &l2_id)]).await["success"],
        true
    );
    assert_eq!(
        count(&admin.ok("listNetworkOfferings", &[("id", &l2_id)]).await),
        0
    );
    admin
        .err("deleteNetworkOffering", &[("id", &l2_id)], 431)
        .await;
    let default = id(&admin
        .ok(
            "listNetworkOfferings",
            &[("name", "DefaultSharedNetworkOffering")],
        )
        .await["networkoffering"][0]);
    let e = admin
        .err("deleteNetworkOffering", &[("id", &default)], 431)
        .await;
    assert!(e.contains("default"), "{e}");
    // The name of a deleted offering can be used again.
    admin
        .ok(
            "createNetworkOffering",
            &[
                ("name", "testNetOffering"),
                ("traffictype", "Guest"),
                ("guestiptype", "L2"),
            ],
        )
        .await;
    cloud.stop().await;
}

#[tokio::test]
async fn vpc_offerings_are_created_enabled_and_deleted() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;

    let mut p = vec![
        ("name".to_string(), "my-vpc".to_string()),
        (
            "supportedservices".into(),
            "Dhcp,Dns,UserData,Lb,StaticNat".into(),
        ),
        (
            "servicecapabilitylist[0].service".into(),
            "SourceNat".into(),
        ),
        (
            "servicecapabilitylist[0].capabilitytype".into(),
            "RedundantRouter".into(),
        ),
        (
            "servicecapabilitylist[0].capabilityvalue".into(),
            "true".into(),
        ),
    ];
    p.extend(provider_params(&[("Lb", "InternalLbVm")]));
    let job = admin.wait_job("createVPCOffering", &refs(&p)).await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    let vpc = job["jobresult"]["vpcoffering"].clone();
    assert_eq!(vpc["name"], "my-vpc");
    assert_eq!(vpc["displaytext"], "my-vpc");
    assert_eq!(vpc["state"], "Disabled");
    assert_eq!(vpc["isdefault"], false);
    assert_eq!(vpc["distributedvpcrouter"], false);
    assert_eq!(providers(&vpc, "Lb"), ["InternalLbVm"]);
    assert_eq!(providers(&vpc, "SourceNat"), ["VpcVirtualRouter"]);
    assert_eq!(providers(&vpc, "NetworkACL"), ["VpcVirtualRouter"]);
    assert!(
        !items(&vpc, "service")
            .iter()
            .any(|s| s["name"] == "Gateway")
    );
    let vpc_id = id(&vpc);

    let job = admin
        .wait_job(
            "updateVPCOffering",
            &[("id", &vpc_id), ("state", "Enabled"), ("name", "my-vpc-2")],
        )
        .await;
    assert_eq!(job["jobresult"]["vpcoffering"]["state"], "Enabled", "{job}");
    assert_eq!(job["jobresult"]["vpcoffering"]["name"], "my-vpc-2");
    let listed = admin
        .ok(
            "listVPCOfferings",
            &[("state", "Enabled"), ("isdefault", "false")],
        )
        .await;
    assert_eq!(
        names(&listed, "vpcoffering"),
        BTreeSet::from(["my-vpc-2".to_string()])
    );
    let with_lb = admin
        .ok("listVPCOfferings", &[("supportedservices", "Lb,StaticNat")])
        .await;
    assert_eq!(count(&with_lb), 3);
    let kw = admin
        .ok("listVPCOfferings", &[("keyword", "redundant")])
        .await;
    assert_eq!(
        names(&kw, "vpcoffering"),
        BTreeSet::from(["Redundant VPC offering".to_string()])
    );

    // Bad input fails the job with 431.
    for (extra, why) in [
        (vec![("supportedservices", "Firewall")], "Firewall"),
        (
            vec![("supportedservices", "SecurityGroup")],
            "SecurityGroup",
        ),
        (
            vec![
                ("supportedservices", "Dhcp"),
                ("serviceproviderlist[0].service", "Dhcp"),
                ("serviceproviderlist[0].provider", "VirtualRouter"),
            ],
            "VirtualRouter",
        ),
        (
            vec![
                ("supportedservices", "Dhcp"),
                ("serviceproviderlist[0].service", "Dhcp"),
                ("serviceproviderlist[0].provider", "Nowhere"),
            ],
            "Nowhere",
        ),
        (vec![("name", "Default VPC offering")], "already exists"),
        (
            vec![
                ("servicecapabilitylist[0].service", "Connectivity"),
                (
                    "servicecapabilitylist[0].capabilitytype",
                    "DistributedRouter",
                ),
                ("servicecapabilitylist[0].capabilityvalue", "true"),
            ],
            "Connectivity",
        ),
    ] {
        let mut p: Vec<(&str, &str)> = vec![("name", "bad-vpc")];
        for (k, v) in &extra {
            p.retain(|(n, _)| n != k);
            p.push((*k, *v));
        }
        let job = admin.wait_job("createVPCOffering", &p).await;
        assert_eq!(job["jobstatus"], 2, "{extra:?}: {job}");
        assert_eq!(job["jobresultcode"], 431, "{job}");
        let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
        assert!(text.contains(why), "{extra:?}: {text}");
    }

    // Permissions: admin commands are not for users.
    let (user, _) = new_account(&admin, "vpcuser", None, "0").await;
    user.err("createVPCOffering", &[("name", "u")], 432).await;
    user.err("deleteVPCOffering", &[("id", &vpc_id)], 432).await;
    assert_eq!(count(&user.ok("listVPCOfferings", &[]).await), 3);

    // Delete; the default offerings stay.
    let job = admin
        .wait_job("deleteVPCOffering", &[("id", &vpc_id)])
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    assert_eq!(
        count(&admin.ok("listVPCOfferings", &[("id", &vpc_id)]).await),
        0
    );
    let default = id(&admin
        .ok("listVPCOfferings", &[("name", "Default VPC offering")])
        .await["vpcoffering"][0]);
    let job = admin
        .wait_job("deleteVPCOffering", &[("id", &default)])
        .await;
    assert_eq!(job["jobresultcode"], 431, "{job}");
    cloud.stop().await;
}
