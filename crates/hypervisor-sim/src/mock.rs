//! Fault injection and delays, with CloudStack's `configureSimulator` semantics.
//!
//! A mock names a command (ours, `StartVm`, or CloudStack's class name, `StartCommand`;
//! case-insensitive), an optional scope (zone, pod, cluster, host) and a value of
//! `key:value` items separated by `|` (`;` is accepted too):
//!
//! - `result:fail`: the command fails (`Failed`, "Simulated failure").
//! - `result:fault`: the simulator "throws" (`Internal`, "Simulated fault").
//! - `wait:<ms>`: the command is delayed (before failing or running).
//! - `enabled:false`: the mock is kept but does nothing.
//! - `timeout:<ms>`: accepted and recorded, no effect (as CloudStack's simulator, which
//!   only hands it to a few command handlers).
//!
//! A canned `json_response` replaces the answer: either our answer JSON (an
//! [`AnswerData`] object, or `{"Ok": ...}` / `{"Err": ...}`), or CloudStack's
//! `{"<Answer class>": {"result": bool, "details": "..."}}`, read for its result only.
//!
//! The mock is active while `count` is unset or above zero; each command it applies to
//! decrements it. When several active mocks match, the most specific scope wins (host,
//! then cluster, pod, zone, global), then the oldest. Configuring the same name and
//! scope again updates the existing mock, keeping its id.

use std::collections::BTreeMap;
use std::time::Duration;

use strato_agent_proto::{AgentError, Answer, AnswerData, ErrorKind, Placement};

/// Which hosts a mock applies to; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MockScope {
    pub zone_id: Option<String>,
    pub pod_id: Option<String>,
    pub cluster_id: Option<String>,
    /// The host's guid.
    pub host_guid: Option<String>,
}

impl MockScope {
    fn matches(&self, host_guid: &str, placement: &Placement) -> bool {
        fn ok(want: Option<&String>, have: Option<&String>) -> bool {
            want.is_none_or(|w| have == Some(w))
        }
        ok(self.zone_id.as_ref(), placement.zone_id.as_ref())
            && ok(self.pod_id.as_ref(), placement.pod_id.as_ref())
            && ok(self.cluster_id.as_ref(), placement.cluster_id.as_ref())
            && self.host_guid.as_deref().is_none_or(|h| h == host_guid)
    }

    fn specificity(&self) -> u8 {
        if self.host_guid.is_some() {
            4
        } else if self.cluster_id.is_some() {
            3
        } else if self.pod_id.is_some() {
            2
        } else {
            u8::from(self.zone_id.is_some())
        }
    }
}

/// What `configureSimulator` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MockRule {
    /// Command name (`StartVm` or `StartCommand`).
    pub name: String,
    /// `result:fail|wait:1000`.
    pub value: String,
    pub scope: MockScope,
    pub count: Option<u32>,
    pub json_response: Option<String>,
}

/// A stored mock (what `querySimulatorMock` returns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockRecord {
    pub id: u64,
    pub name: String,
    pub value: String,
    pub scope: MockScope,
    /// Remaining applications; `None` for unlimited.
    pub count: Option<u32>,
    pub json_response: Option<String>,
}

impl MockRecord {
    /// Whether the mock would still apply.
    pub fn is_active(&self) -> bool {
        self.count.is_none_or(|c| c > 0)
    }
}

/// A mock that cannot be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MockError {
    #[error("the mock needs a command name")]
    NoName,
    #[error("invalid simulator mock value {item:?}: {reason}")]
    BadValue { item: String, reason: &'static str },
    #[error("invalid simulator mock jsonresponse: {0}")]
    BadJsonResponse(String),
}

/// The parsed `value` of a mock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Values {
    wait: Option<Duration>,
    result: Option<Outcome>,
    enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Fail,
    Fault,
}

