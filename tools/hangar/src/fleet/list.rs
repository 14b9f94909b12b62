//! `hangar fleet list --alias-id ALIAS`: the replacements of an alias (running and past),
//! newest first, with their outcome, the stage they are in or ended in, and their times;
//! read from the state machine's executions (Step Functions keeps ended executions 90 days).

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent};
use serde_json::{json, Value};

use super::aws::aws_error;
use super::error::FleetCliError;
use super::view::{code, exit_code, stage_of, Update};

/// One replacement as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub execution_arn: String,
    pub name: String,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED.
    pub status: String,
    /// The execution's error when it failed (`Hangar.RolledBack`, ...).
    pub error: Option<String>,
    /// The operator's stage of the last state entered.
    pub stage: Option<&'static str>,
    pub started: String,
    pub stopped: Option<String>,
}

impl Listed {
    /// The outcome in words.
    pub fn outcome(&self) -> String {
        match (self.status.as_str(), &self.error) {
            ("RUNNING", _) => "running".into(),
            ("SUCCEEDED", _) => "replaced".into(),
            (_, Some(error)) => {
                let update = Update::Failed {
                    error: error.clone(),
                    cause: String::new(),
                };
                match exit_code(&update) {
                    code::REFUSED => format!("refused ({error})"),
                    code::ROLLED_BACK => format!("rolled back ({error})"),
                    code::CANCELLED_AFTER_SWAP => format!("cancelled after the swap ({error})"),
                    _ => format!("needs a person ({error})"),
                }
            }
            (status, None) => status.to_lowercase(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "execution_arn": self.execution_arn, "name": self.name, "status": self.status,
            "outcome": self.outcome(), "error": self.error, "stage": self.stage,
            "started": self.started, "stopped": self.stopped,
        })
    }
}

fn time(t: &aws_sdk_sfn::primitives::DateTime) -> String {
    t.fmt(aws_sdk_sfn::primitives::DateTimeFormat::DateTime)
        .unwrap_or_else(|_| t.secs().to_string())
}

fn entered(e: &HistoryEvent) -> Option<&str> {
    e.state_entered_event_details().map(|d| d.name())
}

/// The replacements of `alias_id` on the state machine, newest first.
pub async fn list(
    sfn: &aws_sdk_sfn::Client,
    state_machine_arn: &str,
    alias_id: &str,
) -> Result<Vec<Listed>, FleetCliError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = sfn
            .list_executions()
            .state_machine_arn(state_machine_arn)
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .map_err(aws_error("ListExecutions"))?;
        for e in page.executions() {
            let d = sfn
                .describe_execution()
                .execution_arn(e.execution_arn())
                .send()
                .await
                .map_err(aws_error("DescribeExecution"))?;
            let input: Value = d
                .input()
                .and_then(|i| serde_json::from_str(i).ok())
                .unwrap_or(Value::Null);
            if input["alias_id"].as_str() != Some(alias_id) {
                continue;
            }
            let last = sfn
                .get_execution_history()
                .execution_arn(e.execution_arn())
                .reverse_order(true)
                .include_execution_data(false)
                .max_results(50)
                .send()
                .await
                .map_err(aws_error("GetExecutionHistory"))?;
            let stage = last.events().iter().find_map(entered).map(stage_of);
            out.push(Listed {
                execution_arn: e.execution_arn().to_string(),
                name: e.name().to_string(),
                status: e.status().as_str().to_string(),
                error: (e.status() != &ExecutionStatus::Succeeded)
                    .then(|| d.error().map(str::to_string))
                    .flatten(),
                stage,
                started: time(e.start_date()),
                stopped: e.stop_date().map(time),
            });
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Prints `listed` as a table (or JSON lines with `json`).
pub fn print(listed: &[Listed], json: bool) {
    if json {
        println!(
            "{}",
            Value::Array(listed.iter().map(Listed::to_json).collect())
        );
        return;
    }
    if listed.is_empty() {
        println!("no replacements of this alias");
        return;
    }
    println!(
        "{:<24} {:<32} {:<17} {:<20} {:<20} EXECUTION",
        "NAME", "OUTCOME", "STAGE", "STARTED", "STOPPED"
    );
    for l in listed {
        println!(
            "{:<24} {:<32} {:<17} {:<20} {:<20} {}",
            l.name,
            l.outcome(),
            l.stage.unwrap_or("-"),
            l.started,
            l.stopped.as_deref().unwrap_or("-"),
            l.execution_arn
        );
    }
}
