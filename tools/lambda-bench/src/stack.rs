//! The local stack a function's first AWS calls reach, over real TLS on loopback.
//!
//! - A test CA (rcgen) issues one certificate for `127.0.0.1`; [`Stack::trust_bundle`]
//!   is the file given to the functions as `SSL_CERT_FILE` (and to boto3 as
//!   `AWS_CA_BUNDLE`): the roots the functions trust by default plus the test CA, so the
//!   TLS client builds a root store of the same size as in AWS.
//! - TLS fronts (rustls) terminate TLS and pass the bytes on unchanged: one in front of
//!   the moto server (`AWS_ENDPOINT_URL`), one in front of an in-process GameLift
//!   emulator (`AWS_ENDPOINT_URL_GAMELIFT`), one in front of a CodeDeploy stand-in for
//!   the one call moto lacks, `PutLifecycleEventHookExecutionStatus`
//!   (`AWS_ENDPOINT_URL_CODEDEPLOY`).
//! - Every connection accepted by a front is logged with its time ([`CallLog`]), so a
//!   call made during init is seen whatever endpoint it goes to.
//! - [`Stack::create_resources`] creates what the sample events need: the template's
//!   DynamoDB tables (their key schema and indexes from `template.yaml`), the ECS
//!   cluster and the GameLift queue the configuration names.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use gamelift_emulator::RunningEmulator;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// One connection accepted by a front or the recorder.
#[derive(Debug, Clone)]
pub struct Call {
    pub at: Instant,
    /// Which endpoint (`moto`, `gamelift`, `codedeploy`, `recorder`) and, for the
    /// recorder, the request line.
    pub what: String,
}

/// Connections in order of arrival, shared by every endpoint of a run.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<Call>>>);

impl CallLog {
    pub fn push(&self, what: impl Into<String>) -> usize {
        let mut log = self.lock();
        log.push(Call {
            at: Instant::now(),
            what: what.into(),
        });
        log.len() - 1
    }

    pub fn describe(&self, index: usize, what: String) {
        if let Some(call) = self.lock().get_mut(index) {
            call.what = what;
        }
    }

