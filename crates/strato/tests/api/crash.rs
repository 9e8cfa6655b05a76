//! kill -9 of a real `strato server` process while jobs run: after a restart every job
//! has an outcome and every account is either wholly there or wholly gone.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Client, fresh_pg_database};

struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn spawn(data_dir: &std::path::Path, db: &str, port: u16) -> ServerProcess {
    spawn_with(data_dir, db, port, None).await
}

/// `crash`: the `STRATO_TEST_CRASH_POINT` that makes the process die mid-saga.
async fn spawn_with(
    data_dir: &std::path::Path,
    db: &str,
    port: u16,
    crash: Option<&str>,
) -> ServerProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strato"));
    if let Some(point) = crash {
        cmd.env(strato_engine::sagas::CRASH_ENV, point);
    }
    let child = cmd
        .args([
            "server",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
            db,
            // Several crash tests run at once: no fixed agent port.
            "--agent-listen",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn strato server");
    let url = format!("http://127.0.0.1:{port}/client/api?command=listCapabilities");
    let start = Instant::now();
    while reqwest::get(&url).await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ServerProcess(child)
}

#[tokio::test]
async fn kill_9_during_jobs_leaves_a_consistent_system() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = match std::env::var("STRATO_TEST_PG_URL") {
        Ok(admin) if !admin.is_empty() => fresh_pg_database(&admin).await,
        _ => format!("sqlite://{}", dir.path().join("strato.db").display()),
    };
    let port = free_port();
    let server = spawn(dir.path(), &db, port).await;
    let store = strato_schema::Store::open(&db).await.expect("store");
    let (key, secret) = strato_engine::bootstrap::admin_keys(&store)
        .await
        .expect("keys");
    store.close().await;
    let admin = Client::new(
        &format!("http://127.0.0.1:{port}/client/api"),
        &key,
        &secret,
    );
    admin
        .ok(
            "updateConfiguration",
            &[("name", "cluster.heartbeat.threshold"), ("value", "2000")],
        )
        .await;

    let mut ids = Vec::new();
    for i in 0..20 {
        let name = format!("victim{i}");
        let a = admin
            .ok(
                "createAccount",
                &[
                    ("username", &name),
                    ("password", "pw"),
                    ("email", "v@x.io"),
                    ("firstname", "V"),
                    ("lastname", "X"),
                    ("accounttype", "0"),
                ],
            )
            .await;
        ids.push(a["account"]["id"].as_str().expect("id").to_string());
    }
    let mut jobs = Vec::new();
    for id in &ids {
        let r = admin.ok("deleteAccount", &[("id", id)]).await;
        jobs.push(r["jobid"].as_str().expect("jobid").to_string());
    }
    // kill -9 while the workers are busy with them.
    let mut server = server;
    server.0.kill().expect("kill -9");
    let _ = server.0.wait();
    drop(server);

    let _server = spawn(dir.path(), &db, port).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut outcomes: Vec<Value> = Vec::new();
    for job in &jobs {
        loop {
            let r = admin.ok("queryAsyncJobResult", &[("jobid", job)]).await;
            if r["jobstatus"] != 0 {
                outcomes.push(r);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "job {job} still pending after restart"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for (id, outcome) in ids.iter().zip(&outcomes) {
        let accounts = admin.ok("listAccounts", &[("id", id)]).await;
        let present = accounts.get("count").is_some();
        let users = admin.ok("listUsers", &[("listall", "true")]).await;
        let name = format!("victim{}", ids.iter().position(|x| x == id).unwrap_or(0));
        let user_present = users["user"]
            .as_array()
            .is_some_and(|u| u.iter().any(|x| x["username"] == name.as_str()));
        assert_eq!(
            present, user_present,
            "account {id} and its user must go together: {outcome}"
        );
        if outcome["jobstatus"] == 1 {
            assert!(!present, "a succeeded delete left the account: {outcome}");
        }
    }
    // The restarted server runs new jobs.
    let fresh = admin.wait_job("deleteAccount", &[("id", &ids[0])]).await;
    assert_ne!(fresh["jobstatus"], 0);
}

/// The deploy saga's steps, in order (see crates/engine/src/vms/deploy.rs).
const DEPLOY_STEPS: &[&str] = &[
    "vm_uuid",
    "root_uuid",
    "network_uuid",
    "default_network",
    "create_records",
    "allocate_nics",
    "reserve_capacity",
    "create_root_volume",
    "start_on_host",
    "mark_running",
];

#[tokio::test]
async fn kill_9_at_every_step_of_a_deploy_leaves_running_or_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = match std::env::var("STRATO_TEST_PG_URL") {
        Ok(admin) if !admin.is_empty() => fresh_pg_database(&admin).await,
        _ => format!("sqlite://{}", dir.path().join("strato.db").display()),
    };
    let port = free_port();
    let mut server = spawn(dir.path(), &db, port).await;
    let store = strato_schema::Store::open(&db).await.expect("store");
    let (key, secret) = strato_engine::bootstrap::admin_keys(&store)
        .await
        .expect("keys");
    store.close().await;
    let admin = Client::new(
        &format!("http://127.0.0.1:{port}/client/api"),
        &key,
        &secret,
    );
    admin
        .ok(
            "updateConfiguration",
            &[("name", "cluster.heartbeat.threshold"), ("value", "2000")],
        )
        .await;
    // 32 GiB: room for a VM from every round (each step, before and after).
    let z = crate::vms::sim_zone(&admin, &["memory=34359738368"]).await;
    for step in DEPLOY_STEPS {
        for when in ["before", "after"] {
            let point = format!("deploy-vm:{when}:{step}");
            drop(server);
            server = spawn_with(dir.path(), &db, port, Some(&point)).await;
            let r = admin
                .ok(
                    "deployVirtualMachine",
                    &[
                        ("zoneid", z.zone.as_str()),
                        ("templateid", z.template.as_str()),
                        ("serviceofferingid", z.offering.as_str()),
                    ],
                )
                .await;
            let job = r["jobid"].as_str().expect("jobid").to_string();
            let deadline = Instant::now() + Duration::from_secs(30);
            while server.0.try_wait().expect("wait").is_none() {
                assert!(Instant::now() < deadline, "{point}: the server did not die");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            drop(server);
            server = spawn(dir.path(), &db, port).await;
            let deadline = Instant::now() + Duration::from_secs(60);
            let outcome = loop {
                let r = admin.ok("queryAsyncJobResult", &[("jobid", &job)]).await;
                if r["jobstatus"] != 0 {
                    break r;
                }
                assert!(
                    Instant::now() < deadline,
                    "{point}: the deploy never finished"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let vms = admin
                .ok("listVirtualMachines", &[("listall", "true")])
                .await;
            let list = vms["virtualmachine"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let running = list.iter().filter(|v| v["state"] == "Running").count();
            assert_eq!(
                running,
                list.len(),
                "{point}: a VM is neither Running nor gone: {vms}"
            );
            if outcome["jobstatus"] == 1 {
                let id = &outcome["jobresult"]["virtualmachine"]["id"];
                assert!(list.iter().any(|v| &v["id"] == id), "{point}: {outcome}");
            }
            // Exactly the running VMs hold memory on the hosts.
            let hosts = admin.ok("listHosts", &[("type", "Routing")]).await;
            let held: i64 = hosts["host"]
                .as_array()
                .map(|h| h.iter().filter_map(|h| h["memoryallocated"].as_i64()).sum())
                .unwrap_or(0);
            assert_eq!(
                held,
                running as i64 * (512 << 20),
                "{point}: capacity leaked"
            );
            // Exactly the running VMs hold a NIC, each with its own address.
            let addresses: std::collections::HashSet<&str> = list
                .iter()
                .filter_map(|v| v["nic"][0]["ipaddress"].as_str())
                .collect();
            assert_eq!(addresses.len(), running, "{point}: {vms}");
            let store = strato_schema::Store::open(&db).await.expect("store");
            let nics = store
                .acquire()
                .await
                .expect("db")
                .c()
                .fetch_count(&strato_schema::sql::Sql::new(
                    "SELECT COUNT(*) FROM nic WHERE removed IS NULL",
                ))
                .await
                .expect("count");
            store.close().await;
            assert_eq!(nics, running as i64, "{point}: NICs leaked");
        }
    }
}
