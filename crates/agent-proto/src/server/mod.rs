//! The management-server side of a connection: the handshake, then a [`ServerSession`].
//!
//! Two ways in:
//! - [`read_hello`] → [`PendingAgent`]: the server looks at the `Hello` (token, host
//!   guids, per-host tokens), does its database work, then calls
//!   [`PendingAgent::welcome`] with the host ids it assigned, or [`PendingAgent::refuse`].
//! - [`accept`]: the same in one call, checking the token with a closure and accepting
//!   every host (host ids are the guids when those are UUIDs). For tests and tools.

mod session;

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::timeout;

use crate::conn::Connection;
use crate::frame::FrameError;
use crate::message::{
    AgentMessage, Hello, HostAccepted, HostRefused, PROTOCOL_VERSION, ServerMessage, Welcome,
};

pub use session::{CallError, DisconnectReason, ServerSession, SessionEvent};

/// Timing of an established session.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Told to the agent in `Welcome` (CloudStack's `ping.interval`, default 60 s).
    pub ping_interval: Duration,
    /// The session closes with [`DisconnectReason::PingTimeout`] when nothing arrives
    /// for this long (CloudStack: `ping.interval × ping.timeout`, default 2.5 × 60 s).
    pub ping_timeout: Duration,
    /// Capacity of the [`SessionEvent`] channel. When the server does not drain it, the
    /// session stops reading from the agent (back-pressure, never unbounded memory).
    pub event_buffer: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(60),
            ping_timeout: Duration::from_secs(150),
            event_buffer: 1024,
        }
    }
}

/// Options of [`accept`].
#[derive(Debug, Clone)]
pub struct AcceptOptions {
    pub session: SessionOptions,
    /// How long to wait for the `Hello`.
    pub hello_timeout: Duration,
    /// Sent in `Welcome::server_version`.
    pub server_version: String,
}

impl Default for AcceptOptions {
    fn default() -> Self {
        Self {
            session: SessionOptions::default(),
            hello_timeout: Duration::from_secs(30),
            server_version: String::new(),
        }
    }
}

/// Why a handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("no Hello from {peer} within {timeout:?}")]
    Timeout { peer: String, timeout: Duration },
    #[error("{peer} closed the connection during the handshake")]
    Closed { peer: String },
    #[error("{peer} sent {got} where a Hello was expected")]
    Unexpected { peer: String, got: &'static str },
    #[error("{peer} speaks protocol version {got}, this server speaks {PROTOCOL_VERSION}")]
    Version { peer: String, got: u32 },
    #[error("{peer} presented an invalid token")]
    BadToken { peer: String },
    #[error("handshake with {peer} failed: {source}")]
    Frame {
        peer: String,
        #[source]
        source: FrameError,
    },
}

/// A connection whose `Hello` has been read and checked for the protocol version.
pub struct PendingAgent {
    conn: Connection,
    hello: Hello,
}

/// An established session.
pub struct Accepted {
    /// Send commands; clone it freely.
    pub session: ServerSession,
    /// Host events and the final disconnect. Must be drained (see
    /// [`SessionOptions::event_buffer`]).
    pub events: tokio::sync::mpsc::Receiver<SessionEvent>,
    /// The agent's `Hello` (its token replaced by an empty string).
    pub hello: Hello,
    /// The `Welcome` that was sent.
    pub welcome: Welcome,
}

