//! What a run starts: the function binaries of `functions/`, each with its sample event
//! from `events/` and its configuration from `template.yaml`, pointed at the local stack;
//! and the peers, the same first requests written in Python with boto3 and run by
//! `awslambdaric`, Lambda's runtime interface client for Python.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::body::Bytes;

use crate::measure::{Launch, Limits};
use crate::stack::Stack;
use crate::template::{self, FunctionSpec};

#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error("{0}")]
    Event(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SuiteError + '_ {
    move |source| SuiteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A function written in the seeds' language for comparison: `module.handler` in
/// `tools/lambda-bench/peer/`, started with the configuration of the function `name`.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub name: &'static str,
    pub handler: &'static str,
}

/// The peers: a sessions get and a placement-event batch.
pub const PEERS: [Peer; 2] = [
    Peer {
        name: "sessions-get",
        handler: "sessions_get.handler",
    },
    Peer {
        name: "placement-events",
        handler: "placement_events.handler",
    },
];

/// The runtime the peers are written for.
pub const PEER_RUNTIME: &str = "Python 3.11";

/// Parameter values the template has no usable default for (a function would not start,
/// or a feature would be off); everything else comes from `template.yaml`.
pub const PARAMS: [(&str, &str); 4] = [
    ("GameLiftQueueName", "bench-queue"),
    ("JwtIssuer", "https://issuer.example.com"),
    ("EcsCluster", "bench-cluster"),
    (
        "EcsTaskDefinitionArn",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/bench-gameserver:1",
    ),
];

pub struct Suite {
    pub root: PathBuf,
    pub bin_dir: PathBuf,
    pub region: String,
    pub template: String,
    pub specs: BTreeMap<String, FunctionSpec>,
    /// Variables for every function, over the template's (e.g. `SSL_CERT_FILE`).
    pub env: Vec<(String, String)>,
}

impl Suite {
    /// `params` over [`PARAMS`] over the template's defaults.
    pub fn new(
        root: &Path,
        bin_dir: PathBuf,
        params: &[(String, String)],
        region: &str,
    ) -> Result<Suite, SuiteError> {
        let path = root.join("template.yaml");
        let template = std::fs::read_to_string(&path).map_err(io(&path))?;
        let mut all: BTreeMap<String, String> = PARAMS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        all.extend(params.iter().cloned());
        let specs = template::functions(&template, &all, region)?;
        Ok(Suite {
            root: root.to_path_buf(),
            bin_dir,
            region: region.to_string(),
            template,
            specs,
            env: Vec::new(),
        })
    }

    /// The value a template parameter resolved to for `function` (`None` when the
    /// function does not use it as a variable).
    pub fn var(&self, function: &str, var: &str) -> Option<&str> {
        self.specs
            .get(function)
            .and_then(|s| s.vars.get(var))
            .map(String::as_str)
    }

    /// Creates the resources the configuration names on `stack`.
    pub async fn create_resources(&self, stack: &Stack) -> Result<(), crate::stack::StackError> {
        let param = |name: &str| PARAMS.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        stack
            .create_resources(
                &self.template,
                "bench-",
                param("EcsCluster"),
                param("GameLiftQueueName"),
            )
            .await
    }

    /// How to start the function binary `name`: its sample event, the template's
    /// configuration, `stack`'s endpoints and trust bundle.
    pub fn launch(&self, name: &str, stack: Option<&Stack>) -> Result<Start, SuiteError> {
        let (event_path, event) = sample_event(&self.root.join("events"), name)?;
        let spec = self.specs.get(name);
        let mut vars = spec.map(|s| s.vars.clone()).unwrap_or_default();
        if let Some(stack) = stack {
            vars.extend(stack.endpoint_vars());
            vars.insert(
                "SSL_CERT_FILE".into(),
                stack.trust_bundle().display().to_string(),
            );
        }
        vars.extend(self.env.iter().cloned());
        Ok(Start {
            launch: Launch {
                function_name: name.to_string(),
                binary: self.bin_dir.join(name),
                args: Vec::new(),
                cwd: None,
                memory_mb: spec.map_or(128, |s| s.memory_mb),
                region: self.region.clone(),
                vars,
                log_format: spec.and_then(|s| s.log_format.clone()),
                log_level: spec.and_then(|s| s.log_level.clone()),
                event,
                invocations: 1,
                limits: Limits::default(),
            },
            event: event_path.map(|p| p.strip_prefix(&self.root).unwrap_or(&p).to_path_buf()),
            in_template: spec.is_some(),
        })
    }

