//! A loopback listener standing in for every AWS endpoint (and any HTTP proxy or
//! metadata service) a function might reach. It records each connection with the time it
//! was accepted and the first line of the request, and answers every request with a
//! non-retryable `400 ResourceNotFoundException`, so an SDK call fails at once instead of
//! retrying. Nothing is forwarded anywhere.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One connection to the recorder.
#[derive(Debug, Clone)]
pub struct Call {
    pub at: Instant,
    /// The request line (e.g. `POST / HTTP/1.1`) plus the `x-amz-target` or `host`
    /// header when present; empty when the peer sent nothing readable.
    pub request: String,
}

type Log = Arc<Mutex<Vec<Call>>>;

pub struct Recorder {
    port: u16,
    log: Log,
    task: JoinHandle<()>,
}

const BODY: &str = r#"{"__type":"ResourceNotFoundException","message":"lambda-bench: no AWS service behind this endpoint"}"#;
const MAX_HEAD: usize = 64 * 1024;

impl Recorder {
    pub async fn start() -> std::io::Result<Recorder> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let log: Log = Arc::default();
        let accept_log = log.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let at = Instant::now();
                let index = {
                    let mut log = lock(&accept_log);
                    log.push(Call {
                        at,
                        request: String::new(),
                    });
                    log.len() - 1
                };
                let log = accept_log.clone();
                tokio::spawn(answer(stream, move |request| {
                    if let Some(call) = lock(&log).get_mut(index) {
                        call.request = request;
                    }
                }));
            }
        });
        Ok(Recorder { port, log, task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every connection so far, in order of arrival.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.log).clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(log: &Log) -> std::sync::MutexGuard<'_, Vec<Call>> {
    // a panic while holding the lock cannot leave the Vec half-written
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads the request head, hands a one-line description of it to `record`, answers 400
/// (403 to a proxy CONNECT) and closes.
async fn answer(mut stream: TcpStream, record: impl FnOnce(String)) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let read_head = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
    };
    let complete = tokio::time::timeout(Duration::from_secs(2), read_head)
        .await
        .is_ok();
    let described = describe(&head);
    let connect = described.starts_with("CONNECT ");
    record(described);
    if !complete {
        return;
    }
    let response = if connect {
        "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string()
    } else {
        format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-errortype: ResourceNotFoundException\r\nx-amzn-requestid: lambda-bench\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
            BODY.len()
        )
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    // read whatever body is still coming until the peer closes, so closing our side
    // never resets a connection the client is still writing to
    let drain = async { while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {} };
    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
}

fn describe(head: &[u8]) -> String {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default().trim().to_string();
    let mut target = None;
    let mut host = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            if name == "x-amz-target" {
                target = Some(value.trim().to_string());
            } else if name == "host" {
                host = Some(value.trim().to_string());
            }
        }
    }
    match (target, host) {
        (Some(t), _) => format!("{first} ({t})"),
        (None, Some(h)) => format!("{first} (host {h})"),
        (None, None) => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_names_the_request_line_and_the_operation() {
        let head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Amz-Target: DynamoDB_20120810.GetItem\r\n\r\n";
        assert_eq!(
            describe(head),
            "POST / HTTP/1.1 (DynamoDB_20120810.GetItem)"
        );
        let head = b"GET /latest/api/token HTTP/1.1\r\nhost: 169.254.169.254\r\n\r\n";
        assert_eq!(
            describe(head),
            "GET /latest/api/token HTTP/1.1 (host 169.254.169.254)"
        );
        assert_eq!(describe(b""), "");
    }

    #[tokio::test]
    async fn every_connection_is_recorded_and_answered_with_a_non_retryable_400() {
        let recorder = Recorder::start().await.unwrap();
        assert!(recorder.calls().is_empty());
        let before = Instant::now();
        let mut stream = TcpStream::connect(("127.0.0.1", recorder.port()))
            .await
            .unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: GameLift.DescribeFleetAttributes\r\ncontent-length: 2\r\n\r\n{}")
            .await
            .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.unwrap();
        assert!(reply.starts_with("HTTP/1.1 400 "), "{reply}");
        assert!(reply.contains("ResourceNotFoundException"), "{reply}");

        // a connection that sends nothing still counts
        drop(
            TcpStream::connect(("127.0.0.1", recorder.port()))
                .await
                .unwrap(),
        );
        let mut calls = recorder.calls();
        for _ in 0..100 {
            if calls.len() == 2 && !calls[0].request.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            calls = recorder.calls();
        }
        assert_eq!(calls.len(), 2);
        assert!(calls[0].at >= before);
        assert_eq!(
            calls[0].request,
            "POST / HTTP/1.1 (GameLift.DescribeFleetAttributes)"
        );
    }
}
