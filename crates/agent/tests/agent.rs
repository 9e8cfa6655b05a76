//! The agent against a tiny fake management server built from agent-proto's server
//! side: commands, pings, reconnects with the same guids, restarts from the state
//! directory, and the first-start errors (wrong token, nobody listening, KVM).

use std::process::ExitCode;
use std::time::Duration;

use strato_agent::{AgentArgs, run_until};
use strato_agent_proto::server::{self, AcceptOptions, Accepted, SessionOptions};
use strato_agent_proto::{AnswerData, Command, Connection, DisconnectReason, PowerState, VmSpec};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const TOKEN: &str = "secret-token";
const WAIT: Duration = Duration::from_secs(15);

fn options() -> AcceptOptions {
    AcceptOptions {
        session: SessionOptions {
            ping_interval: Duration::from_secs(1),
            ping_timeout: Duration::from_secs(5),
            event_buffer: 64,
        },
        ..AcceptOptions::default()
    }
}

fn args(addr: std::net::SocketAddr, hosts: u32, state_dir: &std::path::Path) -> AgentArgs {
    let mut args = AgentArgs::simulator(addr.to_string(), TOKEN, hosts);
    args.state_dir = Some(state_dir.to_owned());
    args.reconnect_min_ms = 50;
    args.reconnect_max_secs = 1;
    args.connect_timeout_secs = 5;
    args.cluster_id = Some("cluster-1".into());
    args
}

/// Starts the agent; sending on the returned channel stops it.
fn spawn_agent(args: AgentArgs) -> (oneshot::Sender<()>, JoinHandle<anyhow::Result<ExitCode>>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run_until(args, async {
        let _ = stopped.await;
    }));
    (stop, task)
}

async fn accept_one(listener: &TcpListener) -> Result<Accepted, Box<dyn std::error::Error>> {
    let (stream, _) = tokio::time::timeout(WAIT, listener.accept()).await??;
    Ok(server::accept(Connection::tcp(stream), |t| t == TOKEN, &options()).await?)
}

fn guids(accepted: &Accepted) -> Vec<String> {
    let mut guids: Vec<String> = accepted
        .hello
        .hosts
        .iter()
        .map(|h| h.guid.clone())
        .collect();
    guids.sort();
    guids
}

fn spec() -> VmSpec {
    VmSpec {
        name: "i-2-10-VM".into(),
        uuid: "5f0b6a43-9d4e-4d8e-a1c4-0d7f1e5b2c11".into(),
        cpus: 1,
        cpu_speed_mhz: 500,
        memory_bytes: 512 << 20,
        os_type: None,
        nics: vec![],
        volumes: vec![],
        boot: vec![],
        vnc_password: None,
        details: Default::default(),
    }
}

async fn vm_state(
    accepted: &Accepted,
    guid: &str,
) -> Result<PowerState, Box<dyn std::error::Error>> {
    let answer = accepted
        .session
        .call(
            guid,
            Command::GetVmState {
                names: vec![spec().name],
            },
            WAIT,
        )
        .await??;
    match answer {
        AnswerData::VmStates { vms } if vms.len() == 1 => Ok(vms[0].state),
        other => Err(format!("unexpected answer {other:?}").into()),
    }
}

#[tokio::test]
async fn agent_serves_pings_and_reconnects_as_the_same_hosts() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state_dir = tempfile::tempdir()?;
    let (stop, agent) = spawn_agent(args(addr, 3, state_dir.path()));

    let first = accept_one(&listener).await?;
    let first_guids = guids(&first);
    assert_eq!(first_guids.len(), 3);
    let host = &first.hello.hosts[0];
    assert_eq!(host.hypervisor.as_str(), "Simulator");
    assert_eq!(
        (host.cpus, host.cpu_speed_mhz, host.memory_bytes),
        (4, 8000, 8 << 30)
    );
    assert_eq!(host.placement.cluster_id.as_deref(), Some("cluster-1"));
    assert!(host.host_token.is_none(), "first registration");

    let guid = first_guids[0].clone();
    let started = first
        .session
        .call(&guid, Command::StartVm(spec()), WAIT)
        .await??;
    assert!(matches!(started, AnswerData::Vm(ref vm) if vm.state == PowerState::Running));
    assert_eq!(vm_state(&first, &guid).await?, PowerState::Running);

    // The agent pings at the interval the server gave (1 s).
    let before = first.session.last_ping();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(first.session.last_ping() > before, "no ping within 1.5 s");

    // Drop the connection: the agent comes back with the same hosts, and the tokens
    // the server handed out.
    let issued: Vec<(String, String)> = first
        .welcome
        .hosts
        .iter()
        .map(|h| (h.guid.clone(), h.token.clone()))
        .collect();
    first.session.close();
    drop(first);
    let second = accept_one(&listener).await?;
    assert_eq!(guids(&second), first_guids);
    for (guid, token) in &issued {
        let info = second
            .hello
            .hosts
            .iter()
            .find(|h| &h.guid == guid)
            .ok_or("host missing after reconnect")?;
        assert_eq!(info.host_token.as_ref(), Some(token));
    }
    // Same process: the VM is still running.
    assert_eq!(vm_state(&second, &guid).await?, PowerState::Running);

    // Stop the agent: success, and the server sees the disconnect.
    let _ = stop.send(());
    let code = tokio::time::timeout(WAIT, agent).await???;
    assert_eq!(code, ExitCode::SUCCESS);
    let reason = tokio::time::timeout(WAIT, second.session.closed()).await?;
    assert!(
        matches!(reason, DisconnectReason::AgentShutdown(_)),
        "a clean stop is announced: {reason:?}"
    );

    // A new agent process with the same state directory: same hosts, VMs forgotten.
    let (stop, agent) = spawn_agent(args(addr, 3, state_dir.path()));
    let third = accept_one(&listener).await?;
    assert_eq!(guids(&third), first_guids);
    assert_eq!(vm_state(&third, &guid).await?, PowerState::Missing);
    let _ = stop.send(());
    tokio::time::timeout(WAIT, agent).await???;
    Ok(())
}

