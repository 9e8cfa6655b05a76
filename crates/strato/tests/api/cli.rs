//! `strato api` (the CloudMonkey-style client) against a live server.

use std::process::Output;

use crate::common::{TestCloud, new_account};

fn strato_api(cloud_url: &str, key: &str, secret: &str, args: &[&str]) -> Output {
    let config = tempfile::NamedTempFile::new().expect("tmp config");
    std::process::Command::new(env!("CARGO_BIN_EXE_strato"))
        .arg("api")
        .args(args)
        .env("STRATO_CONFIG", config.path())
        .env("STRATO_URL", cloud_url)
        .env("STRATO_APIKEY", key)
        .env("STRATO_SECRETKEY", secret)
        .output()
        .expect("run strato api")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn cli_lists_runs_jobs_and_reports_errors() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (_, acct) = new_account(&admin, "frank", None, "0").await;
    let user_id = acct["user"][0]["id"].as_str().expect("id").to_string();
    let (url, key, secret) = (cloud.url(), admin.api_key.clone(), admin.secret.clone());

    let run = move |args: Vec<String>| {
        let (url, key, secret) = (url.clone(), key.clone(), secret.clone());
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            strato_api(&url, &key, &secret, &refs)
        })
    };

    let out = run(vec!["listAccounts".into()]).await.expect("join");
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON output");
    assert_eq!(v["count"], 2, "{v}");

    let out = run(vec![
        "listUsers".into(),
        "--output".into(),
        "table".into(),
        "--filter".into(),
        "username,state".into(),
    ])
    .await
    .expect("join");
    let table = stdout(&out);
    assert!(
        table.contains("frank") && table.contains("enabled"),
        "{table}"
    );

    // An async command waits for its job and prints the result.
    let out = run(vec!["disableUser".into(), format!("id={user_id}")])
        .await
        .expect("join");
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("\"disabled\""), "{}", stdout(&out));

    // Errors: CloudStack's code and text on stderr, exit status 1.
    let out = run(vec!["createDomain".into()]).await.expect("join");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("431") && err.contains("missing parameter name"),
        "{err}"
    );

    // Per-command help comes from listApis.
    let out = run(vec!["createDomain".into(), "--help".into()])
        .await
        .expect("join");
    let help = stdout(&out);
    assert!(
        help.contains("parentdomainid") && help.contains("name"),
        "{help}"
    );
    cloud.stop().await;
}
