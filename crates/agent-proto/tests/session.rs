//! Server and agent sessions talking over in-memory pipes: handshake, request/response
//! matching, timeouts, disconnects, pings and host events.

use std::sync::Arc;
use std::time::Duration;

use strato_agent_proto::client::{self, ClientError, SessionEnd};
use strato_agent_proto::server::{self, AcceptOptions, Accepted, SessionOptions};
use strato_agent_proto::{
    AgentError, AgentMessage, Answer, AnswerData, BoxFuture, CallError, Command, DisconnectReason,
    DriverEvent, ErrorKind, HandshakeError, Hello, HostEvent, HostInfo, HypervisorDriver,
    HypervisorType, PROTOCOL_VERSION, Placement, PowerState, Request, ServerMessage, SessionEvent,
    VmStateReport, memory_pair,
};
use tokio::sync::broadcast;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A driver whose behaviour is driven by the command: `RebootVm { name: "<ms>" }`
/// sleeps that long, `GetVmState` reports every name as running.
struct TestDriver {
    events: broadcast::Sender<DriverEvent>,
}

impl TestDriver {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            events: broadcast::channel(16).0,
        })
    }
}

impl HypervisorDriver for TestDriver {
    fn hypervisor(&self) -> HypervisorType {
        HypervisorType::Simulator
    }

    fn host_info(&self, guid: &str) -> Option<HostInfo> {
        Some(host(guid))
    }

    fn handle<'a>(&'a self, _host: &'a str, command: Command) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            match command {
                Command::RebootVm { name } => {
                    let ms = name
                        .parse()
                        .map_err(|_| AgentError::invalid_argument("ms"))?;
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok(AnswerData::Done)
                }
                Command::GetVmState { names } => Ok(AnswerData::VmStates {
                    vms: names
                        .into_iter()
                        .map(|name| VmStateReport {
                            name,
                            uuid: String::new(),
                            state: PowerState::Running,
                        })
                        .collect(),
                }),
                other => Err(AgentError::new(ErrorKind::Unsupported, other.name())),
            }
        })
    }

    fn subscribe(&self) -> broadcast::Receiver<DriverEvent> {
        self.events.subscribe()
    }
}

fn host(guid: &str) -> HostInfo {
    HostInfo {
        guid: guid.into(),
        name: format!("host-{guid}"),
        hypervisor: HypervisorType::Simulator,
        hypervisor_version: "1".into(),
        cpu_sockets: 1,
        cpus: 4,
        cpu_speed_mhz: 8000,
        memory_bytes: 8 << 30,
        local_storage_bytes: 1 << 40,
        arch: "x86_64".into(),
        private_ip: "10.0.0.1".into(),
        private_netmask: None,
        private_mac: None,
        networks: vec![],
        placement: Placement::default(),
        host_token: None,
        capabilities: vec![],
    }
}

fn hello(token: &str, guids: &[&str]) -> Hello {
    Hello {
        version: PROTOCOL_VERSION,
        token: token.into(),
        agent_version: "test".into(),
        hosts: guids.iter().map(|g| host(g)).collect(),
    }
}

fn options(ping_secs: u64, timeout: Duration) -> AcceptOptions {
    AcceptOptions {
        session: SessionOptions {
            ping_interval: Duration::from_secs(ping_secs),
            ping_timeout: timeout,
            event_buffer: 16,
        },
        hello_timeout: Duration::from_secs(5),
        server_version: "test-server".into(),
    }
}

/// Starts an in-process agent for `guids` and accepts it.
async fn connect(
    driver: Arc<TestDriver>,
    guids: &[&str],
) -> Result<
    (
        Accepted,
        tokio::task::JoinHandle<Result<SessionEnd, ClientError>>,
    ),
    HandshakeError,
> {
    let (conn, agent) = client::spawn_in_process(driver, hello("secret", guids));
    let accepted = server::accept(
        conn,
        |t| t == "secret",
        &options(60, Duration::from_secs(150)),
    )
    .await?;
    Ok((accepted, agent))
}

