//! Per-run knobs for tests: fail a step, fail an undo, run everything twice, or stop as
//! a crash would. They live in the executor so actions need no test-only paths.

use std::fmt;

/// Where a simulated crash stops a run. The database is left exactly as a crash of the
/// management server at that point would leave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// `started` is persisted; the action has not run.
    BeforeAction(String),
    /// The action ran but its `succeeded` was not persisted (a crash mid-step).
    AfterAction(String),
    /// `undo_started` is persisted; the undo has not run.
    BeforeUndo(String),
    /// The undo ran but its `undo_finished` was not persisted.
    AfterUndo(String),
}

impl CrashPoint {
    pub(crate) fn step(&self) -> &str {
        match self {
            CrashPoint::BeforeAction(s)
            | CrashPoint::AfterAction(s)
            | CrashPoint::BeforeUndo(s)
            | CrashPoint::AfterUndo(s) => s,
        }
    }
}

impl fmt::Display for CrashPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrashPoint::BeforeAction(s) => write!(f, "before the action of step {s}"),
            CrashPoint::AfterAction(s) => write!(f, "after the action of step {s}, unrecorded"),
            CrashPoint::BeforeUndo(s) => write!(f, "before the undo of step {s}"),
            CrashPoint::AfterUndo(s) => write!(f, "after the undo of step {s}, unrecorded"),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub(crate) inject_error_at: Option<String>,
    pub(crate) inject_undo_error_at: Option<String>,
    pub(crate) crash_at: Option<CrashPoint>,
    pub(crate) repeat_actions: bool,
    pub(crate) repeat_undos: bool,
}

impl RunOptions {
    /// The action of `step` is not run; the step fails with an internal error instead.
    pub fn inject_error_at(mut self, step: &str) -> Self {
        self.inject_error_at = Some(step.into());
        self
    }

    /// Every attempt of the undo of `step` fails (so the saga ends stuck).
    pub fn inject_undo_error_at(mut self, step: &str) -> Self {
        self.inject_undo_error_at = Some(step.into());
        self
    }

    pub fn crash_at(mut self, point: CrashPoint) -> Self {
        self.crash_at = Some(point);
        self
    }

    /// Every action runs twice in a row; the second output is the one kept.
    pub fn repeat_actions(mut self) -> Self {
        self.repeat_actions = true;
        self
    }

    /// Every undo runs twice in a row.
    pub fn repeat_undos(mut self) -> Self {
        self.repeat_undos = true;
        self
    }

    /// The step names the options refer to, so a typo cannot make a test pass vacuously.
    pub(crate) fn steps(&self) -> impl Iterator<Item = &str> {
        self.inject_error_at
            .as_deref()
            .into_iter()
            .chain(self.inject_undo_error_at.as_deref())
            .chain(self.crash_at.as_ref().map(CrashPoint::step))
    }
}
