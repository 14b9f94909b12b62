//! The fleet-replacement state machine on the local endpoint: its definition read from
//! `template.yaml` (the `DefinitionUri` SAM deploys, each `DefinitionSubstitutions` key
//! replaced by the local Lambda ARN of the function it names), the thirteen stage
//! functions served by `local-lambda` (each `hangar_fleet::api::run`), and
//! [`LocalEngine`], which starts both and creates the state machine.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use hangar_fleet::{api, Fleet, Stage};
use serde_json::{json, Value};
use serde_norway::Value as Yaml;

use crate::engine::EngineOptions;
use crate::error::SfnError;
use crate::server::{LocalExecution, LocalStepFunctions, ServeError};
use crate::store::ACCOUNT;

/// The template, relative to the repository root.
pub const TEMPLATE: &str = "template.yaml";
/// The template's state machine resource.
pub const STATE_MACHINE_RESOURCE: &str = "FleetReplacementStateMachine";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("local Lambda service: {0}")]
    Lambda(#[from] local_lambda::ServeError),
    #[error("local Step Functions endpoint: {0}")]
    Serve(#[from] ServeError),
    #[error("{TEMPLATE}: {0}")]
    Template(String),
    #[error("creating the fleet state machine: {0}")]
    Create(SfnError),
}

/// The local Lambda registry of every stage, each running `hangar_fleet::api::run` with `fleet`.
pub fn registry(fleet: Fleet) -> local_lambda::Registry {
    let mut registry = local_lambda::Registry::new();
    for stage in Stage::ALL {
        let fleet = fleet.clone();
        registry.register(stage.function_name(), move |input: Value| {
            let fleet = fleet.clone();
            async move { api::run(&fleet, stage, input).await }
        });
    }
    registry
}

fn get<'a>(v: &'a Yaml, path: &[&str]) -> Option<&'a Yaml> {
    path.iter().try_fold(v, |v, key| v.get(*key))
}

/// The ASL definition `template.yaml` deploys as the fleet state machine, with every
/// `${Substitution}` replaced by the local Lambda ARN (in `region`) of the function
/// its `!GetAtt <Function>.Arn` names: the function's `BuildProperties.Binary`.
pub fn definition_from_template(root: &Path, region: &str) -> Result<String, EngineError> {
    let bad = |m: String| EngineError::Template(m);
    let text = std::fs::read_to_string(root.join(TEMPLATE))
        .map_err(|e| bad(format!("cannot read it: {e}")))?;
    let doc: Yaml = serde_norway::from_str(&text).map_err(|e| bad(format!("not YAML: {e}")))?;
    let props =
        get(&doc, &["Resources", STATE_MACHINE_RESOURCE, "Properties"]).ok_or_else(|| {
            bad(format!(
                "no {STATE_MACHINE_RESOURCE} resource with Properties"
            ))
        })?;
    let uri = props
        .get("DefinitionUri")
        .and_then(Yaml::as_str)
        .ok_or_else(|| bad(format!("{STATE_MACHINE_RESOURCE} has no DefinitionUri")))?;
    let mut definition = std::fs::read_to_string(root.join(uri))
        .map_err(|e| bad(format!("cannot read {uri}: {e}")))?;
    let substitutions = props
        .get("DefinitionSubstitutions")
        .and_then(Yaml::as_mapping)
        .ok_or_else(|| {
            bad(format!(
                "{STATE_MACHINE_RESOURCE} has no DefinitionSubstitutions"
            ))
        })?;
    for (key, value) in substitutions {
        let key = key.as_str().unwrap_or_default();
        let target = match value {
            Yaml::Tagged(t) if t.tag == "GetAtt" => t.value.as_str().unwrap_or_default(),
            _ => "",
        };
        let resource = target.strip_suffix(".Arn").ok_or_else(|| {
            bad(format!(
                "DefinitionSubstitutions.{key} is not !GetAtt <Function>.Arn"
            ))
        })?;
        let binary = get(
            &doc,
            &[
                "Resources",
                resource,
                "Metadata",
                "BuildProperties",
                "Binary",
            ],
        )
        .and_then(Yaml::as_str)
        .ok_or_else(|| bad(format!("{resource} has no Metadata.BuildProperties.Binary")))?;
        let arn = format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{binary}");
        definition = definition.replace(&format!("${{{key}}}"), &arn);
    }
    if let Some(at) = definition.find("${") {
        let rest: String = definition[at..].chars().take(60).collect();
        return Err(bad(format!(
            "{uri} uses a substitution the template does not supply: {rest}"
        )));
    }
    Ok(definition)
}

/// The stage functions on a local Lambda service and the local Step Functions endpoint
/// with the fleet state machine created on it.
pub struct LocalEngine {
    sfn: LocalStepFunctions,
    lambda: local_lambda::LocalLambda,
    state_machine_arn: String,
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

impl LocalEngine {
    /// Starts the endpoint on `sfn_port` (0: any free port), then the stage functions
    /// with the [`Fleet`] `fleet` builds from the endpoint's URL (its stages ask that
    /// endpoint whether a lock holder still runs), then creates the state machine
    /// `name` from `template.yaml`. `options.root` is the repository root.
    pub async fn start(
        name: &str,
        sfn_port: u16,
        options: EngineOptions,
        fleet: impl FnOnce(&str) -> Fleet,
    ) -> Result<LocalEngine, EngineError> {
        let region = options.region.clone();
        let definition = definition_from_template(&options.root, &region)?;
        let sfn = LocalStepFunctions::serve(loopback(sfn_port), options).await?;
        let lambda = local_lambda::serve(registry(fleet(&sfn.endpoint_url())), loopback(0)).await?;
        sfn.set_lambda_endpoint(lambda.endpoint_url());
        let created = sfn
            .call(
                "CreateStateMachine",
                &json!({
                    "name": name,
                    "definition": definition,
                    "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
                    "type": "STANDARD",
                }),
            )
            .await
            .map_err(EngineError::Create)?;
        let state_machine_arn = created["stateMachineArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok(LocalEngine {
            sfn,
            lambda,
            state_machine_arn,
        })
    }

    /// `AWS_ENDPOINT_URL_SFN` of the endpoint.
    pub fn sfn_endpoint_url(&self) -> String {
        self.sfn.endpoint_url()
    }

    pub fn lambda_endpoint_url(&self) -> String {
        self.lambda.endpoint_url()
    }

    pub fn state_machine_arn(&self) -> &str {
        &self.state_machine_arn
    }

    pub fn endpoint(&self) -> &LocalStepFunctions {
        &self.sfn
    }

    /// Starts an execution of the fleet state machine with `input` (a fresh name), and
    /// follows it in-process.
    pub async fn start_execution(&self, input: &Value) -> Result<LocalExecution, SfnError> {
        let started = self
            .sfn
            .call(
                "StartExecution",
                &json!({"stateMachineArn": self.state_machine_arn, "input": input.to_string()}),
            )
            .await?;
        self.sfn
            .follow(started["executionArn"].as_str().unwrap_or_default())
    }

    pub async fn shutdown(self) {
        self.sfn.shutdown().await;
        self.lambda.shutdown().await;
    }
}