#[tokio::test]
async fn handshake_then_call() -> TestResult {
    let (accepted, _agent) = connect(TestDriver::new(), &["h1", "h2"]).await?;
    assert_eq!(accepted.welcome.hosts.len(), 2);
    assert_eq!(accepted.welcome.server_version, "test-server");
    assert!(accepted.hello.token.is_empty(), "the token is not kept");
    let session = accepted.session;
    assert!(session.serves("h1") && session.serves("h2") && !session.serves("h3"));
    let answer = session
        .call(
            "h2",
            Command::GetVmState {
                names: vec!["i-1".into()],
            },
            Duration::from_secs(5),
        )
        .await?;
    let Ok(AnswerData::VmStates { vms }) = answer else {
        return Err(format!("unexpected answer {answer:?}").into());
    };
    assert_eq!(vms[0].state, PowerState::Running);
    let err = session
        .call("h3", Command::ReadyCheck, Duration::from_secs(1))
        .await;
    assert_eq!(err, Err(CallError::UnknownHost("h3".into())));
    // A driver error travels back as the answer, not as a call error.
    let answer = session
        .call("h1", Command::ReadyCheck, Duration::from_secs(5))
        .await?;
    assert_eq!(answer.map_err(|e| e.kind), Err(ErrorKind::Unsupported));
    Ok(())
}

#[tokio::test]
async fn concurrent_calls_are_matched_by_id() -> TestResult {
    let (accepted, _agent) = connect(TestDriver::new(), &["h1"]).await?;
    let session = accepted.session;
    let slow = {
        let s = session.clone();
        tokio::spawn(async move {
            s.call(
                "h1",
                Command::RebootVm { name: "300".into() },
                Duration::from_secs(5),
            )
            .await
        })
    };
    let fast = session
        .call(
            "h1",
            Command::GetVmState {
                names: vec!["fast".into()],
            },
            Duration::from_secs(5),
        )
        .await?;
    assert!(matches!(fast, Ok(AnswerData::VmStates { ref vms }) if vms[0].name == "fast"));
    assert_eq!(session.in_flight(), 1, "the slow call is still waiting");
    assert_eq!(slow.await??, Ok(AnswerData::Done));
    assert_eq!(session.in_flight(), 0);
    Ok(())
}

#[tokio::test]
async fn a_call_times_out_and_a_late_answer_is_dropped() -> TestResult {
    let (accepted, _agent) = connect(TestDriver::new(), &["h1"]).await?;
    let session = accepted.session;
    let started = std::time::Instant::now();
    let got = session
        .call(
            "h1",
            Command::RebootVm {
                name: "5000".into(),
            },
            Duration::from_millis(100),
        )
        .await;
    assert_eq!(got, Err(CallError::Timeout(Duration::from_millis(100))));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout, not the driver, ended the call"
    );
    assert_eq!(session.in_flight(), 0, "the timed-out call is forgotten");
    // The agent enforced the same timeout; the session keeps working afterwards.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = session
        .call(
            "h1",
            Command::GetVmState { names: vec![] },
            Duration::from_secs(5),
        )
        .await?;
    assert!(answer.is_ok());
    assert!(!session.is_closed());
    Ok(())
}

#[tokio::test]
async fn agent_answers_timeout_and_unknown_host_on_the_wire() -> TestResult {
    let (mut server, mut agent) = memory_pair("agent", "server");
    tokio::spawn(async move {
        let welcome =
            client::handshake(&mut agent, &hello("t", &["h1"]), Duration::from_secs(5)).await?;
        Ok::<_, ClientError>(
            client::serve(agent, TestDriver::new(), &welcome, std::future::pending()).await,
        )
    });
    let Some(AgentMessage::Hello(_)) = server.recv().await? else {
        return Err("no hello".into());
    };
    let welcome = strato_agent_proto::Welcome {
        ping_interval_secs: 60,
        hosts: vec![strato_agent_proto::HostAccepted {
            guid: "h1".into(),
            host_id: "id".into(),
            token: "tok".into(),
        }],
        refused: vec![],
        server_version: String::new(),
    };
    server.send(&ServerMessage::Welcome(welcome)).await?;
    let requests = [
        (1, "h1", 50, Command::RebootVm { name: "500".into() }),
        (2, "h9", 5000, Command::ReadyCheck),
    ];
    for (id, host_guid, timeout_ms, command) in requests {
        let request = Request {
            id,
            host_guid: host_guid.into(),
            timeout_ms,
            command,
        };
        server.send(&ServerMessage::Request(request)).await?;
    }
    let mut kinds = std::collections::BTreeMap::new();
    while kinds.len() < 2 {
        match server.recv::<AgentMessage>().await? {
            Some(AgentMessage::Response { id, answer }) => {
                kinds.insert(id, answer.map_err(|e| e.kind));
            }
            Some(AgentMessage::Ping { .. }) => {}
            other => return Err(format!("unexpected {other:?}").into()),
        }
    }
    assert_eq!(kinds.get(&1), Some(&Err(ErrorKind::Timeout)));
    assert_eq!(kinds.get(&2), Some(&Err(ErrorKind::UnknownHost)));
    Ok(())
}

