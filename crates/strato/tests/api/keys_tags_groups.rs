//! SSH key pairs, affinity groups, resource tags and instance groups: CloudStack's
//! shapes, bad input, isolation between accounts and domains, tags on templates.

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::hosts::sim_cluster;

/// A real RSA key made with ssh-keygen, and its fingerprint as `ssh-keygen -l -E md5`
/// prints it.
const RSA_PUB: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC6DSMAjBVxP6PKuF99w7lgBweyqmr3G\
    JdI29kT6JhWFhIL2/NcakWNJC65G3FcXUZLt7Dimf5IzZwbxwwkDcEO83WxS/Ugr8XtlMgsw/3qiLkWZEH3u/8HQV\
    oOqyceBanAtT7vfdAMg4oFk6Jokvjr1ZK6NsvZraXdLVBwR//Vu3VfrGpar18hKL6OGrTfbU+qDr2v1/WWRFzjHYl\
    AQmR0EqGqmrN8lzjgR730+sRyEfGl776I5emqpRYb+V41OAyHA32CyDem2Ukhh31rydy/gNUL7t7/xxdyMETLq4Y9T\
    KHJRQW51SNjDnAd07VGLf3Jt4EAXfsa51lSwX/r/ceL rsa@host";
const RSA_FINGERPRINT: &str = "62:f5:8b:f7:c4:16:ba:d0:e0:80:5e:52:68:bd:02:d3";

async fn job_ok(c: &Client, command: &str, params: &[(&str, &str)]) -> Value {
    let r = c.wait_job(command, params).await;
    assert_eq!(r["jobstatus"], 1, "{command} failed: {r}");
    r["jobresult"].clone()
}

