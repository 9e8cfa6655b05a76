//! The persisted log: saga states, step events, and the replay that rebuilds where a
//! saga stands from its events after a crash.

use strato_common::ApiError;
use strato_schema::saga::SagaEventRow;

use crate::definition::Outputs;

/// The saga row's `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SagaState {
    /// Running actions forward.
    Running,
    /// An action failed; undoing the steps that succeeded.
    Unwinding,
    Done,
    /// Failed and fully undone.
    Failed,
    /// Cannot go on by itself (an undo kept failing, or the saga cannot be read); left
    /// for an operator and never resumed automatically.
    Stuck,
}

impl SagaState {
    pub fn as_str(self) -> &'static str {
        match self {
            SagaState::Running => "running",
            SagaState::Unwinding => "unwinding",
            SagaState::Done => "done",
            SagaState::Failed => "failed",
            SagaState::Stuck => "stuck",
        }
    }

    pub fn parse(s: &str) -> Option<SagaState> {
        [
            SagaState::Running,
            SagaState::Unwinding,
            SagaState::Done,
            SagaState::Failed,
            SagaState::Stuck,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }
}

/// One entry of a step's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Started,
    /// Written with the step's output.
    Succeeded,
    /// Written with the error, together with the saga's move to unwinding.
    Failed,
    UndoStarted,
    UndoFinished,
    UndoFailed,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Started => "started",
            Event::Succeeded => "succeeded",
            Event::Failed => "failed",
            Event::UndoStarted => "undo_started",
            Event::UndoFinished => "undo_finished",
            Event::UndoFailed => "undo_failed",
        }
    }

    fn parse(s: &str) -> Option<Event> {
        [
            Event::Started,
            Event::Succeeded,
            Event::Failed,
            Event::UndoStarted,
            Event::UndoFinished,
            Event::UndoFailed,
        ]
        .into_iter()
        .find(|event| event.as_str() == s)
    }
}

/// Where one step stands: the last event of its log, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodeStatus(pub Option<Event>);

impl NodeStatus {
    pub fn succeeded(self) -> bool {
        self.0 == Some(Event::Succeeded)
    }

    /// Its action succeeded and it is not undone yet (an undo may have begun or failed:
    /// undos are idempotent, so it runs again).
    pub fn needs_undo(self) -> bool {
        matches!(
            self.0,
            Some(Event::Succeeded | Event::UndoStarted | Event::UndoFailed)
        )
    }
}

/// A saga's position rebuilt from its log.
#[derive(Debug)]
pub(crate) struct Replay {
    pub nodes: Vec<NodeStatus>,
    pub outputs: Outputs,
}

/// Rebuilds the position of a saga whose steps are `steps` from its `events` (in the
/// order they were written). A log that does not fit the steps (the saga's definition
/// changed, or the log is damaged) is an error: guessing could undo the wrong thing.
pub(crate) fn replay(steps: &[&str], events: &[SagaEventRow]) -> Result<Replay, String> {
    let mut nodes = vec![NodeStatus(None); steps.len()];
    let mut outputs = Outputs::default();
    for e in events {
        let node = usize::try_from(e.node)
            .ok()
            .filter(|&n| n < steps.len())
            .ok_or_else(|| format!("the log names step #{} of {} steps", e.node, steps.len()))?;
        if steps[node] != e.step {
            return Err(format!(
                "the log names step #{node} {} but this version calls it {}",
                e.step, steps[node]
            ));
        }
        let event = Event::parse(&e.event)
            .ok_or_else(|| format!("unknown event {} in the log", e.event))?;
        if event == Event::Succeeded {
            let output = e.output.as_deref().unwrap_or("null");
            let value = serde_json::from_str(output)
                .map_err(|err| format!("unreadable output of step {}: {err}", e.step))?;
            outputs.insert(&e.step, value);
        }
        nodes[node] = NodeStatus(Some(event));
    }
    Ok(Replay { nodes, outputs })
}

/// Decodes the saga's stored error; an unreadable one still reports something.
pub(crate) fn decode_error(stored: Option<&str>) -> ApiError {
    stored
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| ApiError::internal("the operation failed (its error was not recorded)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(node: i64, step: &str, event: Event, output: Option<&str>) -> SagaEventRow {
        SagaEventRow {
            id: 0,
            saga_id: 1,
            node,
            step: step.into(),
            event: event.as_str().into(),
            output: output.map(Into::into),
            error: None,
            created: strato_schema::now(),
        }
    }

    #[test]
    fn replay_keeps_the_last_event_and_every_output() {
        let steps = ["id", "alloc", "attach"];
        let log = [
            event(0, "id", Event::Started, None),
            event(0, "id", Event::Succeeded, Some("\"abc\"")),
            event(1, "alloc", Event::Started, None),
            event(1, "alloc", Event::Succeeded, Some("7")),
            event(2, "attach", Event::Started, None),
            event(2, "attach", Event::Failed, None),
            event(1, "alloc", Event::UndoStarted, None),
        ];
        let r = replay(&steps, &log).expect("fits");
        assert_eq!(
            r.nodes.iter().map(|n| n.0).collect::<Vec<_>>(),
            [
                Some(Event::Succeeded),
                Some(Event::UndoStarted),
                Some(Event::Failed)
            ]
        );
        assert!(r.nodes[0].needs_undo() && r.nodes[1].needs_undo());
        assert!(!r.nodes[2].needs_undo());
        assert_eq!(r.outputs.lookup::<String>("id").expect("id"), "abc");
        assert_eq!(r.outputs.lookup::<i64>("alloc").expect("alloc"), 7);
    }

    #[test]
    fn replay_refuses_a_log_of_other_steps() {
        let renamed = [event(0, "old_name", Event::Started, None)];
        assert!(replay(&["new_name"], &renamed).is_err());
        let beyond = [event(3, "x", Event::Started, None)];
        assert!(replay(&["x"], &beyond).is_err());
        let mut unknown = event(0, "x", Event::Started, None);
        unknown.event = "exploded".into();
        assert!(replay(&["x"], &[unknown]).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in ["running", "unwinding", "done", "failed", "stuck"] {
            assert_eq!(SagaState::parse(s).map(SagaState::as_str), Some(s));
        }
        for s in [
            "started",
            "succeeded",
            "failed",
            "undo_started",
            "undo_finished",
            "undo_failed",
        ] {
            assert_eq!(Event::parse(s).map(Event::as_str), Some(s));
        }
    }
}
