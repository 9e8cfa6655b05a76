//! Events: recording the audit trail.

pub mod types;

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::event::NewEvent;

use crate::caller::Caller;

/// The resource an event is about.
#[derive(Clone, Debug, Default)]
pub struct Subject {
    pub id: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
}

pub async fn record(
    conn: &mut Conn<'_>,
    caller: &Caller,
    event_type: &str,
    level: &str,
    description: &str,
    subject: &Subject,
) -> Result<(), ApiError> {
    let uuid = uuid::Uuid::new_v4().to_string();
    conn.insert_event(
        &NewEvent {
            uuid: &uuid,
            event_type,
            level,
            state: "Completed",
            description,
            user_id: Some(caller.user_id),
            account_id: caller.account_id,
            domain_id: caller.domain_id,
            resource_id: subject.id.as_deref(),
            resource_type: subject.kind.as_deref(),
            resource_name: subject.name.as_deref(),
            parent_id: None,
        },
        strato_schema::now(),
    )
    .await?;
    Ok(())
}

/// The resource named by a command's `id` parameter, if any.
pub fn subject_of(
    spec: &strato_api::spec::CommandSpec,
    args: &strato_api::params::Args,
) -> Subject {
    Subject {
        id: args.uuid("id").map(str::to_string),
        kind: Some(
            spec.instance_type
                .unwrap_or(spec.response.object)
                .to_string(),
        )
        .filter(|k| !k.is_empty()),
        name: None,
    }
}

/// Writes the event of a finished state-changing command. Failing to write it is logged,
/// never turned into a failure of the command itself.
pub async fn record_outcome(
    engine: &crate::Engine,
    caller: &Caller,
    spec: &strato_api::spec::CommandSpec,
    event_type: &str,
    mut subject: Subject,
    result: &Result<strato_api::response::Reply, ApiError>,
) {
    use strato_api::response::{Node, Reply};
    let (level, description) = match result {
        Ok(reply) => {
            if let Reply::Object(obj) = reply {
                let text = |k: &str| match obj.get(k) {
                    Some(Node::Str(s)) => Some(s.clone()),
                    _ => None,
                };
                subject.id = subject.id.or_else(|| text("id"));
                subject.name = text("name").or_else(|| text("username"));
            }
            let what = subject
                .name
                .clone()
                .or_else(|| subject.id.clone())
                .unwrap_or_default();
            (
                "INFO",
                format!("{} completed {}", spec.name, what)
                    .trim_end()
                    .to_string(),
            )
        }
        Err(e) => ("ERROR", format!("{} failed: {}", spec.name, e.text)),
    };
    let written = async {
        let mut db = engine.store.write().await?;
        record(
            &mut db.c(),
            caller,
            event_type,
            level,
            &description,
            &subject,
        )
        .await
    }
    .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, event_type, "could not record event");
    }
}
