//! One HTTP/1.1 GET to addresses the policy already checked.
//!
//! hyper is used directly rather than reqwest: we connect to the checked socket
//! addresses ourselves (no resolver in between), and reqwest's rustls features
//! would either pull in aws-lc or make every other reqwest client in the same
//! binary panic for want of an installed crypto provider.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, HOST, RANGE, USER_AGENT};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use url::{Host, Url};

use crate::DownloadOptions;

/// A request failure, split by whether trying again can help.
#[derive(Debug)]
pub(crate) enum SendError {
    Transient(String),
    Fatal(String),
}

/// An open response. The connection task lives as long as this value.
pub(crate) struct Answer {
    pub response: Response<Incoming>,
    _connection: ConnectionTask,
}

struct ConnectionTask(JoinHandle<()>);

impl Drop for ConnectionTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// TLS settings: the system's CA certificates, the ring provider, HTTP/1.1 only.
pub(crate) fn tls_config() -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err("no trusted CA certificates found on this host for https".to_string());
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Sends `GET url` (from byte `offset` when non-zero) to the first of `addrs` that
/// accepts a connection.
pub(crate) async fn get(
    url: &Url,
    addrs: &[SocketAddr],
    offset: u64,
    options: &DownloadOptions,
    tls: Option<Arc<ClientConfig>>,
) -> Result<Answer, SendError> {
    let connect_timeout = options.connect_timeout;
    let tcp = connect(addrs, connect_timeout).await?;
    let request = build_request(url, offset)?;
    match tls {
        None => send(tcp, request, options.idle_timeout).await,
        Some(config) => {
            let name = server_name(url)?;
            let handshake = TlsConnector::from(config).connect(name, tcp);
            let stream = tokio::time::timeout(connect_timeout, handshake)
                .await
                .map_err(|_| SendError::Transient(format!("TLS handshake with {url} timed out")))?
                .map_err(|e| match e.kind() {
                    // Certificate and protocol errors will not go away on retry.
                    std::io::ErrorKind::InvalidData => {
                        SendError::Fatal(format!("TLS with {url} failed: {e}"))
                    }
                    _ => SendError::Transient(format!("TLS with {url} failed: {e}")),
                })?;
            send(stream, request, options.idle_timeout).await
        }
    }
}

async fn connect(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, SendError> {
    let mut last = String::from("no address to connect to");
    for addr in addrs {
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => last = format!("cannot connect to {addr}: {e}"),
            Err(_) => last = format!("connecting to {addr} timed out after {timeout:?}"),
        }
    }
    Err(SendError::Transient(last))
}

fn build_request(url: &Url, offset: u64) -> Result<Request<Empty<Bytes>>, SendError> {
    let host = url
        .host_str()
        .ok_or_else(|| SendError::Fatal(format!("URL '{url}' has no host")))?;
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let mut builder = Request::get(&url[url::Position::BeforePath..url::Position::AfterQuery])
        .header(HOST, host)
        .header(
            USER_AGENT,
            concat!("strato-image-download/", env!("CARGO_PKG_VERSION")),
        )
        .header(CONNECTION, "close");
    if offset > 0 {
        builder = builder.header(RANGE, format!("bytes={offset}-"));
    }
    builder
        .body(Empty::new())
        .map_err(|e| SendError::Fatal(format!("cannot build a request for {url}: {e}")))
}

fn server_name(url: &Url) -> Result<ServerName<'static>, SendError> {
    match url.host() {
        Some(Host::Domain(name)) => ServerName::try_from(name.to_string())
            .map_err(|e| SendError::Fatal(format!("'{name}' is not a valid TLS server name: {e}"))),
        Some(Host::Ipv4(ip)) => Ok(ServerName::IpAddress(std::net::IpAddr::V4(ip).into())),
        Some(Host::Ipv6(ip)) => Ok(ServerName::IpAddress(std::net::IpAddr::V6(ip).into())),
        None => Err(SendError::Fatal(format!("URL '{url}' has no host"))),
    }
}

async fn send<S>(
    stream: S,
    request: Request<Empty<Bytes>>,
    idle_timeout: Duration,
) -> Result<Answer, SendError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| SendError::Transient(format!("HTTP handshake failed: {e}")))?;
    let connection = ConnectionTask(tokio::spawn(async move {
        // Its errors surface through the response or the body.
        let _ = connection.await;
    }));
    let response = tokio::time::timeout(idle_timeout, sender.send_request(request))
        .await
        .map_err(|_| SendError::Transient(format!("no answer within {idle_timeout:?}")))?
        .map_err(|e| SendError::Transient(format!("request failed: {e}")))?;
    Ok(Answer {
        response,
        _connection: connection,
    })
}
