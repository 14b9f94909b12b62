//! What the endpoint knows: its state machines and executions, in memory. Each
//! execution keeps the engine's raw events (for in-process followers) and the Step
//! Functions history built from them; every change wakes the execution's watchers.
//!
//! Invariants: an execution's status leaves RUNNING once, on its terminal event; its
//! history ids count from 1 without gaps; names are unique per state machine.

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::engine::EngineOptions;
use crate::history::{end_of, history_event, Context, End, EngineEvent};

/// The account local ARNs carry.
pub const ACCOUNT: &str = "123456789012";

#[derive(Debug, Clone)]
pub struct Machine {
    pub arn: String,
    pub name: String,
    pub definition: String,
    pub role_arn: String,
    pub created_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Running,
            Status::Succeeded,
            Status::Failed,
            Status::TimedOut,
            Status::Aborted,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// What the execution's runner task is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop at once, as StopExecution does (the engine prints ExecutionAborted).
    Abort,
    /// End the engine abruptly, as a crash would.
    Kill,
}

#[derive(Debug)]
pub struct Execution {
    pub arn: String,
    pub name: String,
    pub machine_arn: String,
    pub role_arn: String,
    pub input: String,
    pub status: Status,
    pub start_ms: u64,
    pub stop_ms: Option<u64>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The engine's event log, as it printed it.
    pub events: Vec<EngineEvent>,
    /// The Step Functions history, ids from 1.
    pub history: Vec<Value>,
    /// StopExecution's error and cause.
    pub stop: (Option<String>, Option<String>),
    pub control: mpsc::UnboundedSender<Control>,
    changed: watch::Sender<u64>,
}

impl Execution {
    pub fn new(
        arn: String,
        name: String,
        machine: &Machine,
        input: String,
        start_ms: u64,
        control: mpsc::UnboundedSender<Control>,
    ) -> Execution {
        Execution {
            arn,
            name,
            machine_arn: machine.arn.clone(),
            role_arn: machine.role_arn.clone(),
            input,
            status: Status::Running,
            start_ms,
            stop_ms: None,
            output: None,
            error: None,
            cause: None,
            events: Vec::new(),
            history: Vec::new(),
            stop: (None, None),
            control,
            changed: watch::channel(0).0,
        }
    }

    /// Appends an engine event (and its history event); a terminal event ends the
    /// execution. Events after the end are ignored. Returns whether the execution ended.
    pub fn record(&mut self, event: EngineEvent) -> bool {
        if self.status != Status::Running {
            return true;
        }
        let ctx = Context {
            role_arn: &self.role_arn,
            stop: Some((&self.stop.0, &self.stop.1)),
        };
        if let Some(h) = history_event(&event, self.history.len() as u64 + 1, &ctx) {
            self.history.push(h);
        }
        let end = end_of(&event);
        let at = event.timestamp;
        self.events.push(event);
        if let Some(end) = &end {
            self.stop_ms = Some(at);
            match end {
                End::Succeeded { output } => {
                    self.status = Status::Succeeded;
                    self.output = Some(output.clone());
                }
                End::Failed { error, cause } => {
                    self.status = Status::Failed;
                    self.error = Some(error.clone());
                    self.cause = Some(cause.clone());
                }
                End::Aborted => {
                    self.status = Status::Aborted;
                    self.error = self.stop.0.clone();
                    self.cause = self.stop.1.clone();
                }
                End::TimedOut => self.status = Status::TimedOut,
            }
        }
        self.changed.send_modify(|n| *n += 1);
        end.is_some()
    }

    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

#[derive(Debug, Default)]
struct Inner {
    machines: Vec<Machine>,
    executions: Vec<Execution>,
}

/// The endpoint's state; shared by the HTTP server, the runner tasks and in-process callers.
#[derive(Debug)]
pub struct Store {
    inner: Mutex<Inner>,
    options: Mutex<EngineOptions>,
}

/// A locked view of the store.
pub struct Locked<'a>(MutexGuard<'a, Inner>);

impl Locked<'_> {
    pub fn machines(&self) -> &[Machine] {
        &self.0.machines
    }

    pub fn machine(&self, arn: &str) -> Option<&Machine> {
        self.0.machines.iter().find(|m| m.arn == arn)
    }

    pub fn add_machine(&mut self, m: Machine) {
        self.0.machines.push(m);
    }

    /// Executions in the order they started.
    pub fn executions(&self) -> &[Execution] {
        &self.0.executions
    }

    pub fn execution(&self, arn: &str) -> Option<&Execution> {
        self.0.executions.iter().find(|e| e.arn == arn)
    }

    pub fn execution_mut(&mut self, arn: &str) -> Option<&mut Execution> {
        self.0.executions.iter_mut().find(|e| e.arn == arn)
    }

    pub fn add_execution(&mut self, e: Execution) {
        self.0.executions.push(e);
    }
}

impl Store {
    pub fn new(options: EngineOptions) -> Arc<Store> {
        Arc::new(Store {
            inner: Mutex::new(Inner::default()),
            options: Mutex::new(options),
        })
    }

    pub fn lock(&self) -> Locked<'_> {
        Locked(self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn options(&self) -> EngineOptions {
        self.options
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_lambda_endpoint(&self, url: String) {
        self.options
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .lambda_endpoint = Some(url);
    }

    pub fn region(&self) -> String {
        self.options().region
    }

    /// Records an engine event of execution `arn`; returns whether the execution ended.
    pub fn record(&self, arn: &str, event: EngineEvent) -> bool {
        self.lock()
            .execution_mut(arn)
            .map(|e| e.record(event))
            .unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn execution() -> Execution {
        let machine = Machine {
            arn: "arn:sm".into(),
            name: "sm".into(),
            definition: "{}".into(),
            role_arn: "arn:role".into(),
            created_ms: 0,
        };
        Execution::new(
            "arn:x".into(),
            "x".into(),
            &machine,
            "{}".into(),
            0,
            mpsc::unbounded_channel().0,
        )
    }

    #[test]
    fn the_terminal_event_ends_the_execution_once_and_later_events_are_ignored() {
        let mut e = execution();
        let started: EngineEvent = serde_json::from_value(
            json!({"type": "ExecutionStarted", "timestamp": 5, "input": {}}),
        )
        .unwrap();
        assert!(!e.record(started));
        let failed: EngineEvent = serde_json::from_value(
            json!({"type": "ExecutionFailed", "timestamp": 9, "Error": "E", "Cause": "c"}),
        )
        .unwrap();
        assert!(e.record(failed));
        assert_eq!(e.status, Status::Failed);
        assert_eq!(e.stop_ms, Some(9));
        assert_eq!(
            (e.error.as_deref(), e.cause.as_deref()),
            (Some("E"), Some("c"))
        );
        assert!(e.record(EngineEvent::new("ExecutionSucceeded", 10)));
        assert_eq!(e.status, Status::Failed, "the first end stands");
        assert_eq!(e.history.len(), 2);
        assert_eq!(e.history[1]["id"], 2);
    }

    #[test]
    fn an_aborted_execution_carries_the_stop_requests_error_and_cause() {
        let mut e = execution();
        e.stop = (Some("Operator".into()), Some("by hand".into()));
        e.record(EngineEvent::new("ExecutionAborted", 3));
        assert_eq!(e.status, Status::Aborted);
        assert_eq!(e.error.as_deref(), Some("Operator"));
        assert_eq!(
            e.history[0]["executionAbortedEventDetails"]["cause"],
            "by hand"
        );
    }
}
