//! CodeDeploy on loopback for Lambda deployments, used by `hangar rollout` and the
//! tests. moto has no Lambda deployments and no lifecycle hooks; this does just those:
//!
//! - the local side: [`LocalCodeDeploy::create_deployment`] (a function, its alias, the
//!   current and the target version), [`LocalCodeDeploy::start_hook`] (a
//!   `BeforeAllowTraffic` or `AfterAllowTraffic` hook execution, whose id goes into the
//!   lifecycle event CodeDeploy sends the hook function), the traffic weight, and what
//!   each hook reported;
//! - the wire side, CodeDeploy's JSON 1.1 protocol (`X-Amz-Target:
//!   CodeDeploy_20141006.<Operation>`) for the operations a hook calls:
//!   `PutLifecycleEventHookExecutionStatus`, `ListDeploymentTargets`,
//!   `GetDeploymentTarget`, with CodeDeploy's errors (`DeploymentDoesNotExistException`,
//!   `InvalidLifecycleEventHookExecutionIdException`,
//!   `LifecycleEventAlreadyCompletedException`,
//!   `InvalidLifecycleEventHookExecutionStatusException`: a hook may report only
//!   Succeeded or Failed, once).
//!
//! - the same local side over HTTP, for a stack that runs in another process (`hangar
//!   dev`): `POST /hooks` with `{"functionName", "alias", "currentVersion",
//!   "targetVersion", "lifecycleEvent"}` starts a hook execution of a new deployment and
//!   answers the lifecycle event to invoke the hook with; `GET /deployments` shows every
//!   deployment, its hook executions and what each reported. (Not part of CodeDeploy's
//!   API: its paths are not `/`, where the JSON protocol is served.)
//!
//! Member names and error codes follow botocore's `codedeploy/2014-10-06` model. It
//! listens on 127.0.0.1 only: anyone who can reach loopback may use it, as with every
//! local stand-in; it holds nothing but deployments it was asked to start.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Notify;

/// The Lambda function a deployment shifts, as `GetDeploymentTarget` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaTarget {
    pub function_name: String,
    pub alias: String,
    pub current_version: String,
    pub target_version: String,
}

/// A hook execution's report, as the hook sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub deployment_id: String,
    pub execution_id: String,
    pub status: String,
}

/// The ids a lifecycle event carries to the hook function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookExecution {
    pub deployment_id: String,
    pub execution_id: String,
}

impl HookExecution {
    /// The event CodeDeploy invokes a hook function with.
    pub fn event(&self) -> Value {
        json!({
            "DeploymentId": self.deployment_id,
            "LifecycleEventHookExecutionId": self.execution_id,
        })
    }
}

struct Deployment {
    target: LambdaTarget,
    weight: f64,
    status: &'static str,
    /// execution id -> (lifecycle event name, status)
    hooks: BTreeMap<String, (String, String)>,
}

#[derive(Default)]
struct State {
    deployments: BTreeMap<String, Deployment>,
    reports: Vec<Report>,
}

struct Shared {
    state: Mutex<State>,
    reported: Notify,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn create_deployment(&self, target: LambdaTarget) -> String {
        let id = format!(
            "d-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..9].to_uppercase()
        );
        self.state().deployments.insert(
            id.clone(),
            Deployment {
                target,
                weight: 0.0,
                status: "InProgress",
                hooks: BTreeMap::new(),
            },
        );
        id
    }

    fn start_hook(&self, deployment_id: &str, lifecycle_event: &str) -> Option<HookExecution> {
        let mut state = self.state();
        let deployment = state.deployments.get_mut(deployment_id)?;
        let execution_id = uuid::Uuid::new_v4().to_string();
        deployment.hooks.insert(
            execution_id.clone(),
            (lifecycle_event.to_string(), "Pending".to_string()),
        );
        Some(HookExecution {
            deployment_id: deployment_id.to_string(),
            execution_id,
        })
    }
}

/// The lifecycle events a Lambda deployment's hooks run at.
const LIFECYCLE_EVENTS: [&str; 2] = ["BeforeAllowTraffic", "AfterAllowTraffic"];

