//! Resource limits and counts: updateResourceLimit, listResourceLimits,
//! updateResourceCount, the usage fields of accounts and domains, and enforcement when
//! templates are registered (also under concurrency) — plus `limits::reserve` called
//! directly.

use std::time::{Duration, Instant};

use serde_json::Value;
use strato_engine::limits::{self, ResourceType};
use strato_schema::resource_limit::{ACCOUNT, DOMAIN};

use crate::common::{Client, TestCloud, new_account};
use crate::hosts::sim_cluster;

const GIB: i64 = 1 << 30;

/// A Simulator zone with an image store (templates become ready without downloads).
async fn sim_zone(admin: &Client) -> String {
    let (zone, _, _) = sim_cluster(admin).await;
    admin
        .ok(
            "addImageStore",
            &[
                ("zoneid", &zone),
                ("name", "SS0"),
                ("provider", "NFS"),
                ("url", "nfs://10.1.1.1/secondary"),
            ],
        )
        .await;
    zone
}

/// Registers a template; returns the HTTP status.
async fn register(c: &Client, zone: &str, name: &str) -> u16 {
    let r = c
        .call(
            "registerTemplate",
            &[
                ("name", name),
                ("displaytext", name),
                ("url", "http://mirror.example.org/t.qcow2"),
                ("zoneid", zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
            ],
        )
        .await;
    r.status
}

/// Registers and returns the template's id, failing the test if refused.
async fn register_ok(c: &Client, zone: &str, name: &str) -> String {
    let r = c
        .ok(
            "registerTemplate",
            &[
                ("name", name),
                ("displaytext", name),
                ("url", "http://mirror.example.org/t.qcow2"),
                ("zoneid", zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
            ],
        )
        .await;
    r["template"][0]["id"].as_str().expect("id").to_string()
}

async fn own_templates(c: &Client) -> Vec<Value> {
    c.ok("listTemplates", &[("templatefilter", "self")]).await["template"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits until all the caller's own templates are ready.
async fn settle(c: &Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while own_templates(c)
        .await
        .iter()
        .any(|t| t["isready"] != Value::Bool(true))
    {
        assert!(Instant::now() < deadline, "templates never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn set_limit(c: &Client, params: &[(&str, &str)]) -> Value {
    c.ok("updateResourceLimit", params).await["resourcelimit"].clone()
}

/// The caller's view of one account.
async fn account(c: &Client, id: &str) -> Value {
    c.ok("listAccounts", &[("id", id)]).await["account"][0].clone()
}

async fn domain(c: &Client, id: &str) -> Value {
    c.ok("listDomains", &[("id", id)]).await["domain"][0].clone()
}

/// `max` of each listed limit, by resource type name.
fn maxes(r: &Value) -> Vec<(String, i64)> {
    r["resourcelimit"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    (
                        l["resourcetypename"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        l["max"].as_i64().unwrap_or(i64::MIN),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn max_of(r: &Value, name: &str) -> i64 {
    maxes(r)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("no {name} limit in {r}"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}"))
}

async fn new_domain(admin: &Client, name: &str, parent: Option<&str>) -> String {
    let mut p = vec![("name", name)];
    if let Some(parent) = parent {
        p.push(("parentdomainid", parent));
    }
    str_of(&admin.ok("createDomain", &p).await["domain"], "id").to_string()
}

#[tokio::test]
async fn a_template_limit_stops_registration_and_a_delete_frees_a_slot() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let zone = sim_zone(&admin).await;
    let (alice, a) = new_account(&admin, "alice", None, "0").await;
    let root = str_of(&a, "domainid");
    let l = set_limit(
        &admin,
        &[
            ("resourcetype", "4"),
            ("max", "2"),
            ("account", "alice"),
            ("domainid", root),
        ],
    )
    .await;
    assert_eq!(l["account"], "alice");
    assert_eq!(l["domainid"], root);
    assert_eq!(l["domain"], "ROOT");
    assert_eq!(l["resourcetype"], "4");
    assert_eq!(l["resourcetypename"], "template");
    assert_eq!(l["max"], 2);

    let first = register_ok(&alice, &zone, "t1").await;
    register_ok(&alice, &zone, "t2").await;
    let e = alice
        .err(
            "registerTemplate",
            &[
                ("name", "t3"),
                ("url", "http://mirror.example.org/t.qcow2"),
                ("zoneid", &zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
            ],
            535,
        )
        .await;
    assert!(e.contains("'template'") && e.contains("alice"), "{e}");
    // Bad input is still reported as such at the limit.
    let e = alice
        .err(
            "registerTemplate",
            &[
                ("name", "t3"),
                ("url", "ftp://mirror.example.org/t.qcow2"),
                ("zoneid", &zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
            ],
            431,
        )
        .await;
    assert!(e.contains("url"), "{e}");
    // Nothing of the refused registration exists.
    let names: Vec<String> = own_templates(&alice)
        .await
        .iter()
        .map(|t| str_of(t, "name").to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&"t3".to_string()));
    let acct = account(&alice, str_of(&a, "id")).await;
    assert_eq!(acct["templatelimit"], "2");
    assert_eq!(acct["templatetotal"], 2);
    assert_eq!(acct["templateavailable"], "0");

    // ISOs count as templates too.
    let e = alice
        .err(
            "registerIso",
            &[
                ("name", "cd"),
                ("url", "http://mirror.example.org/cd.iso"),
                ("zoneid", &zone),
            ],
            535,
        )
        .await;
    assert!(e.contains("template"), "{e}");

    // Deleting one frees its slot.
    let job = alice.wait_job("deleteTemplate", &[("id", &first)]).await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    assert_eq!(account(&alice, str_of(&a, "id")).await["templatetotal"], 1);
    register_ok(&alice, &zone, "t3").await;
    assert_eq!(register(&alice, &zone, "t4").await, 535);
    cloud.stop().await;
}

#[tokio::test]
async fn limits_list_defaults_and_overrides_and_reject_bad_values() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (alice, a) = new_account(&admin, "alice", None, "0").await;
    let root = str_of(&a, "domainid").to_string();

    // Defaults: max.account.* (storage in GiB), one entry per type in CloudStack's order.
    let all = alice.ok("listResourceLimits", &[]).await;
    assert_eq!(all["count"], 12, "{all}");
    let list = all["resourcelimit"].as_array().expect("limits");
    for (i, l) in list.iter().enumerate() {
        assert_eq!(l["resourcetype"], i.to_string(), "{l}");
        assert_eq!(l["account"], "alice");
        assert_eq!(l["domainid"], root.as_str());
        assert_eq!(l["domainpath"], "ROOT");
    }
    let names: Vec<&str> = list.iter().map(|l| str_of(l, "resourcetypename")).collect();
    assert_eq!(
        names,
        [
            "user_vm",
            "public_ip",
            "volume",
            "snapshot",
            "template",
            "project",
            "network",
            "vpc",
            "cpu",
            "memory",
            "primary_storage",
            "secondary_storage"
        ]
    );
    assert_eq!(max_of(&all, "template"), 20);
    assert_eq!(max_of(&all, "memory"), 40960);
    assert_eq!(max_of(&all, "secondary_storage"), 400);
    let acct = account(&alice, str_of(&a, "id")).await;
    assert_eq!(acct["vmlimit"], "20");
    assert_eq!(acct["vmtotal"], 0);
    assert_eq!(acct["vmavailable"], "20");
    assert_eq!(acct["secondarystoragelimit"], "400");
    assert_eq!(acct["secondarystoragetotal"], 0);
    assert_eq!(acct["secondarystorageavailable"], "400.0");

    // An override shows for that type only; a changed default for the others.
    let owner = [("account", "alice"), ("domainid", root.as_str())];
    let mut p = owner.to_vec();
    p.extend([("resourcetype", "2"), ("max", "7")]);
    set_limit(&admin, &p).await;
    let mut p = owner.to_vec();
    p.extend([("resourcetype", "11"), ("max", "10")]);
    assert_eq!(set_limit(&admin, &p).await["max"], 10);
    admin
        .ok(
            "updateConfiguration",
            &[("name", "max.account.snapshots"), ("value", "3")],
        )
        .await;
    let all = alice.ok("listResourceLimits", &[]).await;
    assert_eq!(max_of(&all, "volume"), 7);
    assert_eq!(max_of(&all, "snapshot"), 3);
    assert_eq!(max_of(&all, "secondary_storage"), 10);
    assert_eq!(max_of(&all, "user_vm"), 20);
    let acct = account(&admin, str_of(&a, "id")).await;
    assert_eq!(acct["volumelimit"], "7");
    assert_eq!(acct["snapshotlimit"], "3");
    assert_eq!(acct["secondarystoragelimit"], "10");
    // Admins name the account; the filters pick one type.
    let mut p = owner.to_vec();
    p.push(("resourcetype", "2"));
    let one = admin.ok("listResourceLimits", &p).await;
    assert_eq!(maxes(&one), vec![("volume".to_string(), 7)]);
    let mut p = owner.to_vec();
    p.push(("resourcetypename", "volume"));
    assert_eq!(
        maxes(&admin.ok("listResourceLimits", &p).await),
        maxes(&one)
    );
    let page = alice
        .ok("listResourceLimits", &[("page", "2"), ("pagesize", "5")])
        .await;
    assert_eq!(page["count"], 12);
    assert_eq!(page["resourcelimit"][0]["resourcetypename"], "project");
    // Setting -1 (or leaving max out) removes the limit.
    let mut p = owner.to_vec();
    p.push(("resourcetype", "2"));
    assert_eq!(set_limit(&admin, &p).await["max"], -1);
    assert_eq!(
        account(&admin, str_of(&a, "id")).await["volumelimit"],
        "Unlimited"
    );

    // Root admins are never limited, and their accounts can only be set unlimited.
    let mine = admin.ok("listResourceLimits", &[]).await;
    assert!(maxes(&mine).iter().all(|(_, m)| *m == -1), "{mine}");
    assert_eq!(mine["resourcelimit"][0]["account"], "admin");
    let e = admin
        .err(
            "updateResourceLimit",
            &[
                ("account", "admin"),
                ("domainid", &root),
                ("resourcetype", "0"),
                ("max", "3"),
            ],
            431,
        )
        .await;
    assert!(e.contains("-1"), "{e}");

    // Domains: max.domain.* below ROOT, ROOT unlimited.
    let d = new_domain(&admin, "Sales", None).await;
    let dl = admin.ok("listResourceLimits", &[("domainid", &d)]).await;
    assert_eq!(max_of(&dl, "template"), 40);
    assert_eq!(dl["resourcelimit"][0]["domainid"], d.as_str());
    assert!(dl["resourcelimit"][0].get("account").is_none(), "{dl}");
    let rl = admin.ok("listResourceLimits", &[("domainid", &root)]).await;
    assert!(maxes(&rl).iter().all(|(_, m)| *m == -1), "{rl}");
    let dom = domain(&admin, &d).await;
    assert_eq!(dom["templatelimit"], "40");
    assert_eq!(dom["templatetotal"], 0);
    assert_eq!(dom["primarystoragelimit"], "400");
    assert_eq!(domain(&admin, &root).await["vmlimit"], "Unlimited");
    let min = admin
        .ok("listDomains", &[("id", &d), ("details", "min")])
        .await;
    assert!(min["domain"][0].get("vmlimit").is_none(), "{min}");

    // Bad input: 431 naming the parameter.
    for (params, needle) in [
        (
            vec![("resourcetype", "12"), ("domainid", d.as_str())],
            "resourcetype",
        ),
        (
            vec![("resourcetype", "-1"), ("domainid", d.as_str())],
            "resourcetype",
        ),
        (
            vec![
                ("resourcetype", "4"),
                ("max", "-2"),
                ("domainid", d.as_str()),
            ],
            "max",
        ),
        (
            vec![("resourcetype", "4"), ("account", "alice")],
            "domainid",
        ),
        (vec![("resourcetype", "4")], "domainid"),
        (
            vec![
                ("resourcetype", "4"),
                ("domainid", "2f0c1d6e-0000-4000-8000-000000000000"),
            ],
            "domainid",
        ),
        (
            vec![
                ("resourcetype", "4"),
                ("account", "nobody"),
                ("domainid", d.as_str()),
            ],
            "nobody",
        ),
    ] {
        let e = admin.err("updateResourceLimit", &params, 431).await;
        assert!(e.contains(needle), "{params:?}: {e}");
    }
    let e = admin.err("updateResourceLimit", &[("max", "1")], 431).await;
    assert!(e.contains("resourcetype"), "{e}");
    let e = admin
        .err(
            "listResourceLimits",
            &[("resourcetype", "4"), ("resourcetypename", "volume")],
            431,
        )
        .await;
    assert!(e.contains("resourcetypename"), "{e}");
    let e = admin
        .err("listResourceLimits", &[("resourcetypename", "gpu")], 431)
        .await;
    assert!(e.contains("resourcetypename"), "{e}");
    // ROOT's limits cannot be set, even by a root admin.
    admin
        .err(
            "updateResourceLimit",
            &[("domainid", &root), ("resourcetype", "4"), ("max", "5")],
            531,
        )
        .await;
    // Users may read their limits but not change them.
    alice
        .err(
            "updateResourceLimit",
            &[
                ("account", "alice"),
                ("domainid", &root),
                ("resourcetype", "4"),
                ("max", "100"),
            ],
            432,
        )
        .await;
    alice
        .err("updateResourceCount", &[("domainid", &root)], 432)
        .await;
    cloud.stop().await;
}

#[tokio::test]
async fn a_domain_limit_caps_what_its_accounts_use_together() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let zone = sim_zone(&admin).await;
    let d = new_domain(&admin, "Sales", None).await;
    let sub = new_domain(&admin, "East", Some(&d)).await;
    let (u1, _) = new_account(&admin, "u1", Some(&d), "0").await;
    let (u2, _) = new_account(&admin, "u2", Some(&sub), "0").await;
    set_limit(
        &admin,
        &[("domainid", &d), ("resourcetype", "4"), ("max", "3")],
    )
    .await;
    // The sub-domain has no limit of its own: it inherits Sales's.
    let sl = admin.ok("listResourceLimits", &[("domainid", &sub)]).await;
    assert_eq!(max_of(&sl, "template"), 3);
    let e = admin
        .err(
            "updateResourceLimit",
            &[("domainid", &sub), ("resourcetype", "4"), ("max", "4")],
            431,
        )
        .await;
    assert!(e.contains("max") && e.contains('3'), "{e}");

    register_ok(&u1, &zone, "a").await;
    register_ok(&u1, &zone, "b").await;
    register_ok(&u2, &zone, "c").await;
    let e = u2
        .err(
            "registerTemplate",
            &[
                ("name", "d"),
                ("url", "http://mirror.example.org/t.qcow2"),
                ("zoneid", &zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
            ],
            535,
        )
        .await;
    assert!(e.contains("'template'") && e.contains("ROOT/Sales"), "{e}");
    assert_eq!(register(&u1, &zone, "e").await, 535);
    assert_eq!(own_templates(&u2).await.len(), 1);

    let sales = domain(&admin, &d).await;
    assert_eq!(sales["templatelimit"], "3");
    assert_eq!(sales["templatetotal"], 3);
    assert_eq!(sales["templateavailable"], "0");
    let east = admin.ok("listDomainChildren", &[("id", &d)]).await;
    assert_eq!(east["domain"][0]["templatetotal"], 1, "{east}");
    let root = admin.ok("listDomains", &[]).await["domain"][0].clone();
    assert_eq!(root["path"], "ROOT");
    assert!(root["templatetotal"].as_i64().unwrap_or(0) >= 3, "{root}");
    assert_eq!(root["templatelimit"], "Unlimited");
    // Secondary storage is counted when the simulated copies are ready (2 GiB each).
    settle(&u1).await;
    settle(&u2).await;
    let sales = domain(&admin, &d).await;
    assert_eq!(sales["secondarystoragetotal"], 6, "{sales}");
    assert_eq!(sales["secondarystorageavailable"], "794.0");
    cloud.stop().await;
}

#[tokio::test]
async fn domain_admins_limit_only_below_their_own_domain() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let d = new_domain(&admin, "Sales", None).await;
    let sub = new_domain(&admin, "East", Some(&d)).await;
    let other = new_domain(&admin, "Other", None).await;
    let (boss, _) = new_account(&admin, "boss", Some(&d), "2").await;
    new_account(&admin, "worker", Some(&sub), "0").await;
    new_account(&admin, "peer", Some(&d), "0").await;
    new_account(&admin, "stranger", Some(&other), "0").await;
    let limit = |domain: &str| {
        vec![
            ("domainid", domain.to_string()),
            ("resourcetype", "4".to_string()),
            ("max", "1".to_string()),
        ]
    };
    let call = |p: Vec<(&'static str, String)>| {
        let boss = boss.clone();
        async move {
            let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            boss.call("updateResourceLimit", &p).await.status
        }
    };
    // Not its own domain (nor ROOT, nor a domain outside its subtree)...
    assert_eq!(call(limit(&d)).await, 531);
    let root = str_of(&admin.ok("listDomains", &[]).await["domain"][0], "id").to_string();
    assert_eq!(call(limit(&root)).await, 531);
    assert_eq!(call(limit(&other)).await, 531);
    // ...nor its own account, nor accounts outside its subtree.
    let mut own = limit(&d);
    own.push(("account", "boss".into()));
    assert_eq!(call(own).await, 531);
    let mut stranger = limit(&other);
    stranger.push(("account", "stranger".into()));
    assert_eq!(call(stranger).await, 531);
    // Below it: yes.
    assert_eq!(call(limit(&sub)).await, 200);
    let mut worker = limit(&sub);
    worker.push(("account", "worker".into()));
    assert_eq!(call(worker).await, 200);
    let mut peer = limit(&d);
    peer.push(("account", "peer".into()));
    assert_eq!(call(peer).await, 200);
    let seen = admin.ok("listResourceLimits", &[("domainid", &sub)]).await;
    assert_eq!(max_of(&seen, "template"), 1);
    let unchanged = admin.ok("listResourceLimits", &[("domainid", &d)]).await;
    assert_eq!(max_of(&unchanged, "template"), 40);
    // It may read its own domain's limits, not another's.
    boss.ok("listResourceLimits", &[("domainid", &d)]).await;
    boss.err("listResourceLimits", &[("domainid", &other)], 531)
        .await;
    cloud.stop().await;
}

/// An account's internal id (the store of the test's server is at hand).
async fn account_id(cloud: &TestCloud, uuid: &str) -> i64 {
    let store = &cloud.server.as_ref().expect("running").engine.store;
    let mut db = store.acquire().await.expect("connection");
    db.c()
        .account_by_uuid(uuid)
        .await
        .expect("query")
        .expect("account")
        .id
}

async fn domain_id(cloud: &TestCloud, uuid: &str) -> i64 {
    let store = &cloud.server.as_ref().expect("running").engine.store;
    let mut db = store.acquire().await.expect("connection");
    db.c()
        .domain_by_uuid(uuid)
        .await
        .expect("query")
        .expect("domain")
        .id
}

async fn tamper(cloud: &TestCloud, owner_type: &str, id: i64, t: ResourceType, n: i64) {
    let store = &cloud.server.as_ref().expect("running").engine.store;
    let mut db = store.acquire().await.expect("connection");
    db.c()
        .set_resource_count(owner_type, id, t.name(), n)
        .await
        .expect("tamper");
}

fn count_of(r: &Value, name: &str) -> i64 {
    r["resourcecount"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["resourcetypename"] == name))
        .and_then(|c| c["resourcecount"].as_i64())
        .unwrap_or_else(|| panic!("no {name} count in {r}"))
}

#[tokio::test]
async fn update_resource_count_recounts_from_the_real_rows() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let zone = sim_zone(&admin).await;
    let d = new_domain(&admin, "Sales", None).await;
    let (alice, a) = new_account(&admin, "alice", Some(&d), "0").await;
    let (bob, _) = new_account(&admin, "bob", Some(&d), "0").await;
    register_ok(&alice, &zone, "a1").await;
    register_ok(&alice, &zone, "a2").await;
    register_ok(&bob, &zone, "b1").await;
    settle(&alice).await;
    settle(&bob).await;
    let acct = account(&admin, str_of(&a, "id")).await;
    assert_eq!(acct["templatetotal"], 2);
    assert_eq!(acct["secondarystoragetotal"], 4);

    let alice_id = account_id(&cloud, str_of(&a, "id")).await;
    let sales_id = domain_id(&cloud, &d).await;
    tamper(&cloud, ACCOUNT, alice_id, ResourceType::Template, 17).await;
    tamper(&cloud, ACCOUNT, alice_id, ResourceType::SecondaryStorage, 1).await;
    tamper(&cloud, DOMAIN, sales_id, ResourceType::Template, 99).await;
    assert_eq!(account(&admin, str_of(&a, "id")).await["templatetotal"], 17);

    let r = admin
        .ok(
            "updateResourceCount",
            &[("domainid", &d), ("account", "alice")],
        )
        .await;
    assert_eq!(r["count"], 12, "{r}");
    let first = &r["resourcecount"][0];
    assert_eq!(first["account"], "alice");
    assert_eq!(first["domainid"], d.as_str());
    assert_eq!(first["resourcetype"], "0");
    assert_eq!(count_of(&r, "template"), 2);
    assert_eq!(count_of(&r, "secondary_storage"), 4 * GIB);
    // The domains above the account are summed again too.
    assert_eq!(domain(&admin, &d).await["templatetotal"], 3);

    // Deletes are released as they happen; a domain recount agrees with them.
    let gone = own_templates(&alice).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    alice.wait_job("deleteTemplate", &[("id", &gone)]).await;
    tamper(&cloud, DOMAIN, sales_id, ResourceType::Template, 50).await;
    let r = admin
        .ok(
            "updateResourceCount",
            &[("domainid", &d), ("resourcetype", "4")],
        )
        .await;
    assert_eq!(r["count"], 1, "{r}");
    assert!(r["resourcecount"][0].get("account").is_none(), "{r}");
    assert_eq!(count_of(&r, "template"), 2);
    let acct = account(&admin, str_of(&a, "id")).await;
    assert_eq!(acct["templatetotal"], 1);
    assert_eq!(acct["secondarystoragetotal"], 2);
    let e = admin
        .err(
            "updateResourceCount",
            &[("domainid", &d), ("resourcetype", "99")],
            431,
        )
        .await;
    assert!(e.contains("resourcetype"), "{e}");
    cloud.stop().await;
}

#[tokio::test]
async fn concurrent_registrations_never_overshoot_a_limit() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let zone = sim_zone(&admin).await;
    let (alice, a) = new_account(&admin, "alice", None, "0").await;
    set_limit(
        &admin,
        &[
            ("resourcetype", "4"),
            ("max", "5"),
            ("account", "alice"),
            ("domainid", str_of(&a, "domainid")),
        ],
    )
    .await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (alice, zone) = (alice.clone(), zone.clone());
        calls.spawn(async move { register(&alice, &zone, &format!("t{i}")).await });
    }
    let mut codes = Vec::new();
    while let Some(code) = calls.join_next().await {
        codes.push(code.expect("task"));
    }
    codes.sort_unstable();
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 5, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 535).count(), 15, "{codes:?}");
    assert_eq!(own_templates(&alice).await.len(), 5);
    assert_eq!(account(&alice, str_of(&a, "id")).await["templatetotal"], 5);
    cloud.stop().await;
}

#[tokio::test]
async fn reserve_changes_nothing_when_any_limit_is_in_the_way() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let d = new_domain(&admin, "Sales", None).await;
    let (_, a) = new_account(&admin, "alice", Some(&d), "0").await;
    set_limit(
        &admin,
        &[("domainid", &d), ("resourcetype", "4"), ("max", "1")],
    )
    .await;
    let alice = account_id(&cloud, str_of(&a, "id")).await;
    let sales = domain_id(&cloud, &d).await;
    let store = cloud.server.as_ref().expect("running").engine.store.clone();
    let counts = |owner: &'static str, id: i64| {
        let store = store.clone();
        async move {
            let mut db = store.acquire().await.expect("connection");
            let rows = db.c().resource_counts(owner, &[id]).await.expect("counts");
            let of = |t: ResourceType| {
                rows.iter()
                    .find(|(_, n, _)| n == t.name())
                    .map_or(0, |(_, _, c)| *c)
            };
            (of(ResourceType::Template), of(ResourceType::Volume))
        }
    };
    let reserve = |wants: Vec<(ResourceType, i64)>| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.expect("transaction");
            let r = limits::reserve(&mut tx.c(), alice, &wants).await;
            tx.commit().await.expect("commit");
            r
        }
    };
    reserve(vec![(ResourceType::Template, 1)])
        .await
        .expect("first fits");
    // The account's limit (20) allows a second, the domain's (1) does not: the account
    // row was counted first and must be given back.
    let e = reserve(vec![(ResourceType::Template, 1)])
        .await
        .expect_err("over the domain limit");
    assert_eq!(e.code.as_u16(), 535);
    assert!(e.text.contains("domain ROOT/Sales"), "{}", e.text);
    assert_eq!(counts(ACCOUNT, alice).await, (1, 0));
    assert_eq!(counts(DOMAIN, sales).await, (1, 0));
    // Several types at once: all or nothing.
    let e = reserve(vec![(ResourceType::Volume, 2), (ResourceType::Template, 1)])
        .await
        .expect_err("template over the limit");
    assert!(e.text.contains("'template'"), "{}", e.text);
    assert_eq!(counts(ACCOUNT, alice).await, (1, 0));
    let e = reserve(vec![(ResourceType::Volume, 21)])
        .await
        .expect_err("over max.account.volumes");
    assert!(e.text.contains("account alice"), "{}", e.text);
    reserve(vec![(ResourceType::Volume, 20)])
        .await
        .expect("exactly the limit");
    assert_eq!(counts(ACCOUNT, alice).await, (1, 20));
    // Releases never go below zero, on the account nor its domains.
    let mut tx = store.begin().await.expect("transaction");
    limits::release(&mut tx.c(), alice, &[(ResourceType::Template, 5)])
        .await
        .expect("release");
    tx.commit().await.expect("commit");
    assert_eq!(counts(ACCOUNT, alice).await, (0, 20));
    assert_eq!(counts(DOMAIN, sales).await, (0, 20));
    // Root admins are never limited.
    let admin_id = account_id(
        &cloud,
        str_of(
            &admin.ok("listAccounts", &[("name", "admin")]).await["account"][0],
            "id",
        ),
    )
    .await;
    let mut tx = store.begin().await.expect("transaction");
    limits::reserve(&mut tx.c(), admin_id, &[(ResourceType::Template, 1000)])
        .await
        .expect("unlimited");
    tx.commit().await.expect("commit");
    assert_eq!(counts(ACCOUNT, admin_id).await, (1000, 0));
    cloud.stop().await;
}
