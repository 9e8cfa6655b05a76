//! Domains, accounts, users, roles, events and settings through the API.

use crate::common::{Client, TestCloud, new_account};

#[tokio::test]
async fn accounts_and_users_lifecycle() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (carol, acct) = new_account(&admin, "carol", None, "0").await;
    let acct_id = acct["id"].as_str().expect("id");
    assert_eq!(acct["roletype"], "User");
    assert_eq!(acct["state"], "enabled");

    let dup = admin
        .err(
            "createAccount",
            &[
                ("username", "carol"),
                ("password", "x"),
                ("email", "a@b.c"),
                ("firstname", "a"),
                ("lastname", "b"),
                ("accounttype", "0"),
            ],
            431,
        )
        .await;
    assert!(dup.contains("already exists"), "{dup}");

    let u = admin
        .ok(
            "createUser",
            &[
                ("account", "carol"),
                ("username", "carol2"),
                ("password", "pw"),
                ("email", "c@d.e"),
                ("firstname", "C"),
                ("lastname", "Two"),
            ],
        )
        .await;
    let u2 = u["user"]["id"].as_str().expect("id").to_string();
    let renamed = admin
        .ok("updateAccount", &[("id", acct_id), ("newname", "caroline")])
        .await;
    assert_eq!(renamed["account"]["name"], "caroline");

    // Disabling the account locks its users out; enabling lets them back in.
    let job = admin
        .wait_job("disableAccount", &[("id", acct_id), ("lock", "false")])
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    assert_eq!(job["jobresult"]["account"]["state"], "disabled");
    assert_eq!(carol.call("listUsers", &[]).await.status, 401);
    admin.ok("enableAccount", &[("id", acct_id)]).await;
    assert_eq!(carol.call("listUsers", &[]).await.status, 200);

    // Users change their own password only with the current one.
    let (c2, _) = Client::login(&cloud.url(), "carol2", "pw", None).await;
    c2.err("updateUser", &[("id", &u2), ("password", "new")], 431)
        .await;
    c2.ok(
        "updateUser",
        &[("id", &u2), ("password", "new"), ("currentpassword", "pw")],
    )
    .await;
    let (_, r) = Client::login(&cloud.url(), "carol2", "new", None).await;
    assert_eq!(r.status, 200);

    admin.ok("deleteUser", &[("id", &u2)]).await;
    let (_, r) = Client::login(&cloud.url(), "carol2", "new", None).await;
    assert_eq!(r.status, 531);

    let job = admin.wait_job("deleteAccount", &[("id", acct_id)]).await;
    assert_eq!(job["jobresult"]["success"], true, "{job}");
    assert_eq!(
        carol.call("listUsers", &[]).await.status,
        401,
        "keys of deleted users stop working"
    );
    let events = admin.ok("listEvents", &[("type", "ACCOUNT.DELETE")]).await;
    assert_eq!(events["count"], 1, "{events}");
    cloud.stop().await;
}

#[tokio::test]
async fn domains_tree_and_cleanup() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let a = admin.ok("createDomain", &[("name", "A")]).await["domain"].clone();
    assert_eq!(a["path"], "ROOT/A");
    assert_eq!(a["level"], 1);
    let a_id = a["id"].as_str().expect("id");
    let b = admin
        .ok("createDomain", &[("name", "B"), ("parentdomainid", a_id)])
        .await["domain"]
        .clone();
    assert_eq!(b["path"], "ROOT/A/B");
    new_account(&admin, "inb", b["id"].as_str(), "0").await;

    let children = admin.ok("listDomainChildren", &[("id", a_id)]).await;
    assert_eq!(children["count"], 1);
    let all = admin.ok("listDomains", &[("listall", "true")]).await;
    assert_eq!(all["count"], 3);
    let renamed = admin
        .ok("updateDomain", &[("id", a_id), ("name", "Alpha")])
        .await;
    assert_eq!(renamed["domain"]["path"], "ROOT/Alpha");
    let b_now = admin
        .ok("listDomains", &[("id", b["id"].as_str().expect("id"))])
        .await;
    assert_eq!(
        b_now["domain"][0]["path"], "ROOT/Alpha/B",
        "children follow a rename"
    );

    let refused = admin.wait_job("deleteDomain", &[("id", a_id)]).await;
    assert_eq!(refused["jobstatus"], 2);
    assert_eq!(refused["jobresultcode"], 536);
    let done = admin
        .wait_job("deleteDomain", &[("id", a_id), ("cleanup", "true")])
        .await;
    assert_eq!(done["jobstatus"], 1, "{done}");
    assert_eq!(
        admin.ok("listDomains", &[("listall", "true")]).await["count"],
        1
    );
    assert_eq!(
        admin
            .ok("listAccounts", &[("name", "inb")])
            .await
            .get("count"),
        None
    );
    cloud.stop().await;
}