fn parse_values(value: &str) -> Result<Values, MockError> {
    let mut parsed = Values {
        enabled: true,
        ..Values::default()
    };
    for item in value
        .split(['|', ';'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let bad = |reason| MockError::BadValue {
            item: item.to_owned(),
            reason,
        };
        let (key, val) = item
            .split_once(':')
            .ok_or_else(|| bad("expected key:value"))?;
        let val = val.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "result" => {
                parsed.result = Some(match val.to_ascii_lowercase().as_str() {
                    "fail" => Outcome::Fail,
                    "fault" => Outcome::Fault,
                    _ => return Err(bad("result must be fail or fault")),
                });
            }
            "wait" => {
                let ms = val.parse().map_err(|_| bad("wait must be milliseconds"))?;
                parsed.wait = Some(Duration::from_millis(ms));
            }
            "enabled" => {
                parsed.enabled = val
                    .parse()
                    .map_err(|_| bad("enabled must be true or false"))?;
            }
            "timeout" => {
                val.parse::<u64>()
                    .map_err(|_| bad("timeout must be milliseconds"))?;
            }
            _ => return Err(bad("unknown key (known: result, wait, enabled, timeout)")),
        }
    }
    Ok(parsed)
}

/// Reads a canned answer; see the module documentation for the accepted shapes.
fn parse_json_response(raw: &str) -> Result<Answer, MockError> {
    let bad = |e: &dyn std::fmt::Display| MockError::BadJsonResponse(e.to_string());
    let value: serde_json::Value = serde_json::from_str(raw).map_err(|e| bad(&e))?;
    if value.get("kind").is_some() {
        return serde_json::from_value::<AnswerData>(value)
            .map(Ok)
            .map_err(|e| bad(&e));
    }
    if value.get("Ok").is_some() || value.get("Err").is_some() {
        return serde_json::from_value::<Answer>(value).map_err(|e| bad(&e));
    }
    // CloudStack: {"com.cloud.agent.api.StartAnswer": {"result": false, "details": "..."}}
    let inner = value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.values().next())
        .ok_or_else(|| bad(&"expected an answer object"))?;
    let result = inner
        .get("result")
        .and_then(serde_json::Value::as_bool)
        .ok_or_else(|| bad(&"the CloudStack answer needs a boolean \"result\""))?;
    if result {
        return Ok(Ok(AnswerData::Done));
    }
    let details = inner
        .get("details")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("Simulated failure");
    Ok(Err(AgentError::new(ErrorKind::Failed, details)))
}

struct Entry {
    record: MockRecord,
    values: Values,
    canned: Option<Answer>,
}

/// What a matching mock does to one command.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Effect {
    pub wait: Option<Duration>,
    /// `Some`: answer this instead of running the command.
    pub answer: Option<Answer>,
}

/// All mocks of one simulator.
#[derive(Default)]
pub(crate) struct MockRegistry {
    next_id: u64,
    entries: BTreeMap<u64, Entry>,
}

impl MockRegistry {
    pub fn configure(&mut self, rule: MockRule) -> Result<MockRecord, MockError> {
        let name = rule.name.trim().to_owned();
        if name.is_empty() {
            return Err(MockError::NoName);
        }
        let values = parse_values(&rule.value)?;
        let canned = rule
            .json_response
            .as_deref()
            .map(parse_json_response)
            .transpose()?;
        let existing = self
            .entries
            .values()
            .find(|e| e.record.name.eq_ignore_ascii_case(&name) && e.record.scope == rule.scope)
            .map(|e| e.record.id);
        let id = existing.unwrap_or_else(|| {
            self.next_id += 1;
            self.next_id
        });
        let record = MockRecord {
            id,
            name,
            value: rule.value,
            scope: rule.scope,
            count: rule.count,
            json_response: rule.json_response,
        };
        self.entries.insert(
            id,
            Entry {
                record: record.clone(),
                values,
                canned,
            },
        );
        Ok(record)
    }

    pub fn query(&self, id: u64) -> Option<MockRecord> {
        self.entries.get(&id).map(|e| e.record.clone())
    }

    pub fn cleanup(&mut self, id: u64) -> bool {
        self.entries.remove(&id).is_some()
    }

    pub fn list(&self) -> Vec<MockRecord> {
        self.entries.values().map(|e| e.record.clone()).collect()
    }