/// Runs an async command, expects its job to fail with `code`; returns the text.
async fn job_err(c: &Client, command: &str, params: &[(&str, &str)], code: i64) -> String {
    let r = c.wait_job(command, params).await;
    assert_eq!(r["jobstatus"], 2, "{command} should fail: {r}");
    assert_eq!(r["jobresult"]["errorcode"], code, "{command}: {r}");
    r["jobresult"]["errortext"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A list's total; an empty list is `{}`, as in CloudStack.
fn count(list: &Value) -> u64 {
    match list["count"].as_u64() {
        Some(n) => n,
        None => {
            assert_eq!(*list, serde_json::json!({}), "an empty list has no keys");
            0
        }
    }
}

/// `(name, value)` pairs as the client takes them.
fn borrowed<'a>(p: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    p.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .map(|a| a.iter().map(|o| s(&o["name"])).collect())
        .unwrap_or_default()
}

/// The fingerprint ssh-keygen computes for a PEM private key.
fn ssh_keygen_fingerprint(private_pem: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("id_rsa");
    std::fs::write(&path, private_pem).expect("write key");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-l", "-E", "md5", "-f"])
        .arg(&path)
        .output()
        .expect("ssh-keygen runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("MD5:"))
        .unwrap_or_else(|| panic!("no fingerprint in {text}"))
        .to_string()
}

#[tokio::test]
async fn ssh_key_pairs_are_created_registered_listed_and_deleted() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;

    // create: a real RSA key whose private half is returned once.
    let created = admin.ok("createSSHKeyPair", &[("name", "gen-key")]).await["keypair"].clone();
    for field in [
        "id",
        "name",
        "fingerprint",
        "privatekey",
        "account",
        "domainid",
        "domain",
    ] {
        assert!(created[field].is_string(), "{field}: {created}");
    }
    assert_eq!(created["name"], "gen-key");
    assert_eq!(created["account"], "admin");
    assert_eq!(created["domain"], "ROOT");
    let private = s(&created["privatekey"]);
    assert!(
        private.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
        "{private}"
    );
    let fingerprint = s(&created["fingerprint"]);
    assert_eq!(ssh_keygen_fingerprint(&private), fingerprint);

    // register: the fingerprint is CloudStack's MD5 form.
    let registered = admin
        .ok(
            "registerSSHKeyPair",
            &[("name", "laptop"), ("publickey", RSA_PUB)],
        )
        .await["keypair"]
        .clone();
    assert_eq!(registered["fingerprint"], RSA_FINGERPRINT, "{registered}");
    assert_eq!(registered["name"], "laptop");
    assert!(registered.get("privatekey").is_none(), "{registered}");

    // list: public parts only, never the private key.
    let r = admin.call("listSSHKeyPairs", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("PRIVATE KEY"), "{}", r.text);
    assert!(!r.text.contains("privatekey"), "{}", r.text);
    let list = r.inner();
    assert_eq!(count(&list), 2, "{list}");
    assert_eq!(names(&list, "sshkeypair"), ["gen-key", "laptop"]);
    let first = &list["sshkeypair"][0];
    assert_eq!(first["id"], created["id"]);
    assert_eq!(first["fingerprint"], created["fingerprint"]);
    assert_eq!(first["domainid"], created["domainid"]);
    let one = admin
        .ok("listSSHKeyPairs", &[("fingerprint", RSA_FINGERPRINT)])
        .await;
    assert_eq!(names(&one, "sshkeypair"), ["laptop"]);
    let one = admin.ok("listSSHKeyPairs", &[("keyword", "LAP")]).await;
    assert_eq!(names(&one, "sshkeypair"), ["laptop"]);
    let one = admin
        .ok("listSSHKeyPairs", &[("id", &s(&created["id"]))])
        .await;
    assert_eq!(names(&one, "sshkeypair"), ["gen-key"]);
    let page = admin
        .ok("listSSHKeyPairs", &[("page", "2"), ("pagesize", "1")])
        .await;
    assert_eq!(count(&page), 2);
    assert_eq!(names(&page, "sshkeypair"), ["laptop"]);

    // Bad input is named.
    for bad in ["not a key", "ssh-rsa AAAAB3NzaC1yc2E", "ssh-rsa !!!"] {
        let e = admin
            .err(
                "registerSSHKeyPair",
                &[("name", "bad"), ("publickey", bad)],
                431,
            )
            .await;
        assert!(e.contains("publickey"), "{e}");
    }
    let e = admin
        .err(
            "registerSSHKeyPair",
            &[("name", "laptop"), ("publickey", RSA_PUB)],
            431,
        )
        .await;
    assert!(e.contains("name") && e.contains("laptop"), "{e}");
    let e = admin
        .err("createSSHKeyPair", &[("name", "gen-key")], 431)
        .await;
    assert!(e.contains("name"), "{e}");
    let e = admin
        .err(
            "registerSSHKeyPair",
            &[("name", "same-key"), ("publickey", RSA_PUB)],
            431,
        )
        .await;
    assert!(e.contains("publickey") && e.contains("laptop"), "{e}");
    let e = admin
        .err(
            "createSSHKeyPair",
            &[("name", "x"), ("account", "admin")],
            431,
        )
        .await;
    assert!(e.contains("domainid"), "{e}");

    // delete by name.
    admin.ok("deleteSSHKeyPair", &[("name", "gen-key")]).await;
    let list = admin.ok("listSSHKeyPairs", &[]).await;
    assert_eq!(names(&list, "sshkeypair"), ["laptop"]);
    let e = admin
        .err("deleteSSHKeyPair", &[("name", "gen-key")], 431)
        .await;
    assert!(e.contains("gen-key"), "{e}");
    cloud.stop().await;
}

#[tokio::test]
async fn key_pairs_belong_to_their_account() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (alice, alice_acct) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;
    let root = s(&alice_acct["domainid"]);
    alice
        .ok(
            "registerSSHKeyPair",
            &[("name", "k"), ("publickey", RSA_PUB)],
        )
        .await;
    // Names and keys are unique per account only.
    bob.ok(
        "registerSSHKeyPair",
        &[("name", "k"), ("publickey", RSA_PUB)],
    )
    .await;
    let mine = bob.ok("listSSHKeyPairs", &[("listall", "true")]).await;
    assert_eq!(count(&mine), 1, "{mine}");
    assert_eq!(mine["sshkeypair"][0]["account"], "bob");
    let alice_scope = [("account", "alice"), ("domainid", root.as_str())];
    bob.err("listSSHKeyPairs", &alice_scope, 531).await;
    let mut p = vec![("name", "k")];
    p.extend(alice_scope);
    bob.err("deleteSSHKeyPair", &p, 531).await;
    bob.err(
        "createSSHKeyPair",
        &[("name", "x"), alice_scope[0], alice_scope[1]],
        531,
    )
    .await;
    // Bob deleting "k" deletes his own.
    bob.ok("deleteSSHKeyPair", &[("name", "k")]).await;
    assert_eq!(count(&alice.ok("listSSHKeyPairs", &[]).await), 1);
    bob.err("deleteSSHKeyPair", &[("name", "k")], 431).await;

    // An admin acts for alice and sees everyone's with listall.
    let made = admin
        .ok(
            "createSSHKeyPair",
            &[("name", "for-alice"), alice_scope[0], alice_scope[1]],
        )
        .await;
    assert_eq!(made["keypair"]["account"], "alice");
    let hers = admin.ok("listSSHKeyPairs", &alice_scope).await;
    assert_eq!(names(&hers, "sshkeypair"), ["k", "for-alice"]);
    let all = admin.ok("listSSHKeyPairs", &[("listall", "true")]).await;
    assert_eq!(count(&all), 2, "{all}");
    assert_eq!(count(&admin.ok("listSSHKeyPairs", &[]).await), 0);

    // deployVirtualMachine's lookup: in the order asked, unknown names refused.
    let store = &cloud.server.as_ref().expect("running").engine.store;
    let mut db = store.acquire().await.expect("connection");
    let alice_id = db
        .c()
        .account_by_uuid(&s(&alice_acct["id"]))
        .await
        .expect("query")
        .expect("alice")
        .id;
    let keys = strato_engine::handlers::ssh_keys::keypairs_by_names(
        &mut db.c(),
        alice_id,
        &["for-alice".into(), "k".into()],
    )
    .await
    .expect("both exist");
    assert_eq!(keys[0].name, "for-alice");
    assert_eq!(keys[1].public_key, RSA_PUB.trim_end_matches(" rsa@host"));
    let e = strato_engine::handlers::ssh_keys::keypairs_by_names(
        &mut db.c(),
        alice_id,
        &["k".into(), "nope".into()],
    )
    .await
    .expect_err("unknown name");
    assert_eq!(e.code.as_u16(), 431);
    assert!(e.text.contains("nope"), "{e}");
    drop(db);
    cloud.stop().await;
}

