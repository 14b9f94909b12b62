//! Live progress of a replacement, stage by stage: one spinner line per stage with its
//! elapsed time and the latest build/fleet/location/session state; plain lines when
//! stderr is not a terminal. Fed by the local engine's events or the AWS execution history.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

/// One thing that happened in the execution.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Entered(String),
    /// A state finished; `output` is the execution state after it.
    Exited(String, Option<Value>),
    Retried(String),
    Succeeded(Value),
    Failed {
        error: String,
        cause: String,
    },
}

/// The stage a state belongs to, as shown to the operator.
pub fn stage_of(state: &str) -> &'static str {
    match state {
        "Start" | "Validate" | "Route" | "Refused" => "validate",
        "CreateBuild" | "WaitForBuild" | "IsBuildReady" | "BuildPollInterval" => "build",
        "CreateFleet" | "WaitForFleet" | "IsFleetActive" | "FleetPollInterval" => "fleet",
        "MatchCapacity" | "WaitForCapacity" | "IsCapacityReady" | "CapacityPollInterval" => {
            "capacity"
        }
        "SmokeTest" | "IsSmokeTestDone" | "SmokeTestPollInterval" => "smoke test",
        "SwapAlias" => "alias swap",
        "DrainOldFleet" | "IsOldFleetDrained" | "DrainPollInterval" => "drain old fleet",
        "DeleteOldFleet" => "delete old fleet",
        "ReleaseLock" | "Replaced" | "DryRunPlan" => "finish",
        _ => "rollback",
    }
}

