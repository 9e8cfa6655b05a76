//! The `strato agent` command line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

/// Which hypervisor backend runs the hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DriverKind {
    /// In-memory simulated hosts (any number per process).
    Simulator,
    /// QEMU/KVM through libvirt: one real host (needs a build with the `kvm` feature).
    Kvm,
}

/// How `--driver kvm` decides between hardware virtualisation and emulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum KvmAccel {
    /// KVM only if a trial boot of --kvm-probe-image proves it; TCG otherwise.
    #[default]
    Auto,
    /// KVM, unproven.
    Kvm,
    /// QEMU's software emulation.
    Tcg,
}

/// Options of `--driver kvm`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KvmArgs {
    /// libvirt URI.
    #[arg(long, default_value = "qemu:///system", env = "STRATO_LIBVIRT_URI")]
    pub libvirt_uri: String,
    /// KVM or TCG (see docs/kvm-driver.md).
    #[arg(long, value_enum, default_value_t = KvmAccel::Auto)]
    pub kvm_accel: KvmAccel,
    /// A qcow2 that prints STRATO-GUEST-UP on its serial port (scripts/build-small-template.sh
    /// builds one); --kvm-accel auto boots it under KVM to prove KVM works.
    #[arg(long)]
    pub kvm_probe_image: Option<PathBuf>,
    /// Address the VMs' VNC servers listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub kvm_vnc_listen: String,
    /// Directory templates and ISOs may be read from (secondary storage mounts); repeat
    /// for several. Nothing outside them is ever read as a template or ISO.
    #[arg(long = "kvm-image-dir")]
    pub kvm_image_dirs: Vec<PathBuf>,
    /// Agent data (console logs); its filesystem counts as the host's local storage.
    #[arg(long, default_value = "/var/lib/strato")]
    pub kvm_data_dir: PathBuf,
    /// Interface whose IPv4 address is the host's private IP (default: the first global
    /// address).
    #[arg(long)]
    pub kvm_private_interface: Option<String>,
    /// The host's private IP, instead of detecting it.
    #[arg(long)]
    pub host_ip: Option<String>,
}

/// Options of `strato agent`.
#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// Hypervisor driver.
    #[arg(long, value_enum, default_value_t = DriverKind::Simulator)]
    pub driver: DriverKind,
    /// How many hosts to simulate (simulator driver).
    #[arg(long, default_value_t = 1)]
    pub hosts: u32,
    /// Management server agent endpoints (HOST:PORT), tried in order; repeat the flag or
    /// separate with commas.
    #[arg(
        long = "server",
        value_delimiter = ',',
        default_value = "127.0.0.1:8250",
        env = "STRATO_AGENT_SERVERS"
    )]
    pub servers: Vec<String>,
    /// Connect with TLS and verify the server's certificate against --ca-cert (for a
    /// server started with --agent-tls-cert/--agent-tls-key).
    #[arg(long, env = "STRATO_AGENT_TLS")]
    pub tls: bool,
    /// PEM file of the CA that signed the server's agent certificate (or that
    /// self-signed certificate itself); required with --tls.
    #[arg(long, env = "STRATO_AGENT_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Name the server's certificate must carry (DNS name or IP address); default: the
    /// host part of each --server.
    #[arg(long, env = "STRATO_AGENT_TLS_SERVER_NAME")]
    pub tls_server_name: Option<String>,
    /// Agent registration token, as configured on the management server.
    #[arg(long, env = "STRATO_AGENT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Zone the hosts belong to (passed to the server in the host announcement).
    #[arg(long)]
    pub zone_id: Option<String>,
    /// Pod the hosts belong to.
    #[arg(long)]
    pub pod_id: Option<String>,
    /// Cluster the hosts belong to.
    #[arg(long)]
    pub cluster_id: Option<String>,
    /// Directory keeping host identities across restarts (without it, every start
    /// announces new hosts).
    #[arg(long, env = "STRATO_AGENT_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Prefix of simulated host names (followed by the host guid).
    #[arg(long, default_value = "SimulatedAgent.")]
    pub name_prefix: String,
    /// Size of each simulated host, CloudStack URL style:
    /// `cpucore=8&cpuspeed=2000&memory=17179869184&localstorage=...&arch=x86_64`.
    #[arg(long, default_value = "")]
    pub sim_capacity: String,
    /// First reconnect delay in milliseconds (doubles up to --reconnect-max-secs).
    #[arg(long, default_value_t = 500, hide = true)]
    pub reconnect_min_ms: u64,
    /// Longest reconnect delay in seconds.
    #[arg(long, default_value_t = 30, hide = true)]
    pub reconnect_max_secs: u64,
    /// Seconds to wait for a TCP connection and for the server's Welcome.
    #[arg(long, default_value_t = 10, hide = true)]
    pub connect_timeout_secs: u64,
    #[command(flatten)]
    pub kvm: KvmArgs,
}

