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
    let child = Command::new(env!("CARGO_BIN_EXE_strato"))
        .args([
            "server",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
            db,
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
