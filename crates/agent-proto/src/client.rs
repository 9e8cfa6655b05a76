//! The agent side of a connection: send `Hello`, get `Welcome`, then serve requests
//! through a [`HypervisorDriver`] until the connection ends.
//!
//! Used by the `strato agent` process over TCP and by the management server for
//! in-process simulated hosts over an in-memory pipe ([`spawn_in_process`]), so both
//! speak exactly the same protocol. Reconnecting is the caller's business.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::answer::{AgentError, ErrorKind};
use crate::conn::{ConnReader, Connection, memory_pair};
use crate::driver::HypervisorDriver;
use crate::frame::FrameError;
use crate::message::{AgentMessage, Hello, Request, ServerMessage, Welcome};

/// Messages queued for the writer task.
const OUTBOX: usize = 1024;

/// How long the agent waits for a `Welcome` by default.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server said no (bad token, unsupported version, ...).
    #[error("{peer} refused the agent: {reason}")]
    Refused { peer: String, reason: String },
    #[error("no answer from {peer} to the Hello within {timeout:?}")]
    Timeout { peer: String, timeout: Duration },
    #[error("{peer} closed the connection during the handshake")]
    Closed { peer: String },
    #[error("{peer} sent {got} where Welcome or Refused was expected")]
    Unexpected { peer: String, got: &'static str },
    #[error("handshake with {peer} failed: {source}")]
    Frame {
        peer: String,
        #[source]
        source: FrameError,
    },
}

/// How a served session ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionEnd {
    /// The caller's shutdown future completed.
    #[error("agent shutting down")]
    Shutdown,
    #[error("the server closed the connection")]
    ServerClosed,
    /// Nothing (not even a `Pong`) arrived for this long.
    #[error("no traffic from the server for {0:?}")]
    ServerSilent(Duration),
    #[error("{0}")]
    Error(String),
}

/// Sends `hello` and waits for the server's verdict.
pub async fn handshake(
    conn: &mut Connection,
    hello: &Hello,
    timeout: Duration,
) -> Result<Welcome, ClientError> {
    let peer = conn.peer().to_owned();
    let exchange = async {
        conn.send(&AgentMessage::Hello(hello.clone())).await?;
        conn.recv::<ServerMessage>().await
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => Err(ClientError::Timeout { peer, timeout }),
        Ok(Err(source)) => Err(ClientError::Frame { peer, source }),
        Ok(Ok(None)) => Err(ClientError::Closed { peer }),
        Ok(Ok(Some(ServerMessage::Welcome(welcome)))) => Ok(welcome),
        Ok(Ok(Some(ServerMessage::Refused { reason }))) => {
            Err(ClientError::Refused { peer, reason })
        }
        Ok(Ok(Some(ServerMessage::Pong { .. }))) => {
            Err(ClientError::Unexpected { peer, got: "Pong" })
        }
        Ok(Ok(Some(ServerMessage::Request(_)))) => Err(ClientError::Unexpected {
            peer,
            got: "Request",
        }),
    }
}

