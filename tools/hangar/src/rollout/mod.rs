//! `hangar rollout`: a gradual deployment of the API functions rehearsed on the
//! local stack, the way CodeDeploy runs one in AWS. Each API function (template.yaml)
//! gets an alias `live` in front of two versions, the running one and the new one; the
//! local API routes every request through the alias. The rehearsal then runs the real
//! PreTraffic hook (`hangar_deploy`, invoking the new versions through the local Lambda
//! service and reporting to the local CodeDeploy), shifts the aliases' traffic as the
//! `DeploymentType` says (a minute lasts `minute`), watches the template's alarm rules
//! on the local metrics of the new versions meanwhile, runs the real PostTraffic hook
//! per function, and rolls back (all traffic to the running version) on an alarm or a
//! failed hook. Every step is printed.

pub mod alarms;
pub mod cli;
pub mod function;
pub mod metrics;
pub mod plan;
pub mod template;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use hangar_deploy::codedeploy::CodeDeploy;
use hangar_deploy::config::{PostTrafficConfig, PreTrafficConfig, Target};
use hangar_deploy::lambda::Lambda;
use hangar_deploy::post_traffic::PostTraffic;
use hangar_deploy::pre_traffic::PreTraffic;
use hangar_deploy::{Deploy, HookOutcome};
use hangar_lambda::metrics::FunctionVersion;
use lambda_http::http::Method;
use local_codedeploy::{LambdaTarget, LocalCodeDeploy};
use local_gateway::{Authorizer, Handler, Route, RunningGateway, TokenKey};

pub use alarms::Thresholds;
pub use plan::DeploymentType;
pub use template::ApiFunction;

/// The account of the local ARNs.
const ACCOUNT: &str = "123456789012";

/// One version of the API functions: its number and a handler per binary name.
#[derive(Clone)]
pub struct Version {
    pub number: String,
    pub handlers: BTreeMap<String, Handler>,
}

/// A function's alias: the running version, the new one, the new one's share.
pub struct Alias {
    binary: String,
    live: (String, Handler),
    new: (String, Handler),
    percent: AtomicU32,
    seq: AtomicU64,
    recorder: metrics::Recorder,
}

impl Alias {
    /// The version the next request goes to: of every 100 requests, the first
    /// `percent` go to the new version.
    fn pick(&self) -> &(String, Handler) {
        let n = self.seq.fetch_add(1, Ordering::Relaxed) % 100;
        if n < u64::from(self.percent.load(Ordering::Relaxed)) {
            &self.new
        } else {
            &self.live
        }
    }

    fn id(&self, version: &str) -> FunctionVersion {
        FunctionVersion {
            function: self.binary.clone(),
            version: version.to_string(),
        }
    }

    /// Runs one payload-2.0 event through the alias (what Lambda does for `fn:live`).
    async fn invoke(
        &self,
        version: Option<&str>,
        event: serde_json::Value,
    ) -> Result<serde_json::Value, lambda_runtime::Diagnostic> {
        let (number, handler) = match version {
            Some(v) if v == self.new.0 => &self.new,
            Some(v) if v == self.live.0 => &self.live,
            Some(v) => {
                return Err(lambda_runtime::Diagnostic::from(format!(
                    "{} has no version {v}",
                    self.binary
                )))
            }
            None => self.pick(),
        };
        let (outcome, inv) = function::invoke_as(handler, self.id(number), event).await;
        self.recorder
            .invocation(self.id(number), inv.failed, inv.duration_ms);
        outcome
    }
}

/// The gateway handler of an alias: the request goes to the version [`Alias::pick`]s.
fn alias_handler(alias: Arc<Alias>) -> Handler {
    Arc::new(move |request| {
        let alias = Arc::clone(&alias);
        Box::pin(async move {
            let (number, handler) = alias.pick().clone();
            let id = alias.id(&number);
            let started = std::time::Instant::now();
            let outcome = tokio::spawn(hangar_lambda::metrics::scope(id.clone(), handler(request)))
                .await
                .unwrap_or_else(|e| Err(format!("the function panicked: {e}").into()));
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            alias.recorder.invocation(id, outcome.is_err(), ms);
            outcome
        })
    })
}

/// How a rehearsal ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    RolledBack(String),
}

/// How to rehearse.
#[derive(Debug, Clone)]
pub struct RolloutConfig {
    pub deployment_type: DeploymentType,
    /// How long a simulated minute lasts (alarm periods and holds).
    pub minute: Duration,
    pub thresholds: Thresholds,
}

/// The local API with aliases, the local Lambda service and CodeDeploy of one rehearsal.
pub struct Rehearsal {
    functions: Vec<ApiFunction>,
    aliases: BTreeMap<String, Arc<Alias>>,
    new_version: String,
    live_version: String,
    lambda: local_lambda::LocalLambda,
    codedeploy: LocalCodeDeploy,
    gateway: RunningGateway,
    region: String,
}

