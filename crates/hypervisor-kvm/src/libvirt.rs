//! The libvirt connection: opened once, reopened when libvirtd restarts, and used only
//! from blocking threads (libvirt calls block; the async runtime must not).

use std::sync::{Arc, Mutex, PoisonError};

use strato_agent_proto::{AgentError, ErrorKind, PowerState};
use virt::connect::Connect;
use virt::domain::{Domain, DomainState};
use virt::enumutil::Enum;
use virt::error::ErrorNumber;

/// One libvirt connection, shared.
pub(crate) struct Libvirt {
    uri: String,
    conn: Mutex<Option<Arc<Connect>>>,
}

/// A libvirt failure as an answer: a missing domain is `not_found`, an operation the
/// domain's state forbids is `invalid_state`, the rest `failed`.
pub(crate) fn to_agent(e: &virt::error::Error) -> AgentError {
    let kind = match e.code() {
        Enum::Known(ErrorNumber::NoDomain) => ErrorKind::NotFound,
        Enum::Known(ErrorNumber::OperationInvalid) => ErrorKind::InvalidState,
        Enum::Known(ErrorNumber::NoSupport) => ErrorKind::Unsupported,
        _ => ErrorKind::Failed,
    };
    AgentError::new(kind, format!("libvirt: {}", e.message()))
}

pub(crate) fn is_no_domain(e: &virt::error::Error) -> bool {
    matches!(e.code(), Enum::Known(ErrorNumber::NoDomain))
}

impl Libvirt {
    /// Connects now, so a wrong URI or a stopped libvirtd is an error at agent start.
    pub fn open(uri: &str) -> Result<Self, String> {
        // libvirt prints every error to stderr by default, including the expected
        // "domain not found" of an idempotent command; errors reach us as values.
        virt::error::clear_error_callback();
        let conn = Connect::open(Some(uri)).map_err(|e| {
            format!(
                "cannot connect to libvirt at {uri}: {} (is libvirtd running? \
                 scripts/setup-kvm-host.sh starts it)",
                e.message()
            )
        })?;
        Ok(Self {
            uri: uri.to_owned(),
            conn: Mutex::new(Some(Arc::new(conn))),
        })
    }

    /// The connection, reopened if libvirtd went away.
    fn conn(&self) -> Result<Arc<Connect>, AgentError> {
        let mut slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(conn) = slot.as_ref()
            && conn.is_alive().unwrap_or(false)
        {
            return Ok(conn.clone());
        }
        // Forget a dead connection without closing it (closing a dead one may fail, and
        // virt's Drop panics on failure): leak the handle instead.
        if let Some(dead) = slot.take() {
            std::mem::forget(dead);
        }
        let conn = Arc::new(Connect::open(Some(&self.uri)).map_err(|e| {
            AgentError::new(
                ErrorKind::Failed,
                format!("cannot reach libvirt at {}: {}", self.uri, e.message()),
            )
        })?);
        tracing::info!(uri = %self.uri, "reconnected to libvirt");
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Runs `f` with the connection on a blocking thread.
    pub async fn call<T, F>(&self, f: F) -> Result<T, AgentError>
    where
        T: Send + 'static,
        F: FnOnce(&Connect) -> Result<T, AgentError> + Send + 'static,
    {
        let conn = self.conn()?;
        tokio::task::spawn_blocking(move || f(&conn))
            .await
            .map_err(|e| {
                AgentError::new(ErrorKind::Internal, format!("libvirt call panicked: {e}"))
            })?
    }
}

/// The domain named `name`, if libvirt knows it.
pub(crate) fn lookup(conn: &Connect, name: &str) -> Result<Option<Domain>, AgentError> {
    match conn.lookup_domain_by_name(name) {
        Ok(d) => Ok(Some(d)),
        Err(e) if is_no_domain(&e) => Ok(None),
        Err(e) => Err(to_agent(&e)),
    }
}

/// The power state we report for a domain.
pub(crate) fn power_state(dom: &Domain) -> PowerState {
    match dom.state() {
        Ok((Enum::Known(state), _)) => match state {
            DomainState::Running
            | DomainState::Blocked
            | DomainState::Paused
            | DomainState::Shutdown
            | DomainState::PMSuspended => PowerState::Running,
            DomainState::Shutoff | DomainState::Crashed | DomainState::NoState => {
                PowerState::Stopped
            }
        },
        Ok((Enum::Unknown(_), _)) | Err(_) => PowerState::Unknown,
    }
}
