//! Events: written by state-changing commands and logins, scoped per account,
//! archivable and deletable.

use crate::common::{Client, TestCloud, new_account};

#[tokio::test]
async fn events_are_recorded_scoped_archived_and_deleted() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (gina, _) = new_account(&admin, "gina", None, "0").await;
    // gina's own event: a login.
    let (_, r) = Client::login(&cloud.url(), "gina", "pw-Secret1", None).await;
    assert_eq!(r.status, 200);

    let created = admin.ok("listEvents", &[("type", "ACCOUNT.CREATE")]).await;
    assert_eq!(created["count"], 1, "{created}");
    let e = &created["event"][0];
    assert_eq!(e["level"], "INFO");
    assert_eq!(e["username"], "admin");
    assert_eq!(e["resourcename"], "gina");

    // gina sees only her account's events (her login), never the admin's.
    let mine = gina.ok("listEvents", &[("listall", "true")]).await;
    let types: Vec<&str> = mine["event"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types, ["USER.LOGIN"]);
    let admins = admin.ok("listEvents", &[("listall", "true")]).await;
    assert!(admins["count"].as_i64().unwrap_or(0) >= 3, "{admins}");

    // Archive the admin's ACCOUNT.CREATE: it leaves the normal list.
    let id = e["id"].as_str().expect("id").to_string();
    gina.err("archiveEvents", &[("ids", &id)], 431).await;
    admin.ok("archiveEvents", &[("ids", &id)]).await;
    assert_eq!(
        admin
            .ok("listEvents", &[("type", "ACCOUNT.CREATE")])
            .await
            .get("count"),
        None
    );
    let archived = admin
        .ok(
            "listEvents",
            &[("type", "ACCOUNT.CREATE"), ("archived", "true")],
        )
        .await;
    assert_eq!(archived["count"], 1);
    admin.ok("deleteEvents", &[("ids", &id)]).await;
    assert_eq!(
        admin
            .ok("listEvents", &[("archived", "true")])
            .await
            .get("count"),
        None
    );
    admin.err("deleteEvents", &[], 431).await;

    let types = admin.ok("listEventTypes", &[]).await;
    assert!(types["count"].as_i64().unwrap_or(0) > 100);
    assert!(
        types["eventtype"]
            .as_array()
            .expect("types")
            .iter()
            .any(|t| t["name"] == "VM.CREATE")
    );
    cloud.stop().await;
}
