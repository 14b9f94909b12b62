//! The engine's execution events (`aws-local-stepfunctions` event log) and the Step
//! Functions history events (`GetExecutionHistory`) they become. Pure.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One event of the engine's execution log, as `statemachines/local/run.mjs` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineEvent {
    #[serde(rename = "type")]
    pub kind: String,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub timestamp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<EventState>,
    #[serde(rename = "Error", default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(rename = "Cause", default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventState {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
}

impl EngineEvent {
    /// An event the endpoint itself records (an engine that stopped, a stop request).
    pub fn new(kind: &str, timestamp: u64) -> Self {
        EngineEvent {
            kind: kind.to_string(),
            timestamp,
            state: None,
            error: None,
            cause: None,
            input: None,
            output: None,
        }
    }

    /// The cause as text (Lambda errors carry a JSON cause, Fail states a string).
    pub fn cause_text(&self) -> Option<String> {
        self.cause.as_ref().map(json_text)
    }
}

/// A JSON value as Step Functions carries data: strings as they are, anything else as
/// its JSON text.
pub fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How an execution ends, read off a terminal engine event.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    Succeeded { output: String },
    Failed { error: String, cause: String },
    Aborted,
    TimedOut,
}

pub fn end_of(e: &EngineEvent) -> Option<End> {
    match e.kind.as_str() {
        "ExecutionSucceeded" => Some(End::Succeeded {
            output: e
                .output
                .as_ref()
                .map(json_text)
                .unwrap_or_else(|| "null".into()),
        }),
        "ExecutionFailed" => Some(End::Failed {
            error: e.error.clone().unwrap_or_default(),
            cause: e.cause_text().unwrap_or_default(),
        }),
        "ExecutionAborted" => Some(End::Aborted),
        "ExecutionTimeout" => Some(End::TimedOut),
        _ => None,
    }
}

/// Epoch seconds with fractional milliseconds, as the JSON protocol carries timestamps.
pub fn epoch_secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// What the history event of an engine event needs beyond the event.
pub struct Context<'a> {
    pub role_arn: &'a str,
    /// `StopExecution`'s error and cause, for an aborted execution.
    pub stop: Option<(&'a Option<String>, &'a Option<String>)>,
}

