//! The execution operations: StartExecution, DescribeExecution, GetExecutionHistory,
//! StopExecution, ListExecutions, and the runner task that feeds one execution's engine
//! events into the store.
//!
//! StartExecution is idempotent as Step Functions is for STANDARD state machines: the
//! same name and input as a RUNNING execution answers that execution; a name already
//! used otherwise is `ExecutionAlreadyExists`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::engine::Engine;
use crate::error::SfnError;
use crate::history::{epoch_secs, EngineEvent};
use crate::input::{check_name, parse_token, token, Input};
use crate::store::{Control, Execution, Status, Store};

/// The largest input Step Functions accepts (bytes of UTF-8).
pub const MAX_INPUT_BYTES: usize = 262_144;
/// How long StopExecution waits for the engine to abort before ending it.
const STOP_GRACE: Duration = Duration::from_secs(10);

fn execution_arn(machine_arn: &str, name: &str) -> Option<String> {
    let (prefix, machine) = machine_arn.split_once(":stateMachine:")?;
    Some(format!("{prefix}:execution:{machine}:{name}"))
}

fn check_arn(arn: &str, kind: &str) -> Result<(), SfnError> {
    let ok = arn.starts_with("arn:") && arn.split(':').nth(5) == Some(kind);
    if ok {
        Ok(())
    } else {
        Err(SfnError::invalid_arn(arn))
    }
}

fn not_found(arn: &str) -> SfnError {
    SfnError::new(
        "ExecutionDoesNotExist",
        format!("Execution Does Not Exist: '{arn}'"),
    )
}

