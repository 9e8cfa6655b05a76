//! Strato's management logic: who the caller is and what it may do, the command
//! handlers, async jobs, events and settings. Knows nothing about HTTP.

pub mod access;
pub mod agents;
pub mod auth;
pub mod bootstrap;
pub mod caller;
pub mod console;
pub mod events;
pub mod guestnet;
pub mod handlers;
pub mod images;
pub mod jobs;
pub mod limits;
pub mod net;
pub mod paging;
pub mod password;
pub mod registry;
pub mod sagas;
pub mod secrets;
pub mod seed_offerings;
pub mod seed_os;
pub mod settings;
pub mod signing;
pub mod snapshots;
pub mod views;
pub mod vm_sync;
pub mod vms;
pub mod volumes;

use std::sync::Arc;

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::Store;

pub use caller::{Caller, RoleType};
pub use registry::{Command, Registry};
pub use settings::Settings;

/// Version string of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The engine shared by every request and job of one management server.
#[derive(Clone)]
pub struct Engine(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub settings: Settings,
    pub registry: Registry,
    /// This server's id in `mshost`, new at every start.
    pub msid: String,
    pub ms_name: String,
    pub jobs: jobs::JobQueue,
    pub agents: agents::AgentManager,
    pub images: images::ImageService,
    pub sagas: sagas::Sagas,
}

impl std::ops::Deref for Engine {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Engine {
    /// Opens the engine on a migrated, bootstrapped store and registers this server.
    pub async fn start(store: Store) -> Result<Engine, ApiError> {
        let settings = Settings::load(&store).await?;
        let msid = uuid::Uuid::new_v4().to_string();
        let ms_name = hostname();
        store
            .acquire()
            .await?
            .c()
            .register_mshost(&msid, &ms_name, VERSION, strato_schema::now())
            .await?;
        let sagas = sagas::Sagas::new(strato_saga::SagaExecutor::new(store.clone(), msid.clone()))?;
        Ok(Engine(Arc::new(Inner {
            store,
            settings,
            registry: Registry::new(),
            msid,
            ms_name,
            jobs: jobs::JobQueue::default(),
            agents: agents::AgentManager::default(),
            images: images::ImageService::default(),
            sagas,
        })))
    }

    /// Runs a command (synchronously, or as the body of its job) and records the event
    /// of a state-changing command, success or failure.
    pub async fn execute(
        &self,
        caller: Caller,
        command: &Command,
        args: Args,
        job: Option<i64>,
    ) -> Result<Reply, ApiError> {
        let subject = events::subject_of(command.spec, &args);
        let mut result = self.run(caller.clone(), command, args, job).await;
        if let Ok(reply) = &mut result {
            vms::view::hide_placement(&caller, reply);
        }
        // Failed synchronous calls are answered to the caller; only job failures, which
        // nobody may be watching, are recorded.
        let record = result.is_ok() || job.is_some();
        if let (Some(event_type), true) = (command.spec.event, record) {
            events::record_outcome(self, &caller, command.spec, event_type, subject, &result).await;
        }
        result
    }

    async fn run(
        &self,
        caller: Caller,
        command: &Command,
        args: Args,
        job: Option<i64>,
    ) -> Result<Reply, ApiError> {
        let ctx = Ctx {
            engine: self.clone(),
            caller,
            job,
        };
        match command.handler {
            registry::Handler::Run(f) => f(ctx, args).await,
            registry::Handler::Authenticator => Err(ApiError::internal(format!(
                "{} is handled by the HTTP layer",
                command.spec.name
            ))),
        }
    }
}

/// This machine's host name.
pub fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// What a handler gets: the engine, who is calling, and the job it runs in (if any).
#[derive(Clone)]
pub struct Ctx {
    pub engine: Engine,
    pub caller: Caller,
    pub job: Option<i64>,
}