/// Serves the hosts accepted in `welcome` until the connection ends or `shutdown`
/// completes: pings every `ping_interval_secs`, runs each request concurrently through
/// `driver` (bounded by the request's own timeout), forwards driver events for these
/// hosts, and gives up on a server silent for three ping intervals (+5 s).
pub async fn serve<F>(
    conn: Connection,
    driver: Arc<dyn HypervisorDriver>,
    welcome: &Welcome,
    shutdown: F,
) -> SessionEnd
where
    F: Future<Output = ()>,
{
    let hosts: Arc<HashSet<String>> =
        Arc::new(welcome.hosts.iter().map(|h| h.guid.clone()).collect());
    let interval = Duration::from_secs(welcome.ping_interval_secs.max(1));
    let silence = interval * 3 + Duration::from_secs(5);
    let (reader, mut writer) = conn.split();
    let (outbox, mut outbox_rx) = mpsc::channel::<AgentMessage>(OUTBOX);
    let (inbox_tx, mut inbox) = mpsc::channel(64);
    let reader_task = tokio::spawn(read_task(reader, inbox_tx));
    let writer_task = tokio::spawn(async move {
        while let Some(msg) = outbox_rx.recv().await {
            if writer.send(&msg).await.is_err() {
                return;
            }
        }
        let _ = writer.shutdown().await;
    });
    let mut handlers = JoinSet::new();
    let mut events = driver.subscribe();
    let mut events_open = true;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seq = 0u64;
    let mut deadline = Instant::now() + silence;
    tokio::pin!(shutdown);

    let end = loop {
        while handlers.try_join_next().is_some() {}
        tokio::select! {
            () = &mut shutdown => break SessionEnd::Shutdown,
            () = tokio::time::sleep_until(deadline) => break SessionEnd::ServerSilent(silence),
            _ = ticker.tick() => {
                seq += 1;
                if outbox.send(AgentMessage::Ping { seq }).await.is_err() {
                    break SessionEnd::Error("connection lost while sending a ping".into());
                }
            }
            event = events.recv(), if events_open => match event {
                Ok(event) if hosts.contains(&event.host_guid) => {
                    let msg = AgentMessage::HostEvent { host_guid: event.host_guid, event: event.event };
                    if outbox.send(msg).await.is_err() {
                        break SessionEnd::Error("connection lost while sending an event".into());
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "dropped host events: the connection is too slow");
                }
                Err(broadcast::error::RecvError::Closed) => events_open = false,
            },
            received = inbox.recv() => {
                let msg = match received {
                    None => break SessionEnd::Error("connection reader stopped".into()),
                    Some(Err(e)) => break SessionEnd::Error(e.to_string()),
                    Some(Ok(None)) => break SessionEnd::ServerClosed,
                    Some(Ok(Some(msg))) => msg,
                };
                deadline = Instant::now() + silence;
                match msg {
                    ServerMessage::Request(request) => {
                        handlers.spawn(handle_request(driver.clone(), hosts.clone(), request, outbox.clone()));
                    }
                    ServerMessage::Pong { .. } => {}
                    ServerMessage::Welcome(_) | ServerMessage::Refused { .. } => {
                        break SessionEnd::Error("handshake message after the handshake".into());
                    }
                }
            }
        }
    };
    handlers.abort_all();
    reader_task.abort();
    if end == SessionEnd::Shutdown {
        let reason = "agent stopping".to_owned();
        // Best effort: the server may be gone already.
        let _ = outbox.try_send(AgentMessage::Shutdown { reason });
    }
    drop(outbox);
    // Let queued answers drain and the close reach the server, but do not hang on it.
    if tokio::time::timeout(Duration::from_secs(2), writer_task)
        .await
        .is_err()
    {
        tracing::debug!("writer did not finish in time");
    }
    end
}

/// Reads frames in a task of its own (reading is not cancel-safe) and forwards them;
/// stops after end of stream or the first error.
async fn read_task(
    mut reader: ConnReader,
    inbox: mpsc::Sender<Result<Option<ServerMessage>, FrameError>>,
) {
    loop {
        let received = reader.recv::<ServerMessage>().await;
        let last = !matches!(received, Ok(Some(_)));
        if inbox.send(received).await.is_err() || last {
            return;
        }
    }
}

async fn handle_request(
    driver: Arc<dyn HypervisorDriver>,
    hosts: Arc<HashSet<String>>,
    request: Request,
    outbox: mpsc::Sender<AgentMessage>,
) {
    let Request {
        id,
        host_guid,
        timeout_ms,
        command,
    } = request;
    let answer = if hosts.contains(&host_guid) {
        let limit = Duration::from_millis(timeout_ms.max(1));
        let name = command.name();
        match tokio::time::timeout(limit, driver.handle(&host_guid, command)).await {
            Ok(answer) => answer,
            Err(_) => Err(AgentError::new(
                ErrorKind::Timeout,
                format!("{name} did not finish within {limit:?}"),
            )),
        }
    } else {
        Err(AgentError::new(
            ErrorKind::UnknownHost,
            format!("host {host_guid} is not served on this connection"),
        ))
    };
    // The connection may be gone; the server then sees the call fail anyway.
    let _ = outbox.send(AgentMessage::Response { id, answer }).await;
}

/// Runs an agent for `hello.hosts` inside this process, over an in-memory pipe, and
/// returns the server's end of the pipe (hand it to [`crate::server::read_hello`] or
/// [`crate::server::accept`]). The task ends when the server closes the session.
pub fn spawn_in_process(
    driver: Arc<dyn HypervisorDriver>,
    hello: Hello,
) -> (Connection, JoinHandle<Result<SessionEnd, ClientError>>) {
    let name = hello
        .hosts
        .first()
        .map_or_else(|| "no hosts".to_owned(), |h| h.name.clone());
    let (server_end, mut agent_end) =
        memory_pair(&format!("in-process:{name}"), "in-process server");
    let task = tokio::spawn(async move {
        let welcome = handshake(&mut agent_end, &hello, HANDSHAKE_TIMEOUT).await?;
        Ok(serve(agent_end, driver, &welcome, std::future::pending()).await)
    });
    (server_end, task)
}
