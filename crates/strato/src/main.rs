//! `strato`: the management server, its database set-up, a one-command quick start,
//! and a CloudMonkey-style API client.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

mod quickstart;
use strato_server::{AgentTls, ServerConfig, start};

#[derive(Parser)]
#[command(
    name = "strato",
    version,
    about = "Apache CloudStack-compatible IaaS management server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up: the size of the biggest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the management server.
    Server(ServerArgs),
    /// Create or upgrade the database schema and first-start data, then exit.
    SetupDatabase(DbArgs),
    /// Run the server on the embedded database and print the URL and admin API keys.
    Quickstart(QuickstartArgs),
    /// Call the API like CloudMonkey: `strato api listAccounts`.
    Api(strato_cli::ApiArgs),
    /// Run a host agent: connect to the management server and serve simulated hosts.
    Agent(strato_agent::AgentArgs),
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Directory for the embedded database and other state.
    #[arg(long, default_value = "./strato-data", env = "STRATO_DATA_DIR")]
    data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://USER:PASS@HOST/DB (default: SQLite in the data dir).
    #[arg(long, env = "STRATO_DB")]
    db: Option<String>,
}

#[derive(Args, Clone)]
struct ServerArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address and port of the API.
    #[arg(long, default_value = "0.0.0.0:8080", env = "STRATO_LISTEN")]
    listen: SocketAddr,
    /// Address and port host agents connect to.
    #[arg(long, default_value = "0.0.0.0:8250", env = "STRATO_AGENT_LISTEN")]
    agent_listen: SocketAddr,
    /// PEM certificate chain for TLS on the agent port (with --agent-tls-key); agents
    /// then connect with `strato agent --tls --ca-cert …`.
    #[arg(long, env = "STRATO_AGENT_TLS_CERT", requires = "agent_tls_key")]
    agent_tls_cert: Option<PathBuf>,
    /// PEM private key of --agent-tls-cert.
    #[arg(long, env = "STRATO_AGENT_TLS_KEY", requires = "agent_tls_cert")]
    agent_tls_key: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct QuickstartArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Build the zone around this machine as a real KVM host: sets up libvirt if needed,
    /// starts a local `strato agent --driver kvm` and registers a small busybox template
    /// (needs root and a build with `--features kvm`).
    #[arg(long)]
    kvm: bool,
}

impl ServerArgs {
    /// The agent port's certificate and key, read now so a bad path fails at start.
    fn agent_tls(&self) -> anyhow::Result<Option<AgentTls>> {
        let (Some(cert), Some(key)) = (&self.agent_tls_cert, &self.agent_tls_key) else {
            return Ok(None);
        };
        let read = |flag: &str, path: &Path| {
            std::fs::read(path).with_context(|| format!("cannot read {flag} {}", path.display()))
        };
        Ok(Some(AgentTls {
            cert_pem: read("--agent-tls-cert", cert)?,
            key_pem: read("--agent-tls-key", key)?,
        }))
    }
}

