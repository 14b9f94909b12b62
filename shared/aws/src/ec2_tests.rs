//! The EC2 Query client over a real connection: a loopback HTTP server records each
//! request and gives the answers a test queued, as EC2 would.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::ec2::{numbered, Ec2Client, ATTEMPTS};
use crate::Fault;

const ANSWER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <reservationSet><item><instancesSet><item>
    <instanceId>i-1</instanceId><privateIpAddress>10.0.0.1</privateIpAddress>
  </item></instancesSet></item></reservationSet>
</DescribeInstancesResponse>"#;

fn error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
         <Message>{message}</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"
    )
}

struct Server {
    url: String,
    /// Each request as received: head (request line and headers) and body.
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

/// Answers requests with `answers` in order (status, body), one per connection.
async fn server(answers: Vec<(u16, String)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let (answers, seen) = (answers.clone(), seen.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body) = loop {
                    let Ok(n) = tcp.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some((head, body)) = text.split_once("\r\n\r\n") else {
                        continue;
                    };
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        break (head.to_string(), body.to_string());
                    }
                };
                seen.lock().unwrap().push((head, body));
                let (status, answer) = answers
                    .lock()
                    .unwrap()
                    .pop_front()
                    .unwrap_or((500, error("InternalError", "no answer queued")));
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: text/xml;charset=UTF-8\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = tcp.write_all(response.as_bytes()).await;
            });
        }
    });
    Server { url, requests }
}

fn credentials(expiry: Option<SystemTime>) -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        expiry,
        "test",
    )
}

fn client_with(url: &str, provider: SharedCredentialsProvider) -> Ec2Client {
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(provider)
        .endpoint_url(url)
        .build();
    Ec2Client::new(&sdk)
}

fn client(url: &str) -> Ec2Client {
    client_with(url, SharedCredentialsProvider::new(credentials(None)))
}

/// Provides `credentials(expiry)` and counts how often it was asked.
#[derive(Debug)]
struct Counting {
    expiry: Option<SystemTime>,
    asked: Arc<AtomicUsize>,
}

impl ProvideCredentials for Counting {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.asked.fetch_add(1, Ordering::SeqCst);
        future::ProvideCredentials::ready(Ok(credentials(self.expiry)))
    }
}

async fn times_asked_for_two_calls(expiry: Option<SystemTime>) -> usize {
    let s = server(vec![(200, ANSWER.to_string()), (200, ANSWER.to_string())]).await;
    let asked = Arc::new(AtomicUsize::new(0));
    let provider = Counting {
        expiry,
        asked: asked.clone(),
    };
    let c = client_with(&s.url, SharedCredentialsProvider::new(provider));
    c.call("DescribeInstances", &[]).await.unwrap();
    c.call("DescribeInstances", &[]).await.unwrap();
    asked.load(Ordering::SeqCst)
}

#[tokio::test]
async fn credentials_are_kept_between_calls_until_shortly_before_they_expire() {
    let in_an_hour = SystemTime::now() + Duration::from_secs(3600);
    assert_eq!(times_asked_for_two_calls(None).await, 1);
    assert_eq!(times_asked_for_two_calls(Some(in_an_hour)).await, 1);
    let in_a_minute = SystemTime::now() + Duration::from_secs(60);
    assert_eq!(times_asked_for_two_calls(Some(in_a_minute)).await, 2);
}

/// The error of a DescribeInstances call to `url` that must fail.
async fn failed_call(url: &str) -> crate::AwsError {
    client(url)
        .call("DescribeInstances", &[])
        .await
        .expect_err("the call fails")
}

#[tokio::test]
async fn a_call_is_a_form_post_signed_with_sigv4_for_ec2_in_the_configured_region() {
    let s = server(vec![(200, ANSWER.to_string())]).await;
    let ids = numbered("InstanceId", &["i-1".to_string(), "i-2".to_string()]);
    let answer = client(&s.url)
        .call("DescribeInstances", &ids)
        .await
        .unwrap();
    let instance = answer
        .find("reservationSet/item/instancesSet/item")
        .next()
        .unwrap();
    assert_eq!(instance.text_of("privateIpAddress"), Some("10.0.0.1"));

    let requests = s.requests.lock().unwrap();
    let (head, body) = &requests[0];
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("post / http/1.1"), "{head}");
    assert!(
        head.contains("content-type: application/x-www-form-urlencoded; charset=utf-8"),
        "{head}"
    );
    assert!(
        head.contains("authorization: aws4-hmac-sha256 credential=akidexample/")
            && head.contains("/eu-west-1/ec2/aws4_request"),
        "{head}"
    );
    assert!(head.contains("x-amz-date: "), "{head}");
    assert_eq!(
        body,
        "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2"
    );
}

#[tokio::test]
async fn throttling_is_retried_and_the_answer_after_it_returned() {
    let s = server(vec![
        (
            503,
            error("RequestLimitExceeded", "Request limit exceeded."),
        ),
        (200, ANSWER.to_string()),
    ])
    .await;
    let answer = client(&s.url).call("DescribeInstances", &[]).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(s.requests.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn throttling_that_lasts_fails_after_the_last_attempt_as_throttling() {
    let throttled = (
        503,
        error("RequestLimitExceeded", "Request limit exceeded."),
    );
    let s = server(vec![throttled; ATTEMPTS as usize + 1]).await;
    let e = failed_call(&s.url).await;
    assert_eq!(e.fault, Fault::Throttling);
    assert_eq!(e.code(), "RequestLimitExceeded");
    assert_eq!(s.requests.lock().unwrap().len(), ATTEMPTS as usize);
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_keeps_the_code_and_message() {
    let s = server(vec![
        (
            400,
            error(
                "InvalidInstanceID.NotFound",
                "The instance ID 'i-1' does not exist",
            ),
        ),
        (200, ANSWER.to_string()),
    ])
    .await;
    let e = failed_call(&s.url).await;
    assert_eq!(e.fault, Fault::Refused);
    assert_eq!(e.code(), "InvalidInstanceID.NotFound");
    assert!(
        e.to_string()
            .contains("DescribeInstances: HTTP 400 InvalidInstanceID.NotFound: The instance ID 'i-1' does not exist"),
        "{e}"
    );
    assert_eq!(s.requests.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_success_that_is_not_xml_is_an_error_not_an_empty_answer() {
    let s = server(vec![(
        200,
        "<DescribeInstancesResponse><reservationSet>".into(),
    )])
    .await;
    let e = failed_call(&s.url).await;
    assert_eq!(e.fault, Fault::Refused);
    assert_eq!(s.requests.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn no_server_at_the_endpoint_is_a_transient_failure() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = failed_call(&url).await;
    assert_eq!(e.fault, Fault::Transient, "{e}");
}