#[tokio::test]
async fn affinity_groups() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (alice, _) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;

    let types = alice.ok("listAffinityGroupTypes", &[]).await;
    let listed: Vec<String> = types["affinityGroupType"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| s(&t["type"]))
        .collect();
    assert_eq!(
        listed,
        [
            "host anti-affinity",
            "host affinity",
            "non-strict host anti-affinity",
            "non-strict host affinity"
        ]
    );
    assert_eq!(count(&types), 4);

    let r = alice
        .wait_job(
            "createAffinityGroup",
            &[
                ("name", "spread"),
                ("type", "host anti-affinity"),
                ("description", "web tier"),
            ],
        )
        .await;
    assert_eq!(r["jobstatus"], 1, "{r}");
    assert_eq!(r["jobinstancetype"], "AffinityGroup", "{r}");
    let g = r["jobresult"]["affinitygroup"].clone();
    assert_eq!(g["name"], "spread");
    assert_eq!(g["type"], "host anti-affinity");
    assert_eq!(g["description"], "web tier");
    assert_eq!(g["account"], "alice");
    assert_eq!(g["domain"], "ROOT");
    assert_eq!(g["domainpath"], "ROOT");
    assert!(g["domainid"].is_string() && g["id"].is_string(), "{g}");
    let id = s(&g["id"]);
    job_ok(
        &alice,
        "createAffinityGroup",
        &[("name", "together"), ("type", "host affinity")],
    )
    .await;

    // Bad input.
    let e = job_err(
        &alice,
        "createAffinityGroup",
        &[("name", "x"), ("type", "rack anti-affinity")],
        431,
    )
    .await;
    assert!(e.contains("type"), "{e}");
    let e = job_err(
        &alice,
        "createAffinityGroup",
        &[("name", "spread"), ("type", "host affinity")],
        431,
    )
    .await;
    assert!(e.contains("name") && e.contains("spread"), "{e}");

    // Lists and filters.
    let all = alice.ok("listAffinityGroups", &[]).await;
    assert_eq!(names(&all, "affinitygroup"), ["spread", "together"]);
    let anti = alice
        .ok("listAffinityGroups", &[("type", "host anti-affinity")])
        .await;
    assert_eq!(names(&anti, "affinitygroup"), ["spread"]);
    let by_id = alice.ok("listAffinityGroups", &[("id", &id)]).await;
    assert_eq!(names(&by_id, "affinitygroup"), ["spread"]);
    let e = alice
        .err("listAffinityGroups", &[("type", "bogus")], 431)
        .await;
    assert!(e.contains("type"), "{e}");

    // Bob sees none of them and cannot delete them.
    let theirs = bob.ok("listAffinityGroups", &[("listall", "true")]).await;
    assert_eq!(count(&theirs), 0, "{theirs}");
    job_err(&bob, "deleteAffinityGroup", &[("id", &id)], 531).await;
    job_err(&bob, "deleteAffinityGroup", &[("name", "spread")], 431).await;
    // Bob's own group of the same name is another group.
    job_ok(
        &bob,
        "createAffinityGroup",
        &[("name", "spread"), ("type", "host affinity")],
    )
    .await;

    // A group with VM members cannot go; the VM commands manage membership.
    let store = &cloud.server.as_ref().expect("running").engine.store;
    let group_id = {
        let mut db = store.acquire().await.expect("connection");
        let mut c = db.c();
        let groups = strato_engine::handlers::affinity_groups::groups_by_uuids(
            &mut c,
            "affinitygroupids",
            std::slice::from_ref(&id),
        )
        .await
        .expect("found");
        let gid = groups[0].id;
        strato_engine::handlers::affinity_groups::add_members(&mut c, 4242, &[gid])
            .await
            .expect("add");
        strato_engine::handlers::affinity_groups::add_members(&mut c, 4242, &[gid])
            .await
            .expect("adding twice is harmless");
        assert_eq!(
            strato_engine::handlers::affinity_groups::members_of(&mut c, gid)
                .await
                .expect("members"),
            [4242]
        );
        let unknown = strato_engine::handlers::affinity_groups::groups_by_uuids(
            &mut c,
            "affinitygroupids",
            &[uuid::Uuid::new_v4().to_string()],
        )
        .await
        .expect_err("unknown group");
        assert!(unknown.text.contains("affinitygroupids"), "{unknown}");
        gid
    };
    let e = job_err(&alice, "deleteAffinityGroup", &[("id", &id)], 536).await;
    assert!(e.contains("spread"), "{e}");
    {
        let mut db = store.acquire().await.expect("connection");
        strato_engine::handlers::affinity_groups::remove_members(&mut db.c(), 4242, &[group_id])
            .await
            .expect("remove");
    }
    job_ok(&alice, "deleteAffinityGroup", &[("id", &id)]).await;
    job_ok(&alice, "deleteAffinityGroup", &[("name", "together")]).await;
    assert_eq!(count(&alice.ok("listAffinityGroups", &[]).await), 0);
    job_err(&alice, "deleteAffinityGroup", &[("name", "together")], 431).await;
    let e = job_err(&alice, "deleteAffinityGroup", &[], 431).await;
    assert!(e.contains("name"), "{e}");
    // Bob's group is still there.
    assert_eq!(count(&bob.ok("listAffinityGroups", &[]).await), 1);
    cloud.stop().await;
}

