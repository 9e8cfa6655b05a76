//! TLS for the agent port (rustls with the `ring` provider).
//!
//! The server side loads a PEM certificate chain and private key into a [`TlsAcceptor`];
//! the agent side loads PEM trust anchors (a CA, or the server's self-signed certificate)
//! into a [`TlsConnector`] and verifies the server's certificate against them and against
//! the expected server name (a DNS name or an IP address). Inside the TLS stream the
//! protocol is unchanged: the result of [`accept`] / [`connect`] is an ordinary
//! [`Connection`].

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::{WebPkiServerVerifier, verify_server_name};
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::server::ParsedCertificate;
use tokio_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme,
};

pub use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::conn::Connection;

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{what}: no PEM certificate found")]
    NoCertificate { what: &'static str },
    #[error("{what}: no PEM private key found")]
    NoKey { what: &'static str },
    #[error("{what}: invalid PEM: {source}")]
    Pem {
        what: &'static str,
        #[source]
        source: pem::Error,
    },
    #[error("{what}: {source}")]
    Rustls {
        what: &'static str,
        #[source]
        source: rustls::Error,
    },
    #[error("CA certificate: {0}")]
    Verifier(String),
    #[error("invalid TLS server name {0:?} (expected a DNS name or an IP address)")]
    ServerName(String),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certificates(what: &'static str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Pem { what, source })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate { what });
    }
    Ok(certs)
}

/// A server-side acceptor from a PEM certificate chain (leaf first) and a PEM private
/// key (PKCS#8, PKCS#1 or SEC1).
pub fn acceptor(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsAcceptor, TlsError> {
    let chain = certificates("agent TLS certificate", cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey {
            what: "agent TLS key",
        },
        source => TlsError::Pem {
            what: "agent TLS key",
            source,
        },
    })?;
    let rustls = |source| TlsError::Rustls {
        what: "agent TLS certificate and key",
        source,
    };
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(rustls)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(rustls)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// An agent-side connector trusting the certificates of `ca_pem`: CA certificates the
/// server's chain must lead to, or the server's own (self-signed) certificate.
///
/// A server certificate byte-for-byte equal to one of them is trusted as is (pinned):
/// only its name is checked, not its CA flag (`openssl req -x509` marks self-signed
/// certificates as CAs, which path validation refuses for a server) nor its validity
/// period. Any other certificate must chain to them and pass the usual WebPKI checks
/// (signature, validity period, server-auth usage, name).
pub fn connector(ca_pem: &[u8]) -> Result<TlsConnector, TlsError> {
    const WHAT: &str = "CA certificate";
    let pinned = certificates(WHAT, ca_pem)?;
    let mut roots = RootCertStore::empty();
    for cert in &pinned {
        roots
            .add(cert.clone())
            .map_err(|source| TlsError::Rustls { what: WHAT, source })?;
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|source| TlsError::Rustls { what: WHAT, source })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier { webpki, pinned }))
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// WebPKI verification, plus exact matches of the configured certificates.
#[derive(Debug)]
struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            let parsed = ParsedCertificate::try_from(end_entity)?;
            verify_server_name(&parsed, server_name)?;
            return Ok(ServerCertVerified::assertion());
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Checks a server name (DNS name or IP address; IPv6 may be in brackets).
pub fn server_name(name: &str) -> Result<ServerName<'static>, TlsError> {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    ServerName::try_from(bare.to_owned()).map_err(|_| TlsError::ServerName(name.to_owned()))
}

fn peer_of(stream: &TcpStream) -> String {
    // Failing to set TCP_NODELAY only costs latency.
    let _ = stream.set_nodelay(true);
    stream
        .peer_addr()
        .map_or_else(|_| "unknown peer".to_owned(), |a| a.to_string())
}

fn timed_out(what: &str, timeout: Duration) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("no {what} within {timeout:?}"),
    )
}

/// Server side: the TLS handshake on an accepted stream, at most `timeout`.
pub async fn accept(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    timeout: Duration,
) -> std::io::Result<Connection> {
    let peer = peer_of(&stream);
    let tls = tokio::time::timeout(timeout, acceptor.accept(stream))
        .await
        .map_err(|_| timed_out("TLS handshake", timeout))??;
    Ok(Connection::new(tls, peer))
}

/// Agent side: the TLS handshake on a connected stream, verifying the server's
/// certificate for `name`, at most `timeout`.
pub async fn connect(
    connector: &TlsConnector,
    name: ServerName<'static>,
    stream: TcpStream,
    timeout: Duration,
) -> std::io::Result<Connection> {
    let peer = peer_of(&stream);
    let tls = tokio::time::timeout(timeout, connector.connect(name, stream))
        .await
        .map_err(|_| timed_out("TLS handshake", timeout))??;
    Ok(Connection::new(tls, peer))
}