/// `POST /hooks`: a new deployment of the function named in the body, and a hook
/// execution of it; answers the lifecycle event CodeDeploy would invoke the hook with.
fn start_hook_over_http(shared: &Shared, body: &str) -> Answer {
    let invalid = |message: String| answer(StatusCode::BAD_REQUEST, json!({"error": message}));
    let Ok(request) = serde_json::from_str::<Value>(body) else {
        return invalid("the body is not a JSON object".into());
    };
    let field = |name: &str| -> Result<String, Answer> {
        match request.get(name).and_then(Value::as_str) {
            Some(v) if !v.is_empty() => Ok(v.to_string()),
            _ => Err(invalid(format!("{name} is required (a non-empty string)"))),
        }
    };
    let target = (|| {
        Ok::<_, Answer>(LambdaTarget {
            function_name: field("functionName")?,
            alias: field("alias")?,
            current_version: field("currentVersion")?,
            target_version: field("targetVersion")?,
        })
    })();
    let (target, event) = match (target, field("lifecycleEvent")) {
        (Ok(t), Ok(e)) => (t, e),
        (Err(a), _) | (_, Err(a)) => return a,
    };
    if !LIFECYCLE_EVENTS.contains(&event.as_str()) {
        return invalid(format!(
            "lifecycleEvent must be one of {LIFECYCLE_EVENTS:?}, not {event:?}"
        ));
    }
    let id = shared.create_deployment(target);
    match shared.start_hook(&id, &event) {
        Some(execution) => answer(StatusCode::OK, execution.event()),
        None => invalid(format!("deployment {id} vanished")),
    }
}