/// Reads and checks the `Hello`. A wrong protocol version is refused on the wire and
/// returned as [`HandshakeError::Version`].
pub async fn read_hello(
    mut conn: Connection,
    hello_timeout: Duration,
) -> Result<PendingAgent, HandshakeError> {
    let peer = conn.peer().to_owned();
    let first = match timeout(hello_timeout, conn.recv::<AgentMessage>()).await {
        Err(_) => {
            return Err(HandshakeError::Timeout {
                peer,
                timeout: hello_timeout,
            });
        }
        Ok(Err(source)) => return Err(HandshakeError::Frame { peer, source }),
        Ok(Ok(None)) => return Err(HandshakeError::Closed { peer }),
        Ok(Ok(Some(msg))) => msg,
    };
    let hello = match first {
        AgentMessage::Hello(hello) => hello,
        AgentMessage::Ping { .. } => return Err(unexpected(peer, "Ping")),
        AgentMessage::Response { .. } => return Err(unexpected(peer, "Response")),
        AgentMessage::HostEvent { .. } => return Err(unexpected(peer, "HostEvent")),
        AgentMessage::Shutdown { .. } => return Err(unexpected(peer, "Shutdown")),
    };
    if hello.version != PROTOCOL_VERSION {
        let reason = format!(
            "protocol version {} is not supported (server speaks {PROTOCOL_VERSION})",
            hello.version
        );
        // Best effort: the agent may already be gone.
        let _ = conn.send(&ServerMessage::Refused { reason }).await;
        return Err(HandshakeError::Version {
            peer,
            got: hello.version,
        });
    }
    Ok(PendingAgent { conn, hello })
}

fn unexpected(peer: String, got: &'static str) -> HandshakeError {
    HandshakeError::Unexpected { peer, got }
}

impl PendingAgent {
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    pub fn peer(&self) -> &str {
        self.conn.peer()
    }

    /// Refuses the agent with a reason it will print, and closes the connection.
    pub async fn refuse(mut self, reason: impl Into<String>) -> Result<(), HandshakeError> {
        let reason = reason.into();
        let peer = self.conn.peer().to_owned();
        self.conn
            .send(&ServerMessage::Refused { reason })
            .await
            .map_err(|source| HandshakeError::Frame { peer, source })
    }

    /// Sends `welcome` and starts the session. Only the hosts listed in
    /// `welcome.hosts` may receive requests.
    pub async fn welcome(
        mut self,
        welcome: Welcome,
        options: &SessionOptions,
    ) -> Result<Accepted, HandshakeError> {
        let peer = self.conn.peer().to_owned();
        self.conn
            .send(&ServerMessage::Welcome(welcome.clone()))
            .await
            .map_err(|source| HandshakeError::Frame { peer, source })?;
        let guids = welcome.hosts.iter().map(|h| h.guid.clone()).collect();
        let (session, events) = ServerSession::start(self.conn, guids, options);
        let mut hello = self.hello;
        hello.token.clear();
        Ok(Accepted {
            session,
            events,
            hello,
            welcome,
        })
    }
}

/// Handshake in one call: checks the version and `verify_token`, then welcomes every
/// host of the `Hello` (except empty or duplicate guids). The host id is the guid when
/// it is a UUID, otherwise a fresh UUID; each host gets a fresh random token.
pub async fn accept(
    conn: Connection,
    verify_token: impl Fn(&str) -> bool,
    options: &AcceptOptions,
) -> Result<Accepted, HandshakeError> {
    let pending = read_hello(conn, options.hello_timeout).await?;
    if !verify_token(&pending.hello.token) {
        let peer = pending.peer().to_owned();
        pending.refuse("invalid agent token").await?;
        return Err(HandshakeError::BadToken { peer });
    }
    let welcome = default_welcome(&pending.hello, options);
    pending.welcome(welcome, &options.session).await
}

/// The `Welcome` [`accept`] sends.
fn default_welcome(hello: &Hello, options: &AcceptOptions) -> Welcome {
    let mut seen = HashSet::new();
    let mut hosts = Vec::new();
    let mut refused = Vec::new();
    for host in &hello.hosts {
        if host.guid.is_empty() || !seen.insert(host.guid.as_str()) {
            refused.push(HostRefused {
                guid: host.guid.clone(),
                reason: "empty or duplicate guid".into(),
            });
            continue;
        }
        let host_id = uuid::Uuid::parse_str(&host.guid)
            .unwrap_or_else(|_| uuid::Uuid::new_v4())
            .to_string();
        hosts.push(HostAccepted {
            guid: host.guid.clone(),
            host_id,
            token: uuid::Uuid::new_v4().simple().to_string(),
        });
    }
    Welcome {
        ping_interval_secs: options.session.ping_interval.as_secs().max(1),
        hosts,
        refused,
        server_version: options.server_version.clone(),
    }
}
