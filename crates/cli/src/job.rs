//! Async jobs: spotting the first `{jobid}` answer and polling
//! `queryAsyncJobResult` (with a spinner on a terminal) until the job ends.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde_json::Value;

use crate::request::{ApiError, Client};

const SPIN_STEP: Duration = Duration::from_millis(100);

/// The job id when `inner` is an async command's first answer: a flat object
/// with a `jobid` (and maybe the new entity's `id`) but no nested object.
pub fn pending_job<'a>(command: &str, inner: &'a Value) -> Option<&'a str> {
    if command.eq_ignore_ascii_case("queryAsyncJobResult") {
        return None;
    }
    let map = inner.as_object()?;
    let flat = map.values().all(|v| !v.is_object() && !v.is_array());
    if !flat || map.contains_key("jobstatus") {
        return None;
    }
    map.get("jobid")?.as_str()
}

/// What a finished `queryAsyncJobResult` answer means; `None` while running.
pub fn outcome(answer: &Value) -> Option<Result<Value, ApiError>> {
    let status = answer.get("jobstatus").and_then(Value::as_i64).unwrap_or(0);
    let result = answer.get("jobresult").cloned().unwrap_or(Value::Null);
    let code = || {
        result
            .get("errorcode")
            .or_else(|| answer.get("jobresultcode"))
            .and_then(Value::as_i64)
            .unwrap_or(530)
    };
    match status {
        0 => None,
        1 => Some(Ok(result)),
        2 => Some(Err(ApiError {
            code: code(),
            text: match result.get("errortext").and_then(Value::as_str) {
                Some(t) => t.to_string(),
                None => result.to_string(),
            },
        })),
        other => Some(Err(ApiError {
            code: code(),
            text: format!("job ended with status {other} (cancelled)"),
        })),
    }
}

/// Polls until the job is done; `Ok(Err(_))` for a failed job or an API error.
pub async fn wait(
    client: &Client,
    jobid: &str,
    interval: Duration,
) -> anyhow::Result<Result<Value, ApiError>> {
    let mut spinner = Spinner::new(jobid);
    let params = [("jobid".to_string(), jobid.to_string())];
    let result = loop {
        spinner.sleep(interval).await;
        let answer = match client.call("queryAsyncJobResult", &params).await {
            Ok(Ok(answer)) => answer,
            other => {
                spinner.clear();
                return other;
            }
        };
        if let Some(done) = outcome(&answer) {
            break done;
        }
    };
    spinner.clear();
    Ok(result)
}

/// A one-line `|/-\` spinner on stderr, silent when stderr is not a terminal.
struct Spinner {
    label: String,
    enabled: bool,
    frame: usize,
}

impl Spinner {
    fn new(jobid: &str) -> Self {
        Self {
            label: format!("Waiting for job {jobid}"),
            enabled: std::io::stderr().is_terminal(),
            frame: 0,
        }
    }

    async fn sleep(&mut self, total: Duration) {
        let mut left = total;
        while !left.is_zero() {
            self.tick();
            let step = left.min(SPIN_STEP);
            tokio::time::sleep(step).await;
            left -= step;
        }
    }

    fn tick(&mut self) {
        if !self.enabled {
            return;
        }
        let c = ['|', '/', '-', '\\'][self.frame % 4];
        self.frame += 1;
        let mut err = std::io::stderr();
        // A failed spinner write is not worth failing the command for.
        let _ = write!(err, "\r{c} {}", self.label);
        let _ = err.flush();
    }

    fn clear(&mut self) {
        if self.enabled {
            let mut err = std::io::stderr();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spots_async_first_answers_only() {
        let first = json!({"jobid": "j1", "id": "vm1"});
        assert_eq!(pending_job("deployVirtualMachine", &first), Some("j1"));
        let list = json!({"count": 1, "virtualmachine": [{"id": "v", "jobid": "j"}]});
        assert_eq!(pending_job("listVirtualMachines", &list), None);
        let query = json!({"jobid": "j1", "jobstatus": 0});
        assert_eq!(pending_job("queryAsyncJobResult", &query), None);
        assert_eq!(pending_job("x", &json!({"success": true})), None);
    }

    #[test]
    fn reads_job_outcomes() {
        assert_eq!(outcome(&json!({"jobid": "j", "jobstatus": 0})), None);
        let ok = json!({"jobstatus": 1, "jobresult": {"virtualmachine": {"id": "v"}}});
        assert_eq!(
            outcome(&ok),
            Some(Ok(json!({"virtualmachine": {"id": "v"}})))
        );
        let failed = json!({"jobstatus": 2, "jobresultcode": 530,
            "jobresult": {"errorcode": 431, "errortext": "no capacity"}});
        let err = outcome(&failed).and_then(Result::err);
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("Error 431: no capacity")
        );
    }
}