/// True if a frame header looks like the start of a TLS record (a handshake or an
/// alert, TLS 1.x): what a plaintext peer reads from a TLS server.
pub fn looks_like_tls(header: [u8; 4]) -> bool {
    matches!(header, [0x15 | 0x16, 0x03, 0x00..=0x04, _])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{AgentMessage, ServerMessage};
    use tokio::net::TcpListener;

    const T: Duration = Duration::from_secs(10);

    fn self_signed(names: &[&str]) -> (String, String) {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let ck = rcgen::generate_simple_self_signed(names).expect("certificate");
        (ck.cert.pem(), ck.signing_key.serialize_pem())
    }

    /// Runs one server accepting one connection; returns what the client saw.
    async fn exchange(
        acceptor: TlsAcceptor,
        connector: TlsConnector,
        name: &str,
    ) -> std::io::Result<Option<ServerMessage>> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await?;
            let mut conn = accept(&acceptor, stream, T).await?;
            let got: Option<AgentMessage> = conn.recv().await.map_err(std::io::Error::other)?;
            assert_eq!(got, Some(AgentMessage::Ping { seq: 7 }));
            conn.send(&ServerMessage::Pong { seq: 7 })
                .await
                .map_err(std::io::Error::other)
        });
        let name = server_name(name).map_err(std::io::Error::other)?;
        let stream = TcpStream::connect(addr).await?;
        let result = async {
            let mut conn = connect(&connector, name, stream, T).await?;
            conn.send(&AgentMessage::Ping { seq: 7 })
                .await
                .map_err(std::io::Error::other)?;
            conn.recv().await.map_err(std::io::Error::other)
        }
        .await;
        let _ = server.await;
        result
    }

    #[tokio::test]
    async fn frames_travel_inside_tls() -> std::io::Result<()> {
        let (cert, key) = self_signed(&["localhost", "127.0.0.1"]);
        let acceptor = acceptor(cert.as_bytes(), key.as_bytes()).map_err(std::io::Error::other)?;
        // The self-signed certificate is its own trust anchor; IP and DNS names both work.
        let connector = connector(cert.as_bytes()).map_err(std::io::Error::other)?;
        for name in ["127.0.0.1", "localhost"] {
            let got = exchange(acceptor.clone(), connector.clone(), name).await?;
            assert_eq!(got, Some(ServerMessage::Pong { seq: 7 }));
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_certificate_from_another_ca_or_for_another_name_is_rejected() -> std::io::Result<()>
    {
        let (cert, key) = self_signed(&["localhost"]);
        let (other, _) = self_signed(&["localhost"]);
        let server = acceptor(cert.as_bytes(), key.as_bytes()).map_err(std::io::Error::other)?;
        let wrong_ca = connector(other.as_bytes()).map_err(std::io::Error::other)?;
        let err = exchange(server.clone(), wrong_ca, "localhost")
            .await
            .expect_err("unknown issuer");
        assert!(err.to_string().contains("certificate"), "{err}");
        let right_ca = connector(cert.as_bytes()).map_err(std::io::Error::other)?;
        let err = exchange(server, right_ca, "strato.example")
            .await
            .expect_err("wrong name");
        assert!(err.to_string().contains("certificate"), "{err}");
        Ok(())
    }

    #[tokio::test]
    async fn a_ca_signed_chain_and_a_ca_flagged_self_signed_certificate_are_trusted()
    -> Result<(), Box<dyn std::error::Error>> {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        // A CA and a leaf it signed: the agent trusts the CA only.
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate()?;
        let ca = ca_params.self_signed(&ca_key)?;
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate()?;
        let leaf =
            CertificateParams::new(vec!["localhost".to_owned()])?.signed_by(&leaf_key, &issuer)?;
        let server = acceptor(leaf.pem().as_bytes(), leaf_key.serialize_pem().as_bytes())?;
        let client = connector(ca.pem().as_bytes())?;
        let got = exchange(server, client, "localhost").await?;
        assert_eq!(got, Some(ServerMessage::Pong { seq: 7 }));

        // A self-signed certificate flagged as a CA (what `openssl req -x509` makes),
        // given to the agent as is: pinned, so accepted for its own name only.
        let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        let server = acceptor(cert.pem().as_bytes(), key.serialize_pem().as_bytes())?;
        let client = connector(cert.pem().as_bytes())?;
        let got = exchange(server.clone(), client.clone(), "localhost").await?;
        assert_eq!(got, Some(ServerMessage::Pong { seq: 7 }));
        let wrong_name = exchange(server, client, "strato.example").await;
        assert!(
            wrong_name.is_err(),
            "the name of a pinned certificate is checked"
        );
        Ok(())
    }

    #[test]
    fn bad_pem_is_a_clear_error() {
        let (cert, key) = self_signed(&["localhost"]);
        let err = acceptor(b"nothing here", key.as_bytes())
            .err()
            .expect("no cert");
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        let err = acceptor(cert.as_bytes(), cert.as_bytes())
            .err()
            .expect("no key");
        assert!(err.to_string().contains("no PEM private key"), "{err}");
        let err = connector(b"").err().expect("no CA");
        assert!(err.to_string().contains("CA certificate"), "{err}");
        assert!(server_name("[::1]").is_ok());
        assert!(server_name("not a name!").is_err());
    }

    #[test]
    fn tls_records_are_recognised() {
        assert!(looks_like_tls([0x15, 0x03, 0x03, 0x00]));
        assert!(looks_like_tls([0x16, 0x03, 0x01, 0x02]));
        assert!(!looks_like_tls([0x00, 0x00, 0x01, 0x20]));
    }
}
