//! One cold start of one function: exec under the loopback Runtime API, time to the
//! first `/next`, one invocation, peak RSS once idle, connections to the AWS endpoints
//! (the TLS fronts of [`crate::stack`]) and to the recorder, in init and in the invoke.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::procfs;
use crate::recorder::Recorder;
use crate::runtime_api::{ApiEvent, Invocation, RuntimeApi};
use crate::stack::CallLog;

/// How to start one function.
#[derive(Debug, Clone)]
pub struct Launch {
    pub function_name: String,
    /// The program: the function binary, or an interpreter (with `args`).
    pub binary: PathBuf,
    pub args: Vec<String>,
    /// Working directory (Lambda's task root for an interpreted function).
    pub cwd: Option<PathBuf>,
    pub memory_mb: u32,
    pub region: String,
    /// The function's own configuration (template variables, overrides) and the AWS
    /// endpoints; without `AWS_ENDPOINT_URL`, every AWS call goes to the recorder.
    pub vars: BTreeMap<String, String>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub event: Bytes,
    /// How many times the event is served (1 for a cold start).
    pub invocations: u32,
    pub limits: Limits,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest wait for the first `/next`.
    pub init: Duration,
    /// Longest wait for the invocation's response or error (also the deadline passed).
    pub invoke: Duration,
    /// Longest wait for the second `/next` after the response.
    pub idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            init: Duration::from_secs(10),
            invoke: Duration::from_secs(30),
            idle: Duration::from_secs(5),
        }
    }
}

/// How the one invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `/response` posted; for an API Gateway response, its `statusCode`.
    Response {
        status_code: Option<u16>,
        body: String,
    },
    /// `/error` posted, with the body's `errorType` (else `Lambda-Runtime-Function-Error-Type`).
    Error { error_type: String, message: String },
}

impl Outcome {
    /// The answer as the tables show it: an API Gateway response's `statusCode`, the
    /// count of an SQS partial batch response's `batchItemFailures` (records the
    /// function could not process), `ok` for any other response, or `error <type>`.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Response {
                status_code: Some(code),
                ..
            } => code.to_string(),
            Outcome::Response { body, .. } => match failed_records(body.as_bytes()) {
                0 => "ok".into(),
                n => format!("{n} batchItemFailures"),
            },
            Outcome::Error { error_type, .. } => format!("error {}", short_type(error_type)),
        }
    }
}

/// One cold start that reached `/next`.
#[derive(Debug, Clone)]
pub struct Sample {
    /// exec to the first `GET /next`.
    pub init: Duration,
    /// Event served to response or error received.
    pub invoke: Duration,
    pub outcome: Outcome,
    /// `VmHWM` once the function was idle again (`None`: it never asked for more work).
    pub peak_rss_kib: Option<u64>,
    /// Connections to an AWS endpoint or the recorder before the first `/next` (each one
    /// a violation).
    pub init_calls: Vec<String>,
    /// Connections made during the invocation.
    pub invoke_calls: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start the harness or the binary {0}")]
    Io(#[from] std::io::Error),
    #[error("init failed: the function posted /init/error ({error_type}): {body}{output}")]
    InitError {
        error_type: String,
        body: String,
        output: String,
    },
    #[error("the function exited ({status}) before asking for an event{output}")]
    Exited { status: String, output: String },
    #[error("no {what} within {limit:?}{output}")]
    Timeout {
        what: &'static str,
        limit: Duration,
        output: String,
    },
}

/// Runs one cold start: start the Runtime API and recorder, exec the binary, serve one
/// event, read the peak RSS once the function asks for the next one, kill it.
/// Connections are read from `log` (the stack's fronts write to it; so does the recorder).
pub async fn cold_start(launch: &Launch, log: &CallLog) -> Result<Sample, RunError> {
    run(launch, log, Stop::Kill).await
}

/// How a run ends once the function is idle.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    Kill,
    /// SIGTERM, and wait for the process to finish (valgrind writes its profile then).
    Terminate,
}

