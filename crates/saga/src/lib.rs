//! Persisted sagas (docs/adr/0004-sagas.md): an operation is an ordered list of steps,
//! each an idempotent action with an idempotent undo. Progress is written to the
//! database after every step, so when a management server dies mid-way another one (or
//! the same one after a restart) finishes the operation or undoes it, and the async job
//! of the API call reports that outcome.
//!
//! - [`definition`]: declaring a saga ([`Saga`], [`Step`], [`step!`](crate::step)) and
//!   what steps see ([`SagaCtx`]).
//! - [`executor`]: running one ([`SagaExecutor::run`] → [`SagaOutcome`]).
//! - [`recovery`]: resuming the sagas of dead servers ([`SagaExecutor::recover`]).
//! - [`log`]: the persisted states and events, and their replay.
//! - `testing` (feature `testing`): failure, idempotency and crash helpers for every saga.

pub mod definition;
pub mod error;
pub mod executor;
pub mod log;
pub mod options;
pub mod recovery;
#[cfg(feature = "testing")]
pub mod testing;

pub use definition::{ActionFn, Outputs, Saga, SagaCtx, Step, UndoFn};
pub use error::{ActionError, SagaError, UndoError};
pub use executor::{SagaExecutor, SagaOutcome, SagaResult};
pub use log::SagaState;
pub use options::{CrashPoint, RunOptions};
pub use recovery::{Resumable, SagaRegistry};