/// A Simulator zone with a (simulated) image store and a template of `owner`'s.
async fn template_of(admin: &Client, owner: &Client) -> (String, String) {
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
    let t = owner
        .ok(
            "registerTemplate",
            &[
                ("name", "tagged"),
                ("displaytext", "tagged"),
                ("url", "http://mirror.example.org/t.qcow2"),
                ("zoneid", &zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
            ],
        )
        .await;
    (zone, s(&t["template"][0]["id"]))
}

async fn template_tags(c: &Client, id: &str) -> Vec<Value> {
    let r = c
        .ok("listTemplates", &[("templatefilter", "self"), ("id", id)])
        .await;
    r["template"][0]["tags"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no tags field: {r}"))
}

#[tokio::test]
async fn tags_on_templates() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (alice, alice_acct) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;
    let (_, template) = template_of(&admin, &alice).await;
    assert!(template_tags(&alice, &template).await.is_empty());

    let tag_params = |extra: &[(&'static str, &'static str)]| {
        let mut p: Vec<(&str, String)> = vec![
            ("resourceids", template.clone()),
            ("resourcetype", "Template".to_string()),
        ];
        p.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        p
    };

    let create = tag_params(&[
        ("tags[0].key", "env"),
        ("tags[0].value", "prod"),
        ("tags[1].key", "team"),
        ("tags[1].value", "web"),
        ("customer", "acme"),
    ]);
    let done = job_ok(&alice, "createTags", &borrowed(&create)).await;
    assert_eq!(done["success"], true, "{done}");

    // The template shows its tags, with CloudStack's fields.
    let tags = template_tags(&alice, &template).await;
    assert_eq!(tags.len(), 2, "{tags:?}");
    let env = &tags[0];
    assert_eq!(env["key"], "env");
    assert_eq!(env["value"], "prod");
    assert_eq!(env["resourcetype"], "Template");
    assert_eq!(env["resourceid"], template.as_str());
    assert_eq!(env["account"], "alice");
    assert_eq!(env["domainid"], alice_acct["domainid"]);
    assert_eq!(env["domain"], "ROOT");
    assert_eq!(env["customer"], "acme");
    // listTags, with its filters.
    let listed = alice.ok("listTags", &[]).await;
    assert_eq!(count(&listed), 2, "{listed}");
    assert_eq!(listed["tag"][0], *env);
    let one = alice.ok("listTags", &[("key", "team")]).await;
    assert_eq!(count(&one), 1);
    assert_eq!(one["tag"][0]["value"], "web");
    let by_resource = alice
        .ok(
            "listTags",
            &[("resourceid", &template), ("resourcetype", "template")],
        )
        .await;
    assert_eq!(count(&by_resource), 2);
    assert_eq!(
        count(&alice.ok("listTags", &[("resourcetype", "ISO")]).await),
        0
    );
    assert_eq!(
        count(
            &alice
                .ok("listTags", &[("customer", "acme"), ("value", "web")])
                .await
        ),
        1
    );
    let e = alice
        .err("listTags", &[("resourcetype", "Spaceship")], 431)
        .await;
    assert!(e.contains("resourcetype"), "{e}");

    // Bad input is named.
    let dup = tag_params(&[("tags[0].key", "env"), ("tags[0].value", "dev")]);
    let e = job_err(&alice, "createTags", &borrowed(&dup), 431).await;
    assert!(e.contains("tags") && e.contains("env"), "{e}");
    let mut unknown_type = tag_params(&[("tags[0].key", "k"), ("tags[0].value", "v")]);
    unknown_type[1].1 = "Spaceship".into();
    let e = job_err(&alice, "createTags", &borrowed(&unknown_type), 431).await;
    assert!(e.contains("resourcetype"), "{e}");
    // Zones are not taggable in CloudStack.
    unknown_type[1].1 = "Zone".into();
    job_err(&alice, "createTags", &borrowed(&unknown_type), 431).await;
    // A template is not an ISO.
    unknown_type[1].1 = "ISO".into();
    let e = job_err(&alice, "createTags", &borrowed(&unknown_type), 431).await;
    assert!(e.contains("resourceids"), "{e}");
    let no_value = tag_params(&[("tags[0].key", "k")]);
    let e = job_err(&alice, "createTags", &borrowed(&no_value), 431).await;
    assert!(e.contains("tags"), "{e}");
    let mut missing = tag_params(&[("tags[0].key", "k"), ("tags[0].value", "v")]);
    missing[0].1 = uuid::Uuid::new_v4().to_string();
    let e = job_err(&alice, "createTags", &borrowed(&missing), 431).await;
    assert!(e.contains("resourceids"), "{e}");

    // Bob can neither tag, untag nor see Alice's template's tags.
    let bobs = tag_params(&[("tags[0].key", "owner"), ("tags[0].value", "bob")]);
    job_err(&bob, "createTags", &borrowed(&bobs), 531).await;
    job_err(&bob, "deleteTags", &borrowed(&tag_params(&[])), 531).await;
    assert_eq!(count(&bob.ok("listTags", &[("listall", "true")]).await), 0);
    assert_eq!(template_tags(&alice, &template).await.len(), 2);

    // deleteTags: by key, by key and value, or all.
    let wrong = tag_params(&[("tags[0].key", "env"), ("tags[0].value", "dev")]);
    let e = job_err(&alice, "deleteTags", &borrowed(&wrong), 431).await;
    assert!(e.contains("tags"), "{e}");
    job_ok(
        &alice,
        "deleteTags",
        &borrowed(&tag_params(&[("tags[0].key", "team")])),
    )
    .await;
    let left: Vec<Value> = template_tags(&alice, &template).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["key"], "env");
    // Root admins may tag anyone's resources.
    job_ok(
        &admin,
        "createTags",
        &borrowed(&tag_params(&[
            ("tags[0].key", "audited"),
            ("tags[0].value", "yes"),
        ])),
    )
    .await;
    assert_eq!(count(&alice.ok("listTags", &[]).await), 2);

    // Deleting the template drops its tags.
    job_ok(&alice, "deleteTemplate", &[("id", &template)]).await;
    assert_eq!(
        count(&admin.ok("listTags", &[("listall", "true")]).await),
        0
    );
    cloud.stop().await;
}