/// The instructions (valgrind's callgrind, `Ir`) the function executes from exec until
/// it is idle after serving `launch.invocations` events, and the run's sample.
/// `out` receives callgrind's profile.
pub async fn instructions(
    launch: &Launch,
    log: &CallLog,
    out: &std::path::Path,
) -> Result<(Sample, u64), RunError> {
    let mut under = launch.clone();
    under.binary = PathBuf::from("valgrind");
    under.args = vec![
        "--tool=callgrind".into(),
        format!("--callgrind-out-file={}", out.display()),
        launch.binary.display().to_string(),
    ];
    under.args.extend(launch.args.iter().cloned());
    let slow = |d: Duration| d * 100;
    under.limits = Limits {
        init: slow(launch.limits.init),
        invoke: slow(launch.limits.invoke),
        idle: slow(launch.limits.idle),
    };
    let sample = run(&under, log, Stop::Terminate).await?;
    let profile = std::fs::read_to_string(out)?;
    let total = profile
        .lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("{}: no totals line", out.display())))?;
    Ok((sample, total))
}

async fn run(launch: &Launch, log: &CallLog, stop: Stop) -> Result<Sample, RunError> {
    let recorder = Recorder::start(log.clone()).await?;
    let mut invocation = Invocation::new(
        &launch.function_name,
        &launch.region,
        launch.event.clone(),
        launch.limits.invoke,
    );
    invocation.count = launch.invocations.max(1);
    let (api, mut events) = RuntimeApi::start(invocation).await?;
    let mut command = command(launch, &api.address(), &recorder.url());
    let output = Output::default();

    let started = Instant::now();
    let mut child = command.spawn()?;
    output.collect(child.stdout.take());
    output.collect(child.stderr.take());

    let result = drive(launch, &mut child, &mut events, started, &output).await;
    match (stop, child.id()) {
        (Stop::Terminate, Some(pid)) if result.is_ok() => {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
            let _ = tokio::time::timeout(launch.limits.idle, child.wait()).await;
        }
        _ => {}
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    let (init, invoke, outcome, peak_rss_kib, first_next_at) = result?;

    let init_calls = log
        .between(started, Some(first_next_at))
        .into_iter()
        .map(|c| c.what)
        .collect();
    let invoke_calls = log.between(first_next_at, None).len();
    Ok(Sample {
        init,
        invoke,
        outcome,
        peak_rss_kib,
        init_calls,
        invoke_calls,
    })
}

type Driven = (Duration, Duration, Outcome, Option<u64>, Instant);

fn init_error(error_type: Option<String>, body: &[u8], output: &Output) -> RunError {
    RunError::InitError {
        error_type: error_type.unwrap_or_default(),
        body: String::from_utf8_lossy(body).into_owned(),
        output: output.tail(),
    }
}

async fn drive(
    launch: &Launch,
    child: &mut Child,
    events: &mut UnboundedReceiver<ApiEvent>,
    started: Instant,
    output: &Output,
) -> Result<Driven, RunError> {
    let limits = launch.limits;
    let pid = child.id();

    // 1. init: until the first /next (or /init/error, or exit)
    let first_next_at = loop {
        let event = tokio::select! {
            event = events.recv() => event,
            status = child.wait() => {
                tokio::time::sleep(Duration::from_millis(50)).await; // let the pipes drain
                // A function that posted /init/error and then exited reports that error,
                // whichever of the two the select saw first.
                while let Ok(event) = events.try_recv() {
                    if let ApiEvent::InitError { error_type, body } = event {
                        return Err(init_error(error_type, &body, output));
                    }
                }
                return Err(RunError::Exited {
                    status: status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
                    output: output.tail(),
                });
            }
            _ = tokio::time::sleep_until((started + limits.init).into()) => None,
        };
        match event {
            Some(ApiEvent::Next { at, .. }) => break at,
            Some(ApiEvent::InitError { error_type, body }) => {
                let _ = tokio::time::timeout(Duration::from_millis(200), child.wait()).await;
                return Err(init_error(error_type, &body, output));
            }
            Some(_) => continue,
            None => {
                return Err(RunError::Timeout {
                    what: "GET /next",
                    limit: limits.init,
                    output: output.tail(),
                })
            }
        }
    };
    let init = first_next_at - started;

    // 2. the invocations: served -> response/error, `invocations` times; the first is timed
    let deadline = tokio::time::Instant::now() + limits.invoke;
    let mut first = None;
    for _ in 0..launch.invocations.max(1) {
        let mut served_at = None;
        let (done_at, outcome) = loop {
            let event = tokio::select! {
                event = events.recv() => event,
                _ = tokio::time::sleep_until(deadline) => None,
            };
            match event {
                Some(ApiEvent::Served { at }) => served_at = Some(at),
                Some(ApiEvent::Response { at, body }) => {
                    break (
                        at,
                        Outcome::Response {
                            status_code: status_code(&body),
                            body: String::from_utf8_lossy(&body).into_owned(),
                        },
                    )
                }
                Some(ApiEvent::Error {
                    at,
                    error_type,
                    body,
                }) => {
                    let (body_type, message) = diagnostic(&body);
                    let error_type = body_type
                        .or(error_type)
                        .filter(|t| !t.is_empty())
                        .unwrap_or_else(|| "unknown".into());
                    break (
                        at,
                        Outcome::Error {
                            error_type,
                            message,
                        },
                    );
                }
                Some(_) => continue,
                None => {
                    return Err(RunError::Timeout {
                        what: "invocation response",
                        limit: limits.invoke,
                        output: output.tail(),
                    })
                }
            }
        };
        if first.is_none() {
            first = Some((done_at - served_at.unwrap_or(first_next_at), outcome));
        }
    }
    let (invoke, outcome) = first.ok_or_else(|| RunError::Timeout {
        what: "invocation response",
        limit: limits.invoke,
        output: output.tail(),
    })?;

    // 3. idle: the second /next; then the peak RSS of the whole life so far
    let idle = tokio::time::timeout(limits.idle, async {
        while let Some(event) = events.recv().await {
            if matches!(event, ApiEvent::Next { count, .. } if count > launch.invocations.max(1)) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    let peak_rss_kib = if idle {
        pid.and_then(procfs::peak_rss_kib)
    } else {
        None
    };
    Ok((init, invoke, outcome, peak_rss_kib, first_next_at))
}

/// The Lambda execution environment for a custom runtime: nothing inherited from this
/// process, the reserved variables Lambda sets, the function's own variables, and every
/// way out of the process (SDK endpoints, instance metadata, HTTP proxies) pointing at
/// the recorder.
fn command(launch: &Launch, runtime_api: &str, recorder: &str) -> Command {
    let mut cmd = Command::new(&launch.binary);
    cmd.args(&launch.args);
    if let Some(dir) = &launch.cwd {
        cmd.current_dir(dir);
    }
    cmd.env_clear();
    let task_root = launch
        .cwd
        .as_deref()
        .or(launch.binary.parent())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let name = &launch.function_name;
    let memory = launch.memory_mb.to_string();
    let log_group = format!("/aws/lambda/{name}");
    let reserved = [
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("LANG", "en_US.UTF-8"),
        ("TZ", ":UTC"),
        ("LAMBDA_TASK_ROOT", task_root.as_str()),
        ("LAMBDA_RUNTIME_DIR", task_root.as_str()),
        ("_HANDLER", "bootstrap"),
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", name),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.as_str()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", log_group.as_str()),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]lambdabench",
        ),
        ("AWS_REGION", launch.region.as_str()),
        ("AWS_DEFAULT_REGION", launch.region.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_SESSION_TOKEN", "test"),
        ("AWS_ENDPOINT_URL", recorder),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", recorder),
        // anything bound elsewhere than loopback (the stack) goes to the recorder
        ("HTTP_PROXY", recorder),
        ("HTTPS_PROXY", recorder),
        ("ALL_PROXY", recorder),
        ("http_proxy", recorder),
        ("https_proxy", recorder),
        ("all_proxy", recorder),
        ("NO_PROXY", "127.0.0.1,localhost"),
        ("no_proxy", "127.0.0.1,localhost"),
    ];
    cmd.envs(reserved.iter().map(|(k, v)| (k, v)));
    cmd.envs(&launch.vars);
    if let Some(format) = &launch.log_format {
        cmd.env("AWS_LAMBDA_LOG_FORMAT", format);
    }
    if let Some(level) = &launch.log_level {
        cmd.env("AWS_LAMBDA_LOG_LEVEL", level);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// `statusCode` of an API Gateway proxy response body.
fn status_code(body: &[u8]) -> Option<u16> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("statusCode")?.as_u64()?.try_into().ok()
}

/// `DeserializeError` for `&lambda_runtime::deserializer::DeserializeError`, `Box` for
/// `&alloc::boxed::Box<dyn core::error::Error + …>` (lambda_runtime sends Rust type names).
fn short_type(error_type: &str) -> &str {
    let t = error_type.trim_start_matches('&');
    let t = t.split('<').next().unwrap_or(t);
    t.rsplit("::").next().unwrap_or(t)
}

/// How many records an SQS partial batch response reports as failed (0 for any other body).
fn failed_records(body: &[u8]) -> usize {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("batchItemFailures")?.as_array().map(Vec::len))
        .unwrap_or(0)
}

/// `errorType` and `errorMessage` of a Lambda diagnostic body (else the raw body).
fn diagnostic(body: &[u8]) -> (Option<String>, String) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, String::from_utf8_lossy(body).into_owned());
    };
    let field = |k: &str| v.get(k).and_then(|t| t.as_str()).map(str::to_string);
    (
        field("errorType"),
        field("errorMessage").unwrap_or_else(|| v.to_string()),
    )
}

