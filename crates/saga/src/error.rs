//! Errors: a step's failure (what the saga reports, e.g. as its job's result) and the
//! executor's own failures (database, ownership, definitions).

use strato_common::ApiError;
use strato_schema::StoreError;

/// An action failed: the saga unwinds and reports this error (so an API client sees
/// the CloudStack error code the action chose, e.g. 533 for no capacity).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ActionError(pub ApiError);

impl ActionError {
    pub fn internal(text: impl Into<String>) -> Self {
        ActionError(ApiError::internal(text))
    }
}

impl From<ApiError> for ActionError {
    fn from(e: ApiError) -> Self {
        ActionError(e)
    }
}

impl From<StoreError> for ActionError {
    fn from(e: StoreError) -> Self {
        ActionError(e.into())
    }
}

/// An undo failed; it is retried, and if it keeps failing the saga is marked stuck.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct UndoError(pub ApiError);

impl From<ApiError> for UndoError {
    fn from(e: ApiError) -> Self {
        UndoError(e)
    }
}

impl From<StoreError> for UndoError {
    fn from(e: StoreError) -> Self {
        UndoError(e.into())
    }
}

/// Lets an undo use [`crate::SagaCtx::lookup`] with `?`.
impl From<ActionError> for UndoError {
    fn from(e: ActionError) -> Self {
        UndoError(e.0)
    }
}

/// Why the executor could not carry a saga to an outcome. The saga is then left in the
/// database, running or unwinding, for recovery to finish.
#[derive(Debug, thiserror::Error)]
pub enum SagaError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("saga {saga}: another management server has taken it over")]
    LostOwnership { saga: String },
    #[error("saga type {name} is not valid: {reason}")]
    Definition { name: &'static str, reason: String },
    #[error("saga {name}: its parameters cannot be stored: {reason}")]
    Params { name: &'static str, reason: String },
    /// A simulated crash ([`crate::RunOptions::crash_at`]): the saga was left as a crash
    /// there would leave it.
    #[error("saga {saga} (id {saga_id}) stopped at {at} (simulated crash)")]
    Interrupted {
        saga_id: i64,
        saga: String,
        at: String,
    },
}