fn method(m: &str) -> Result<Method, String> {
    Method::from_bytes(m.as_bytes()).map_err(|_| format!("{m} is not an HTTP method"))
}

/// The authorizer a route has in template.yaml: `/version` is public, the server API is
/// IAM, every other route the players' JWT.
fn authorizer_of(f: &ApiFunction) -> Authorizer {
    if f.path == "/version" {
        Authorizer::None
    } else if f.path.starts_with("/v1/server/") {
        Authorizer::Server
    } else {
        Authorizer::Player
    }
}

impl Rehearsal {
    /// Serves the local API on `listener` with every function of `functions` behind its
    /// alias (`live` -> `new` at 0 %), plus `extra` routes as they are.
    pub async fn start(
        functions: Vec<ApiFunction>,
        live: Version,
        new: Version,
        key: TokenKey,
        listener: tokio::net::TcpListener,
        extra: Vec<Route>,
        region: &str,
    ) -> Result<Rehearsal, String> {
        let recorder = metrics::Recorder::global();
        let mut aliases = BTreeMap::new();
        let mut routes = extra;
        let mut registry = local_lambda::Registry::new();
        for f in &functions {
            let (Some(l), Some(n)) = (live.handlers.get(&f.binary), new.handlers.get(&f.binary))
            else {
                return Err(format!(
                    "{} ({}) has no handler in both versions",
                    f.binary,
                    f.route_key()
                ));
            };
            let alias = Arc::new(Alias {
                binary: f.binary.clone(),
                live: (live.number.clone(), l.clone()),
                new: (new.number.clone(), n.clone()),
                percent: AtomicU32::new(0),
                seq: AtomicU64::new(0),
                recorder: recorder.clone(),
            });
            routes.push(Route::new(
                method(&f.method)?,
                f.path.clone(),
                authorizer_of(f),
                alias_handler(Arc::clone(&alias)),
            ));
            for qualifier in [live.number.clone(), new.number.clone(), "live".to_string()] {
                let alias = Arc::clone(&alias);
                let version = (qualifier != "live").then(|| qualifier.clone());
                registry.register(format!("{}:{qualifier}", f.binary), move |event| {
                    let alias = Arc::clone(&alias);
                    let version = version.clone();
                    async move { alias.invoke(version.as_deref(), event).await }
                });
            }
            aliases.insert(f.binary.clone(), alias);
        }
        let lambda =
            local_lambda::serve(registry, "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?)
                .await
                .map_err(|e| e.to_string())?;
        let codedeploy = LocalCodeDeploy::start()
            .await
            .map_err(|e| format!("local CodeDeploy: {e}"))?;
        let gateway =
            local_gateway::serve(listener, routes, key).map_err(|e| format!("local API: {e}"))?;
        Ok(Rehearsal {
            functions,
            aliases,
            new_version: new.number,
            live_version: live.number,
            lambda,
            codedeploy,
            gateway,
            region: region.to_string(),
        })
    }

    /// `http://127.0.0.1:<port>` of the local API.
    pub fn api_url(&self) -> String {
        self.gateway.url()
    }

    /// The local CodeDeploy (its deployments and the hooks' reports).
    pub fn codedeploy(&self) -> &LocalCodeDeploy {
        &self.codedeploy
    }

    fn set_percent(&self, deployments: &BTreeMap<String, String>, percent: u32) {
        for (binary, alias) in &self.aliases {
            alias.percent.store(percent, Ordering::Relaxed);
            if let Some(id) = deployments.get(binary) {
                self.codedeploy.set_weight(id, f64::from(percent) / 100.0);
            }
        }
    }

    fn targets(&self) -> Vec<Target> {
        self.functions
            .iter()
            .map(|f| Target {
                name: f.binary.clone(),
                arn: format!(
                    "arn:aws:lambda:{}:{ACCOUNT}:function:{}:{}",
                    self.region, f.binary, self.new_version
                ),
            })
            .collect()
    }

    /// Rehearses the rollout; `print` gets one line per step.
    pub async fn run(&self, config: &RolloutConfig, mut print: impl FnMut(&str)) -> Outcome {
        let lambda_sdk =
            crate::dev::local_sdk_config(&self.lambda.endpoint_url(), &self.region).await;
        let codedeploy_sdk =
            crate::dev::local_sdk_config(&self.codedeploy.url(), &self.region).await;
        let lambda = Lambda::new(&lambda_sdk);
        let codedeploy = CodeDeploy::new(&codedeploy_sdk);
        let budget = config.minute.max(Duration::from_secs(30));
        let pre = Deploy::new(
            codedeploy.clone(),
            Ok(PreTraffic::new(
                PreTrafficConfig {
                    targets: self.targets(),
                    invoke_timeout: Duration::from_secs(10),
                    budget,
                },
                lambda.clone(),
            )),
        );
        let post = Deploy::new(
            codedeploy.clone(),
            Ok(PostTraffic::new(
                PostTrafficConfig {
                    functions: self.targets(),
                    url: format!("{}/version", self.api_url()),
                    requests: 20,
                    concurrency: 4,
                    max_error_rate: 0.0,
                    request_timeout: Duration::from_secs(10),
                    budget,
                },
                codedeploy.clone(),
                lambda,
                reqwest::Client::new(),
            )),
        );
        print(&format!(
            "rollout: {} of {} API functions, version {} -> {}",
            config.deployment_type.name(),
            self.functions.len(),
            self.live_version,
            self.new_version
        ));
        let deployments: BTreeMap<String, String> = self
            .functions
            .iter()
            .map(|f| {
                let id = self.codedeploy.create_deployment(LambdaTarget {
                    function_name: f.binary.clone(),
                    alias: "live".into(),
                    current_version: self.live_version.clone(),
                    target_version: self.new_version.clone(),
                });
                (f.binary.clone(), id)
            })
            .collect();

        for (binary, id) in &deployments {
            let outcome = self.hook(&pre, id, "BeforeAllowTraffic").await;
            print(&format!(
                "  PreTraffic  {binary:<22} {id}: {}",
                describe(&outcome)
            ));
            if !matches!(outcome, Ok(HookOutcome::Succeeded(_))) {
                return self.roll_back(
                    &deployments,
                    format!("PreTraffic failed for {binary}"),
                    &mut print,
                );
            }
        }
        for step in config.deployment_type.steps() {
            self.set_percent(&deployments, step.percent);
            print(&format!(
                "  shift       {}% of traffic to version {}",
                step.percent, self.new_version
            ));
            let hold = plan::hold(step.hold_minutes, config.minute);
            let tick = (config.minute / 4).max(Duration::from_millis(20));
            let deadline = tokio::time::Instant::now() + hold;
            loop {
                tokio::time::sleep(tick.min(hold.max(tick))).await;
                if let Some(alarm) = self.alarm(config) {
                    print(&format!("  ALARM       {alarm}"));
                    return self.roll_back(&deployments, alarm, &mut print);
                }
                if tokio::time::Instant::now() >= deadline {
                    break;
                }
            }
        }
        for (binary, id) in &deployments {
            let outcome = self.hook(&post, id, "AfterAllowTraffic").await;
            print(&format!(
                "  PostTraffic {binary:<22} {id}: {}",
                describe(&outcome)
            ));
            if !matches!(outcome, Ok(HookOutcome::Succeeded(_))) {
                return self.roll_back(
                    &deployments,
                    format!("PostTraffic failed for {binary}"),
                    &mut print,
                );
            }
        }
        for id in deployments.values() {
            self.codedeploy.finish(id, "Succeeded");
        }
        print(&format!(
            "rollout: completed; every API function serves version {}",
            self.new_version
        ));
        Outcome::Completed
    }

    async fn hook<C: hangar_deploy::hook::Checks>(
        &self,
        deploy: &Deploy<C>,
        deployment_id: &str,
        lifecycle_event: &str,
    ) -> Result<HookOutcome, String> {
        let execution = self
            .codedeploy
            .start_hook(deployment_id, lifecycle_event)
            .ok_or_else(|| format!("no deployment {deployment_id}"))?;
        let event: CodeDeployLifecycleEvent =
            serde_json::from_value(execution.event()).map_err(|e| e.to_string())?;
        deploy.handle(&event, 0).await.map_err(|e| e.to_string())
    }

    /// The first alarm in ALARM over the last simulated minute, for any new version.
    fn alarm(&self, config: &RolloutConfig) -> Option<String> {
        let recorder = metrics::Recorder::global();
        for f in &self.functions {
            let id = FunctionVersion {
                function: f.binary.clone(),
                version: self.new_version.clone(),
            };
            let period = recorder.period(&id, config.minute);
            if let Some(a) = alarms::evaluate(&period, &config.thresholds)
                .into_iter()
                .next()
            {
                return Some(format!("{}{}: {}", f.logical_id, a.name, a.reason));
            }
        }
        None
    }

    fn roll_back(
        &self,
        deployments: &BTreeMap<String, String>,
        reason: String,
        print: &mut impl FnMut(&str),
    ) -> Outcome {
        self.set_percent(deployments, 0);
        for id in deployments.values() {
            self.codedeploy.finish(id, "Stopped");
        }
        print(&format!(
            "rollout: rolled back ({reason}); every API function serves version {} again",
            self.live_version
        ));
        Outcome::RolledBack(reason)
    }

    pub async fn shutdown(self) {
        self.gateway.shutdown().await;
        self.lambda.shutdown().await;
    }
}

fn describe(outcome: &Result<HookOutcome, String>) -> String {
    match outcome {
        Ok(HookOutcome::Succeeded(r)) => format!("Succeeded ({r})"),
        Ok(HookOutcome::Failed(r)) => format!("Failed ({r})"),
        Err(e) => format!("no report ({e})"),
    }
}
