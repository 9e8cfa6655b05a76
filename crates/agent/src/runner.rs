//! The agent's life: build the driver and its hosts, connect to the first management
//! server that answers, serve until the connection drops, reconnect with backoff.
//!
//! At first start, an unreachable server list or a refusal is an error (the operator
//! made a mistake and should hear about it). Once the agent has been accepted, every
//! failure is retried forever: servers restart, networks flap.

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use strato_agent_proto::client::{self, ClientError, SessionEnd};
use strato_agent_proto::tls::{self, TlsConnector};
use strato_agent_proto::{
    Connection, FrameError, Hello, HypervisorDriver, PROTOCOL_VERSION, Placement, Welcome,
};
use strato_hypervisor_sim::{HostCapacity, SimHostSpec, Simulator};
use tokio::net::TcpStream;

use crate::args::{AgentArgs, DriverKind};
use crate::backoff::Backoff;
use crate::state::AgentState;

/// Runs the agent until Ctrl-C.
pub async fn run(args: AgentArgs) -> anyhow::Result<ExitCode> {
    run_until(args, async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling available: run until killed.
            std::future::pending::<()>().await;
        }
    })
    .await
}

/// Runs the agent until `shutdown` completes (then returns success), or fails at first
/// start (bad arguments, KVM requested, no server reachable, refused).
pub async fn run_until<F>(args: AgentArgs, shutdown: F) -> anyhow::Result<ExitCode>
where
    F: Future<Output = ()>,
{
    let servers = args.validate()?;
    let transport = Transport::from_args(&args)?;
    let mut agent = match args.driver {
        DriverKind::Kvm => Agent::kvm(&args).await?,
        DriverKind::Simulator => Agent::simulator(&args)?,
    };
    tokio::pin!(shutdown);
    let mut backoff = Backoff::new(args.reconnect_min(), args.reconnect_max());
    let mut accepted_once = false;
    loop {
        let hello = agent.hello(&args.token);
        let attempt = tokio::select! {
            () = &mut shutdown => return Ok(ExitCode::SUCCESS),
            attempt = connect_any(&servers, &transport, &hello, args.connect_timeout()) => attempt,
        };
        match attempt.and_then(check_welcome) {
            Ok(Connected {
                conn,
                welcome,
                server,
            }) => {
                if let Err(e) = agent.state.record_welcome(&welcome) {
                    if !accepted_once {
                        return Err(e);
                    }
                    tracing::warn!("cannot save the agent state: {e:#}");
                }
                accepted_once = true;
                backoff.reset();
                tracing::info!(%server, hosts = welcome.hosts.len(), "connected to the management server");
                let end =
                    client::serve(conn, agent.driver.clone(), &welcome, shutdown.as_mut()).await;
                if end == SessionEnd::Shutdown {
                    return Ok(ExitCode::SUCCESS);
                }
                tracing::warn!(%server, "disconnected: {end}; reconnecting");
            }
            Err(failure) if !accepted_once => return Err(failure.into()),
            Err(failure) => tracing::warn!("{failure}; retrying"),
        }
        let delay = backoff.next_delay();
        tokio::select! {
            () = &mut shutdown => return Ok(ExitCode::SUCCESS),
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// Plain TCP, or TLS verified against the --ca-cert trust anchors.
enum Transport {
    Plain,
    Tls {
        connector: TlsConnector,
        server_name: Option<String>,
    },
}

impl Transport {
    fn from_args(args: &AgentArgs) -> anyhow::Result<Self> {
        if !args.tls {
            return Ok(Self::Plain);
        }
        let path = args
            .ca_cert
            .as_deref()
            .context("--tls needs --ca-cert PATH")?;
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read --ca-cert {}", path.display()))?;
        let connector =
            tls::connector(&pem).with_context(|| format!("--ca-cert {}", path.display()))?;
        if let Some(name) = &args.tls_server_name {
            tls::server_name(name).context("--tls-server-name")?;
        }
        Ok(Self::Tls {
            connector,
            server_name: args.tls_server_name.clone(),
        })
    }

    /// Wraps a connected stream; the error is a sentence for the operator.
    async fn wrap(
        &self,
        server: &str,
        stream: TcpStream,
        timeout: Duration,
    ) -> Result<Connection, String> {
        let (connector, name) = match self {
            Self::Plain => return Ok(Connection::tcp(stream)),
            Self::Tls {
                connector,
                server_name,
            } => {
                let name = server_name.as_deref().unwrap_or_else(|| host_part(server));
                (connector, name)
            }
        };
        let name = tls::server_name(name).map_err(|e| format!("{server}: {e}"))?;
        tls::connect(connector, name, stream, timeout)
            .await
            .map_err(|e| {
                let hint = if e.to_string().contains("certificate") {
                    " (is --ca-cert the CA that signed the server's agent certificate, and does \
                     the certificate name the server as --tls-server-name or --server does?)"
                } else {
                    " (does the server's agent port use TLS? it needs --agent-tls-cert and \
                     --agent-tls-key)"
                };
                format!("{server}: TLS handshake failed: {e}{hint}")
            })
    }
}

/// The host of HOST:PORT (`[::1]` keeps its brackets; [`tls::server_name`] drops them).
fn host_part(server: &str) -> &str {
    server.rsplit_once(':').map_or(server, |(host, _)| host)
}

/// Explains a plaintext handshake that failed the way it fails against a TLS port: the
/// server's TLS alert read as a frame header announcing a huge frame, or a closed
/// connection.
fn plaintext_failure(error: &ClientError) -> String {
    match error {
        ClientError::Frame {
            peer,
            source: FrameError::TooLarge { len },
        } if u32::try_from(*len).is_ok_and(|v| tls::looks_like_tls(v.to_be_bytes())) => {
            format!("{peer} answered with TLS: its agent port needs --tls --ca-cert PATH")
        }
        ClientError::Closed { .. }
        | ClientError::Frame {
            source: FrameError::Io(_) | FrameError::Truncated,
            ..
        } => format!("{error} (if the server's agent port uses TLS, pass --tls --ca-cert PATH)"),
        _ => error.to_string(),
    }
}

/// The driver and the identities of the hosts it serves.
struct Agent {
    driver: Arc<dyn HypervisorDriver>,
    state: AgentState,
}

impl Agent {
    fn simulator(args: &AgentArgs) -> anyhow::Result<Self> {
        let count = usize::try_from(args.hosts).context("too many hosts")?;
        let state = AgentState::load(args.state_dir.as_deref(), count, &args.name_prefix)?;
        let capacity = HostCapacity::default()
            .with_overrides(&args.sim_capacity)
            .context("invalid --sim-capacity")?;
        let placement = Placement {
            zone_id: args.zone_id.clone(),
            pod_id: args.pod_id.clone(),
            cluster_id: args.cluster_id.clone(),
        };
        let sim = Simulator::new();
        for (index, host) in state.active().iter().enumerate() {
            let mut spec = SimHostSpec::new(host.guid.clone(), host.name.clone());
            spec.capacity = capacity.clone();
            spec.placement = placement.clone();
            spec.private_ip = simulated_ip(index);
            sim.add_host(spec);
        }
        Ok(Self {
            driver: Arc::new(sim),
            state,
        })
    }

    /// One real host driven through libvirt.
    #[cfg(feature = "kvm")]
    async fn kvm(args: &AgentArgs) -> anyhow::Result<Self> {
        use strato_hypervisor_kvm::accel::AccelChoice;
        use strato_hypervisor_kvm::{KvmConfig, KvmDriver};

        let state = AgentState::load(args.state_dir.as_deref(), 1, "kvm-")?;
        let guid = state
            .active()
            .first()
            .map(|h| h.guid.clone())
            .context("no host identity")?;
        let k = &args.kvm;
        let mut config = KvmConfig::new(guid);
        config.uri = k.libvirt_uri.clone();
        config.state_dir = k.kvm_data_dir.join("kvm");
        config.local_storage_dir = k.kvm_data_dir.clone();
        config.accel = match k.kvm_accel {
            crate::args::KvmAccel::Auto => AccelChoice::Auto,
            crate::args::KvmAccel::Kvm => AccelChoice::Kvm,
            crate::args::KvmAccel::Tcg => AccelChoice::Tcg,
        };
        config.probe_image = k.kvm_probe_image.clone();
        config.vnc_listen = k.kvm_vnc_listen.clone();
        config.image_roots = k.kvm_image_dirs.clone();
        config.private_interface = k.kvm_private_interface.clone();
        config.private_ip = k.host_ip.clone();
        config.placement = Placement {
            zone_id: args.zone_id.clone(),
            pod_id: args.pod_id.clone(),
            cluster_id: args.cluster_id.clone(),
        };
        let driver = KvmDriver::new(config)
            .await
            .map_err(|e| anyhow::anyhow!("cannot start the KVM driver: {e}"))?;
        tracing::info!(
            accel = driver.accel().as_str(),
            "KVM driver ready: {}",
            driver.accel_reason()
        );
        Ok(Self {
            driver: Arc::new(driver),
            state,
        })
    }

    #[cfg(not(feature = "kvm"))]
    async fn kvm(_args: &AgentArgs) -> anyhow::Result<Self> {
        anyhow::bail!(
            "this strato binary was built without KVM support: rebuild with \
             `cargo build --release -p strato --features kvm` (needs libvirt-dev and \
             pkg-config; scripts/setup-kvm-host.sh installs them), or use --driver simulator"
        )
    }

    /// The `Hello` announcing every active host, with the tokens the server gave them.
    fn hello(&self, token: &str) -> Hello {
        let hosts = self
            .state
            .active()
            .iter()
            .filter_map(|saved| {
                let mut info = self.driver.host_info(&saved.guid)?;
                info.host_token = saved.token.clone();
                Some(info)
            })
            .collect();
        Hello {
            version: PROTOCOL_VERSION,
            token: token.to_owned(),
            agent_version: env!("CARGO_PKG_VERSION").to_owned(),
            hosts,
        }
    }
}

/// A distinct private address per simulated host (10.0.0.1, 10.0.0.2, ...).
fn simulated_ip(index: usize) -> String {
    let n = u32::try_from(index).unwrap_or(u32::MAX).saturating_add(1);
    let [_, b, c, d] = n.to_be_bytes();
    format!("10.{b}.{c}.{d}")
}

struct Connected {
    conn: Connection,
    welcome: Welcome,
    server: String,
}

/// Why no session could be established.
#[derive(Debug, thiserror::Error)]
enum ConnectFailure {
    #[error("management server {server} refused the agent: {reason}")]
    Refused { server: String, reason: String },
    #[error("management server {server} accepted none of the hosts: {reasons}")]
    NoHosts { server: String, reasons: String },
    #[error("cannot reach any management server ({})", .0.join("; "))]
    Unreachable(Vec<String>),
}

/// Tries each server in order; the first that completes a handshake wins. A refusal
/// ends the attempt (every server shares one database, so they would all refuse).
async fn connect_any(
    servers: &[String],
    transport: &Transport,
    hello: &Hello,
    timeout: Duration,
) -> Result<Connected, ConnectFailure> {
    let mut errors = Vec::new();
    for server in servers {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(server.as_str())).await
        {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                errors.push(format!("{server}: {e}"));
                continue;
            }
            Err(_) => {
                errors.push(format!("{server}: no answer within {timeout:?}"));
                continue;
            }
        };
        let mut conn = match transport.wrap(server, stream, timeout).await {
            Ok(conn) => conn,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match client::handshake(&mut conn, hello, timeout).await {
            Ok(welcome) => {
                return Ok(Connected {
                    conn,
                    welcome,
                    server: server.clone(),
                });
            }
            Err(ClientError::Refused { reason, .. }) => {
                return Err(ConnectFailure::Refused {
                    server: server.clone(),
                    reason,
                });
            }
            Err(e) => errors.push(match transport {
                Transport::Plain => plaintext_failure(&e),
                Transport::Tls { .. } => e.to_string(),
            }),
        }
    }
    Err(ConnectFailure::Unreachable(errors))
}

/// Logs refused hosts; a `Welcome` with no host at all is a failure.
fn check_welcome(c: Connected) -> Result<Connected, ConnectFailure> {
    for refused in &c.welcome.refused {
        tracing::warn!(server = %c.server, guid = %refused.guid, "host refused: {}", refused.reason);
    }
    if c.welcome.hosts.is_empty() {
        let reasons = c
            .welcome
            .refused
            .iter()
            .map(|r| format!("{}: {}", r.guid, r.reason))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ConnectFailure::NoHosts {
            server: c.server,
            reasons,
        });
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_ips_are_distinct() {
        assert_eq!(simulated_ip(0), "10.0.0.1");
        assert_eq!(simulated_ip(255), "10.0.1.0");
        assert_eq!(simulated_ip(9_999), "10.0.39.16");
    }

    #[test]
    fn the_tls_server_name_defaults_to_the_host_part() {
        assert_eq!(host_part("mgmt.example:8250"), "mgmt.example");
        assert_eq!(host_part("[::1]:8250"), "[::1]");
        assert!(tls::server_name(host_part("[::1]:8250")).is_ok());
    }
}