#[tokio::test]
async fn instance_groups() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (alice, alice_acct) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;
    let root = s(&alice_acct["domainid"]);

    let g = alice.ok("createInstanceGroup", &[("name", "web")]).await["instancegroup"].clone();
    for field in [
        "id",
        "name",
        "created",
        "account",
        "domainid",
        "domain",
        "domainpath",
    ] {
        assert!(g[field].is_string(), "{field}: {g}");
    }
    assert_eq!(g["name"], "web");
    assert_eq!(g["account"], "alice");
    assert_eq!(g["hasannotations"], false);
    let id = s(&g["id"]);
    alice.ok("createInstanceGroup", &[("name", "db")]).await;
    let e = alice
        .err("createInstanceGroup", &[("name", "web")], 431)
        .await;
    assert!(e.contains("name") && e.contains("web"), "{e}");
    alice
        .err("createInstanceGroup", &[("name", "  ")], 431)
        .await;

    let all = alice.ok("listInstanceGroups", &[]).await;
    assert_eq!(names(&all, "instancegroup"), ["web", "db"]);
    let one = alice.ok("listInstanceGroups", &[("name", "db")]).await;
    assert_eq!(names(&one, "instancegroup"), ["db"]);
    let one = alice.ok("listInstanceGroups", &[("id", &id)]).await;
    assert_eq!(names(&one, "instancegroup"), ["web"]);
    let one = alice.ok("listInstanceGroups", &[("keyword", "E")]).await;
    assert_eq!(names(&one, "instancegroup"), ["web"]);

    // Rename; a taken name is refused.
    let renamed = alice
        .ok("updateInstanceGroup", &[("id", &id), ("name", "frontend")])
        .await;
    assert_eq!(renamed["instancegroup"]["name"], "frontend");
    assert_eq!(renamed["instancegroup"]["id"], id.as_str());
    let e = alice
        .err("updateInstanceGroup", &[("id", &id), ("name", "db")], 431)
        .await;
    assert!(e.contains("db"), "{e}");

    // Bob: nothing to see, nothing to change.
    assert_eq!(
        count(&bob.ok("listInstanceGroups", &[("listall", "true")]).await),
        0
    );
    bob.err("updateInstanceGroup", &[("id", &id), ("name", "mine")], 531)
        .await;
    bob.err("deleteInstanceGroup", &[("id", &id)], 531).await;
    bob.err(
        "listInstanceGroups",
        &[("account", "alice"), ("domainid", &root)],
        531,
    )
    .await;

    // An admin creates one for alice; deployVirtualMachine's lookup finds or makes one.
    let made = admin
        .ok(
            "createInstanceGroup",
            &[("name", "batch"), ("account", "alice"), ("domainid", &root)],
        )
        .await;
    assert_eq!(made["instancegroup"]["account"], "alice");
    let store = &cloud.server.as_ref().expect("running").engine.store;
    {
        let mut db = store.acquire().await.expect("connection");
        let mut c = db.c();
        let alice_id = c
            .account_by_uuid(&s(&alice_acct["id"]))
            .await
            .expect("query")
            .expect("alice")
            .id;
        use strato_engine::handlers::instance_groups as ig;
        let batch = ig::group_by_name_or_create(&mut c, alice_id, "batch")
            .await
            .expect("found");
        assert_eq!(batch.uuid, s(&made["instancegroup"]["id"]));
        let fresh = ig::group_by_name_or_create(&mut c, alice_id, "workers")
            .await
            .expect("made");
        assert_eq!(fresh.name, "workers");
        ig::set_group_of_vm(&mut c, 77, Some(fresh.id))
            .await
            .expect("join");
        let of = ig::groups_of_vms(&mut c, &[77, 78]).await.expect("groups");
        assert_eq!(of.len(), 1);
        assert_eq!(of[&77].name, "workers");
    }
    let all = alice.ok("listInstanceGroups", &[]).await;
    assert_eq!(
        names(&all, "instancegroup"),
        ["frontend", "db", "batch", "workers"]
    );

    // Delete; the name is free again and the VM is in no group.
    alice.ok("deleteInstanceGroup", &[("id", &id)]).await;
    alice.err("deleteInstanceGroup", &[("id", &id)], 431).await;
    alice
        .ok("createInstanceGroup", &[("name", "frontend")])
        .await;
    let workers = alice.ok("listInstanceGroups", &[("name", "workers")]).await;
    alice
        .ok(
            "deleteInstanceGroup",
            &[("id", &s(&workers["instancegroup"][0]["id"]))],
        )
        .await;
    let mut db = store.acquire().await.expect("connection");
    let of = strato_engine::handlers::instance_groups::groups_of_vms(&mut db.c(), &[77])
        .await
        .expect("groups");
    assert!(of.is_empty());
    drop(db);
    cloud.stop().await;
}

