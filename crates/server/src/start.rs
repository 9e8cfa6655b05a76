//! Starting a management server: store, bootstrap, engine, background work, listeners.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use strato_common::ApiError;
use strato_engine::{Engine, agents, bootstrap, images, jobs, sagas};
use strato_schema::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::{self, AppState, Shared};

/// Largest request body accepted (user data can be large).
const MAX_BODY: usize = 4 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub db_url: String,
    /// Where host agents connect (CloudStack's 8250); None: no agent port.
    pub agent_listen: Option<SocketAddr>,
    /// TLS on the agent port; None: plain TCP.
    pub agent_tls: Option<AgentTls>,
}

/// The agent port's certificate chain and private key, PEM-encoded.
#[derive(Clone)]
pub struct AgentTls {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for AgentTls {
    // Never print the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentTls").finish_non_exhaustive()
    }
}

/// A running server; dropping it does not stop it, [`RunningServer::shutdown`] does.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub integration_addr: Option<SocketAddr>,
    pub agent_addr: Option<SocketAddr>,
    pub engine: Engine,
    cancel: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// Stops listening and background work, marks this server down, closes the pool.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks {
            let _ = t.await;
        }
        if let Ok(mut db) = self.engine.store.acquire().await {
            let _ = db.c().stop_mshost(&self.engine.msid).await;
        }
        self.engine.store.close().await;
    }

    /// Waits until the server is stopped (Ctrl-C for the binary).
    pub async fn wait(&mut self) {
        self.cancel.cancelled().await;
    }

    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/client/api", get(api::handle).post(api::handle))
        .route("/client/api/", get(api::handle).post(api::handle))
        .route("/client/api/openapi.json", get(openapi))
        .route("/client/extract/{token}/{file}", get(crate::extract::serve))
        .route(strato_engine::console::PATH, get(crate::console::serve))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // Uploads stream to disk and are bounded by max.template.iso.size instead.
        .route(
            "/upload/{uuid}",
            axum::routing::post(crate::upload::receive).layer(DefaultBodyLimit::disable()),
        )
        .with_state(state)
}

async fn openapi(axum::extract::State(state): axum::extract::State<Shared>) -> impl IntoResponse {
    let doc = strato_api::openapi::document(state.engine.registry.iter().map(|c| c.spec));
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        )],
        doc.to_string(),
    )
}

/// Opens the store (migrating it), bootstraps first-start data and serves the API.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ApiError> {
    let store = Store::open(&config.db_url)
        .await
        .map_err(|e| ApiError::internal(format!("cannot open the database: {e}")))?;
    let registry = strato_engine::Registry::new();
    bootstrap::run(&store, &registry).await?;
    let engine = Engine::start(store).await?;
    jobs::fail_orphans(&engine).await?;
    agents::load_token(&engine).await?;
    images::extract::load_secret(&engine).await?;
    let cancel = CancellationToken::new();
    let mut tasks = jobs::start_background(&engine);
    let mut agent_addr = None;
    if let Some(listen) = config.agent_listen {
        let tls = config
            .agent_tls
            .as_ref()
            .map(|t| agents::tls_acceptor(&t.cert_pem, &t.key_pem))
            .transpose()?;
        let listener = TcpListener::bind(listen).await.map_err(|e| {
            ApiError::internal(format!("cannot listen for agents on {listen}: {e}"))
        })?;
        agent_addr = listener.local_addr().ok();
        if tls.is_some() {
            tracing::info!(%listen, "agent port uses TLS");
        }
        tasks.push(tokio::spawn(agents::serve_tcp(
            engine.clone(),
            listener,
            tls,
        )));
    }
    agents::restore_simulated(&engine).await?;
    // After the hosts are back: recovered sagas talk to them.
    sagas::recover(&engine).await?;
    tasks.push(strato_engine::vms::destroy::start_expunger(&engine));
    tasks.push(strato_engine::snapshots::scheduler::start(&engine));
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| ApiError::internal(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    engine.images.set_public_base(public_base(addr));
    tasks.push(images::start(&engine));
    tasks.push(serve(
        listener,
        router(Arc::new(AppState {
            engine: engine.clone(),
            integration: false,
        })),
        cancel.clone(),
    ));
    let port = engine.settings.integration_api_port();
    let mut integration_addr = None;
    if port != 0 {
        // Unauthenticated: loopback only.
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            ApiError::internal(format!("cannot listen on integration port {port}: {e}"))
        })?;
        integration_addr = listener.local_addr().ok();
        tracing::warn!(
            port,
            "integration API port is open on 127.0.0.1 without authentication"
        );
        tasks.push(serve(
            listener,
            router(Arc::new(AppState {
                engine: engine.clone(),
                integration: true,
            })),
            cancel.clone(),
        ));
    }
    Ok(RunningServer {
        addr,
        integration_addr,
        agent_addr,
        engine,
        cancel,
        tasks,
    })
}

/// `http://host:port` of the API listener; a wildcard address is named by host name.
fn public_base(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://{}:{}", strato_engine::hostname(), addr.port())
    } else {
        format!("http://{addr}")
    }
}

fn serve(
    listener: TcpListener,
    app: Router,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move { cancel.cancelled().await })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "HTTP listener failed");
        }
    })
}