pub async fn start(store: &Arc<Store>, input: &Value) -> Result<Value, SfnError> {
    let i = Input::new(input)?;
    let machine_arn = i.str("stateMachineArn", 256)?;
    check_arn(machine_arn, "stateMachine")?;
    let name = match i.str_opt("name", 80)? {
        Some(n) => n.to_string(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    check_name(&name)?;
    let text = i.str_opt("input", usize::MAX)?.unwrap_or("{}");
    if text.len() > MAX_INPUT_BYTES {
        return Err(SfnError::validation(format!(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: \
             Member must have length less than or equal to {MAX_INPUT_BYTES}"
        )));
    }
    let parsed: Value = serde_json::from_str(text).map_err(|e| {
        SfnError::new(
            "InvalidExecutionInput",
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })?;
    let (machine, arn) = {
        let locked = store.lock();
        let machine = locked.machine(machine_arn).cloned().ok_or_else(|| {
            SfnError::new(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{machine_arn}'"),
            )
        })?;
        let arn =
            execution_arn(&machine.arn, &name).ok_or_else(|| SfnError::invalid_arn(machine_arn))?;
        if let Some(e) = locked.execution(&arn) {
            return if e.status == Status::Running && e.input == text {
                Ok(json!({"executionArn": e.arn, "startDate": epoch_secs(e.start_ms)}))
            } else {
                Err(SfnError::new(
                    "ExecutionAlreadyExists",
                    format!("Execution Already Exists: '{arn}'"),
                ))
            };
        }
        (machine, arn)
    };
    let definition: Value = serde_json::from_str(&machine.definition)
        .map_err(|e| SfnError::new("InvalidDefinition", e.to_string()))?;
    let start_ms = hangar_lambda::clock::now_ms();
    let context = json!({
        "Execution": {
            "Id": arn, "Name": name, "Input": parsed, "RoleArn": machine.role_arn,
            "StartTime": iso8601(start_ms),
        },
        "StateMachine": {"Id": machine.arn, "Name": machine.name},
    });
    let job = json!({"definition": definition, "input": parsed, "context": context});
    let (control, commands) = mpsc::unbounded_channel();
    {
        let mut locked = store.lock();
        if locked.execution(&arn).is_some() {
            return Err(SfnError::new(
                "ExecutionAlreadyExists",
                format!("Execution Already Exists: '{arn}'"),
            ));
        }
        locked.add_execution(Execution::new(
            arn.clone(),
            name,
            &machine,
            text.to_string(),
            start_ms,
            control,
        ));
    }
    match Engine::spawn(&store.options(), &job).await {
        Ok(engine) => {
            tokio::spawn(run(store.clone(), arn.clone(), engine, commands));
        }
        Err(e) => {
            let mut failed = EngineEvent::new("ExecutionFailed", hangar_lambda::clock::now_ms());
            failed.error = Some("States.Runtime".into());
            failed.cause = Some(json!(e.to_string()));
            store.record(&arn, failed);
        }
    }
    Ok(json!({"executionArn": arn, "startDate": epoch_secs(start_ms)}))
}

/// Feeds the engine's events into the store until the execution ends; applies abort
/// and kill requests. An engine that stops before the end fails the execution.
async fn run(
    store: Arc<Store>,
    arn: String,
    mut engine: Engine,
    mut commands: mpsc::UnboundedReceiver<Control>,
) {
    loop {
        tokio::select! {
            event = engine.next_event() => match event {
                Ok(Some(event)) => {
                    if store.record(&arn, event) {
                        break;
                    }
                }
                Ok(None) | Err(_) => {
                    let status = engine.exit_status().await;
                    engine_stopped(&store, &arn, &format!("exit status {status}"));
                    break;
                }
            },
            command = commands.recv() => match command {
                Some(Control::Abort) if engine.abort().await.is_err() => engine.kill().await,
                Some(Control::Abort) => {}
                Some(Control::Kill) => {
                    engine.kill().await;
                    engine_stopped(&store, &arn, "the engine was killed");
                    break;
                }
                None => {}
            },
        }
    }
    engine.kill().await;
}

fn engine_stopped(store: &Store, arn: &str, why: &str) {
    let mut failed = EngineEvent::new("ExecutionFailed", hangar_lambda::clock::now_ms());
    failed.error = Some("States.Runtime".into());
    failed.cause = Some(json!(format!(
        "the ASL engine stopped before the execution ended ({why})"
    )));
    store.record(arn, failed);
}

fn iso8601(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

fn described(e: &Execution) -> Value {
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.machine_arn,
        "name": e.name,
        "status": e.status.as_str(),
        "startDate": epoch_secs(e.start_ms),
        "input": e.input,
        "inputDetails": {"included": true},
        "redriveCount": 0,
    });
    if let Some(stop) = e.stop_ms {
        out["stopDate"] = json!(epoch_secs(stop));
    }
    if let Some(output) = &e.output {
        out["output"] = json!(output);
        out["outputDetails"] = json!({"included": true});
    }
    if let Some(error) = &e.error {
        out["error"] = json!(error);
    }
    if let Some(cause) = &e.cause {
        out["cause"] = json!(cause);
    }
    out
}

pub fn describe(store: &Store, input: &Value) -> Result<Value, SfnError> {
    let arn = Input::new(input)?.str("executionArn", 256)?;
    check_arn(arn, "execution")?;
    let locked = store.lock();
    locked
        .execution(arn)
        .map(described)
        .ok_or_else(|| not_found(arn))
}

pub fn history(store: &Store, input: &Value) -> Result<Value, SfnError> {
    let i = Input::new(input)?;
    let arn = i.str("executionArn", 256)?;
    check_arn(arn, "execution")?;
    let size = i.page_size("maxResults", 100)?;
    let reverse = i.bool_or("reverseOrder", false)?;
    let with_data = i.bool_or("includeExecutionData", true)?;
    let from = parse_token(i.str_opt("nextToken", 1024)?)?;
    let locked = store.lock();
    let e = locked.execution(arn).ok_or_else(|| not_found(arn))?;
    let mut events: Vec<&Value> = e.history.iter().collect();
    if reverse {
        events.reverse();
    }
    if from > events.len() {
        return Err(SfnError::new("InvalidToken", "Invalid Token"));
    }
    let page: Vec<Value> = events
        .iter()
        .skip(from)
        .take(size)
        .map(|v| {
            if with_data {
                (*v).clone()
            } else {
                without_data(v)
            }
        })
        .collect();
    let mut out = json!({"events": page});
    if from + size < events.len() {
        out["nextToken"] = json!(token(from + size));
    }
    Ok(out)
}

/// A history event without its input and output (`includeExecutionData: false`).
fn without_data(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(obj) = v.as_object_mut() {
        for details in obj.values_mut().filter_map(Value::as_object_mut) {
            details.remove("input");
            details.remove("output");
        }
    }
    v
}

pub async fn stop(store: &Store, input: &Value) -> Result<Value, SfnError> {
    let i = Input::new(input)?;
    let arn = i.str("executionArn", 256)?;
    check_arn(arn, "execution")?;
    let error = i.str_opt("error", 256)?.map(str::to_string);
    let cause = i.str_opt("cause", 32_768)?.map(str::to_string);
    let mut watch = {
        let mut locked = store.lock();
        let e = locked.execution_mut(arn).ok_or_else(|| not_found(arn))?;
        if e.status != Status::Running {
            let at = e.stop_ms.unwrap_or(e.start_ms);
            return Ok(json!({"stopDate": epoch_secs(at)}));
        }
        e.stop = (error, cause);
        let _ = e.control.send(Control::Abort);
        e.watch()
    };
    let deadline = tokio::time::Instant::now() + STOP_GRACE;
    loop {
        {
            let locked = store.lock();
            match locked.execution(arn) {
                Some(e) if e.status != Status::Running => {
                    return Ok(json!({"stopDate": epoch_secs(e.stop_ms.unwrap_or(e.start_ms))}))
                }
                Some(_) => {}
                None => return Err(not_found(arn)),
            }
        }
        if tokio::time::timeout_at(deadline, watch.changed())
            .await
            .map_or(true, |r| r.is_err())
        {
            break;
        }
    }
    // The engine did not abort in time: the execution is aborted all the same.
    let now = hangar_lambda::clock::now_ms();
    store.record(arn, EngineEvent::new("ExecutionAborted", now));
    if let Some(e) = store.lock().execution(arn) {
        let _ = e.control.send(Control::Kill);
    }
    Ok(json!({"stopDate": epoch_secs(now)}))
}

pub fn list(store: &Store, input: &Value) -> Result<Value, SfnError> {
    let i = Input::new(input)?;
    let machine_arn = i
        .str_opt("stateMachineArn", 256)?
        .ok_or_else(|| SfnError::validation("Must provide a StateMachine ARN or a MapRun ARN"))?;
    check_arn(machine_arn, "stateMachine")?;
    let status = match i.str_opt("statusFilter", 32)? {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            SfnError::validation(format!(
                "1 validation error detected: Value '{s}' at 'statusFilter' failed to satisfy \
                 constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, \
                 TIMED_OUT, ABORTED, PENDING_REDRIVE]"
            ))
        })?),
    };
    let size = i.page_size("maxResults", 100)?;
    let from = parse_token(i.str_opt("nextToken", 3096)?)?;
    let locked = store.lock();
    if locked.machine(machine_arn).is_none() {
        return Err(SfnError::new(
            "StateMachineDoesNotExist",
            format!("State Machine Does Not Exist: '{machine_arn}'"),
        ));
    }
    // Newest first, as Step Functions lists them.
    let matching: Vec<&Execution> = locked
        .executions()
        .iter()
        .rev()
        .filter(|e| e.machine_arn == machine_arn && status.is_none_or(|s| e.status == s))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(from)
        .take(size)
        .map(|e| {
            let mut item = json!({
                "executionArn": e.arn, "stateMachineArn": e.machine_arn, "name": e.name,
                "status": e.status.as_str(), "startDate": epoch_secs(e.start_ms),
            });
            if let Some(stop) = e.stop_ms {
                item["stopDate"] = json!(epoch_secs(stop));
            }
            item
        })
        .collect();
    let mut out = json!({"executions": page});
    if from + size < matching.len() {
        out["nextToken"] = json!(token(from + size));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_arns_follow_the_state_machine_arn() {
        assert_eq!(
            execution_arn(
                "arn:aws:states:us-east-1:123456789012:stateMachine:fleet",
                "x.1"
            )
            .as_deref(),
            Some("arn:aws:states:us-east-1:123456789012:execution:fleet:x.1")
        );
        assert!(check_arn("arn:aws:states:us-east-1:1:execution:fleet:x", "execution").is_ok());
        assert_eq!(
            check_arn("fleet:x", "execution").unwrap_err().code,
            "InvalidArn"
        );
    }

    #[test]
    fn the_context_start_time_is_iso_8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_709_251_200_123), "2024-03-01T00:00:00.123Z");
    }
}