/// `GET /deployments`: every deployment, its hook executions and the reports received.
fn deployments(shared: &Shared) -> Value {
    let state = shared.state();
    let deployments: Vec<Value> = state
        .deployments
        .iter()
        .map(|(id, d)| {
            json!({
                "deploymentId": id,
                "status": d.status,
                "functionName": d.target.function_name,
                "alias": d.target.alias,
                "currentVersion": d.target.current_version,
                "targetVersion": d.target.target_version,
                "targetVersionWeight": d.weight,
                "hooks": d.hooks.iter().map(|(execution, (event, status))| json!({
                    "lifecycleEventHookExecutionId": execution,
                    "lifecycleEvent": event,
                    "status": status,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"deployments": deployments})
}

/// A running local CodeDeploy; stops when dropped.
pub struct LocalCodeDeploy {
    url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LocalCodeDeploy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LocalCodeDeploy {
    /// Serves on 127.0.0.1 and a free port.
    pub async fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            reported: Notify::new(),
        });
        let served = Arc::clone(&shared);
        let hooks = Arc::clone(&shared);
        let listed = Arc::clone(&shared);
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::post(move |headers: HeaderMap, body: String| {
                    let shared = Arc::clone(&served);
                    async move { dispatch(&shared, &headers, &body) }
                }),
            )
            .route(
                "/hooks",
                axum::routing::post(move |body: String| {
                    let shared = Arc::clone(&hooks);
                    async move { start_hook_over_http(&shared, &body) }
                }),
            )
            .route(
                "/deployments",
                axum::routing::get(move || {
                    let shared = Arc::clone(&listed);
                    async move { answer(StatusCode::OK, deployments(&shared)) }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "local CodeDeploy stopped");
            }
        });
        Ok(LocalCodeDeploy { url, shared, task })
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_CODEDEPLOY`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A new deployment of `target` (at weight 0); its id, `d-` and nine characters.
    pub fn create_deployment(&self, target: LambdaTarget) -> String {
        self.shared.create_deployment(target)
    }

    /// Starts the `lifecycle_event` hook (`BeforeAllowTraffic`, `AfterAllowTraffic`) of
    /// `deployment_id`; `None` for an unknown deployment.
    pub fn start_hook(&self, deployment_id: &str, lifecycle_event: &str) -> Option<HookExecution> {
        self.shared.start_hook(deployment_id, lifecycle_event)
    }

    /// Sets the share of traffic (0.0..=1.0) the target version gets.
    pub fn set_weight(&self, deployment_id: &str, weight: f64) {
        if let Some(d) = self.shared.state().deployments.get_mut(deployment_id) {
            d.weight = weight.clamp(0.0, 1.0);
        }
    }

    /// Ends a deployment: `Succeeded`, `Failed` or `Stopped`.
    pub fn finish(&self, deployment_id: &str, status: &'static str) {
        if let Some(d) = self.shared.state().deployments.get_mut(deployment_id) {
            d.status = status;
        }
    }

    /// Every report received, in order.
    pub fn reports(&self) -> Vec<Report> {
        self.shared.state().reports.clone()
    }

    /// What `execution_id` reported, waiting up to `timeout` for it; `None` if nothing.
    pub async fn wait_for_report(&self, execution_id: &str, timeout: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.reported.notified();
            if let Some(r) = self
                .reports()
                .into_iter()
                .find(|r| r.execution_id == execution_id)
            {
                return Some(r.status);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

type Answer = (StatusCode, [(&'static str, &'static str); 1], String);

fn answer(status: StatusCode, body: Value) -> Answer {
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        body.to_string(),
    )
}

fn error(code: &str, message: impl Into<String>) -> Answer {
    answer(
        StatusCode::BAD_REQUEST,
        json!({"__type": code, "message": message.into()}),
    )
}

fn dispatch(shared: &Shared, headers: &HeaderMap, body: &str) -> Answer {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Ok(request) = serde_json::from_str::<Value>(body) else {
        return error("SerializationException", "the body is not JSON");
    };
    let text = |name: &str| request.get(name).and_then(Value::as_str);
    let Some(deployment_id) = text("deploymentId") else {
        return error("DeploymentIdRequiredException", "deploymentId is required");
    };
    let mut state = shared.state();
    let Some(deployment) = state.deployments.get_mut(deployment_id) else {
        return error(
            "DeploymentDoesNotExistException",
            format!("The deployment {deployment_id} could not be found."),
        );
    };
    let target_id = format!(
        "{}:{}",
        deployment.target.function_name, deployment.target.alias
    );
    match target.strip_prefix("CodeDeploy_20141006.") {
        Some("PutLifecycleEventHookExecutionStatus") => {
            let Some(execution_id) = text("lifecycleEventHookExecutionId") else {
                return error(
                    "InvalidLifecycleEventHookExecutionIdException",
                    "lifecycleEventHookExecutionId is required",
                );
            };
            let status = text("status").unwrap_or_default();
            if !["Succeeded", "Failed"].contains(&status) {
                return error(
                    "InvalidLifecycleEventHookExecutionStatusException",
                    format!("a hook may report Succeeded or Failed, not {status:?}"),
                );
            }
            let Some((_, current)) = deployment.hooks.get_mut(execution_id) else {
                return error(
                    "InvalidLifecycleEventHookExecutionIdException",
                    format!("no hook execution {execution_id} in {deployment_id}"),
                );
            };
            if current != "Pending" {
                return error(
                    "LifecycleEventAlreadyCompletedException",
                    format!("hook execution {execution_id} already reported {current}"),
                );
            }
            *current = status.to_string();
            state.reports.push(Report {
                deployment_id: deployment_id.to_string(),
                execution_id: execution_id.to_string(),
                status: status.to_string(),
            });
            drop(state);
            shared.reported.notify_waiters();
            answer(
                StatusCode::OK,
                json!({"lifecycleEventHookExecutionId": execution_id}),
            )
        }
        Some("ListDeploymentTargets") => answer(StatusCode::OK, json!({"targetIds": [target_id]})),
        Some("GetDeploymentTarget") => {
            if text("targetId") != Some(target_id.as_str()) {
                return error(
                    "DeploymentTargetDoesNotExistException",
                    format!("no target {:?} in {deployment_id}", text("targetId")),
                );
            }
            let t = &deployment.target;
            let events: Vec<Value> = deployment
                .hooks
                .values()
                .map(|(name, status)| json!({"lifecycleEventName": name, "status": status}))
                .collect();
            answer(
                StatusCode::OK,
                json!({"deploymentTarget": {
                    "deploymentTargetType": "LambdaTarget",
                    "lambdaTarget": {
                        "deploymentId": deployment_id,
                        "targetId": target_id,
                        "targetArn": format!("arn:aws:lambda:us-east-1:123456789012:function:{target_id}"),
                        "status": deployment.status,
                        "lifecycleEvents": events,
                        "lambdaFunctionInfo": {
                            "functionName": t.function_name,
                            "functionAlias": t.alias,
                            "currentVersion": t.current_version,
                            "targetVersion": t.target_version,
                            "targetVersionWeight": deployment.weight,
                        },
                    },
                }}),
            )
        }
        _ => error(
            "UnknownOperationException",
            format!("{target} is not served here"),
        ),
    }
}