impl DbArgs {
    fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.db {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        Ok(format!(
            "sqlite://{}",
            self.data_dir.join("strato.db").display()
        ))
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("strato: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Api(args) => strato_cli::run(args).await,
            Command::Agent(args) => {
                init_logging();
                strato_agent::run(args).await
            }
            Command::Server(args) => {
                init_logging();
                serve(args, None).await
            }
            Command::Quickstart(args) => {
                init_logging();
                let mode = if args.kvm {
                    Quickstart::Kvm
                } else {
                    Quickstart::Simulator
                };
                serve(args.server, Some(mode)).await
            }
            Command::SetupDatabase(args) => {
                init_logging();
                setup_database(args).await
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("strato: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn setup_database(args: DbArgs) -> anyhow::Result<ExitCode> {
    let url = args.url()?;
    let store = strato_schema::Store::open(&url).await?;
    let report = strato_engine::bootstrap::run(&store, &strato_engine::Registry::new()).await?;
    println!("database {} is up to date", strato_schema::redact(&url));
    if report.created_admin {
        println!("created user admin with password 'password' in domain ROOT: change it");
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone, Copy)]
enum Quickstart {
    Simulator,
    Kvm,
}

async fn serve(args: ServerArgs, quickstart: Option<Quickstart>) -> anyhow::Result<ExitCode> {
    let agent_tls = args.agent_tls()?;
    let db_url = args.db.url()?;
    // Checked before the server starts: a host that cannot run guests fails at once.
    let kvm_paths = match quickstart {
        Some(Quickstart::Kvm) => {
            let paths = quickstart::kvm::Paths::new(&args.db.data_dir)?;
            quickstart::kvm::prepare_host(&paths).await?;
            Some(paths)
        }
        _ => None,
    };
    let mut server = start(ServerConfig {
        listen: args.listen,
        db_url: db_url.clone(),
        agent_listen: Some(args.agent_listen),
        agent_tls,
    })
    .await?;
    let url = format!("http://{}/client/api", display_addr(server.addr));
    // The KVM agent child lives as long as the server.
    let mut _agent = None;
    if quickstart.is_some() {
        let (api_key, secret_key) =
            strato_engine::bootstrap::admin_keys(&server.engine.store).await?;
        let local_base = format!("http://127.0.0.1:{}", server.addr.port());
        let local = format!("{local_base}/client/api");
        let built = match &kvm_paths {
            None => quickstart::ensure_zone(&local, &api_key, &secret_key)
                .await
                .context("building the quickstart zone")?
                .map(|z| {
                    format!(
                        "Built zone {} ({}): pod POD0, public range 10.147.31.100-200, \
                         Simulator cluster C0 with {} hosts, primary storage PS0, image \
                         store SS0; enabled.",
                        z.name, z.id, z.hosts
                    )
                }),
            Some(paths) => {
                let agent_port = server.agent_addr.map_or(8250, |a| a.port());
                let api = quickstart::Api::new(&local, &api_key, &secret_key)?;
                let z = quickstart::kvm::ensure_zone(
                    &api,
                    paths,
                    &format!("127.0.0.1:{agent_port}"),
                    &server.engine.agents.token(),
                    &local_base,
                )
                .await
                .context("building the quickstart KVM zone")?;
                println!();
                println!(
                    "KVM agent: pid {}, log {}, guest consoles {}/kvm/console",
                    z.agent.id().unwrap_or_default(),
                    paths.agent_log.display(),
                    paths.agent.display()
                );
                _agent = Some(z.agent);
                println!(
                    "Template:  {} ({}), uploaded from {}",
                    quickstart::kvm::TEMPLATE_NAME,
                    z.template_id,
                    paths.template.display()
                );
                z.built.map(|(name, id)| {
                    format!(
                        "Built zone {name} ({id}): VXLAN physical network (VNIs 5000-5099), \
                         pod POD0, public range 10.147.31.100-200, KVM cluster C0 with this \
                         machine as its host, primary storage PS0 file://{}, image store SS0 \
                         file://{}; enabled.",
                        paths.pool.display(),
                        paths.store.display()
                    )
                })
            }
        };
        print_quickstart(&url, &db_url, &api_key, &secret_key, &args.db.data_dir);
        match built {
            Some(text) => println!("{text}"),
            None => println!("A zone exists already; nothing was built."),
        }
        println!(
            "Agent token (strato agent --token): {}",
            server.engine.agents.token()
        );
        println!();
        println!("Press Ctrl-C to stop.");
    } else {
        tracing::info!(%url, "management server ready");
    }
    let cancel = server.cancel_token();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        cancel.cancel();
    });
    server.wait().await;
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

fn display_addr(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    }
}

fn print_quickstart(url: &str, db_url: &str, api_key: &str, secret_key: &str, data_dir: &Path) {
    println!();
    println!("Strato is running.");
    println!("  API URL:     {url}");
    println!("  Database:    {}", strato_schema::redact(db_url));
    println!("  Data dir:    {}", data_dir.display());
    println!("  Log in:      admin / password (domain ROOT)");
    println!("  API key:     {api_key}");
    println!("  Secret key:  {secret_key}");
    println!();
    println!("Try it:");
    println!(
        "  strato api set-profile default url={url} apikey={api_key} secretkey=<secret key above>"
    );
    println!("  strato api listAccounts");
}