#[tokio::test]
async fn wrong_token_and_wrong_version_are_refused() -> TestResult {
    let (conn, agent) = client::spawn_in_process(TestDriver::new(), hello("wrong", &["h1"]));
    let got = server::accept(conn, |t| t == "secret", &AcceptOptions::default()).await;
    assert!(
        matches!(got, Err(HandshakeError::BadToken { .. })),
        "{:?}",
        got.err()
    );
    let agent_result = agent.await?;
    assert!(
        matches!(&agent_result, Err(ClientError::Refused { reason, .. }) if reason.contains("token")),
        "{agent_result:?}"
    );

    let mut old = hello("secret", &["h1"]);
    old.version = PROTOCOL_VERSION + 1;
    let (conn, agent) = client::spawn_in_process(TestDriver::new(), old);
    let got = server::accept(conn, |_| true, &AcceptOptions::default()).await;
    assert!(
        matches!(got, Err(HandshakeError::Version { .. })),
        "{:?}",
        got.err()
    );
    let agent_result = agent.await?;
    assert!(
        matches!(&agent_result, Err(ClientError::Refused { reason, .. }) if reason.contains("version")),
        "{agent_result:?}"
    );
    Ok(())
}

#[tokio::test]
async fn duplicate_guids_are_refused_individually() -> TestResult {
    let (accepted, _agent) = connect(TestDriver::new(), &["h1", "h1", ""]).await?;
    assert_eq!(accepted.welcome.hosts.len(), 1);
    assert_eq!(accepted.welcome.refused.len(), 2);
    Ok(())
}

#[tokio::test]
async fn hello_timeout_and_garbage_first_message() -> TestResult {
    let (server, _agent) = memory_pair("silent", "server");
    let got = server::read_hello(server, Duration::from_millis(50)).await;
    assert!(
        matches!(got, Err(HandshakeError::Timeout { .. })),
        "{:?}",
        got.err()
    );

    let (server, mut agent) = memory_pair("pinger", "server");
    agent.send(&AgentMessage::Ping { seq: 1 }).await?;
    let got = server::read_hello(server, Duration::from_secs(1)).await;
    assert!(
        matches!(got, Err(HandshakeError::Unexpected { got: "Ping", .. })),
        "{:?}",
        got.err()
    );
    Ok(())
}