    /// How to start `peer` under `python` (a virtual environment with the peer's
    /// requirements): `python -m awslambdaric <handler>` in the peer's directory, with
    /// the configuration, event and stack of the function it mirrors. boto3 reads the
    /// trust bundle from `AWS_CA_BUNDLE`.
    pub fn peer_launch(
        &self,
        peer: &Peer,
        python: &Path,
        stack: Option<&Stack>,
    ) -> Result<Start, SuiteError> {
        let mut start = self.launch(peer.name, stack)?;
        let launch = &mut start.launch;
        launch.binary = python.to_path_buf();
        launch.args = vec!["-m".into(), "awslambdaric".into(), peer.handler.to_string()];
        launch.cwd = Some(self.root.join("tools/lambda-bench/peer"));
        if let Some(bundle) = launch.vars.get("SSL_CERT_FILE").cloned() {
            launch.vars.insert("AWS_CA_BUNDLE".into(), bundle);
        }
        Ok(start)
    }
}

/// A launch and what it was made from.
pub struct Start {
    pub launch: Launch,
    /// The sample event's path (relative to the root); `None`: `{}` is sent.
    pub event: Option<PathBuf>,
    /// Whether `template.yaml` deploys the function (else it starts unconfigured).
    pub in_template: bool,
}

/// The Lambda binaries of the packages under `functions/`: every `[[bin]]` `name` of
/// their `Cargo.toml` (binary name == the template's `BuildProperties.Binary`).
pub fn function_binaries(dir: &Path) -> Result<Vec<String>, SuiteError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let manifest = entry.map_err(io(dir))?.path().join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).map_err(io(&manifest))?;
        names.extend(bin_names(&text));
    }
    names.sort();
    Ok(names)
}

/// The `name` of each `[[bin]]` table of a manifest.
fn bin_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(value) = line.strip_prefix("name") {
                let value = value.trim_start().trim_start_matches('=').trim();
                names.push(value.trim_matches('"').to_string());
                in_bin = false;
            }
        }
    }
    names
}

/// `events/<name>.json`, else `events/*/<name>.json`; `{}` when there is none.
pub fn sample_event(events: &Path, name: &str) -> Result<(Option<PathBuf>, Bytes), SuiteError> {
    let file = format!("{name}.json");
    let mut candidates = vec![events.join(&file)];
    if let Ok(dirs) = std::fs::read_dir(events) {
        let mut nested: Vec<PathBuf> = dirs.flatten().map(|d| d.path().join(&file)).collect();
        nested.sort();
        candidates.extend(nested);
    }
    match candidates.into_iter().find(|p| p.is_file()) {
        Some(path) => {
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| SuiteError::Event(format!("{}: not JSON: {e}", path.display())))?;
            Ok((Some(path), Bytes::from(bytes)))
        }
        None => Ok((None, Bytes::from_static(b"{}"))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bin_names_are_read_from_every_bin_table_only() {
        let manifest = "[package]\nname = \"p\"\n\n[[bin]]\nname = \"a\"\npath = \"x\"\n\n[dependencies]\nname = \"no\"\n\n[[bin]]\nname=\"b\"\n";
        assert_eq!(super::bin_names(manifest), vec!["a", "b"]);
    }
}