#[tokio::test]
async fn domain_admins_stay_in_their_subtree() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let sub = s(&admin.ok("createDomain", &[("name", "Sub")]).await["domain"]["id"]);
    let (dadmin, _) = new_account(&admin, "subadmin", Some(&sub), "2").await;
    let (carol, _) = new_account(&admin, "carol", Some(&sub), "0").await;
    let (dave, dave_acct) = new_account(&admin, "dave", None, "0").await;
    let root = s(&dave_acct["domainid"]);
    let dave_scope = [("account", "dave"), ("domainid", root.as_str())];
    let carol_scope = [("account", "carol"), ("domainid", sub.as_str())];

    // Inside the subtree: fine.
    let k = dadmin
        .ok(
            "registerSSHKeyPair",
            &[
                ("name", "ops"),
                ("publickey", RSA_PUB),
                carol_scope[0],
                carol_scope[1],
            ],
        )
        .await;
    assert_eq!(k["keypair"]["account"], "carol");
    dadmin
        .ok(
            "createInstanceGroup",
            &[("name", "g"), carol_scope[0], carol_scope[1]],
        )
        .await;
    job_ok(
        &dadmin,
        "createAffinityGroup",
        &[
            ("name", "a"),
            ("type", "host affinity"),
            carol_scope[0],
            carol_scope[1],
        ],
    )
    .await;
    assert_eq!(
        count(&carol.ok("listSSHKeyPairs", &[]).await),
        1,
        "carol owns the key"
    );

    // Outside it: refused.
    dadmin
        .err(
            "registerSSHKeyPair",
            &[
                ("name", "ops"),
                ("publickey", RSA_PUB),
                dave_scope[0],
                dave_scope[1],
            ],
            531,
        )
        .await;
    dadmin
        .err(
            "createInstanceGroup",
            &[("name", "g"), dave_scope[0], dave_scope[1]],
            531,
        )
        .await;
    job_err(
        &dadmin,
        "createAffinityGroup",
        &[
            ("name", "a"),
            ("type", "host affinity"),
            dave_scope[0],
            dave_scope[1],
        ],
        531,
    )
    .await;
    dadmin
        .err("listSSHKeyPairs", &[("domainid", &root)], 531)
        .await;
    dadmin.err("listTags", &dave_scope, 531).await;
    let daves_group =
        s(&dave.ok("createInstanceGroup", &[("name", "mine")]).await["instancegroup"]["id"]);
    dadmin
        .err("deleteInstanceGroup", &[("id", &daves_group)], 531)
        .await;
    let (_, template) = template_of(&admin, &dave).await;
    job_err(
        &dadmin,
        "createTags",
        &[
            ("resourceids", &template),
            ("resourcetype", "Template"),
            ("tags[0].key", "k"),
            ("tags[0].value", "v"),
        ],
        531,
    )
    .await;
    // listall shows the subtree only.
    let all = dadmin.ok("listSSHKeyPairs", &[("listall", "true")]).await;
    assert_eq!(count(&all), 1, "{all}");
    let groups = dadmin
        .ok("listInstanceGroups", &[("listall", "true")])
        .await;
    assert_eq!(names(&groups, "instancegroup"), ["g"]);
    cloud.stop().await;
}