#[tokio::test]
async fn agent_disconnect_fails_waiting_calls_and_is_reported() -> TestResult {
    let (accepted, agent) = connect(TestDriver::new(), &["h1"]).await?;
    let Accepted {
        session,
        mut events,
        ..
    } = accepted;
    let waiting = {
        let s = session.clone();
        tokio::spawn(async move {
            s.call(
                "h1",
                Command::RebootVm {
                    name: "10000".into(),
                },
                Duration::from_secs(30),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    agent.abort();
    assert_eq!(waiting.await?, Err(CallError::Disconnected));
    assert_eq!(
        events.recv().await,
        Some(SessionEvent::Disconnected(DisconnectReason::ClosedByAgent))
    );
    assert_eq!(session.closed().await, DisconnectReason::ClosedByAgent);
    let after = session
        .call("h1", Command::ReadyCheck, Duration::from_secs(1))
        .await;
    assert_eq!(after, Err(CallError::Disconnected));
    Ok(())
}

#[tokio::test]
async fn silent_agent_hits_the_ping_timeout() -> TestResult {
    let (server, mut agent) = memory_pair("mute", "server");
    agent
        .send(&AgentMessage::Hello(hello("t", &["h1"])))
        .await?;
    let accepted =
        server::accept(server, |_| true, &options(1, Duration::from_millis(200))).await?;
    let Some(ServerMessage::Welcome(_)) = agent.recv().await? else {
        return Err("no welcome".into());
    };
    // The agent never pings.
    let reason = tokio::time::timeout(Duration::from_secs(2), accepted.session.closed()).await?;
    assert_eq!(reason, DisconnectReason::PingTimeout);
    Ok(())
}

#[tokio::test]
async fn pings_are_answered_and_recorded() -> TestResult {
    let (server, mut agent) = memory_pair("pinger", "server");
    agent
        .send(&AgentMessage::Hello(hello("t", &["h1"])))
        .await?;
    let accepted = server::accept(server, |_| true, &options(1, Duration::from_secs(5))).await?;
    let _welcome: Option<ServerMessage> = agent.recv().await?;
    let before = accepted.session.last_ping();
    tokio::time::sleep(Duration::from_millis(20)).await;
    agent.send(&AgentMessage::Ping { seq: 7 }).await?;
    assert_eq!(agent.recv().await?, Some(ServerMessage::Pong { seq: 7 }));
    assert!(accepted.session.last_ping() > before);
    Ok(())
}

#[tokio::test]
async fn host_events_reach_the_server_and_close_reaches_the_agent() -> TestResult {
    let driver = TestDriver::new();
    let (accepted, agent) = connect(driver.clone(), &["h1"]).await?;
    let Accepted {
        session,
        mut events,
        ..
    } = accepted;
    let event = HostEvent::VmPowerChanged {
        vm_name: "i-1".into(),
        state: PowerState::Stopped,
    };
    // One round trip: the agent is serving (and subscribed to driver events).
    let _ = session
        .call("h1", Command::ReadyCheck, Duration::from_secs(5))
        .await?;
    // An event for a host of another connection is not forwarded.
    driver.events.send(DriverEvent {
        host_guid: "other".into(),
        event: event.clone(),
    })?;
    driver.events.send(DriverEvent {
        host_guid: "h1".into(),
        event: event.clone(),
    })?;
    let got = tokio::time::timeout(Duration::from_secs(2), events.recv()).await?;
    assert_eq!(
        got,
        Some(SessionEvent::HostEvent {
            host_guid: "h1".into(),
            event
        })
    );
    session.close();
    let end = tokio::time::timeout(Duration::from_secs(2), agent).await???;
    assert_eq!(end, SessionEnd::ServerClosed);
    Ok(())
}

#[tokio::test]
async fn dropping_every_handle_closes_the_session() -> TestResult {
    let (accepted, agent) = connect(TestDriver::new(), &["h1"]).await?;
    drop(accepted);
    let end = tokio::time::timeout(Duration::from_secs(2), agent).await???;
    assert_eq!(end, SessionEnd::ServerClosed);
    Ok(())
}

#[tokio::test]
async fn a_clean_agent_stop_is_announced() -> TestResult {
    let (server_end, mut agent_end) = memory_pair("agent", "server");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(async move {
        let welcome =
            client::handshake(&mut agent_end, &hello("t", &["h1"]), Duration::from_secs(5)).await?;
        let shutdown = async {
            let _ = stopped.await;
        };
        Ok::<_, ClientError>(client::serve(agent_end, TestDriver::new(), &welcome, shutdown).await)
    });
    let accepted = server::accept(server_end, |_| true, &AcceptOptions::default()).await?;
    let _ = accepted
        .session
        .call("h1", Command::ReadyCheck, Duration::from_secs(5))
        .await?;
    let _ = stop.send(());
    assert_eq!(agent.await??, SessionEnd::Shutdown);
    let reason = tokio::time::timeout(Duration::from_secs(2), accepted.session.closed()).await?;
    assert_eq!(
        reason,
        DisconnectReason::AgentShutdown("agent stopping".into())
    );
    Ok(())
}
