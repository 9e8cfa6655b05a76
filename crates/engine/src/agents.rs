//! Host agents, seen from the management server: accepting their connections (TCP, or
//! simulated hosts inside this process), registering their hosts, keeping each host's
//! status (Connecting → Up → Alert/Disconnected → Down, and back when the agent returns),
//! and sending them commands.
//!
//! The protocol itself lives in `strato-agent-proto` (see docs/agent-protocol.md).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use strato_agent_proto::server::read_hello;
use strato_agent_proto::tls::{self, TlsAcceptor};
use strato_agent_proto::{
    Answer, Command, Connection, DisconnectReason, Hello, HostAccepted, HostInfo, HostRefused,
    HypervisorDriver, PROTOCOL_VERSION, Placement, ServerSession, SessionEvent, SessionOptions,
    Welcome,
};
use strato_common::{ApiError, ErrorCode};
use strato_hypervisor_sim::{SimHostSpec, Simulator};
use strato_schema::cluster::ClusterRow;
use strato_schema::host::{Announced, HostRow, NewHost};
use tokio::net::TcpListener;

use crate::{Engine, secrets};

/// Name of the stored agent registration token (not a CloudStack setting, so it is
/// never listed by listConfigurations).
const TOKEN_KEY: &str = "strato.agent.token";
/// `resource_detail` names on hosts.
const HOST_TOKEN: &str = "agent.token";
const IN_PROCESS: &str = "simulator.inprocess";
/// How long a new connection may take to say Hello (and, with TLS, to shake hands).
const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

/// Live agent sessions of this server, by host guid.
#[derive(Default)]
pub struct AgentManager {
    sessions: RwLock<HashMap<String, (u64, ServerSession)>>,
    next_session: AtomicU64,
    /// When `last_ping` of our hosts was last refreshed.
    pings_touched: std::sync::Mutex<Option<std::time::Instant>>,
    /// The simulated hosts added with `addHost` to Simulator clusters.
    pub simulator: Simulator,
    token: RwLock<String>,
}

impl AgentManager {
    /// The token external agents present (`strato agent --token`).
    pub fn token(&self) -> String {
        self.token.read().map(|t| t.clone()).unwrap_or_default()
    }

    pub fn session(&self, guid: &str) -> Option<ServerSession> {
        self.sessions.read().ok()?.get(guid).map(|(_, s)| s.clone())
    }

    pub fn connected(&self, guid: &str) -> bool {
        self.session(guid).is_some_and(|s| !s.is_closed())
    }

    fn register(&self, id: u64, session: &ServerSession) {
        if let Ok(mut map) = self.sessions.write() {
            for guid in session.host_guids() {
                if let Some((_, old)) = map.insert(guid.to_string(), (id, session.clone()))
                    && old.host_guids().count() == 1
                {
                    old.close();
                }
            }
        }
    }

    /// Forgets the hosts of session `id`; returns those that were still ours.
    fn unregister(&self, id: u64, guids: &[String]) -> Vec<String> {
        let Ok(mut map) = self.sessions.write() else {
            return Vec::new();
        };
        let mut ours = Vec::new();
        for g in guids {
            if map.get(g).is_some_and(|(sid, _)| *sid == id) {
                map.remove(g);
                ours.push(g.clone());
            }
        }
        ours
    }
}

/// Loads (creating on first start) the agent registration token.
pub async fn load_token(engine: &Engine) -> Result<(), ApiError> {
    let token = secrets::stored(&engine.store, TOKEN_KEY).await?;
    if let Ok(mut slot) = engine.agents.token.write() {
        *slot = token;
    }
    Ok(())
}

/// Session timing from `ping.interval` and `ping.timeout` (a multiple of the interval).
pub fn session_options(engine: &Engine) -> SessionOptions {
    let interval = engine.settings.f64("ping.interval").clamp(0.2, 3600.0);
    let factor = engine.settings.f64("ping.timeout").clamp(1.0, 100.0);
    SessionOptions {
        ping_interval: Duration::from_secs_f64(interval),
        ping_timeout: Duration::from_secs_f64(interval * factor),
        event_buffer: 1024,
    }
}

