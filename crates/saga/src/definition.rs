//! What a saga is: a name, typed parameters, the caller's context and an ordered list of
//! steps, each an idempotent action with an optional idempotent undo. Also what a step
//! sees while it runs ([`SagaCtx`]): the context, the parameters and the outputs of the
//! steps before it.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ActionError, UndoError};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An action: does its step's work (again, harmlessly, if it already did) and returns
/// the step's output, which is persisted before the next step starts. An action that
/// fails must leave nothing behind: its own undo is not run, only those before it.
pub type ActionFn<S> = for<'a> fn(&'a SagaCtx<S>) -> BoxFuture<'a, Result<Value, ActionError>>;

/// An undo: reverses its step's action; must succeed when already undone.
pub type UndoFn<S> = for<'a> fn(&'a SagaCtx<S>) -> BoxFuture<'a, Result<(), UndoError>>;

/// A saga type. Implement it on a unit struct and list the steps with [`step!`](crate::step):
///
/// ```ignore
/// struct CreateVolume;
/// impl Saga for CreateVolume {
///     const NAME: &'static str = "create-volume";
///     type Params = VolumeParams;
///     type Context = Engine;
///     const STEPS: &'static [Step<Self>] = &[
///         Step::new_id("volume_id"),
///         step!("reserve", reserve_capacity, release_capacity),
///         step!("create", create_volume, delete_volume),
///         step!("mark_ready", mark_ready),
///     ];
/// }
/// ```
pub trait Saga: Sized + 'static {
    /// Stored with every saga row; recovery finds the type again by it, so never rename.
    const NAME: &'static str;
    type Params: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What actions work with (e.g. the engine), supplied by whoever runs the saga.
    type Context: Clone + Send + Sync + 'static;
    /// Steps run in this order and are undone in reverse. Step names are unique; the
    /// log records steps by position, so a change to the list needs a new saga name.
    const STEPS: &'static [Step<Self>];
}

pub struct Step<S: Saga> {
    pub name: &'static str,
    pub action: ActionFn<S>,
    pub undo: Option<UndoFn<S>>,
}

impl<S: Saga> Step<S> {
    /// A step whose output is a fresh UUID. Ids get their own step so that a replay
    /// reuses the persisted one instead of creating a second resource.
    pub const fn new_id(name: &'static str) -> Step<S> {
        Step {
            name,
            action: new_uuid::<S>,
            undo: None,
        }
    }
}

fn new_uuid<S: Saga>(_: &SagaCtx<S>) -> BoxFuture<'_, Result<Value, ActionError>> {
    Box::pin(async { Ok(Value::String(uuid::Uuid::new_v4().to_string())) })
}

/// `step!("name", action)` or `step!("name", action, undo)`, where `action` is an
/// `async fn(&SagaCtx<S>) -> Result<T, E>` with `T: Serialize` and `undo` an
/// `async fn(&SagaCtx<S>) -> Result<(), E>`, `E` being anything that converts into
/// [`ActionError`] / [`UndoError`] (`ApiError`, `StoreError`, …).
#[macro_export]
macro_rules! step {
    ($name:expr, $action:path) => {
        $crate::Step {
            name: $name,
            action: |ctx| ::std::boxed::Box::pin($crate::definition::action_output($action(ctx))),
            undo: None,
        }
    };
    ($name:expr, $action:path, $undo:path) => {
        $crate::Step {
            name: $name,
            action: |ctx| ::std::boxed::Box::pin($crate::definition::action_output($action(ctx))),
            undo: Some(|ctx| ::std::boxed::Box::pin($crate::definition::undo_result($undo(ctx)))),
        }
    };
}

/// Runs an action and turns its typed output into the JSON the log stores.
#[doc(hidden)]
pub async fn action_output<T, E>(
    action: impl Future<Output = Result<T, E>>,
) -> Result<Value, ActionError>
where
    T: Serialize,
    E: Into<ActionError>,
{
    let output = action.await.map_err(Into::into)?;
    serde_json::to_value(output).map_err(|e| {
        ActionError::internal(format!("the step's output cannot be stored as JSON: {e}"))
    })
}

#[doc(hidden)]
pub async fn undo_result<E: Into<UndoError>>(
    undo: impl Future<Output = Result<(), E>>,
) -> Result<(), UndoError> {
    undo.await.map_err(Into::into)
}

/// Checks what the compiler cannot: at least one step, step names unique.
pub(crate) fn check<S: Saga>() -> Result<(), String> {
    if S::STEPS.is_empty() {
        return Err("it has no steps".into());
    }
    for (i, step) in S::STEPS.iter().enumerate() {
        if S::STEPS[..i].iter().any(|s| s.name == step.name) {
            return Err(format!("step name {} is used twice", step.name));
        }
    }
    Ok(())
}

/// The outputs of the steps that succeeded, by step name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs(BTreeMap<String, Value>);

impl Outputs {
    /// The output of step `step`, decoded as `T`.
    pub fn lookup<T: DeserializeOwned>(&self, step: &str) -> Result<T, ActionError> {
        let value = self.0.get(step).ok_or_else(|| {
            ActionError::internal(format!("step {step} has no output (it has not run yet)"))
        })?;
        T::deserialize(value).map_err(|e| {
            ActionError::internal(format!("the output of step {step} cannot be read: {e}"))
        })
    }

    pub fn get(&self, step: &str) -> Option<&Value> {
        self.0.get(step)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(step, value)| (step.as_str(), value))
    }

    pub(crate) fn insert(&mut self, step: &str, output: Value) {
        self.0.insert(step.to_string(), output);
    }
}

/// What an action or undo sees.
pub struct SagaCtx<S: Saga> {
    pub(crate) context: S::Context,
    pub(crate) params: S::Params,
    pub(crate) uuid: String,
    pub(crate) outputs: Outputs,
}

impl<S: Saga> SagaCtx<S> {
    /// The caller's context (e.g. the engine).
    pub fn context(&self) -> &S::Context {
        &self.context
    }

    pub fn params(&self) -> &S::Params {
        &self.params
    }

    /// The saga's own id, e.g. to tag what it creates.
    pub fn saga_uuid(&self) -> &str {
        &self.uuid
    }

    /// The output of an earlier step (in an undo: also of the step being undone).
    pub fn lookup<T: DeserializeOwned>(&self, step: &str) -> Result<T, ActionError> {
        self.outputs.lookup(step)
    }
}
