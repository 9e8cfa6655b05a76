//! `strato quickstart` (the README's first command) from an empty data directory: the
//! server starts, builds a ready zone, and prints working admin keys.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::Client;

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
    let mut child = Command::new(env!("CARGO_BIN_EXE_strato"))
        .args([
            "quickstart",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--agent-listen",
            &format!("127.0.0.1:{agent_port}"),
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn quickstart");
    let stdout = child.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let done = line.starts_with("Press Ctrl-C");
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    });
    let lines = tokio::time::timeout(Duration::from_secs(60), lines)
        .await
        .expect("quickstart within 60 s")
        .expect("join");
    let value = |label: &str| {
        lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("no {label} line in {lines:?}"))
    };
    let client = Client::new(
        &format!("http://127.0.0.1:{port}/client/api"),
        &value("API key:"),
        &value("Secret key:"),
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Built zone Sandbox-simulator")),
        "{lines:?}"
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
    let _ = child.kill();
    let _ = child.wait();
}
