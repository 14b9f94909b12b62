//! EC2 over its Query protocol, without the EC2 SDK crate (one of the largest crates of
//! the SDK, for the few calls Hangar makes): a form-encoded `POST` signed with SigV4,
//! an XML answer read into an [`Element`] tree (with `xmlparser`, the tokenizer the
//! SDK's own XML decoding uses).
//!
//! It behaves as an SDK client built from the same [`SdkConfig`] would: the region and
//! credentials of the configuration; the endpoint set in code on the configuration, else
//! `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL` or the profile's `endpoint_url`, else
//! `https://ec2.<region>.amazonaws.com`; the HTTPS client and trust store of
//! [`crate::https_client`]; throttling and transient failures (the lists of
//! [`crate::error`]) retried with a backoff, at most [`ATTEMPTS`] times.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_types::service_config::ServiceConfigKey;

use crate::error::{AwsError, ServiceAnswer};

/// The EC2 API version of every call (the one the SDK's EC2 crate sends).
pub const VERSION: &str = "2016-11-15";
/// Tries per call, the first included.
pub const ATTEMPTS: u32 = 3;
/// How long one try may take, answer read included.
const TRY_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for EC2 calls; cheap to clone. Nothing is read or built until the first call.
#[derive(Clone, Debug)]
pub struct Ec2Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    region: String,
    endpoint: String,
    credentials: Option<SharedCredentialsProvider>,
    /// The last credentials provided, kept until [`REFRESH_BEFORE`] their expiry (the
    /// SDK's clients keep theirs in an identity cache the same way).
    cached: Mutex<Option<Credentials>>,
    connector: OnceLock<Connector>,
}

/// Credentials that expire sooner than this are asked for again.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

impl Ec2Client {
    /// A client with `sdk`'s region, credentials and endpoint (see the module).
    pub fn new(sdk: &SdkConfig) -> Self {
        let region = sdk.region().map_or("us-east-1", |r| r.as_ref()).to_string();
        // As the SDK's clients do: an endpoint set in code wins, then the environment
        // and profile (the service's own variable before `AWS_ENDPOINT_URL`).
        let in_code = sdk.get_origin("endpoint_url").is_client_config();
        let configured = sdk
            .service_config()
            .filter(|_| !in_code)
            .and_then(|c| {
                let key = ServiceConfigKey::builder()
                    .service_id("EC2")
                    .env("AWS_ENDPOINT_URL")
                    .profile("endpoint_url")
                    .build()
                    .ok()?;
                c.load_config(key)
            })
            .or_else(|| sdk.endpoint_url().map(str::to_string));
        let endpoint = configured.unwrap_or_else(|| default_endpoint(&region));
        Ec2Client {
            inner: Arc::new(Inner {
                region,
                endpoint,
                credentials: sdk.credentials_provider(),
                cached: Mutex::new(None),
                connector: OnceLock::new(),
            }),
        }
    }

    /// The same client calling `url` instead (a local stand-in for EC2).
    pub fn with_endpoint(&self, url: &str) -> Self {
        Ec2Client {
            inner: Arc::new(Inner {
                region: self.inner.region.clone(),
                endpoint: url.to_string(),
                credentials: self.inner.credentials.clone(),
                cached: Mutex::new(None),
                connector: OnceLock::new(),
            }),
        }
    }