    /// Calls accepted at or after `from` (and before `to`, when given).
    pub fn between(&self, from: Instant, to: Option<Instant>) -> Vec<Call> {
        self.lock()
            .iter()
            .filter(|c| c.at >= from && to.is_none_or(|t| c.at < t))
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Call>> {
        // a panic while holding the lock cannot leave the Vec half-written
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("test certificate: {0}")]
    Certificate(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("GameLift emulator: {0}")]
    Emulator(String),
    #[error("creating {what} on {endpoint}: {message}")]
    Resource {
        what: String,
        endpoint: String,
        message: String,
    },
    #[error("template.yaml: {0}")]
    Template(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StackError {
    let what = what.into();
    move |source| StackError::Io { what, source }
}

/// The running stack. Dropping it stops the fronts, the emulator and the stand-in.
pub struct Stack {
    dir: PathBuf,
    log: CallLog,
    moto_url: String,
    moto: Front,
    gamelift: Front,
    codedeploy: Front,
    emulator: RunningEmulator,
    standin: JoinHandle<()>,
    reports: Arc<Mutex<Vec<Value>>>,
}

impl Stack {
    /// Starts the fronts in front of `moto_url` (`http://127.0.0.1:<port>`), an in-process
    /// GameLift emulator and the CodeDeploy stand-in; writes the test CA and the trust
    /// bundle into `dir`.
    pub async fn start(moto_url: &str, dir: &Path, region: &str) -> Result<Stack, StackError> {
        // absolute: the paths handed to a function (the trust bundle) must hold in any
        // working directory (a Python peer runs in its own)
        let dir = &std::path::absolute(dir).map_err(io(dir.display().to_string()))?;
        std::fs::create_dir_all(dir).map_err(io(dir.display().to_string()))?;
        let log = CallLog::default();
        let (acceptor, ca_pem) = test_ca()?;
        let ca_path = dir.join("test-ca.pem");
        std::fs::write(&ca_path, &ca_pem).map_err(io(ca_path.display().to_string()))?;
        let mut bundle = hangar_aws::compiled_roots_pem();
        bundle.extend_from_slice(ca_pem.as_bytes());
        let bundle_path = dir.join("trust-bundle.pem");
        std::fs::write(&bundle_path, bundle).map_err(io(bundle_path.display().to_string()))?;

        let moto_addr = loopback_addr(moto_url)?;
        let emulator = gamelift_emulator::start(gamelift_emulator::Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            region: region.to_string(),
            publish_events: false,
            ..gamelift_emulator::Config::default()
        })
        .await
        .map_err(|e| StackError::Emulator(e.to_string()))?;
        let (standin_addr, standin, reports) = codedeploy_standin().await?;

        Ok(Stack {
            dir: dir.to_path_buf(),
            moto_url: moto_url.trim_end_matches('/').to_string(),
            moto: Front::start("moto", moto_addr, acceptor.clone(), log.clone()).await?,
            gamelift: Front::start("gamelift", emulator.addr(), acceptor.clone(), log.clone())
                .await?,
            codedeploy: Front::start("codedeploy", standin_addr, acceptor, log.clone()).await?,
            emulator,
            standin,
            reports,
            log,
        })
    }

    /// The log every front writes to (the recorder of a run writes to it too).
    pub fn log(&self) -> &CallLog {
        &self.log
    }

    /// The PEM file holding only the test CA.
    pub fn test_ca(&self) -> PathBuf {
        self.dir.join("test-ca.pem")
    }

    /// The PEM file holding the compiled-in roots plus the test CA.
    pub fn trust_bundle(&self) -> PathBuf {
        self.dir.join("trust-bundle.pem")
    }

    /// The variables pointing a function's SDK at the stack, over TLS.
    pub fn endpoint_vars(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".into(), self.moto.url()),
            ("AWS_ENDPOINT_URL_GAMELIFT".into(), self.gamelift.url()),
            ("AWS_ENDPOINT_URL_CODEDEPLOY".into(), self.codedeploy.url()),
        ]
    }

    /// What the CodeDeploy stand-in was told (`PutLifecycleEventHookExecutionStatus` bodies).
    pub fn codedeploy_reports(&self) -> Vec<Value> {
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The in-process GameLift emulator's plain-HTTP address (for setting up resources).
    pub fn emulator_url(&self) -> String {
        format!("http://{}", self.emulator.addr())
    }

    /// Creates the resources the functions' configuration names: every
    /// `AWS::DynamoDB::Table` and `AWS::SecretsManager::Secret` of the template as
    /// `<prefix><LogicalId>` (the name the functions are given), the ECS cluster `ecs_cluster` and the GameLift queue `queue`.
    /// Resources that exist already are kept.
    pub async fn create_resources(
        &self,
        template: &str,
        prefix: &str,
        ecs_cluster: Option<&str>,
        queue: Option<&str>,
    ) -> Result<(), StackError> {
        let http = reqwest::Client::new();
        for (logical_id, mut table) in tables(template)? {
            table["TableName"] = json!(format!("{prefix}{logical_id}"));
            aws_json(
                &http,
                &self.moto_url,
                "dynamodb",
                "DynamoDB_20120810.CreateTable",
                "1.0",
                &table,
                "ResourceInUseException",
            )
            .await?;
        }
        // The template's secrets (the functions name them by ARN and read them at run
        // time), each with a fresh key as GenerateSecretString makes one.
        for logical_id in resources_of_type(template, "AWS::SecretsManager::Secret")? {
            let key = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            aws_json(
                &http,
                &self.moto_url,
                "secretsmanager",
                "secretsmanager.CreateSecret",
                "1.1",
                &json!({ "Name": format!("{prefix}{logical_id}"), "SecretString": key }),
                "ResourceExistsException",
            )
            .await?;
        }
        if let Some(cluster) = ecs_cluster {
            aws_json(
                &http,
                &self.moto_url,
                "ecs",
                "AmazonEC2ContainerServiceV20141113.CreateCluster",
                "1.1",
                &json!({ "clusterName": cluster }),
                "-",
            )
            .await?;
        }
        if let Some(queue) = queue {
            aws_json(
                &http,
                &self.emulator_url(),
                "gamelift",
                "GameLift.CreateGameSessionQueue",
                "1.1",
                &json!({ "Name": queue }),
                "AlreadyExists",
            )
            .await?;
        }
        Ok(())
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.standin.abort();
    }
}

/// `127.0.0.1:<port>` of an `http://127.0.0.1:<port>` URL.
fn loopback_addr(url: &str) -> Result<SocketAddr, StackError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        StackError::Certificate(format!("{url}: expected http://127.0.0.1:<port>"))
    })?;
    rest.trim_end_matches('/')
        .parse()
        .map_err(|_| StackError::Certificate(format!("{url}: expected http://127.0.0.1:<port>")))
}

