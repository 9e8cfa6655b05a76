//! TLS on the agent port (`strato server --agent-tls-cert/--agent-tls-key`, `strato agent
//! --tls --ca-cert`), and updateHostPassword.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use strato_server::AgentTls;

use crate::common::{Client, TestCloud, new_account};
use crate::hosts::{sim_cluster, wait_hosts};

/// A self-signed certificate for the names, as (certificate PEM, key PEM).
fn self_signed(names: &[&str]) -> (String, String) {
    let names: Vec<String> = names.iter().map(|s| (*s).to_string()).collect();
    let ck = rcgen::generate_simple_self_signed(names).expect("certificate");
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

fn agent_command(port: u16, token: &str, cluster: &str, state: &Path, tls: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strato"));
    cmd.args([
        "agent",
        "--driver",
        "simulator",
        "--hosts",
        "2",
        "--server",
        &format!("127.0.0.1:{port}"),
        "--token",
        token,
        "--cluster-id",
        cluster,
        "--connect-timeout-secs",
        "5",
    ])
    .args(tls)
    .arg("--state-dir")
    .arg(state)
    .env("RUST_LOG", "warn");
    cmd
}

/// Runs an agent that must give up by itself; kills it if it hangs.
async fn run_to_failure(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn strato agent");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if child.try_wait().expect("wait").is_some() {
                return child.wait_with_output().expect("output");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let out = child.wait_with_output().expect("output");
                panic!("the agent hung: {}", String::from_utf8_lossy(&out.stderr));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .expect("join")
}

struct Agent(std::process::Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn agents_connect_over_tls_and_plaintext_or_untrusted_ones_fail_clearly() {
    let (cert, key) = self_signed(&["localhost", "127.0.0.1"]);
    let (other_cert, _) = self_signed(&["localhost", "127.0.0.1"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("server.pem");
    let wrong_ca = dir.path().join("other.pem");
    std::fs::write(&ca, &cert).expect("write cert");
    std::fs::write(&wrong_ca, &other_cert).expect("write cert");
    let (ca, wrong_ca) = (ca.display().to_string(), wrong_ca.display().to_string());

    let cloud = TestCloud::start_with(Some(AgentTls {
        cert_pem: cert.into_bytes(),
        key_pem: key.into_bytes(),
    }))
    .await;
    let admin = cloud.admin().await;
    let (_, _, cluster) = sim_cluster(&admin).await;
    let server = cloud.server.as_ref().expect("running");
    let port = server.agent_addr.expect("agent port").port();
    let token = server.engine.agents.token();

    // A plaintext agent against the TLS port: a clear error, not a hang.
    let out = run_to_failure(agent_command(
        port,
        &token,
        &cluster,
        &dir.path().join("plain"),
        &[],
    ))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("--tls"), "{stderr}");

    // A TLS agent that trusts another certificate refuses the server.
    let out = run_to_failure(agent_command(
        port,
        &token,
        &cluster,
        &dir.path().join("wrong"),
        &["--tls", "--ca-cert", &wrong_ca],
    ))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("TLS handshake failed") && stderr.contains("certificate"),
        "{stderr}"
    );

    // The name the certificate must carry is checked too.
    let out = run_to_failure(agent_command(
        port,
        &token,
        &cluster,
        &dir.path().join("name"),
        &[
            "--tls",
            "--ca-cert",
            &ca,
            "--tls-server-name",
            "mgmt.example",
        ],
    ))
    .await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("certificate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // --tls without --ca-cert is refused before connecting.
    let out = run_to_failure(agent_command(
        port,
        &token,
        &cluster,
        &dir.path().join("noca"),
        &["--tls"],
    ))
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ca-cert"));
    let count = admin.ok("listHosts", &[]).await["count"].clone();
    assert!(
        count.is_null() || count == 0,
        "failed agents registered nothing: {count}"
    );

    // The right CA: the hosts come up (by IP address, then by DNS name).
    let mut good = agent_command(
        port,
        &token,
        &cluster,
        &dir.path().join("good"),
        &["--tls", "--ca-cert", &ca],
    );
    let agent = Agent(good.stdout(Stdio::null()).spawn().expect("spawn agent"));
    wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Up",
        2,
        Duration::from_secs(20),
    )
    .await;
    drop(agent);
    let mut named = agent_command(
        port,
        &token,
        &cluster,
        &dir.path().join("named"),
        &["--tls", "--ca-cert", &ca, "--tls-server-name", "localhost"],
    );
    let agent = Agent(named.stdout(Stdio::null()).spawn().expect("spawn agent"));
    // The first agent's hosts may still show Up until their disconnect is noticed: wait
    // for the second agent's two hosts to be registered and Up as well.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let hosts = loop {
        let hosts = wait_hosts(
            &admin,
            &[("clusterid", &cluster)],
            "Up",
            2,
            Duration::from_secs(20),
        )
        .await;
        if hosts.len() == 4 || std::time::Instant::now() > deadline {
            break hosts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(hosts.len(), 4, "two agents of two hosts each: {hosts:?}");
    drop(agent);
    cloud.stop().await;
}

async fn add_sim_host(admin: &Client, zone: &str, pod: &str, cluster: &str, url: &str) -> String {
    admin
        .ok(
            "addHost",
            &[
                ("zoneid", zone),
                ("podid", pod),
                ("clusterid", cluster),
                ("hypervisor", "Simulator"),
                ("url", url),
                ("username", "root"),
                ("password", "first-password"),
            ],
        )
        .await["host"][0]["id"]
        .as_str()
        .expect("host id")
        .to_string()
}

/// (username, password hash) stored for a host.
async fn stored_credentials(cloud: &TestCloud, uuid: &str) -> (String, String) {
    let store = &cloud.server.as_ref().expect("running").engine.store;
    let mut db = store.acquire().await.expect("db");
    let mut c = db.c();
    let host = c.host_by_uuid(uuid).await.expect("query").expect("host");
    let user = c.detail("host", host.id, "username").await.expect("query");
    let hash = c
        .detail("host", host.id, "password.argon2")
        .await
        .expect("query");
    (user.unwrap_or_default(), hash.unwrap_or_default())
}

#[tokio::test]
async fn update_host_password_replaces_stored_credentials() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, pod, cluster) = sim_cluster(&admin).await;
    let h0 = add_sim_host(&admin, &zone, &pod, &cluster, "http://sim/c0/h0").await;
    let h1 = add_sim_host(&admin, &zone, &pod, &cluster, "http://sim/c0/h1").await;

    // addHost keeps the username and only a hash of the password.
    let (user, hash) = stored_credentials(&cloud, &h0).await;
    assert_eq!(user, "root");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("first-password"));
    assert!(strato_engine::password::verify("first-password", &hash));

    // One host.
    let r = admin
        .ok(
            "updateHostPassword",
            &[
                ("hostid", &h0),
                ("username", "admin"),
                ("password", "second"),
            ],
        )
        .await;
    assert_eq!(r["success"], true, "{r}");
    let (user, hash) = stored_credentials(&cloud, &h0).await;
    assert_eq!(user, "admin");
    assert!(strato_engine::password::verify("second", &hash));
    let (user, _) = stored_credentials(&cloud, &h1).await;
    assert_eq!(user, "root", "the other host is untouched");

    // Every host of a cluster.
    admin
        .ok(
            "updateHostPassword",
            &[
                ("clusterid", &cluster),
                ("username", "ops"),
                ("password", "third"),
                ("update_passwd_on_host", "false"),
            ],
        )
        .await;
    for h in [&h0, &h1] {
        let (user, hash) = stored_credentials(&cloud, h).await;
        assert_eq!(user, "ops");
        assert!(strato_engine::password::verify("third", &hash));
    }

    // Refusals: changing the password on the host, no target, unknown host, blank user.
    let text = admin
        .err(
            "updateHostPassword",
            &[
                ("hostid", &h0),
                ("username", "ops"),
                ("password", "x"),
                ("update_passwd_on_host", "true"),
            ],
            431,
        )
        .await;
    assert!(text.contains("does not log in to hosts"), "{text}");
    let text = admin
        .err(
            "updateHostPassword",
            &[("username", "ops"), ("password", "x")],
            431,
        )
        .await;
    assert!(text.contains("cluster id or a host id"), "{text}");
    admin
        .err(
            "updateHostPassword",
            &[
                ("hostid", "6f1e7a8c-0000-4000-8000-000000000000"),
                ("username", "ops"),
                ("password", "x"),
            ],
            431,
        )
        .await;
    admin
        .err(
            "updateHostPassword",
            &[("hostid", &h0), ("username", " "), ("password", "x")],
            431,
        )
        .await;
    admin
        .err(
            "updateHostPassword",
            &[("hostid", &h0), ("password", "x")],
            431,
        )
        .await;
    let (user, hash) = stored_credentials(&cloud, &h0).await;
    assert_eq!(user, "ops", "refused calls change nothing");
    assert!(strato_engine::password::verify("third", &hash));

    // Root admins only.
    let (dadmin, _) = new_account(&admin, "dadmin", None, "2").await;
    let r = dadmin
        .call(
            "updateHostPassword",
            &[("hostid", &h0), ("username", "x"), ("password", "y")],
        )
        .await;
    assert_ne!(r.status, 200, "{}", r.text);
    cloud.stop().await;
}
