//! The `tags[i].key/value` filter of list commands, on a real (SQLite) database: a
//! resource matches when it carries any of the pairs, of its own resource type.

use strato_schema::Store;
use strato_schema::account::NewAccount;
use strato_schema::domain::NewDomain;
use strato_schema::resource_tag::{NewTag, TaggedWith};
use strato_schema::role::NewRole;
use strato_schema::sql::Sql;

fn with(pairs: &[(&str, Option<&str>)]) -> TaggedWith {
    TaggedWith {
        resource_type: "Template".into(),
        pairs: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect(),
    }
}

#[tokio::test]
async fn tag_filters_select_resources_carrying_any_pair() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("tags.db").display());
    let store = Store::open(&url).await.expect("open sqlite");
    store.migrate().await.expect("migrate");
    let mut db = store.acquire().await.expect("connection");
    let mut c = db.c();
    let now = strato_schema::now();
    let domain = c
        .insert_domain(
            &NewDomain {
                uuid: "d",
                parent_id: None,
                name: "ROOT",
                path: "/",
                level: 0,
                network_domain: None,
            },
            now,
        )
        .await
        .expect("domain");
    let role = c
        .insert_role(
            &NewRole {
                uuid: "r",
                name: "User",
                role_type: "User",
                description: None,
                is_default: true,
                is_public: true,
            },
            now,
        )
        .await
        .expect("role");
    let account = c
        .insert_account(
            &NewAccount {
                uuid: "a",
                name: "alice",
                account_type: 0,
                role_id: role,
                domain_id: domain,
                network_domain: None,
                is_default: false,
            },
            now,
        )
        .await
        .expect("account");
    // Template 1: env=prod; template 2: env=dev, team=x; ISO 1 (same id): env=prod.
    for (i, (ty, id, key, value)) in [
        ("Template", 1, "env", "prod"),
        ("Template", 2, "env", "dev"),
        ("Template", 2, "team", "x"),
        ("ISO", 3, "env", "prod"),
    ]
    .into_iter()
    .enumerate()
    {
        c.insert_tag(
            &NewTag {
                uuid: &format!("t{i}"),
                key,
                value,
                resource_type: ty,
                resource_id: id,
                resource_uuid: &format!("res{id}"),
                account_id: account,
                domain_id: domain,
                customer: None,
            },
            now,
        )
        .await
        .expect("tag");
    }
    assert_eq!(
        c.tagged_ids(&with(&[("env", Some("prod"))]))
            .await
            .expect("q"),
        vec![1]
    );
    assert_eq!(
        c.tagged_ids(&with(&[("env", Some("prod")), ("team", Some("x"))]))
            .await
            .expect("q"),
        vec![1, 2]
    );
    assert_eq!(
        c.tagged_ids(&with(&[("env", None)])).await.expect("q"),
        vec![1, 2]
    );
    assert!(
        c.tagged_ids(&with(&[("env", Some("staging"))]))
            .await
            .expect("q")
            .is_empty()
    );
    assert!(c.tagged_ids(&with(&[])).await.expect("q").is_empty());

    // As a condition on another query's id column.
    let mut sql =
        Sql::new("SELECT id FROM (SELECT 1 AS id UNION SELECT 2 UNION SELECT 3) r WHERE 1 = 1");
    with(&[("team", Some("x"))]).apply(&mut sql, "r.id");
    let rows: Vec<(i64,)> = c.fetch_all(&sql).await.expect("q");
    assert_eq!(rows, vec![(2,)]);
    drop(db);
    store.close().await;
}