/// The Step Functions history event for an engine event, `None` for engine events
/// Step Functions has no event for (a retry, a catch). `id` counts from 1.
pub fn history_event(e: &EngineEvent, id: u64, ctx: &Context<'_>) -> Option<Value> {
    let text = |v: &Option<Value>| v.as_ref().map(json_text).unwrap_or_else(|| "{}".into());
    let (kind, details_key, details) = match e.kind.as_str() {
        "ExecutionStarted" => (
            "ExecutionStarted".to_string(),
            "executionStartedEventDetails",
            json!({"input": text(&e.input), "inputDetails": {"truncated": false}, "roleArn": ctx.role_arn}),
        ),
        "StateEntered" => {
            let s = e.state.as_ref()?;
            (
                format!("{}StateEntered", s.kind),
                "stateEnteredEventDetails",
                json!({"name": s.name, "input": text(&s.input), "inputDetails": {"truncated": false}}),
            )
        }
        "StateExited" => {
            let s = e.state.as_ref()?;
            if s.kind == "Fail" {
                return None;
            }
            (
                format!("{}StateExited", s.kind),
                "stateExitedEventDetails",
                json!({"name": s.name, "output": text(&s.output), "outputDetails": {"truncated": false}}),
            )
        }
        "StateFailed" => {
            let s = e.state.as_ref()?;
            if s.kind != "Task" {
                return None;
            }
            let error = e.error.clone().unwrap_or_default();
            let cause = e.cause_text().unwrap_or_default();
            if error == "States.Timeout" {
                (
                    "LambdaFunctionTimedOut".to_string(),
                    "lambdaFunctionTimedOutEventDetails",
                    json!({"error": error, "cause": cause}),
                )
            } else {
                (
                    "LambdaFunctionFailed".to_string(),
                    "lambdaFunctionFailedEventDetails",
                    json!({"error": error, "cause": cause}),
                )
            }
        }
        "ExecutionSucceeded" => (
            "ExecutionSucceeded".to_string(),
            "executionSucceededEventDetails",
            json!({"output": text(&e.output), "outputDetails": {"truncated": false}}),
        ),
        "ExecutionFailed" => (
            "ExecutionFailed".to_string(),
            "executionFailedEventDetails",
            json!({"error": e.error.clone().unwrap_or_default(), "cause": e.cause_text().unwrap_or_default()}),
        ),
        "ExecutionAborted" => {
            let mut details = json!({});
            if let Some((error, cause)) = ctx.stop {
                if let Some(error) = error {
                    details["error"] = json!(error);
                }
                if let Some(cause) = cause {
                    details["cause"] = json!(cause);
                }
            }
            (
                "ExecutionAborted".to_string(),
                "executionAbortedEventDetails",
                details,
            )
        }
        "ExecutionTimeout" => (
            "ExecutionTimedOut".to_string(),
            "executionTimedOutEventDetails",
            json!({}),
        ),
        _ => return None,
    };
    let mut event = json!({
        "timestamp": epoch_secs(e.timestamp),
        "type": kind,
        "id": id,
        details_key: details,
    });
    if id > 1 {
        event["previousEventId"] = json!(id - 1);
    }
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: Value) -> EngineEvent {
        serde_json::from_value(json).unwrap()
    }

    fn ctx() -> Context<'static> {
        Context {
            role_arn: "arn:aws:iam::123456789012:role/sfn",
            stop: None,
        }
    }

    #[test]
    fn state_events_become_typed_entered_and_exited_events_with_json_text() {
        let entered = event(
            json!({"type": "StateEntered", "timestamp": 1500, "state": {"name": "Validate", "type": "Task", "input": {"a": 1}}}),
        );
        let h = history_event(&entered, 2, &ctx()).unwrap();
        assert_eq!(h["type"], "TaskStateEntered");
        assert_eq!(h["stateEnteredEventDetails"]["name"], "Validate");
        assert_eq!(h["stateEnteredEventDetails"]["input"], r#"{"a":1}"#);
        assert_eq!(h["timestamp"], 1.5);
        assert_eq!(h["previousEventId"], 1);
        let exited = event(
            json!({"type": "StateExited", "timestamp": 1600, "state": {"name": "Route", "type": "Choice", "output": {"b": 2}}}),
        );
        let h = history_event(&exited, 3, &ctx()).unwrap();
        assert_eq!(h["type"], "ChoiceStateExited");
        assert_eq!(h["stateExitedEventDetails"]["output"], r#"{"b":2}"#);
    }

    #[test]
    fn a_failed_task_is_a_lambda_failure_and_retries_and_catches_leave_no_event() {
        let failed = event(
            json!({"type": "StateFailed", "timestamp": 1, "state": {"name": "CreateFleet", "type": "Task"}, "Error": "Hangar.Throttled", "Cause": {"errorMessage": "slow down"}}),
        );
        let h = history_event(&failed, 5, &ctx()).unwrap();
        assert_eq!(h["type"], "LambdaFunctionFailed");
        assert_eq!(
            h["lambdaFunctionFailedEventDetails"]["error"],
            "Hangar.Throttled"
        );
        assert_eq!(
            h["lambdaFunctionFailedEventDetails"]["cause"],
            r#"{"errorMessage":"slow down"}"#
        );
        for kind in ["StateRetried", "StateCaught"] {
            let e = event(
                json!({"type": kind, "timestamp": 1, "state": {"name": "X", "type": "Task"}}),
            );
            assert_eq!(history_event(&e, 6, &ctx()), None);
        }
    }

    #[test]
    fn execution_ends_carry_output_or_error_and_cause() {
        let ok =
            event(json!({"type": "ExecutionSucceeded", "timestamp": 1, "output": {"done": true}}));
        assert_eq!(
            end_of(&ok),
            Some(End::Succeeded {
                output: r#"{"done":true}"#.into()
            })
        );
        let failed = event(
            json!({"type": "ExecutionFailed", "timestamp": 1, "Error": "Hangar.RolledBack", "Cause": "undone"}),
        );
        assert_eq!(
            end_of(&failed),
            Some(End::Failed {
                error: "Hangar.RolledBack".into(),
                cause: "undone".into()
            })
        );
        let h = history_event(&failed, 9, &ctx()).unwrap();
        assert_eq!(h["executionFailedEventDetails"]["cause"], "undone");
        let (error, cause) = (Some("Operator".to_string()), None);
        let stopped = Context {
            role_arn: "r",
            stop: Some((&error, &cause)),
        };
        let h = history_event(&EngineEvent::new("ExecutionAborted", 1), 10, &stopped).unwrap();
        assert_eq!(h["type"], "ExecutionAborted");
        assert_eq!(h["executionAbortedEventDetails"]["error"], "Operator");
    }
}
