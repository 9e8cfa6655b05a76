//! `strato quickstart` (the README's first command) from an empty data directory: the
//! server starts, builds a ready zone, and prints working admin keys.

use std::time::Duration;

use crate::common::{Client, Quickstart};

#[tokio::test]
async fn quickstart_prints_keys_and_builds_a_ready_zone() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let agent_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut qs =
        Quickstart::spawn(&[], port, agent_port, dir.path(), Duration::from_secs(60)).await;
    let client = Client::new(
        &format!("http://127.0.0.1:{port}/client/api"),
        &qs.value("API key:"),
        &qs.value("Secret key:"),
    );
    assert!(
        qs.lines
            .iter()
            .any(|l| l.starts_with("Built zone Sandbox-simulator")),
        "{:?}",
        qs.lines
    );
    let zones = client.ok("listZones", &[]).await;
    assert_eq!(zones["zone"][0]["allocationstate"], "Enabled");
    let hosts = client.ok("listHosts", &[("state", "Up")]).await;
    assert_eq!(hosts["count"], 4, "{hosts}");
    assert_eq!(client.ok("listStoragePools", &[]).await["count"], 1);
    assert_eq!(client.ok("listImageStores", &[]).await["count"], 1);
    assert_eq!(client.ok("listVlanIpRanges", &[]).await["count"], 1);
    // A VM can be deployed at once from the built-in template.
    let zone = zones["zone"][0]["id"].as_str().expect("zone").to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let template = loop {
        let t = client
            .ok(
                "listTemplates",
                &[("templatefilter", "featured"), ("isready", "true")],
            )
            .await;
        if let Some(id) = t["template"][0]["id"].as_str() {
            break id.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no ready template: {t}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let offering = client
        .ok("listServiceOfferings", &[("name", "Small Instance")])
        .await["serviceoffering"][0]["id"]
        .as_str()
        .expect("Small Instance")
        .to_string();
    let job = client
        .wait_job(
            "deployVirtualMachine",
            &[
                ("zoneid", &zone),
                ("templateid", &template),
                ("serviceofferingid", &offering),
            ],
        )
        .await;
    let vm = &job["jobresult"]["virtualmachine"];
    assert_eq!(vm["state"], "Running", "{job}");
    // Guest networking works there: the admin's default network gave the VM an address.
    let address = vm["nic"][0]["ipaddress"].as_str().unwrap_or_default();
    assert!(address.starts_with("10.1.1."), "{job}");
    assert_eq!(vm["nic"][0]["type"], "Isolated", "{job}");
    let _ = qs.child.kill();
    let _ = qs.child.wait();
}