impl AgentArgs {
    /// Arguments for `hosts` simulated hosts talking to `server` (what the defaults
    /// give on the command line); for tests and embedding.
    pub fn simulator(server: impl Into<String>, token: impl Into<String>, hosts: u32) -> Self {
        Self {
            driver: DriverKind::Simulator,
            hosts,
            servers: vec![server.into()],
            token: token.into(),
            tls: false,
            ca_cert: None,
            tls_server_name: None,
            zone_id: None,
            pod_id: None,
            cluster_id: None,
            state_dir: None,
            name_prefix: "SimulatedAgent.".into(),
            sim_capacity: String::new(),
            reconnect_min_ms: 500,
            reconnect_max_secs: 30,
            connect_timeout_secs: 10,
            kvm: KvmArgs {
                libvirt_uri: "qemu:///system".into(),
                kvm_vnc_listen: "0.0.0.0".into(),
                kvm_data_dir: "/var/lib/strato".into(),
                ..KvmArgs::default()
            },
        }
    }

    pub fn reconnect_min(&self) -> Duration {
        Duration::from_millis(self.reconnect_min_ms.max(1))
    }

    pub fn reconnect_max(&self) -> Duration {
        Duration::from_secs(self.reconnect_max_secs.max(1)).max(self.reconnect_min())
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs.max(1))
    }

    /// Checks everything that can be checked before connecting; returns the server list.
    pub fn validate(&self) -> anyhow::Result<Vec<String>> {
        if self.token.trim().is_empty() {
            bail!("no agent token: pass --token or set STRATO_AGENT_TOKEN");
        }
        if self.driver == DriverKind::Simulator && self.hosts == 0 {
            bail!("--hosts must be at least 1");
        }
        let servers: Vec<String> = self
            .servers
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if self.tls && self.ca_cert.is_none() {
            bail!(
                "--tls needs --ca-cert PATH: the PEM CA (or self-signed certificate) the \
                 server's agent certificate is verified against"
            );
        }
        if !self.tls && (self.ca_cert.is_some() || self.tls_server_name.is_some()) {
            bail!("--ca-cert and --tls-server-name only apply with --tls");
        }
        if servers.is_empty() {
            bail!("no management server: pass --server HOST:PORT");
        }
        for server in &servers {
            let (host, port) = server
                .rsplit_once(':')
                .with_context(|| format!("management server {server:?} must be HOST:PORT"))?;
            if host.is_empty() || port.parse::<u16>().is_err() {
                bail!("management server {server:?} must be HOST:PORT with a port number");
            }
        }
        Ok(servers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        agent: AgentArgs,
    }

    #[test]
    fn servers_may_be_repeated_or_comma_separated() -> anyhow::Result<()> {
        let cli = Cli::try_parse_from([
            "agent",
            "--token",
            "t",
            "--server",
            "a:1,b:2",
            "--server",
            "[::1]:8250",
        ])?;
        assert_eq!(cli.agent.validate()?, ["a:1", "b:2", "[::1]:8250"]);
        assert_eq!(cli.agent.driver, DriverKind::Simulator);
        assert_eq!(cli.agent.hosts, 1);
        assert!(!cli.agent.tls);
        Ok(())
    }

    #[test]
    fn bad_arguments_are_clear_errors() {
        let mut args = AgentArgs::simulator("localhost", "t", 1);
        assert!(args.validate().is_err(), "no port");
        args.servers = vec!["localhost:http".into()];
        assert!(args.validate().is_err(), "port not a number");
        let mut args = AgentArgs::simulator("localhost:8250", " ", 1);
        assert!(args.validate().is_err(), "blank token");
        args.token = "t".into();
        args.tls = true;
        let err = args.validate().expect_err("tls without CA");
        assert!(err.to_string().contains("--ca-cert"), "{err}");
        args.tls = false;
        args.ca_cert = Some("ca.pem".into());
        assert!(args.validate().is_err(), "CA without tls");
        args.ca_cert = None;
        args.hosts = 0;
        assert!(args.validate().is_err(), "no hosts");
    }
}
