//! The AWS services the emulator talks to: SNS (placement events) and S3 (build uploads),
//! both meant to be local (the moto server). Decides at start, never silently:
//! - which endpoint each service has (`AWS_ENDPOINT_URL_<SERVICE>`, else
//!   `AWS_ENDPOINT_URL`, or the endpoint of the configuration handed in);
//! - credentials: with a loopback endpoint and no credentials at all, static test
//!   credentials (logged); with a remote endpoint and none, start-up fails naming what to
//!   set;
//! - publishing placement events with no SNS endpoint (that is, to AWS itself) refuses to
//!   start, naming the variable or `--no-sns`;
//! - build uploads are on only with a loopback S3 endpoint.

use aws_sdk_sns::config::{Credentials, ProvideCredentials, SharedCredentialsProvider};
use aws_types::service_config::ServiceConfigKey;
use aws_types::SdkConfig;

/// Why the AWS side of the emulator cannot start.
#[derive(Debug, thiserror::Error)]
pub enum LocalAwsError {
    #[error("placement events would go to AWS's own SNS: set AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_SNS) to a local SNS such as the moto server, or turn publishing off (--no-sns)")]
    NoSnsEndpoint,
    #[error("no AWS credentials for SNS at {endpoint}: {reason}; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)")]
    NoCredentials { endpoint: String, reason: String },
}

/// What the workers and operations use.
pub struct LocalAws {
    /// The SDK configuration for SNS (credentials filled in when they were missing).
    pub sdk: SdkConfig,
    /// Build uploads: the local S3's base URL and the credentials handed out for it.
    pub uploads: Option<(String, Credentials)>,
}

/// The endpoint a service's client would use.
pub fn endpoint_of(sdk: &SdkConfig, service_id: &str) -> Option<String> {
    let key = ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()?;
    let origin_is_client = sdk.get_origin("endpoint_url").is_client_config();
    let specific = if origin_is_client {
        None
    } else {
        sdk.service_config().and_then(|c| c.load_config(key))
    };
    specific.or_else(|| sdk.endpoint_url().map(str::to_string))
}

/// An `http://` or `https://` URL whose host is a loopback address or `localhost`.
pub fn is_loopback(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

fn test_credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "gamelift-emulator")
}

/// Resolves endpoints and credentials; `publish` is whether placement events go to SNS.
pub async fn resolve(sdk: SdkConfig, publish: bool) -> Result<LocalAws, LocalAwsError> {
    let sns = endpoint_of(&sdk, "SNS");
    let s3 = endpoint_of(&sdk, "S3");
    let local = [&sns, &s3]
        .iter()
        .any(|e| e.as_deref().is_some_and(is_loopback));
    if publish && sns.is_none() {
        return Err(LocalAwsError::NoSnsEndpoint);
    }
    let found = match sdk.credentials_provider() {
        Some(p) => p.provide_credentials().await.map_err(|e| e.to_string()),
        None => Err("no credential provider".to_string()),
    };
    let (sdk, credentials) = match found {
        Ok(c) => (sdk, c),
        Err(reason) if local => {
            tracing::info!(%reason, "no AWS credentials found; using test credentials for the local SNS and S3");
            let c = test_credentials();
            let sdk = sdk
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(c.clone()))
                .build();
            (sdk, c)
        }
        Err(reason) => match (&sns, publish) {
            (Some(endpoint), true) => {
                return Err(LocalAwsError::NoCredentials {
                    endpoint: endpoint.clone(),
                    reason,
                })
            }
            _ => (sdk, test_credentials()),
        },
    };
    let uploads = match s3 {
        Some(url) if is_loopback(&url) => {
            Some((url.trim_end_matches('/').to_string(), credentials))
        }
        Some(url) => {
            tracing::warn!(endpoint = %url, "build uploads are off: the S3 endpoint is not a loopback address; builds created without a StorageLocation stay INITIALIZED");
            None
        }
        None => {
            tracing::warn!("build uploads are off: no S3 endpoint (set AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3 to the moto server); builds created without a StorageLocation stay INITIALIZED");
            None
        }
    };
    Ok(LocalAws { sdk, uploads })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_are_local() {
        assert!(is_loopback("http://127.0.0.1:5000"));
        assert!(is_loopback("http://localhost:4566/"));
        assert!(is_loopback("http://[::1]:9"));
        assert!(!is_loopback("https://sns.us-east-1.amazonaws.com"));
        assert!(!is_loopback("http://10.0.0.2:5000"));
        assert!(!is_loopback("not a url"));
    }

    fn config(endpoint: Option<&str>, credentials: bool) -> SdkConfig {
        let mut b =
            SdkConfig::builder().behavior_version(aws_sdk_sns::config::BehaviorVersion::latest());
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        if credentials {
            b = b.credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKID", "secret", None, None, "test",
            )));
        }
        b.build()
    }

    #[tokio::test]
    async fn a_loopback_endpoint_without_credentials_gets_test_credentials() {
        let aws = resolve(config(Some("http://127.0.0.1:5999"), false), true)
            .await
            .unwrap();
        let c = aws
            .sdk
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(c.access_key_id(), "test");
        assert_eq!(aws.uploads.unwrap().0, "http://127.0.0.1:5999");
    }

    #[tokio::test]
    async fn publishing_without_an_sns_endpoint_refuses_to_start() {
        let e = resolve(config(None, true), true).await.err().unwrap();
        assert!(e.to_string().contains("AWS_ENDPOINT_URL"), "{e}");
        assert!(resolve(config(None, true), false).await.is_ok());
    }

    #[tokio::test]
    async fn a_remote_endpoint_without_credentials_refuses_to_start() {
        let e = resolve(config(Some("https://sns.example.com"), false), true)
            .await
            .err()
            .unwrap();
        assert!(e.to_string().contains("AWS_ACCESS_KEY_ID"), "{e}");
    }
}