#[tokio::test]
async fn agent_retries_while_the_server_is_away() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state_dir = tempfile::tempdir()?;
    let (stop, agent) = spawn_agent(args(addr, 1, state_dir.path()));
    let first = accept_one(&listener).await?;
    let first_guids = guids(&first);
    // The server "restarts": its listener is gone for a while, then back on the port.
    drop(listener);
    drop(first);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let listener = TcpListener::bind(addr).await?;
    let second = accept_one(&listener).await?;
    assert_eq!(guids(&second), first_guids);
    assert!(
        !agent.is_finished(),
        "later failures are retried, not fatal"
    );
    let _ = stop.send(());
    tokio::time::timeout(WAIT, agent).await???;
    Ok(())
}

#[tokio::test]
async fn wrong_token_at_first_start_is_an_error() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server =
        tokio::spawn(async move { accept_one(&listener).await.err().map(|e| e.to_string()) });
    let state_dir = tempfile::tempdir()?;
    let mut bad = args(addr, 1, state_dir.path());
    bad.token = "wrong".into();
    let result = tokio::time::timeout(WAIT, run_until(bad, std::future::pending())).await?;
    let message = result.err().ok_or("a refused agent must fail")?.to_string();
    assert!(message.contains("refused the agent"), "{message}");
    assert!(message.contains("invalid agent token"), "{message}");
    let server_side = server.await?;
    assert!(server_side.is_some_and(|e| e.contains("invalid token")));
    Ok(())
}

#[tokio::test]
async fn unreachable_servers_at_first_start_are_an_error() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(listener);
    let state_dir = tempfile::tempdir()?;
    let mut args = args(addr, 1, state_dir.path());
    args.servers.push("127.0.0.1:1".into());
    let result = tokio::time::timeout(WAIT, run_until(args, std::future::pending())).await?;
    let message = result.err().ok_or("nobody listens")?.to_string();
    assert!(
        message.contains("cannot reach any management server"),
        "{message}"
    );
    assert!(
        message.contains(&addr.to_string()) && message.contains("127.0.0.1:1"),
        "{message}"
    );
    Ok(())
}

#[cfg(not(feature = "kvm"))]
#[tokio::test]
async fn kvm_needs_a_kvm_build() -> TestResult {
    let mut args = AgentArgs::simulator("127.0.0.1:8250", TOKEN, 1);
    args.driver = strato_agent::DriverKind::Kvm;
    let result = run_until(args, std::future::pending()).await;
    let message = result.err().ok_or("kvm must fail")?.to_string();
    assert!(message.contains("built without KVM support"), "{message}");
    assert!(message.contains("--features kvm"), "{message}");
    Ok(())
}

#[tokio::test]
async fn ten_thousand_hosts_on_one_connection() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state_dir = tempfile::tempdir()?;
    let started = std::time::Instant::now();
    let (stop, agent) = spawn_agent(args(addr, 10_000, state_dir.path()));
    let accepted = accept_one(&listener).await?;
    assert_eq!(accepted.welcome.hosts.len(), 10_000);
    let last = &accepted.hello.hosts[9_999];
    let answer = accepted
        .session
        .call(&last.guid, Command::ReadyCheck, WAIT)
        .await??;
    assert_eq!(answer, AnswerData::Done);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let _ = stop.send(());
    tokio::time::timeout(WAIT, agent).await???;
    Ok(())
}
