//! Tenants never see or touch other accounts; domain admins stay inside their domain.

use crate::common::{TestCloud, new_account};

#[tokio::test]
async fn a_user_sees_and_changes_only_its_own_account() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (alice, alice_acct) = new_account(&admin, "alice", None, "0").await;
    let (_bob, bob_acct) = new_account(&admin, "bob", None, "0").await;
    let bob_user = bob_acct["user"][0]["id"].as_str().expect("id");
    let alice_user = alice_acct["user"][0]["id"].as_str().expect("id");

    let users = alice.ok("listUsers", &[("listall", "true")]).await;
    let names: Vec<&str> = users["user"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["alice"]);
    let accounts = alice.ok("listAccounts", &[("listall", "true")]).await;
    assert_eq!(accounts["count"], 1);
    assert!(
        !users.to_string().contains("secretkey"),
        "secret keys are never listed"
    );

    alice.err("getUserKeys", &[("id", bob_user)], 531).await;
    alice
        .err("registerUserKeys", &[("id", bob_user)], 531)
        .await;
    alice
        .err(
            "updateUser",
            &[("id", bob_user), ("firstname", "Mallory")],
            531,
        )
        .await;
    alice.err("listUsers", &[("account", "bob")], 531).await;
    // Admin-only commands are not available to users at all.
    let text = alice.err("deleteUser", &[("id", bob_user)], 432).await;
    assert!(text.contains("deleteUser"), "{text}");
    alice
        .err(
            "createAccount",
            &[
                ("username", "x"),
                ("password", "x"),
                ("email", "a@b.c"),
                ("firstname", "a"),
                ("lastname", "b"),
            ],
            432,
        )
        .await;

    // Own keys are fine.
    let keys = alice.ok("getUserKeys", &[("id", alice_user)]).await;
    assert_eq!(keys["userkeys"]["apikey"], alice.api_key.as_str());
    // Bob is untouched.
    let bob = admin.ok("listUsers", &[("id", bob_user)]).await;
    assert_eq!(bob["user"][0]["firstname"], "Test");
    cloud.stop().await;
}

#[tokio::test]
async fn a_domain_admin_stays_inside_its_domain() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let sales = admin.ok("createDomain", &[("name", "Sales")]).await["domain"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let ops = admin.ok("createDomain", &[("name", "Ops")]).await["domain"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (dadmin, _) = new_account(&admin, "salesadmin", Some(&sales), "2").await;
    let (_, inside) = new_account(&admin, "salesuser", Some(&sales), "0").await;
    let (_, outside) = new_account(&admin, "opsuser", Some(&ops), "0").await;
    let inside_user = inside["user"][0]["id"].as_str().expect("id");
    let outside_user = outside["user"][0]["id"].as_str().expect("id");
    let root_admin_user = admin.ok("listUsers", &[("username", "admin")]).await["user"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();

    // Keys: inside yes; outside, and ROOT admins, never.
    dadmin.ok("getUserKeys", &[("id", inside_user)]).await;
    dadmin
        .err("getUserKeys", &[("id", outside_user)], 531)
        .await;
    dadmin
        .err("getUserKeys", &[("id", &root_admin_user)], 531)
        .await;
    dadmin
        .err("registerUserKeys", &[("id", &root_admin_user)], 531)
        .await;

    let users = dadmin.ok("listUsers", &[("listall", "true")]).await;
    let names: Vec<&str> = users["user"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert!(
        names.contains(&"salesuser") && names.contains(&"salesadmin"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"opsuser") && !names.contains(&"admin"),
        "{names:?}"
    );
    dadmin.err("listAccounts", &[("domainid", &ops)], 531).await;
    let job = dadmin
        .wait_job("disableUser", &[("id", outside_user)])
        .await;
    assert_eq!(job["jobresultcode"], 531, "{job}");
    dadmin
        .err(
            "createDomain",
            &[("name", "Sub"), ("parentdomainid", &ops)],
            531,
        )
        .await;
    // Cannot make a root admin.
    let e = dadmin
        .err(
            "createAccount",
            &[
                ("username", "evil"),
                ("password", "x"),
                ("email", "a@b.c"),
                ("firstname", "a"),
                ("lastname", "b"),
                ("accounttype", "1"),
            ],
            531,
        )
        .await;
    assert!(e.contains("role"), "{e}");
    // Inside its domain it can create accounts and sub-domains.
    dadmin.ok("createDomain", &[("name", "East")]).await;
    dadmin
        .ok(
            "createAccount",
            &[
                ("username", "newbie"),
                ("password", "x"),
                ("email", "a@b.c"),
                ("firstname", "a"),
                ("lastname", "b"),
                ("accounttype", "0"),
            ],
        )
        .await;
    cloud.stop().await;
}
