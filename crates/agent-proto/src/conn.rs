//! A framed, transport-agnostic connection: TCP, TLS, or an in-memory pipe for
//! simulated hosts living inside the management server.
//!
//! The stream is boxed behind `dyn AsyncRead`/`dyn AsyncWrite`, so a TLS stream
//! (`tokio_rustls::server::TlsStream<TcpStream>`, see [`crate::tls`]) plugs in through
//! [`Connection::new`] without changing any type that uses a connection.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::frame::{self, FrameError};

/// Buffer size of each direction of an in-memory pair.
const MEMORY_PIPE_BYTES: usize = 256 * 1024;

/// Both halves of a framed connection.
pub struct Connection {
    reader: ConnReader,
    writer: ConnWriter,
}

/// The receiving half.
pub struct ConnReader {
    inner: Box<dyn AsyncRead + Send + Unpin>,
    scratch: Vec<u8>,
    peer: Arc<str>,
}

/// The sending half.
pub struct ConnWriter {
    inner: Box<dyn AsyncWrite + Send + Unpin>,
    peer: Arc<str>,
}

impl Connection {
    /// Wraps any bidirectional stream. `peer` names the other side in logs and errors.
    pub fn new<S>(stream: S, peer: impl Into<String>) -> Self
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (r, w) = tokio::io::split(stream);
        Self::from_halves(r, w, peer)
    }

    /// Wraps separate read and write halves.
    pub fn from_halves<R, W>(reader: R, writer: W, peer: impl Into<String>) -> Self
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let peer: Arc<str> = Arc::from(peer.into());
        Self {
            reader: ConnReader {
                inner: Box::new(reader),
                scratch: Vec::new(),
                peer: peer.clone(),
            },
            writer: ConnWriter {
                inner: Box::new(writer),
                peer,
            },
        }
    }

    /// Wraps a TCP stream (Nagle off: messages are small and latency matters).
    pub fn tcp(stream: TcpStream) -> Self {
        // Failing to set TCP_NODELAY only costs latency.
        let _ = stream.set_nodelay(true);
        let peer = stream
            .peer_addr()
            .map_or_else(|_| "unknown peer".to_owned(), |a| a.to_string());
        let (r, w) = stream.into_split();
        Self::from_halves(r, w, peer)
    }

    /// The other side, for logs.
    pub fn peer(&self) -> &str {
        &self.reader.peer
    }

    /// Splits into independently owned halves (one reading task, one writing task).
    pub fn split(self) -> (ConnReader, ConnWriter) {
        (self.reader, self.writer)
    }

    /// Receives one message; `Ok(None)` when the peer closed the connection cleanly.
    pub async fn recv<T: DeserializeOwned>(&mut self) -> Result<Option<T>, FrameError> {
        self.reader.recv().await
    }

    /// Sends one message.
    pub async fn send<T: Serialize>(&mut self, msg: &T) -> Result<(), FrameError> {
        self.writer.send(msg).await
    }
}

impl ConnReader {
    /// Receives one message; `Ok(None)` when the peer closed the connection cleanly.
    ///
    /// Not cancel-safe (see [`frame::read_frame`]).
    pub async fn recv<T: DeserializeOwned>(&mut self) -> Result<Option<T>, FrameError> {
        frame::read_frame(&mut self.inner, &mut self.scratch).await
    }

    pub fn peer(&self) -> &str {
        &self.peer
    }
}

impl ConnWriter {
    /// Sends one message and flushes it.
    pub async fn send<T: Serialize>(&mut self, msg: &T) -> Result<(), FrameError> {
        frame::write_frame(&mut self.inner, msg).await
    }

    /// Flushes and closes the sending direction (the peer sees end of stream).
    pub async fn shutdown(&mut self) -> Result<(), FrameError> {
        use tokio::io::AsyncWriteExt;
        self.inner.shutdown().await?;
        Ok(())
    }

    pub fn peer(&self) -> &str {
        &self.peer
    }
}

/// Two connected in-memory connections: what one writes, the other reads. Used for
/// in-process simulated hosts and tests; the first is conventionally the server's end.
pub fn memory_pair(server_peer: &str, agent_peer: &str) -> (Connection, Connection) {
    let (a, b) = tokio::io::duplex(MEMORY_PIPE_BYTES);
    (
        Connection::new(a, server_peer),
        Connection::new(b, agent_peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{AgentMessage, ServerMessage};

    #[tokio::test]
    async fn memory_pair_carries_messages_both_ways() -> Result<(), FrameError> {
        let (mut server, mut agent) = memory_pair("agent-1", "server");
        assert_eq!(server.peer(), "agent-1");
        agent.send(&AgentMessage::Ping { seq: 1 }).await?;
        let got: Option<AgentMessage> = server.recv().await?;
        assert_eq!(got, Some(AgentMessage::Ping { seq: 1 }));
        server.send(&ServerMessage::Pong { seq: 1 }).await?;
        let got: Option<ServerMessage> = agent.recv().await?;
        assert_eq!(got, Some(ServerMessage::Pong { seq: 1 }));
        drop(agent);
        let end: Option<AgentMessage> = server.recv().await?;
        assert_eq!(end, None);
        Ok(())
    }

    #[tokio::test]
    async fn tcp_connections_frame_the_same_way() -> Result<(), FrameError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let client = tokio::spawn(async move {
            let mut conn = Connection::tcp(TcpStream::connect(addr).await?);
            conn.send(&AgentMessage::Ping { seq: 42 }).await
        });
        let (stream, _) = listener.accept().await?;
        let mut conn = Connection::tcp(stream);
        let got: Option<AgentMessage> = conn.recv().await?;
        assert_eq!(got, Some(AgentMessage::Ping { seq: 42 }));
        client.await.map_err(std::io::Error::other)??;
        Ok(())
    }
}