    /// Calls `action` with the Query parameters `params` (names as EC2 documents them:
    /// `InstanceId.1`, `Filter.1.Name`, …); the root element of the answer.
    pub async fn call(
        &self,
        action: &'static str,
        params: &[(String, String)],
    ) -> Result<Element, AwsError> {
        let body = form(action, params);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_once(action, &body).await {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "EC2 call retried");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                result => return result,
            }
        }
    }

    async fn try_once(&self, action: &'static str, body: &str) -> Result<Element, AwsError> {
        let request = self.signed(action, body).await?;
        let connector = self.inner.connector.get_or_init(crate::https_connector);
        let read = async {
            let response = connector
                .call(request)
                .await
                .map_err(|e| AwsError::no_answer(action, e))?;
            let status = response.status().as_u16();
            let bytes = ByteStream::new(response.into_body())
                .collect()
                .await
                .map_err(|e| AwsError::no_answer(action, e))?
                .into_bytes();
            Ok::<_, AwsError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(TRY_TIMEOUT, read)
            .await
            .map_err(|_| {
                AwsError::no_answer(action, format!("no answer within {TRY_TIMEOUT:?}"))
            })??;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            AwsError::unusable(action, format!("HTTP {status}: the answer is not UTF-8"))
        })?;
        let root = Element::parse(text);
        if (200..300).contains(&status) {
            return root.map_err(|e| AwsError::unusable(action, format!("HTTP {status}: {e}")));
        }
        // <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
        let error = root.ok();
        let error = error.as_ref().and_then(|r| r.find("Errors/Error").next());
        let text_of = |name: &str| error.and_then(|e| e.text_of(name)).unwrap_or_default();
        Err(AwsError::from_answer(
            action,
            ServiceAnswer {
                status,
                code: text_of("Code").to_string(),
                message: text_of("Message").to_string(),
            },
        ))
    }

    /// The cached credentials, or new ones from the configuration's provider.
    async fn credentials(&self, action: &'static str) -> Result<Credentials, AwsError> {
        let fresh = |c: &Credentials| {
            c.expiry().is_none_or(|at| {
                at.duration_since(SystemTime::now())
                    .is_ok_and(|left| left > REFRESH_BEFORE)
            })
        };
        if let Some(c) = self.inner.cached.lock().ok().and_then(|c| c.clone()) {
            if fresh(&c) {
                return Ok(c);
            }
        }
        let provider = self
            .inner
            .credentials
            .as_ref()
            .ok_or_else(|| AwsError::unusable(action, "no credentials are configured"))?;
        let credentials = provider.provide_credentials().await.map_err(|e| match e {
            CredentialsError::CredentialsNotLoaded(_)
            | CredentialsError::InvalidConfiguration(_) => {
                AwsError::unusable(action, format!("credentials: {e}"))
            }
            e => AwsError::no_answer(action, e),
        })?;
        if let Ok(mut cached) = self.inner.cached.lock() {
            *cached = Some(credentials.clone());
        }
        Ok(credentials)
    }

    /// The request for `action`, signed with SigV4 for `ec2` in the client's region.
    async fn signed(&self, action: &'static str, body: &str) -> Result<Request, AwsError> {
        let identity = Identity::from(self.credentials(action).await?);
        let url = format!("{}/", self.inner.endpoint.trim_end_matches('/'));
        let headers = [(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )];
        let params = SigningParams::builder()
            .identity(&identity)
            .region(&self.inner.region)
            .name("ec2")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| AwsError::unusable(action, format!("signing: {e}")))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            &url,
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| AwsError::unusable(action, format!("signing: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| AwsError::unusable(action, format!("signing: {e}")))?
            .into_parts();
        let mut request = Request::new(SdkBody::from(body.to_string()));
        request
            .set_method("POST")
            .map_err(|e| AwsError::unusable(action, e.to_string()))?;
        request
            .set_uri(url.as_str())
            .map_err(|e| AwsError::unusable(action, format!("endpoint {url}: {e}")))?;
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request
                .headers_mut()
                .insert(name.to_string(), value.to_string());
        }
        Ok(request)
    }
}

/// EC2's public endpoint in `region` (China's regions under `amazonaws.com.cn`).
fn default_endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://ec2.{region}.{suffix}")
}

/// The form body: `Action`, `Version`, then `params`, each percent-encoded.
fn form(action: &str, params: &[(String, String)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("Action", action)
        .append_pair("Version", VERSION);
    for (name, value) in params {
        out.append_pair(name, value);
    }
    out.finish()
}

/// The wait before try `attempt + 1`: 100 ms, 200 ms, … with up to half of it added at
/// random, so that callers throttled together do not come back together.
fn backoff(attempt: u32) -> Duration {
    let base = 100u64 << (attempt - 1).min(6);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    Duration::from_millis(base + nanos % (base / 2 + 1))
}

/// `values` as the numbered Query parameters `prefix.1`, `prefix.2`, ….
pub fn numbered(prefix: &str, values: &[String]) -> Vec<(String, String)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("{prefix}.{}", i + 1), v.clone()))
        .collect()
}