    /// Finds the mock for a command on a host, consumes one use of it and says what to
    /// do. `names` are the command's names (ours and CloudStack's).
    pub fn apply(
        &mut self,
        names: &[&str],
        host_guid: &str,
        placement: &Placement,
    ) -> Option<Effect> {
        let entry = self
            .entries
            .values_mut()
            .filter(|e| {
                e.values.enabled
                    && e.record.is_active()
                    && names.iter().any(|n| e.record.name.eq_ignore_ascii_case(n))
                    && e.record.scope.matches(host_guid, placement)
            })
            // max_by_key keeps the last maximum; ids ascend, so compare reversed ids.
            .max_by_key(|e| (e.record.scope.specificity(), std::cmp::Reverse(e.record.id)))?;
        if let Some(count) = entry.record.count.as_mut() {
            *count = count.saturating_sub(1);
        }
        let answer = match entry.values.result {
            Some(Outcome::Fail) => {
                Some(Err(AgentError::new(ErrorKind::Failed, "Simulated failure")))
            }
            Some(Outcome::Fault) => Some(Err(AgentError::new(
                ErrorKind::Internal,
                "java.lang.Exception: Simulated fault",
            ))),
            None => entry.canned.clone(),
        };
        Some(Effect {
            wait: entry.values.wait,
            answer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, value: &str) -> MockRule {
        MockRule {
            name: name.into(),
            value: value.into(),
            ..MockRule::default()
        }
    }

    fn placement(zone: &str, pod: &str, cluster: &str) -> Placement {
        Placement {
            zone_id: Some(zone.into()),
            pod_id: Some(pod.into()),
            cluster_id: Some(cluster.into()),
        }
    }

    const START: &[&str] = &["StartVm", "StartCommand"];

    #[test]
    fn values_parse_like_cloudstack() -> Result<(), MockError> {
        let v = parse_values("result:fail|wait:250")?;
        assert_eq!(v.result, Some(Outcome::Fail));
        assert_eq!(v.wait, Some(Duration::from_millis(250)));
        let v = parse_values("result:FAULT; enabled:false ;timeout:10")?;
        assert_eq!(v.result, Some(Outcome::Fault));
        assert!(!v.enabled);
        assert!(parse_values("")?.result.is_none());
        for bad in [
            "result:maybe",
            "wait:soon",
            "fail",
            "colour:red",
            "enabled:yes",
        ] {
            assert!(parse_values(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn fail_and_fault_answers() -> Result<(), MockError> {
        let mut reg = MockRegistry::default();
        reg.configure(rule("StartCommand", "result:fail"))?;
        let effect = reg.apply(START, "h1", &Placement::default());
        let answer = effect.and_then(|e| e.answer);
        assert_eq!(
            answer,
            Some(Err(AgentError::new(ErrorKind::Failed, "Simulated failure")))
        );
        reg.configure(rule("stopvm", "result:fault"))?;
        let effect = reg.apply(&["StopVm", "StopCommand"], "h1", &Placement::default());
        assert!(matches!(
            effect,
            Some(Effect {
                answer: Some(Err(AgentError {
                    kind: ErrorKind::Internal,
                    ..
                })),
                ..
            })
        ));
        assert!(
            reg.apply(&["RebootVm"], "h1", &Placement::default())
                .is_none()
        );
        Ok(())
    }

    #[test]
    fn count_limits_applications_and_stays_queryable() -> Result<(), MockError> {
        let mut reg = MockRegistry::default();
        let rec = reg.configure(MockRule {
            count: Some(2),
            ..rule("StartVm", "result:fail")
        })?;
        assert!(reg.apply(START, "h", &Placement::default()).is_some());
        assert_eq!(reg.query(rec.id).and_then(|r| r.count), Some(1));
        assert!(reg.apply(START, "h", &Placement::default()).is_some());
        assert!(
            reg.apply(START, "h", &Placement::default()).is_none(),
            "used up"
        );
        let after = reg.query(rec.id);
        assert_eq!(after.as_ref().and_then(|r| r.count), Some(0));
        assert!(after.is_some_and(|r| !r.is_active()));
        assert!(reg.cleanup(rec.id));
        assert!(!reg.cleanup(rec.id));
        assert!(reg.query(rec.id).is_none());
        Ok(())
    }

    #[test]
    fn scope_matching_and_most_specific_wins() -> Result<(), MockError> {
        let mut reg = MockRegistry::default();
        let zone = reg.configure(MockRule {
            scope: MockScope {
                zone_id: Some("z1".into()),
                ..MockScope::default()
            },
            ..rule("StartVm", "wait:1")
        })?;
        let host = reg.configure(MockRule {
            scope: MockScope {
                host_guid: Some("h2".into()),
                ..MockScope::default()
            },
            ..rule("StartVm", "wait:2")
        })?;
        assert_ne!(zone.id, host.id);
        let p = placement("z1", "p1", "c1");
        let wait = |reg: &mut MockRegistry, host: &str, p: &Placement| {
            reg.apply(START, host, p).and_then(|e| e.wait)
        };
        assert_eq!(wait(&mut reg, "h1", &p), Some(Duration::from_millis(1)));
        assert_eq!(wait(&mut reg, "h2", &p), Some(Duration::from_millis(2)));
        assert_eq!(wait(&mut reg, "h1", &placement("z2", "p1", "c1")), None);
        assert_eq!(
            wait(&mut reg, "h1", &Placement::default()),
            None,
            "unplaced host"
        );
        Ok(())
    }

    #[test]
    fn same_name_and_scope_updates_in_place() -> Result<(), MockError> {
        let mut reg = MockRegistry::default();
        let first = reg.configure(rule("StartVm", "result:fail"))?;
        let second = reg.configure(MockRule {
            count: Some(1),
            ..rule("startvm", "wait:5")
        })?;
        assert_eq!(first.id, second.id);
        assert_eq!(reg.list().len(), 1);
        let effect = reg.apply(START, "h", &Placement::default());
        assert_eq!(
            effect,
            Some(Effect {
                wait: Some(Duration::from_millis(5)),
                answer: None
            })
        );
        Ok(())
    }

    #[test]
    fn disabled_mock_does_nothing() -> Result<(), MockError> {
        let mut reg = MockRegistry::default();
        reg.configure(rule("StartVm", "result:fail|enabled:false"))?;
        assert!(reg.apply(START, "h", &Placement::default()).is_none());
        Ok(())
    }

    #[test]
    fn canned_json_responses() -> Result<(), MockError> {
        assert_eq!(
            parse_json_response(r#"{"kind": "Network", "bridge": "br9"}"#)?,
            Ok(AnswerData::Network {
                bridge: "br9".into()
            })
        );
        assert!(parse_json_response(r#"{"Err": {"kind": "timeout", "message": "m"}}"#)?.is_err());
        let cs = parse_json_response(
            r#"{"com.cloud.agent.api.StartAnswer": {"result": false, "details": "no luck"}}"#,
        )?;
        assert_eq!(cs, Err(AgentError::new(ErrorKind::Failed, "no luck")));
        assert_eq!(
            parse_json_response(r#"{"com.cloud.agent.api.Answer": {"result": true}}"#)?,
            Ok(AnswerData::Done)
        );
        for bad in [
            "nope",
            "[]",
            r#"{"a": 1, "b": 2}"#,
            r#"{"X": {"details": "d"}}"#,
        ] {
            assert!(parse_json_response(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn configure_rejects_bad_input() {
        let mut reg = MockRegistry::default();
        assert_eq!(
            reg.configure(rule(" ", "result:fail")),
            Err(MockError::NoName)
        );
        assert!(reg.configure(rule("StartVm", "result:explode")).is_err());
        let json = MockRule {
            json_response: Some("{".into()),
            ..rule("StartVm", "")
        };
        assert!(matches!(
            reg.configure(json),
            Err(MockError::BadJsonResponse(_))
        ));
        assert!(reg.list().is_empty(), "nothing half-created");
    }
}
