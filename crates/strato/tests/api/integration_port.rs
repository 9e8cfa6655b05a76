//! The integration port (`integration.api.port`): a second, unauthenticated listener on
//! loopback that runs every command as SYSTEM and serves no login.

use crate::common::{Resp, TestCloud};

async fn get(url: &str) -> Resp {
    let r = tokio::time::timeout(std::time::Duration::from_secs(20), reqwest::get(url))
        .await
        .expect("answers in time")
        .expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    Resp {
        status,
        headers,
        text,
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test]
async fn integration_port_runs_unsigned_calls_as_system() {
    let mut cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    assert!(
        cloud
            .server
            .as_ref()
            .expect("running")
            .integration_addr
            .is_none(),
        "closed by default"
    );
    let port = free_port();
    let set = admin
        .ok(
            "updateConfiguration",
            &[
                ("name", "integration.api.port"),
                ("value", &port.to_string()),
            ],
        )
        .await;
    assert_eq!(set["configuration"]["value"], port.to_string());
    cloud.restart().await;
    // The normal port moved with the restart.
    let admin = cloud.admin().await;

    let addr = cloud
        .server
        .as_ref()
        .expect("running")
        .integration_addr
        .expect("integration port open after restart");
    assert!(addr.ip().is_loopback(), "{addr}");
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_eq!(addr.port(), port);
    let base = format!("http://{addr}/client/api");

    // Unsigned calls work and run as the SYSTEM user of the root admin SYSTEM account.
    let r = get(&format!("{base}?command=listAccounts&response=json")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = get(&format!(
        "{base}?command=listAccounts&listall=true&response=json"
    ))
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let names: Vec<String> = r.inner()["account"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter_map(|a| a["name"].as_str().map(str::to_string))
        .collect();
    assert!(
        names.iter().any(|n| n == "admin"),
        "root admin view: {names:?}"
    );
    let users = get(&format!(
        "{base}?command=listUsers&listall=true&response=json"
    ))
    .await;
    assert_eq!(users.status, 200, "{}", users.text);
    // Root-admin-only commands are allowed.
    let r = get(&format!(
        "{base}?command=listConfigurations&name=integration.api.port&response=json"
    ))
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.inner()["configuration"][0]["value"],
        port.to_string(),
        "{}",
        r.text
    );
    // A write is done as SYSTEM: the new domain exists for everybody.
    let r = get(&format!(
        "{base}?command=createDomain&name=ViaIntegration&response=json"
    ))
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = admin.ok("listDomains", &[("name", "ViaIntegration")]).await;
    assert_eq!(listed["count"], 1, "{listed}");
    // The event records the SYSTEM account as its author.
    let events = admin
        .ok(
            "listEvents",
            &[("type", "DOMAIN.CREATE"), ("listall", "true")],
        )
        .await;
    let ev = events["event"]
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or_default();
    assert_eq!(ev["account"], "system", "{events}");
    assert_eq!(ev["username"], "system", "{events}");

    // Parameters come from the query only; `response` is case-sensitive there.
    let r = get(&format!("{base}?command=listAccounts&response=JSON")).await;
    assert_eq!(r.status, 200);
    assert!(r.text.starts_with("<?xml"), "{}", r.text);
    assert!(
        !r.text.contains("cloud-stack-version"),
        "no version for SYSTEM: {}",
        r.text
    );

    // No login there.
    let r = get(&format!(
        "{base}?command=login&username=admin&password=password&response=json"
    ))
    .await;
    assert_eq!(r.status, 432, "{}", r.text);
    assert!(r.text.starts_with(r#"{"errorresponse":"#), "{}", r.text);
    assert_eq!(r.error_code(), Some(432));
    let r = reqwest::Client::new()
        .post(format!("{base}?response=json"))
        .form(&[
            ("command", "login"),
            ("username", "admin"),
            ("password", "password"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 432);
    // No command: 432 under errorresponse.
    let r = get(&format!("{base}?response=json")).await;
    assert_eq!(r.status, 432, "{}", r.text);
    assert!(r.text.starts_with(r#"{"errorresponse":"#), "{}", r.text);
    assert_eq!(r.error_code(), Some(432));
    // An unknown command there is also 432.
    let r = get(&format!("{base}?command=noSuchCommand&response=json")).await;
    assert_eq!(r.status, 432, "{}", r.text);

    // The normal port still wants a signature.
    let r = get(&format!(
        "{}?command=listAccounts&response=json",
        cloud.url()
    ))
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.error_code(), Some(401));
    assert_eq!(admin_port_ok(&cloud).await, 200);

    // Turning it off again closes it after the next restart.
    let admin = cloud.admin().await;
    admin
        .ok(
            "updateConfiguration",
            &[("name", "integration.api.port"), ("value", "0")],
        )
        .await;
    cloud.restart().await;
    assert!(
        cloud
            .server
            .as_ref()
            .expect("running")
            .integration_addr
            .is_none()
    );
    assert!(
        reqwest::get(format!("{base}?command=listAccounts&response=json"))
            .await
            .is_err(),
        "nothing listens on {addr} any more"
    );
    cloud.stop().await;
}

async fn admin_port_ok(cloud: &TestCloud) -> u16 {
    cloud.admin().await.call("listAccounts", &[]).await.status
}