/// Builds the agent port's TLS acceptor from a PEM certificate chain and private key.
pub fn tls_acceptor(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsAcceptor, ApiError> {
    tls::acceptor(cert_pem, key_pem).map_err(|e| ApiError::internal(e.to_string()))
}

/// Accepts agent connections until the listener fails; with `tls`, each connection
/// does a TLS handshake first (the protocol inside is unchanged).
pub async fn serve_tcp(engine: Engine, listener: TcpListener, tls: Option<TlsAcceptor>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let engine = engine.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let conn = match &tls {
                        None => Connection::tcp(stream),
                        Some(acceptor) => {
                            match tls::accept(acceptor, stream, HELLO_TIMEOUT).await {
                                Ok(conn) => conn,
                                Err(e) => {
                                    tracing::warn!(%peer, error = %e, "agent TLS handshake failed (a plaintext agent, or one that does not trust this server's certificate?)");
                                    return;
                                }
                            }
                        }
                    };
                    if let Err(e) = handle_connection(&engine, conn, false).await {
                        tracing::warn!(error = %e, "agent connection refused");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "agent listener accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Handshake, host registration, bring-up, then status tracking until the agent leaves.
async fn handle_connection(
    engine: &Engine,
    conn: Connection,
    in_process: bool,
) -> Result<(), String> {
    let pending = read_hello(conn, HELLO_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if !in_process && !secrets::constant_eq(&pending.hello().token, &engine.agents.token()) {
        let _ = pending.refuse("invalid agent token").await;
        return Err("invalid agent token".into());
    }
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    let mut host_ids = Vec::new();
    let hosts = &pending.hello().hosts;
    let results = register_hosts(engine, hosts, in_process).await;
    for (info, result) in hosts.iter().zip(results) {
        match result {
            Ok((id, a)) => {
                host_ids.push(id);
                accepted.push(a);
            }
            Err(reason) => refused.push(HostRefused {
                guid: info.guid.clone(),
                reason,
            }),
        }
    }
    if accepted.is_empty() {
        let reasons: Vec<String> = refused
            .iter()
            .map(|r| format!("{}: {}", r.guid, r.reason))
            .collect();
        let reason = format!("no host could be registered ({})", reasons.join("; "));
        let _ = pending.refuse(reason.clone()).await;
        return Err(reason);
    }
    // Host ids by guid, for marking this session's hosts when it ends.
    let ids: HashMap<String, i64> = accepted
        .iter()
        .zip(&host_ids)
        .map(|(a, id)| (a.guid.clone(), *id))
        .collect();
    let options = session_options(engine);
    let welcome = Welcome {
        ping_interval_secs: options.ping_interval.as_secs().max(1),
        hosts: accepted,
        refused,
        server_version: crate::VERSION.to_string(),
    };
    let accepted = pending
        .welcome(welcome, &options)
        .await
        .map_err(|e| e.to_string())?;
    let session_id = engine.agents.next_session.fetch_add(1, Ordering::Relaxed);
    engine.agents.register(session_id, &accepted.session);
    let guids: Vec<String> = accepted.session.host_guids().map(str::to_string).collect();
    bring_up(engine, &accepted.session, &host_ids).await;
    // A (re)connected agent's hosts may have lost guests while it was away.
    if !in_process {
        for (guid, id) in &ids {
            crate::vm_sync::sync_host(engine, &accepted.session, guid, *id).await;
        }
    }
    let mut events = accepted.events;
    while let Some(event) = events.recv().await {
        match event {
            SessionEvent::HostEvent { host_guid, event } => {
                tracing::info!(host = %host_guid, ?event, "host reported a change");
                if let (false, Some(id)) = (in_process, ids.get(&host_guid)) {
                    let (engine, session, id) = (engine.clone(), accepted.session.clone(), *id);
                    tokio::spawn(async move {
                        crate::vm_sync::sync_host(&engine, &session, &host_guid, id).await;
                    });
                }
            }
            SessionEvent::Disconnected(reason) => {
                let ours = engine.agents.unregister(session_id, &guids);
                let ours: Vec<i64> = ours.iter().filter_map(|g| ids.get(g).copied()).collect();
                mark_disconnected(engine, &ours, &reason).await;
                break;
            }
        }
    }
    Ok(())
}

/// Hosts registered per transaction (one agent may announce 10,000).
const REGISTER_BATCH: usize = 200;

/// What registering one host gave: its id and acceptance, or why it was refused.
type Registered = Result<(i64, HostAccepted), String>;

/// Finds or creates the host rows of announced hosts, in order.
///
/// Each batch of hosts is one transaction: a new host's row, token and connection
/// state appear together (so the monitor never sees a half-registered host without a
/// management server), and 10,000 hosts cost a few hundred commits instead of 30,000.
/// If the database fails inside a batch, the batch is rolled back and registered again
/// host by host, each on its own, so one bad host refuses only itself.
async fn register_hosts(engine: &Engine, hosts: &[HostInfo], in_process: bool) -> Vec<Registered> {
    let mut out = Vec::with_capacity(hosts.len());
    for batch in hosts.chunks(REGISTER_BATCH) {
        match register_batch(engine, batch, in_process).await {
            Ok(results) => out.extend(results),
            Err(e) => {
                tracing::warn!(error = %e.text, hosts = batch.len(), "registering hosts one by one");
                for info in batch {
                    out.push(register_host(engine, info, in_process).await);
                }
            }
        }
    }
    out
}

/// One batch in one transaction; `Err` (rolled back) if the database failed.
async fn register_batch(
    engine: &Engine,
    batch: &[HostInfo],
    in_process: bool,
) -> Result<Vec<Registered>, ApiError> {
    let mut tx = engine.store.begin().await?;
    let mut clusters = HashMap::new();
    let mut results = Vec::with_capacity(batch.len());
    for info in batch {
        results.push(register_on(engine, &mut tx.c(), &mut clusters, info, in_process).await?);
    }
    tx.commit().await?;
    Ok(results)
}

/// One host on its own connection, without a transaction (the fallback).
async fn register_host(engine: &Engine, info: &HostInfo, in_process: bool) -> Registered {
    let mut db = engine
        .store
        .acquire()
        .await
        .map_err(|e| ApiError::from(e).text)?;
    register_on(engine, &mut db.c(), &mut HashMap::new(), info, in_process)
        .await
        .map_err(|e| e.text)?
}

/// Finds or creates the host row of an announced host. The outer `Err` is a database
/// failure, the inner one a refusal of this host.
async fn register_on(
    engine: &Engine,
    c: &mut strato_schema::Conn<'_>,
    clusters: &mut HashMap<String, Option<ClusterRow>>,
    info: &HostInfo,
    in_process: bool,
) -> Result<Registered, ApiError> {
    let now = strato_schema::now();
    let (id, uuid, token) = match c.host_by_guid(&info.guid).await? {
        Some(h) => {
            let stored = c.detail("host", h.id, HOST_TOKEN).await?;
            // A host still Connecting whose agent presents no token never received
            // the Welcome carrying it (the first handshake failed): let it rejoin and
            // hand the same token again, instead of locking it out for good.
            let never_delivered = info.host_token.is_none() && h.status == "Connecting";
            if !in_process && !never_delivered && stored.as_deref() != info.host_token.as_deref() {
                return Ok(Err(
                    "host token mismatch: this guid belongs to another host".into(),
                ));
            }
            (h.id, h.uuid, stored)
        }
        None if in_process => return Ok(Err("unknown simulated host".into())),
        // A new row (ids are never reused) has no token yet.
        None => match create_host(c, clusters, info).await? {
            Ok((id, uuid)) => (id, uuid, None),
            Err(reason) => return Ok(Err(reason)),
        },
    };
    let token = match token {
        Some(t) => t,
        None => {
            let t = secrets::session_key();
            c.set_detail("host", id, HOST_TOKEN, &t).await?;
            t
        }
    };
    let announced = Announced {
        cpus: i64::from(info.cpus),
        cpu_speed: i64::try_from(info.cpu_speed_mhz).unwrap_or(i64::MAX),
        ram: i64::try_from(info.memory_bytes).unwrap_or(i64::MAX),
        version: &info.hypervisor_version,
    };
    c.host_connected(id, &engine.msid, &announced, now).await?;
    Ok(Ok((
        id,
        HostAccepted {
            guid: info.guid.clone(),
            host_id: uuid,
            token,
        },
    )))
}

/// A host announced by an external agent for the first time: it must name its cluster.
/// Returns the new row's id and uuid. `clusters` caches cluster lookups by uuid.
async fn create_host(
    c: &mut strato_schema::Conn<'_>,
    clusters: &mut HashMap<String, Option<ClusterRow>>,
    info: &HostInfo,
) -> Result<Result<(i64, String), String>, ApiError> {
    let Some(cluster_id) = info.placement.cluster_id.as_deref() else {
        return Ok(Err("the agent gave no cluster: pass --cluster-id".into()));
    };
    let cluster = match clusters.get(cluster_id) {
        Some(cached) => cached.clone(),
        None => {
            let found = c.cluster_by_uuid(cluster_id).await?;
            clusters.insert(cluster_id.to_string(), found.clone());
            found
        }
    };
    let Some(cluster) = cluster else {
        return Ok(Err(format!("cluster {cluster_id} does not exist")));
    };
    let hv = info.hypervisor.as_str();
    if !cluster.hypervisor.eq_ignore_ascii_case(hv) {
        return Ok(Err(format!(
            "cluster {} is a {} cluster; this host runs {hv}",
            cluster.name, cluster.hypervisor
        )));
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    let url = format!("agent://{}", info.private_ip);
    let id = c
        .insert_host(
            &NewHost {
                uuid: &uuid,
                name: &info.name,
                guid: &info.guid,
                zone_id: cluster.zone_id,
                pod_id: Some(cluster.pod_id),
                cluster_id: Some(cluster.id),
                hypervisor: &cluster.hypervisor,
                hypervisor_version: Some(&info.hypervisor_version),
                resource_state: "Enabled",
                cpu_sockets: i64::from(info.cpu_sockets),
                cpus: i64::from(info.cpus),
                cpu_speed: i64::try_from(info.cpu_speed_mhz).unwrap_or(i64::MAX),
                ram: i64::try_from(info.memory_bytes).unwrap_or(i64::MAX),
                local_storage: i64::try_from(info.local_storage_bytes).unwrap_or(i64::MAX),
                arch: &info.arch,
                private_ip: Some(&info.private_ip),
                url: &url,
                agent_version: None,
            },
            strato_schema::now(),
        )
        .await?;
    Ok(Ok((id, uuid)))
}

/// Checks each new host answers, then marks it Up (CloudStack's Ready event).
async fn bring_up(engine: &Engine, session: &ServerSession, host_ids: &[i64]) {
    let guids: Vec<String> = session.host_guids().map(str::to_string).collect();
    let ready = futures::future::join_all(
        guids
            .iter()
            .map(|g| session.call(g, Command::ReadyCheck, Duration::from_secs(30))),
    )
    .await;
    let failed = ready.iter().filter(|r| !matches!(r, Ok(Ok(_)))).count();
    if failed > 0 {
        tracing::warn!(
            failed,
            "hosts did not answer ReadyCheck; they stay Connecting"
        );
    }
    // Hosts are Up once the whole batch answered; partial failures stay Connecting.
    if failed == 0
        && let Ok(mut db) = engine.store.acquire().await
    {
        for chunk in host_ids.chunks(500) {
            let _ = db
                .c()
                .set_host_status(chunk, &["Connecting"], "Up", strato_schema::now())
                .await;
        }
    }
}

/// Moves the hosts `ids` of an ended session to Disconnected or Alert.
async fn mark_disconnected(engine: &Engine, ids: &[i64], reason: &DisconnectReason) {
    // A deliberate stop is Disconnected; a vanished agent is Alert (CloudStack's split).
    let to = match reason {
        DisconnectReason::AgentShutdown(_) | DisconnectReason::ClosedByServer => "Disconnected",
        _ => "Alert",
    };
    let Ok(mut db) = engine.store.acquire().await else {
        return;
    };
    // Also raises a host alert for each host moved to Alert (handlers/alerts.rs).
    let _ = crate::handlers::alerts::set_host_status(
        &mut db.c(),
        ids,
        &["Up", "Connecting"],
        to,
        strato_schema::now(),
    )
    .await;
    tracing::warn!(hosts = ids.len(), %reason, status = to, "agent disconnected");
}

/// Periodic host status upkeep: fresh pings for our agents, Alert for hosts of dead
/// servers, Down for hosts silent longer than the ping timeout.
pub async fn monitor(engine: &Engine) -> Result<(), ApiError> {
    let now = strato_schema::now();
    let mut db = engine.store.acquire().await?;
    let interval = session_options(engine).ping_interval;
    let due = engine
        .agents
        .pings_touched
        .lock()
        .map(|mut last| {
            let due = last.is_none_or(|t| t.elapsed() >= interval);
            if due {
                *last = Some(std::time::Instant::now());
            }
            due
        })
        .unwrap_or(true);
    if due {
        db.c().touch_host_pings(&engine.msid, now).await?;
    }
    let orphans = db
        .c()
        .orphaned_hosts(now - engine.settings.heartbeat_threshold())
        .await?;
    // Status changes to Alert and Down also raise host alerts (handlers/alerts.rs).
    crate::handlers::alerts::set_host_status(
        &mut db.c(),
        &orphans,
        &["Up", "Connecting"],
        "Alert",
        now,
    )
    .await?;
    let timeout =
        chrono::Duration::from_std(session_options(engine).ping_timeout).unwrap_or_default();
    let down = db.c().hosts_down_since(now - timeout).await?;
    crate::handlers::alerts::set_host_status(
        &mut db.c(),
        &down,
        &["Alert", "Disconnected"],
        "Down",
        now,
    )
    .await?;
    Ok(())
}

/// Sends a command to a host connected to this server.
pub async fn call(
    engine: &Engine,
    guid: &str,
    command: Command,
    timeout: Duration,
) -> Result<Answer, ApiError> {
    let session = engine.agents.session(guid).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ResourceUnavailable,
            Some(4380),
            format!("Host {guid} is not connected"),
        )
    })?;
    session.call(guid, command, timeout).await.map_err(|e| {
        ApiError::new(
            ErrorCode::ResourceUnavailable,
            Some(4380),
            format!("Host {guid} did not answer: {e}"),
        )
    })
}

/// Starts a simulated host inside this server and connects it like any agent.
pub async fn connect_simulated(
    engine: &Engine,
    host: &HostRow,
    capacity: strato_hypervisor_sim::HostCapacity,
) -> Result<(), ApiError> {
    let mut spec = SimHostSpec::new(host.guid.clone(), host.name.clone());
    spec.capacity = capacity;
    spec.placement = Placement {
        zone_id: Some(host.zone_uuid.clone()),
        pod_id: host.pod_uuid.clone(),
        cluster_id: host.cluster_uuid.clone(),
    };
    spec.private_ip = host
        .private_ip
        .clone()
        .unwrap_or_else(|| "127.0.0.1".into());
    let info = engine.agents.simulator.add_host(spec);
    let hello = Hello {
        version: PROTOCOL_VERSION,
        token: String::new(),
        agent_version: crate::VERSION.to_string(),
        hosts: vec![info],
    };
    let driver: Arc<dyn HypervisorDriver> = Arc::new(engine.agents.simulator.clone());
    let (conn, _task) = strato_agent_proto::client::spawn_in_process(driver, hello);
    let engine = engine.clone();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let guid = host.guid.clone();
    tokio::spawn(async move {
        // Hand the bring-up result back, then keep tracking the session.
        let watcher = {
            let engine = engine.clone();
            let guid = guid.clone();
            async move {
                for _ in 0..400 {
                    if engine.agents.connected(&guid) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let _ = done_tx.send(());
            }
        };
        tokio::spawn(watcher);
        if let Err(e) = handle_connection(&engine, conn, true).await {
            tracing::warn!(host = %guid, error = %e, "simulated host could not connect");
        }
    });
    let _ = tokio::time::timeout(Duration::from_secs(5), done_rx).await;
    Ok(())
}

/// Marks a host as a simulated host living inside the management server.
pub async fn mark_in_process(engine: &Engine, host_id: i64, url: &str) -> Result<(), ApiError> {
    engine
        .store
        .acquire()
        .await?
        .c()
        .set_detail("host", host_id, IN_PROCESS, url)
        .await?;
    Ok(())
}

/// After a restart, reconnects the simulated hosts that live inside the server.
pub async fn restore_simulated(engine: &Engine) -> Result<usize, ApiError> {
    let mut db = engine.store.acquire().await?;
    let (_, hosts) = db
        .c()
        .list_hosts(
            &strato_schema::host::HostFilter {
                hypervisor: Some("Simulator".into()),
                ..Default::default()
            },
            strato_schema::sql::Page::ALL,
        )
        .await?;
    let mut n = 0;
    for h in hosts {
        let Some(url) = db.c().detail("host", h.id, IN_PROCESS).await? else {
            continue;
        };
        let capacity = strato_hypervisor_sim::parse_sim_url(&url).unwrap_or_default();
        connect_simulated(engine, &h, capacity).await?;
        n += 1;
    }
    Ok(n)
}

/// Drops the agent connection of a host (deleteHost, reconnectHost).
pub fn disconnect(engine: &Engine, guid: &str) {
    if let Some(s) = engine.agents.session(guid) {
        s.close();
    }
}