/// The last few KiB the function wrote to stdout/stderr, for error reports.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<u8>>>);

const TAIL: usize = 2048;

impl Output {
    fn collect(&self, pipe: Option<impl AsyncRead + Unpin + Send + 'static>) {
        let Some(mut pipe) = pipe else { return };
        let out = self.0.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
                out.extend_from_slice(&buf[..n]);
                if out.len() > 2 * TAIL {
                    let cut = out.len() - TAIL;
                    out.drain(..cut);
                }
            }
        });
    }

    fn tail(&self) -> String {
        let out = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let start = out.len().saturating_sub(TAIL);
        let text = String::from_utf8_lossy(&out[start..]).trim().to_string();
        if text.is_empty() {
            String::new()
        } else {
            format!("; output: {text}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_code_is_read_from_an_api_gateway_response() {
        assert_eq!(status_code(br#"{"statusCode":404,"body":"x"}"#), Some(404));
        assert_eq!(status_code(br#"{"ok":true}"#), None);
        assert_eq!(status_code(b"not json"), None);
    }

    #[test]
    fn rust_type_names_in_error_types_are_shortened() {
        assert_eq!(
            short_type("&lambda_runtime::deserializer::DeserializeError"),
            "DeserializeError"
        );
        assert_eq!(
            short_type("&alloc::boxed::Box<dyn core::error::Error + core::marker::Send>"),
            "Box"
        );
        assert_eq!(short_type("Hangar.AwsError"), "Hangar.AwsError");
    }

    #[test]
    fn a_partial_batch_response_shows_its_failed_records_not_ok() {
        let response = |body: &str| Outcome::Response {
            status_code: None,
            body: body.to_string(),
        };
        let failed = r#"{"batchItemFailures":[{"itemIdentifier":"m1"},{"itemIdentifier":"m2"}]}"#;
        assert_eq!(response(failed).describe(), "2 batchItemFailures");
        assert_eq!(response(r#"{"batchItemFailures":[]}"#).describe(), "ok");
        assert_eq!(response("null").describe(), "ok");
    }

    #[test]
    fn error_type_and_message_are_read_from_a_diagnostic_body() {
        assert_eq!(
            diagnostic(br#"{"errorType":"Config","errorMessage":"m"}"#),
            (Some("Config".to_string()), "m".to_string())
        );
        assert_eq!(diagnostic(b"{}"), (None, "{}".to_string()));
        assert_eq!(diagnostic(b"oops"), (None, "oops".to_string()));
    }
}