/// A fresh CA and a server certificate for `127.0.0.1` it issued: the acceptor serving
/// that certificate, and the CA certificate as PEM.
fn test_ca() -> Result<(TlsAcceptor, String), StackError> {
    let cert = |e: rcgen::Error| StackError::Certificate(e.to_string());
    let ca_key = KeyPair::generate().map_err(cert)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(cert)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "lambda-bench test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(cert)?;
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().map_err(cert)?;
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .map_err(cert)?
        .signed_by(&leaf_key, &issuer)
        .map_err(cert)?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StackError::Certificate(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(leaf.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    )
    .map_err(|e| StackError::Certificate(e.to_string()))?;
    Ok((TlsAcceptor::from(Arc::new(config)), ca_cert.pem()))
}

/// A TLS listener on loopback passing each connection's bytes to `upstream`.
struct Front {
    port: u16,
    task: JoinHandle<()>,
}

impl Front {
    async fn start(
        name: &'static str,
        upstream: SocketAddr,
        acceptor: TlsAcceptor,
        log: CallLog,
    ) -> Result<Front, StackError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(io(format!("{name} TLS front")))?;
        let port = listener
            .local_addr()
            .map_err(io(format!("{name} TLS front")))?
            .port();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                log.push(name);
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut up) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = up.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                });
            }
        });
        Ok(Front { port, task })
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Reports = Arc<Mutex<Vec<Value>>>;

/// CodeDeploy's `PutLifecycleEventHookExecutionStatus` (JSON 1.1), recording each body;
/// any other operation is refused as unknown.
async fn codedeploy_standin() -> Result<(SocketAddr, JoinHandle<()>, Reports), StackError> {
    let reports: Reports = Arc::default();
    let seen = reports.clone();
    let app = Router::new().route(
        "/",
        post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let target = headers
                    .get("x-amz-target")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if target != "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus" {
                    return (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"__type": "UnknownOperationException", "message": target})),
                    )
                        .into_response();
                }
                let id = body
                    .get("lifecycleEventHookExecutionId")
                    .cloned()
                    .unwrap_or(Value::Null);
                seen.lock().unwrap_or_else(|p| p.into_inner()).push(body);
                Json(json!({ "lifecycleEventHookExecutionId": id })).into_response()
            }
        }),
    );
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(io("CodeDeploy stand-in"))?;
    let addr = listener.local_addr().map_err(io("CodeDeploy stand-in"))?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task, reports))
}

