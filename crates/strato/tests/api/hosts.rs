//! Hosts: simulated hosts added with addHost, external `strato agent` processes that
//! come and go, maintenance, and restarts of either side.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Client, TestCloud};
use crate::inventory::marvin_zone;

pub async fn sim_cluster(admin: &Client) -> (String, String, String) {
    let (zone, pod) = marvin_zone(admin).await;
    let cluster = add_sim_cluster(admin, &zone, &pod).await;
    (zone, pod, cluster)
}

/// Simulator cluster C0 in the pod. Returns its id.
pub async fn add_sim_cluster(admin: &Client, zone: &str, pod: &str) -> String {
    admin
        .ok(
            "addCluster",
            &[
                ("zoneid", zone),
                ("podid", pod),
                ("clustername", "C0"),
                ("hypervisor", "Simulator"),
                ("clustertype", "CloudManaged"),
            ],
        )
        .await["cluster"][0]["id"]
        .as_str()
        .expect("cluster id")
        .to_string()
}

/// Polls listHosts until `count` hosts match `state` (or the deadline passes).
pub async fn wait_hosts(
    admin: &Client,
    params: &[(&str, &str)],
    state: &str,
    count: usize,
    within: Duration,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let hosts = admin.ok("listHosts", params).await["host"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if hosts.iter().filter(|h| h["state"] == state).count() == count {
            return hosts;
        }
        assert!(
            Instant::now() < deadline,
            "hosts never reached {state}: {hosts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn simulated_hosts_come_up_and_do_maintenance() {
    let mut cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, pod, cluster) = sim_cluster(&admin).await;
    let add = |url: &'static str| {
        let (admin, zone, pod, cluster) =
            (admin.clone(), zone.clone(), pod.clone(), cluster.clone());
        async move {
            admin
                .call(
                    "addHost",
                    &[
                        ("zoneid", &zone),
                        ("podid", &pod),
                        ("clusterid", &cluster),
                        ("hypervisor", "Simulator"),
                        ("url", url),
                        ("username", "root"),
                        ("password", "password"),
                    ],
                )
                .await
        }
    };
    let r = add("http://sim/c0/h0").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let host = r.inner()["host"][0].clone();
    assert_eq!(host["cpunumber"], 4);
    assert_eq!(host["cpuspeed"], 8000);
    assert!(
        host["name"]
            .as_str()
            .unwrap_or_default()
            .starts_with("SimulatedAgent.")
    );
    let r = add("http://sim/c0/h1/cpucore=8&memory=17179869184").await;
    assert_eq!(r.inner()["host"][0]["cpunumber"], 8);
    let hosts = wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Up",
        2,
        Duration::from_secs(10),
    )
    .await;
    assert!(
        hosts
            .iter()
            .all(|h| h["resourcestate"] == "Enabled" && h["type"] == "Routing")
    );

    // Bad input: duplicate URL, wrong scheme, wrong hypervisor for the cluster.
    assert_eq!(add("http://sim/c0/h0").await.status, 431);
    let r = add("ftp://sim/c0/h9").await;
    assert_eq!(r.status, 431);
    assert!(r.text.contains("url"), "{}", r.text);
    let r = admin
        .call(
            "addHost",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("clusterid", &cluster),
                ("hypervisor", "KVM"),
                ("url", "http://10.0.0.5"),
                ("username", "root"),
                ("password", "p"),
            ],
        )
        .await;
    assert_eq!(r.status, 431);
    assert!(r.text.contains("Simulator cluster"), "{}", r.text);
    assert_eq!(
        admin.ok("listHosts", &[]).await["count"],
        2,
        "nothing half-created"
    );

    // Maintenance on an empty host, and back.
    let id = host["id"].as_str().expect("id").to_string();
    let job = admin
        .wait_job("prepareHostForMaintenance", &[("id", &id)])
        .await;
    assert_eq!(
        job["jobresult"]["host"]["resourcestate"], "Maintenance",
        "{job}"
    );
    let job = admin
        .wait_job("cancelHostMaintenance", &[("id", &id)])
        .await;
    assert_eq!(
        job["jobresult"]["host"]["resourcestate"], "Enabled",
        "{job}"
    );

    // A server restart brings simulated hosts back by themselves.
    cloud.restart().await;
    let admin = Client::new(&cloud.url(), &admin.api_key, &admin.secret);
    wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Up",
        2,
        Duration::from_secs(10),
    )
    .await;
    cloud.stop().await;
}

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_agent(port: u16, token: &str, cluster: &str, state: &std::path::Path) -> Agent {
    let child = Command::new(env!("CARGO_BIN_EXE_strato"))
        .args([
            "agent",
            "--driver",
            "simulator",
            "--hosts",
            "3",
            "--server",
            &format!("127.0.0.1:{port}"),
            "--token",
            token,
            "--cluster-id",
            cluster,
        ])
        .arg("--state-dir")
        .arg(state)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn strato agent");
    Agent(child)
}

#[tokio::test]
async fn an_external_agent_goes_away_and_comes_back() {
    let mut cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    // Fast pings so the test sees timeouts in seconds.
    admin
        .ok(
            "updateConfiguration",
            &[("name", "ping.interval"), ("value", "1")],
        )
        .await;
    admin
        .ok(
            "updateConfiguration",
            &[("name", "ping.timeout"), ("value", "2")],
        )
        .await;
    let (_, _, cluster) = sim_cluster(&admin).await;
    let server = cloud.server.as_ref().expect("running");
    let port = server.agent_addr.expect("agent port").port();
    let token = server.engine.agents.token();
    let state = tempfile::tempdir().expect("state dir");

    // A wrong token: the agent exits non-zero with a clear message.
    let mut wrong = Command::new(env!("CARGO_BIN_EXE_strato"));
    wrong
        .args([
            "agent",
            "--driver",
            "simulator",
            "--hosts",
            "1",
            "--server",
            &format!("127.0.0.1:{port}"),
            "--token",
            "wrong",
            "--cluster-id",
            &cluster,
        ])
        .arg("--state-dir")
        .arg(state.path().join("other"));
    // The test runtime has one thread: wait for the process off it.
    let out = tokio::task::spawn_blocking(move || wrong.output())
        .await
        .expect("join")
        .expect("run agent");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("token"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let agent = spawn_agent(port, &token, &cluster, state.path());
    let hosts = wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Up",
        3,
        Duration::from_secs(20),
    )
    .await;
    let ids: Vec<String> = hosts
        .iter()
        .filter_map(|h| h["id"].as_str().map(str::to_string))
        .collect();

    // kill -9: Alert at once, Down after the ping timeout.
    drop(agent);
    wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Down",
        3,
        Duration::from_secs(15),
    )
    .await;

    // The same agent comes back as the same hosts.
    let agent = spawn_agent(port, &token, &cluster, state.path());
    let back = wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Up",
        3,
        Duration::from_secs(20),
    )
    .await;
    let mut back_ids: Vec<String> = back
        .iter()
        .filter_map(|h| h["id"].as_str().map(str::to_string))
        .collect();
    let mut ids = ids;
    ids.sort();
    back_ids.sort();
    assert_eq!(ids, back_ids, "no duplicate hosts after a reconnect");

    // The management server restarts on the same port: the agent reconnects by itself.
    let agent_port = port;
    cloud.restart_with_agent_port(agent_port).await;
    let admin = Client::new(&cloud.url(), &admin.api_key, &admin.secret);
    wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Up",
        3,
        Duration::from_secs(40),
    )
    .await;
    drop(agent);
    cloud.stop().await;
}
