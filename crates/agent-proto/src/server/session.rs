//! An established server-side session: requests out, answers matched back by id.
//!
//! Two tasks own the connection: a reader (answers, pings, host events, idle timeout)
//! and a writer (requests and pongs from a channel). Callers hold cheap clones of
//! [`ServerSession`]; when the last clone is dropped, or [`ServerSession::close`] is
//! called, or the agent goes silent or away, the session ends: every waiting call fails
//! with [`CallError::Disconnected`] and a [`SessionEvent::Disconnected`] is emitted.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};

use super::SessionOptions;
use crate::answer::Answer;
use crate::command::Command;
use crate::conn::{ConnReader, ConnWriter, Connection};
use crate::message::{AgentMessage, HostEvent, Request, ServerMessage};

/// Outgoing messages queued for the writer task.
const OUTBOX: usize = 1024;

/// Why a call did not produce an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The host is not served by this session.
    #[error("host {0} is not connected on this session")]
    UnknownHost(String),
    /// No answer within the timeout. The command may still run on the host; since
    /// commands are idempotent it is safe to send again.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection ended before the answer arrived.
    #[error("agent disconnected")]
    Disconnected,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisconnectReason {
    #[error("the agent closed the connection")]
    ClosedByAgent,
    /// The agent announced a deliberate stop before closing.
    #[error("the agent shut down: {0}")]
    AgentShutdown(String),
    #[error("the server closed the connection")]
    ClosedByServer,
    #[error("nothing received within the ping timeout")]
    PingTimeout,
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("i/o error: {0}")]
    Io(String),
}

/// Something the agent reported on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    HostEvent {
        host_guid: String,
        event: HostEvent,
    },
    /// Always the last event of a session.
    Disconnected(DisconnectReason),
}

/// A handle on one agent connection. Clone freely; the session closes when the last
/// clone is dropped.
#[derive(Clone)]
pub struct ServerSession {
    inner: Arc<Inner>,
    _close_on_drop: Arc<CloseOnDrop>,
}

struct Inner {
    peer: String,
    hosts: HashSet<String>,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    outbox: mpsc::Sender<ServerMessage>,
    last_ping: Mutex<Instant>,
    state: watch::Sender<Option<DisconnectReason>>,
}

struct CloseOnDrop(Arc<Inner>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.set_closed(DisconnectReason::ClosedByServer);
    }
}

/// Removes a call's pending entry however the call ends (answer, timeout, cancellation).
struct PendingGuard<'a> {
    inner: &'a Inner,
    id: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.inner.pending).remove(&self.id);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The protected data stays consistent even if a holder panicked.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    /// Records the first reason the session ended; later reasons are ignored.
    fn set_closed(&self, reason: DisconnectReason) {
        self.state.send_if_modified(|state| {
            if state.is_none() {
                *state = Some(reason);
                true
            } else {
                false
            }
        });
    }

    fn reason(&self) -> Option<DisconnectReason> {
        self.state.borrow().clone()
    }
}

async fn wait_closed(rx: &mut watch::Receiver<Option<DisconnectReason>>) {
    // An error means the sender is gone, which only happens once the session is over.
    let _ = rx.wait_for(Option::is_some).await;
}

impl ServerSession {
    /// Starts the reader and writer tasks on a connection whose handshake is done.
    pub(super) fn start(
        conn: Connection,
        hosts: HashSet<String>,
        options: &SessionOptions,
    ) -> (Self, mpsc::Receiver<SessionEvent>) {
        let peer = conn.peer().to_owned();
        let (reader, writer) = conn.split();
        let (outbox, outbox_rx) = mpsc::channel(OUTBOX);
        let (events, events_rx) = mpsc::channel(options.event_buffer.max(1));
        let (state, _) = watch::channel(None);
        let inner = Arc::new(Inner {
            peer,
            hosts,
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            outbox,
            last_ping: Mutex::new(Instant::now()),
            state,
        });
        tokio::spawn(write_loop(inner.clone(), outbox_rx, writer));
        tokio::spawn(read_loop(
            inner.clone(),
            reader,
            events,
            options.ping_timeout,
        ));
        let session = Self {
            _close_on_drop: Arc::new(CloseOnDrop(inner.clone())),
            inner,
        };
        (session, events_rx)
    }