#[tokio::test]
async fn roles_and_permissions_decide_access() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let roles = admin.ok("listRoles", &[]).await;
    let names: Vec<&str> = roles["role"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    for n in ["Root Admin", "Resource Admin", "Domain Admin", "User"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let user_role = roles["role"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["name"] == "User")
        .expect("User role");
    let custom = admin
        .ok(
            "createRole",
            &[
                ("name", "NoEvents"),
                ("roleid", user_role["id"].as_str().expect("id")),
            ],
        )
        .await["role"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let rules = admin
        .ok("listRolePermissions", &[("roleid", &custom)])
        .await;
    assert!(
        rules["count"].as_i64().unwrap_or(0) > 5,
        "rules copied: {rules}"
    );
    // Put a deny for listEvents first.
    let deny = admin
        .ok(
            "createRolePermission",
            &[
                ("roleid", &custom),
                ("rule", "listEvents"),
                ("permission", "deny"),
            ],
        )
        .await;
    let deny_id = deny["rolepermission"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut order: Vec<String> = vec![deny_id.clone()];
    order.extend(
        rules["rolepermission"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_string)),
    );
    admin
        .ok(
            "updateRolePermission",
            &[("roleid", &custom), ("ruleorder", &order.join(","))],
        )
        .await;

    admin
        .ok(
            "createAccount",
            &[
                ("username", "dan"),
                ("password", "pw"),
                ("email", "a@b.c"),
                ("firstname", "D"),
                ("lastname", "N"),
                ("roleid", &custom),
            ],
        )
        .await;
    let (dan, _) = Client::login(&cloud.url(), "dan", "pw", None).await;
    dan.err("listEvents", &[], 432).await;
    dan.ok("listUsers", &[]).await;
    let apis = dan.ok("listApis", &[]).await;
    let listed: Vec<&str> = apis["api"]
        .as_array()
        .expect("apis")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(
        !listed.contains(&"listEvents") && listed.contains(&"listUsers"),
        "{listed:?}"
    );
    admin.err("deleteRole", &[("id", &custom)], 536).await;
    cloud.stop().await;
}

#[tokio::test]
async fn settings_are_typed_and_persist() {
    let mut cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let c = admin
        .ok("listConfigurations", &[("name", "default.page.size")])
        .await;
    assert_eq!(c["configuration"][0]["value"], "500");
    admin
        .err(
            "updateConfiguration",
            &[("name", "default.page.size"), ("value", "lots")],
            431,
        )
        .await;
    admin
        .err(
            "updateConfiguration",
            &[("name", "no.such.setting"), ("value", "1")],
            431,
        )
        .await;
    let u = admin
        .ok(
            "updateConfiguration",
            &[("name", "default.page.size"), ("value", "2")],
        )
        .await;
    assert_eq!(u["configuration"]["value"], "2");
    admin
        .err("listAccounts", &[("page", "1"), ("pagesize", "3")], 431)
        .await;
    cloud.restart().await;
    let admin = cloud.admin().await;
    let c = admin
        .ok("listConfigurations", &[("name", "default.page.size")])
        .await;
    assert_eq!(c["configuration"][0]["value"], "2");
    let r = admin
        .ok("resetConfiguration", &[("name", "default.page.size")])
        .await;
    assert_eq!(r["configuration"]["value"], "500");
    let events = admin
        .ok("listEvents", &[("type", "CONFIGURATION.VALUE.EDIT")])
        .await;
    assert_eq!(events["count"], 2, "{events}");
    cloud.stop().await;
}