/// What to show after `state` finished, from the execution state it left.
pub fn message_for(state: &str, output: &Value) -> Option<String> {
    let s = |path: &str| {
        output
            .pointer(path)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match state {
        "Validate" => {
            let start = output
                .pointer("/validated/start/mode")
                .and_then(Value::as_str)?;
            Some(format!(
                "{start}; old fleet {}",
                s("/validated/plan/old_fleet_id")?
            ))
        }
        "CreateBuild" => s("/build/build_id").map(|b| format!("build {b}")),
        "WaitForBuild" => s("/build_wait/status"),
        "CreateFleet" => s("/fleet/fleet_id").map(|f| format!("fleet {f}")),
        "WaitForFleet" => {
            let w = output.get("fleet_wait")?;
            let locations: Vec<String> = w["locations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| {
                    format!(
                        "{} {}",
                        l["location"].as_str().unwrap_or("?"),
                        l["status"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            let fleet = w["fleet_status"].as_str().unwrap_or("?");
            Some(if locations.is_empty() {
                format!("fleet {fleet}")
            } else {
                format!("fleet {fleet}; {}", locations.join(", "))
            })
        }
        "MatchCapacity" => {
            let targets = output.pointer("/capacity/targets")?.as_object()?;
            Some(
                targets
                    .iter()
                    .map(|(l, t)| format!("{l} {}/{}/{}", t["desired"], t["min"], t["max"]))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }
        "WaitForCapacity" => s("/capacity_wait/status"),
        "SmokeTest" => s("/smoke/status"),
        "SwapAlias" => Some(format!(
            "{} -> {}",
            s("/swap/alias_id")?,
            s("/swap/to_fleet_id")?
        )),
        "DrainOldFleet" => s("/drain/status"),
        "DeleteOldFleet" => s("/delete/status"),
        "Rollback" => s("/rollback/cause"),
        _ => None,
    }
}

/// The exit codes of every `hangar fleet` command; one meaning each across every `hangar`
/// command (README, "Exit codes": 5 to 9 belong to `hangar dev` and `hangar sessions`).
pub mod code {
    /// Replaced (or the dry run's plan printed, the command done).
    pub const DONE: u8 = 0;
    /// The command itself failed (AWS unreachable, bad configuration of the CLI).
    pub const COMMAND_FAILED: u8 = 1;
    /// Refused before any change: bad JSON, unknown alias, locked alias, unsupported member...
    pub const REFUSED: u8 = 2;
    /// Failed (or cancelled before the swap) and rolled back: the old fleet serves.
    pub const ROLLED_BACK: u8 = 3;
    /// Failed and needs a person: see the message.
    pub const NEEDS_A_PERSON: u8 = 4;
    /// Cancelled after the alias swap: the new fleet serves, the old fleet was left running.
    pub const CANCELLED_AFTER_SWAP: u8 = 10;
    /// The replacement is still running (detached with Ctrl-C, or `status --once`).
    pub const STILL_RUNNING: u8 = 11;
}

/// Exit code of a finished execution.
pub fn exit_code(update: &Update) -> u8 {
    match update {
        Update::Succeeded(_) => code::DONE,
        Update::Failed { error, .. } => match error.as_str() {
            "Hangar.Refused" | "Hangar.Locked" => code::REFUSED,
            "Hangar.RolledBack" => code::ROLLED_BACK,
            "Hangar.Cancelled" => code::CANCELLED_AFTER_SWAP,
            _ => code::NEEDS_A_PERSON,
        },
        _ => code::COMMAND_FAILED,
    }
}

/// The human text of a failure cause (Lambda causes arrive as JSON with `errorMessage`).
pub fn cause_text(error: &str, cause: &str) -> String {
    let caught = hangar_fleet::state::CaughtError {
        error: error.to_string(),
        cause: Some(Value::String(cause.into())),
    };
    caught.message()
}

const RETRYING: &str = " (retrying after a throttled or transient error)";

pub struct View {
    multi: MultiProgress,
    bars: BTreeMap<&'static str, ProgressBar>,
    current: Option<&'static str>,
    plain: bool,
}

impl Default for View {
    fn default() -> Self {
        Self::new()
    }
}

impl View {
    pub fn new() -> Self {
        let plain = !std::io::stderr().is_terminal();
        let target = if plain {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        View {
            multi: MultiProgress::with_draw_target(target),
            bars: BTreeMap::new(),
            current: None,
            plain,
        }
    }

    fn bar(&mut self, stage: &'static str) -> ProgressBar {
        if let Some(b) = self.bars.get(stage) {
            return b.clone();
        }
        let style =
            ProgressStyle::with_template("{spinner:.cyan} {prefix:<17} {elapsed:>5} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner())
                .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✓");
        let bar = self.multi.add(
            ProgressBar::new_spinner()
                .with_style(style)
                .with_prefix(stage),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        self.bars.insert(stage, bar.clone());
        bar
    }

    fn line(&self, stage: &str, message: &str) {
        if self.plain {
            eprintln!("{stage:<17} {message}");
        }
    }

    fn close_current(&mut self, mark: &str) {
        if let Some(stage) = self.current.take() {
            if let Some(bar) = self.bars.get(stage) {
                let msg = format!("{mark} {}", bar.message());
                bar.finish_with_message(msg);
            }
        }
    }

    /// Shows one update; returns the exit code once the execution has ended.
    pub fn show(&mut self, update: &Update) -> Option<u8> {
        match update {
            Update::Entered(state) => {
                let stage = stage_of(state);
                if self.current != Some(stage) {
                    self.close_current("done;");
                    self.bar(stage).set_message("started");
                    self.line(stage, "started");
                    self.current = Some(stage);
                }
                None
            }
            Update::Exited(state, Some(output)) => {
                if let Some(msg) = message_for(state, output) {
                    let stage = stage_of(state);
                    let bar = self.bar(stage);
                    if bar.message() != msg {
                        self.line(stage, &msg);
                        bar.set_message(msg);
                    }
                }
                None
            }
            Update::Exited(_, None) => None,
            Update::Retried(state) => {
                let stage = stage_of(state);
                let bar = self.bar(stage);
                let current = bar.message();
                let base = current.split(RETRYING).next().unwrap_or_default();
                let msg = format!("{base}{RETRYING}");
                self.line(stage, &msg);
                bar.set_message(msg);
                None
            }
            Update::Succeeded(output) => {
                self.close_current("done;");
                if let Some(steps) = output.get("steps").and_then(Value::as_array) {
                    println!(
                        "Dry run: nothing was changed. Plan for replacement {}:",
                        output["replacement_id"]
                    );
                    for (i, step) in steps.iter().enumerate() {
                        println!("  {}. {}", i + 1, step.as_str().unwrap_or_default());
                    }
                } else {
                    println!("Replacement finished: the alias routes to the new fleet.");
                }
                Some(exit_code(update))
            }
            Update::Failed { error, cause } => {
                self.close_current("failed;");
                let text = cause_text(error, cause);
                let headline = match exit_code(update) {
                    code::REFUSED => "Refused, nothing was changed",
                    code::ROLLED_BACK => "Failed and rolled back; the old fleet keeps serving",
                    code::CANCELLED_AFTER_SWAP => {
                        "Cancelled after the swap; the new fleet serves, the old fleet was left running"
                    }
                    _ => "Failed; needs attention",
                };
                eprintln!("{headline}: {error}\n  {text}");
                Some(exit_code(update))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states_group_into_the_stages_an_operator_knows() {
        assert_eq!(stage_of("BuildPollInterval"), "build");
        assert_eq!(stage_of("IsFleetActive"), "fleet");
        assert_eq!(stage_of("DrainOldFleet"), "drain old fleet");
        assert_eq!(stage_of("ReleaseLockAfterRollback"), "rollback");
    }

    #[test]
    fn fleet_progress_shows_fleet_and_location_states() {
        let out = json!({"fleet_wait": {"fleet_status": "ACTIVATING", "locations": [
            {"location": "us-east-1", "status": "ACTIVE"}, {"location": "eu-west-1", "status": "ACTIVATING"}]}});
        assert_eq!(
            message_for("WaitForFleet", &out).unwrap(),
            "fleet ACTIVATING; us-east-1 ACTIVE, eu-west-1 ACTIVATING"
        );
        let cap =
            json!({"capacity": {"targets": {"us-east-1": {"desired": 2, "min": 1, "max": 4}}}});
        assert_eq!(
            message_for("MatchCapacity", &cap).unwrap(),
            "us-east-1 2/1/4"
        );
        assert_eq!(message_for("IsFleetActive", &out), None);
    }

    #[test]
    fn exit_codes_tell_success_refusal_rollback_and_trouble_apart() {
        assert_eq!(exit_code(&Update::Succeeded(json!({}))), 0);
        let failed = |e: &str| Update::Failed {
            error: e.into(),
            cause: String::new(),
        };
        assert_eq!(exit_code(&failed("Hangar.Refused")), 2);
        assert_eq!(exit_code(&failed("Hangar.Locked")), 2);
        assert_eq!(exit_code(&failed("Hangar.RolledBack")), 3);
        assert_eq!(exit_code(&failed("Hangar.RollbackIncomplete")), 4);
        assert_eq!(exit_code(&failed("Hangar.DrainTimedOut")), 4);
        assert_eq!(exit_code(&failed("Hangar.Cancelled")), 10);
    }

    #[test]
    fn lambda_error_causes_show_their_message() {
        let cause = r#"{"errorType":"Hangar.Refused","errorMessage":"alias x does not exist"}"#;
        assert_eq!(
            cause_text("Hangar.Refused", cause),
            "alias x does not exist"
        );
        assert_eq!(
            cause_text("Hangar.Refused", "Hangar.Refused: alias x does not exist"),
            "alias x does not exist"
        );
    }
}