    /// Sends `command` to one host and waits for its answer at most `timeout`.
    ///
    /// `Ok` carries the host's answer, which may itself be an error; `Err` means no
    /// answer arrived.
    pub async fn call(
        &self,
        host_guid: &str,
        command: Command,
        timeout: Duration,
    ) -> Result<Answer, CallError> {
        let inner = &*self.inner;
        if !inner.hosts.contains(host_guid) {
            return Err(CallError::UnknownHost(host_guid.to_owned()));
        }
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&inner.pending).insert(id, tx);
        let _guard = PendingGuard { inner, id };
        // Checked after inserting: the reader sets the state before it drops the pending
        // senders, so either we see the state here or our entry gets dropped.
        if self.is_closed() {
            return Err(CallError::Disconnected);
        }
        let request = ServerMessage::Request(Request {
            id,
            host_guid: host_guid.to_owned(),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            command,
        });
        let exchange = async {
            inner
                .outbox
                .send(request)
                .await
                .map_err(|_| CallError::Disconnected)?;
            rx.await.map_err(|_| CallError::Disconnected)
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Timeout(timeout)),
        }
    }

    /// The agent's address.
    pub fn peer(&self) -> &str {
        &self.inner.peer
    }

    /// True if `host_guid` was accepted on this session.
    pub fn serves(&self, host_guid: &str) -> bool {
        self.inner.hosts.contains(host_guid)
    }

    /// The guids of the accepted hosts.
    pub fn host_guids(&self) -> impl Iterator<Item = &str> {
        self.inner.hosts.iter().map(String::as_str)
    }

    /// When the last `Ping` arrived (the session start if none yet).
    pub fn last_ping(&self) -> Instant {
        *lock(&self.inner.last_ping)
    }

    /// Calls waiting for an answer.
    pub fn in_flight(&self) -> usize {
        lock(&self.inner.pending).len()
    }

    pub fn is_closed(&self) -> bool {
        self.inner.state.borrow().is_some()
    }

    /// Why the session ended, once it has.
    pub fn disconnect_reason(&self) -> Option<DisconnectReason> {
        self.inner.reason()
    }

    /// Waits until the session ends and says why.
    pub async fn closed(&self) -> DisconnectReason {
        let mut rx = self.inner.state.subscribe();
        wait_closed(&mut rx).await;
        self.inner
            .reason()
            .unwrap_or(DisconnectReason::ClosedByServer)
    }

    /// Ends the session (the agent will reconnect unless the server refuses it).
    pub fn close(&self) {
        self.inner.set_closed(DisconnectReason::ClosedByServer);
    }
}

async fn write_loop(
    inner: Arc<Inner>,
    mut outbox: mpsc::Receiver<ServerMessage>,
    mut writer: ConnWriter,
) {
    let mut state = inner.state.subscribe();
    loop {
        tokio::select! {
            () = wait_closed(&mut state) => break,
            msg = outbox.recv() => {
                let Some(msg) = msg else { break };
                if let Err(e) = writer.send(&msg).await {
                    inner.set_closed(DisconnectReason::Io(e.to_string()));
                    break;
                }
            }
        }
    }
    // Tell the agent we are done; it may already be gone.
    let _ = tokio::time::timeout(Duration::from_secs(1), writer.shutdown()).await;
}

async fn read_loop(
    inner: Arc<Inner>,
    mut reader: ConnReader,
    events: mpsc::Sender<SessionEvent>,
    ping_timeout: Duration,
) {
    let mut state = inner.state.subscribe();
    loop {
        let received = tokio::select! {
            () = wait_closed(&mut state) => break,
            r = tokio::time::timeout(ping_timeout, reader.recv::<AgentMessage>()) => r,
        };
        let msg = match received {
            Err(_) => {
                inner.set_closed(DisconnectReason::PingTimeout);
                break;
            }
            Ok(Ok(None)) => {
                inner.set_closed(DisconnectReason::ClosedByAgent);
                break;
            }
            Ok(Err(e)) => {
                inner.set_closed(DisconnectReason::Protocol(e.to_string()));
                break;
            }
            Ok(Ok(Some(msg))) => msg,
        };
        match msg {
            AgentMessage::Ping { seq } => {
                *lock(&inner.last_ping) = Instant::now();
                // A full outbox means the writer is busy; the agent only needs some
                // traffic, so skipping one pong is harmless.
                let _ = inner.outbox.try_send(ServerMessage::Pong { seq });
            }
            AgentMessage::Response { id, answer } => {
                let waiter = lock(&inner.pending).remove(&id);
                match waiter {
                    Some(tx) => {
                        let _ = tx.send(answer);
                    }
                    None => {
                        tracing::debug!(peer = %inner.peer, id, "answer after its call gave up")
                    }
                }
            }
            AgentMessage::HostEvent { host_guid, event } => {
                if !inner.hosts.contains(&host_guid) {
                    tracing::warn!(peer = %inner.peer, %host_guid, "event for a host not on this session");
                    continue;
                }
                let event = SessionEvent::HostEvent { host_guid, event };
                tokio::select! {
                    () = wait_closed(&mut state) => break,
                    _ = events.send(event) => {}
                }
            }
            AgentMessage::Shutdown { reason } => {
                inner.set_closed(DisconnectReason::AgentShutdown(reason));
                break;
            }
            AgentMessage::Hello(_) => {
                inner.set_closed(DisconnectReason::Protocol(
                    "Hello after the handshake".into(),
                ));
                break;
            }
        }
    }
    // Dropping the senders fails every waiting call with `Disconnected`.
    lock(&inner.pending).clear();
    let reason = inner.reason().unwrap_or(DisconnectReason::ClosedByServer);
    tracing::debug!(peer = %inner.peer, %reason, "agent session ended");
    let _ = events.send(SessionEvent::Disconnected(reason)).await;
}