/// The `AWS::DynamoDB::Table` resources of the template: logical id and the CreateTable
/// request their properties describe (CloudFormation's property names are the API's).
/// The logical ids of the template's resources of type `kind`.
fn resources_of_type(template: &str, kind: &str) -> Result<Vec<String>, StackError> {
    let doc: serde_norway::Value =
        serde_norway::from_str(template).map_err(|e| StackError::Template(e.to_string()))?;
    let Some(resources) = doc.get("Resources").and_then(|r| r.as_mapping()) else {
        return Err(StackError::Template("no Resources".into()));
    };
    Ok(resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(|t| t.as_str()) == Some(kind))
        .filter_map(|(id, _)| id.as_str().map(str::to_string))
        .collect())
}

fn tables(template: &str) -> Result<Vec<(String, Value)>, StackError> {
    let doc: serde_norway::Value =
        serde_norway::from_str(template).map_err(|e| StackError::Template(e.to_string()))?;
    let mut out = Vec::new();
    let Some(resources) = doc.get("Resources").and_then(|r| r.as_mapping()) else {
        return Err(StackError::Template("no Resources".into()));
    };
    for (id, resource) in resources {
        if resource.get("Type").and_then(|t| t.as_str()) != Some("AWS::DynamoDB::Table") {
            continue;
        }
        let id = id.as_str().unwrap_or_default().to_string();
        let props = resource.get("Properties");
        let field = |key: &str| -> Result<Value, StackError> {
            props
                .and_then(|p| p.get(key))
                .map(|v| serde_json::to_value(v).map_err(|e| StackError::Template(e.to_string())))
                .transpose()
                .map(|v| v.unwrap_or(Value::Null))
        };
        let mut table = json!({
            "AttributeDefinitions": field("AttributeDefinitions")?,
            "KeySchema": field("KeySchema")?,
            "BillingMode": field("BillingMode")?,
        });
        for optional in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
            let value = field(optional)?;
            if !value.is_null() {
                table[optional] = value;
            }
        }
        out.push((id, table));
    }
    Ok(out)
}

/// One AWS JSON-protocol call (unsigned: moto and the emulator do not check signatures;
/// the credential scope names the service for moto's dispatcher). An error whose type
/// contains `exists` (e.g. `ResourceInUseException` for a table) counts as success.
async fn aws_json(
    http: &reqwest::Client,
    endpoint: &str,
    service: &str,
    target: &str,
    json_version: &str,
    body: &Value,
    exists: &str,
) -> Result<(), StackError> {
    let failed = |message: String| StackError::Resource {
        what: target.to_string(),
        endpoint: endpoint.to_string(),
        message,
    };
    let response = http
        .post(format!("{endpoint}/"))
        .header("x-amz-target", target)
        .header("content-type", format!("application/x-amz-json-{json_version}"))
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
            ),
        )
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_success() || text.contains(exists) {
        Ok(())
    } else {
        Err(failed(format!("{status}: {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_read_from_the_template_with_their_keys_and_indexes() {
        let template = "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub x-${Stage}\n      BillingMode: PAY_PER_REQUEST\n      AttributeDefinitions:\n        - AttributeName: pk\n          AttributeType: S\n      KeySchema:\n        - AttributeName: pk\n          KeyType: HASH\n      GlobalSecondaryIndexes:\n        - IndexName: g\n          KeySchema:\n            - AttributeName: pk\n              KeyType: HASH\n          Projection:\n            ProjectionType: ALL\n      SSESpecification:\n        SSEEnabled: true\n  F:\n    Type: AWS::Serverless::Function\n";
        let tables = tables(template).unwrap();
        assert_eq!(tables.len(), 1);
        let (id, table) = &tables[0];
        assert_eq!(id, "T");
        assert_eq!(table["KeySchema"][0]["AttributeName"], "pk");
        assert_eq!(table["GlobalSecondaryIndexes"][0]["IndexName"], "g");
        assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
        assert!(table.get("SSESpecification").is_none());
        assert!(table.get("LocalSecondaryIndexes").is_none());
    }
}