/// One XML element of an answer: its local name, its text (for a leaf) and its
/// children, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The root element of `doc` (entities and character references resolved, CDATA
    /// kept as text, attributes, comments and declarations ignored).
    pub fn parse(doc: &str) -> Result<Element, String> {
        use xmlparser::{ElementEnd, Token};
        let mut open: Vec<Element> = Vec::new();
        for token in xmlparser::Tokenizer::from(doc) {
            match token.map_err(|e| e.to_string())? {
                Token::ElementStart { local, .. } => open.push(Element {
                    name: local.as_str().to_string(),
                    ..Element::default()
                }),
                Token::Text { text } => {
                    if let Some(e) = open.last_mut() {
                        e.text.push_str(&unescape(text.as_str())?);
                    }
                }
                Token::Cdata { text, .. } => {
                    if let Some(e) = open.last_mut() {
                        e.text.push_str(text.as_str());
                    }
                }
                Token::ElementEnd {
                    end: ElementEnd::Open,
                    ..
                } => {}
                Token::ElementEnd { end, .. } => {
                    let mut done = open.pop().ok_or("a closing tag without its opening tag")?;
                    if let ElementEnd::Close(_, local) = end {
                        if local.as_str() != done.name {
                            return Err(format!("<{}> closed by </{}>", done.name, local.as_str()));
                        }
                    }
                    if !done.children.is_empty() {
                        done.text.clear(); // the layout between its children
                    }
                    match open.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                _ => {}
            }
        }
        Err("the document ends inside an element, or holds none".into())
    }

    /// The elements at `path` (child names joined by `/`) below this one; EC2's lists
    /// are `…Set/item`: `find("reservationSet/item/instancesSet/item")`.
    pub fn find(&self, path: &str) -> std::vec::IntoIter<&Element> {
        let mut level = vec![self];
        for name in path.split('/').filter(|n| !n.is_empty()) {
            level = level
                .into_iter()
                .flat_map(|e| e.children.iter().filter(|c| c.name == name))
                .collect();
        }
        level.into_iter()
    }

    /// The non-empty text of the child `path` (as [`Element::find`]), if there is one.
    pub fn text_of(&self, path: &str) -> Option<&str> {
        self.find(path)
            .next()
            .map(|e| e.text.as_str())
            .filter(|t| !t.is_empty())
    }
}

/// `text` with XML's five entities and its character references replaced.
fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..]
            .find(';')
            .ok_or_else(|| format!("an unterminated entity in {text:?}"))?;
        let entity = &rest[at + 1..at + end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => entity.strip_prefix('#').and_then(|d| d.parse().ok()),
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("an unknown entity &{entity}; in {text:?}"))?
            }
        };
        out.push(c);
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANCES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1234567890abcdef0</reservationId>
      <instancesSet>
        <item>
          <instanceId>i-1234567890abcdef0</instanceId>
          <privateIpAddress>10.0.0.12</privateIpAddress>
          <ipAddress>203.0.113.7</ipAddress>
          <networkInterfaceSet>
            <item><privateIpAddress>10.0.0.99</privateIpAddress></item>
          </networkInterfaceSet>
        </item>
        <item>
          <instanceId>i-0598c7d356eba48d7</instanceId>
          <privateIpAddress>10.0.0.13</privateIpAddress>
          <tagSet><item><key>a&amp;b</key><value><![CDATA[<x>]]>&#x41;&#66;</value></item></tagSet>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>"#;

    #[test]
    fn nested_lists_are_found_by_path_and_a_nested_field_is_not_taken_for_its_parents() {
        let root = Element::parse(INSTANCES).unwrap();
        assert_eq!(root.name, "DescribeInstancesResponse");
        let instances: Vec<_> = root.find("reservationSet/item/instancesSet/item").collect();
        assert_eq!(instances.len(), 2);
        assert_eq!(instances[0].text_of("privateIpAddress"), Some("10.0.0.12"));
        assert_eq!(instances[0].text_of("ipAddress"), Some("203.0.113.7"));
        assert_eq!(instances[1].text_of("ipAddress"), None);
        assert_eq!(
            instances[0].text_of("networkInterfaceSet/item/privateIpAddress"),
            Some("10.0.0.99")
        );
    }

    #[test]
    fn entities_character_references_and_cdata_are_read_as_text() {
        let root = Element::parse(INSTANCES).unwrap();
        let tag = root
            .find("reservationSet/item/instancesSet/item/tagSet/item")
            .next()
            .unwrap();
        assert_eq!(tag.text_of("key"), Some("a&b"));
        assert_eq!(tag.text_of("value"), Some("<x>AB"));
    }

    #[test]
    fn a_truncated_or_malformed_answer_is_an_error_not_an_empty_one() {
        assert!(Element::parse("<a><b>1</b>").is_err());
        assert!(Element::parse("").is_err());
        assert!(Element::parse("<a>&bogus;</a>").is_err());
        assert!(Element::parse("<a></b>").is_err());
    }

    #[test]
    fn parameters_are_form_encoded_after_the_action_and_version() {
        let params = numbered("InstanceId", &["i-1".into(), "i 2&x".into()]);
        assert_eq!(
            form("DescribeInstances", &params),
            "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i+2%26x"
        );
    }

    #[test]
    fn the_default_endpoint_follows_the_partition_of_the_region() {
        assert_eq!(
            default_endpoint("eu-west-1"),
            "https://ec2.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            default_endpoint("cn-north-1"),
            "https://ec2.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn backoff_grows_and_stays_within_one_and_a_half_of_its_base() {
        for attempt in 1..=3 {
            let base = 100u64 << (attempt - 1);
            let d = backoff(attempt).as_millis() as u64;
            assert!((base..=base + base / 2).contains(&d), "{attempt}: {d}");
        }
    }
}
