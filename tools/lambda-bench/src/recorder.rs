//! A loopback listener standing in for everything a function should never reach: the
//! instance metadata service, HTTP proxies (so any host off loopback), and every AWS
//! endpoint when no stack is given. It logs each connection with the time it was accepted
//! and the first line of the request (`recorder: POST / HTTP/1.1 (...)`), and answers
//! every request with a non-retryable `400 ResourceNotFoundException`, so an SDK call
//! fails at once instead of retrying. Nothing is forwarded anywhere.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::stack::CallLog;

pub struct Recorder {
    port: u16,
    task: JoinHandle<()>,
}

const BODY: &str = r#"{"__type":"ResourceNotFoundException","message":"lambda-bench: no AWS service behind this endpoint"}"#;
const MAX_HEAD: usize = 64 * 1024;

impl Recorder {
    /// Listens on 127.0.0.1:0, logging into `log`.
    pub async fn start(log: CallLog) -> std::io::Result<Recorder> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let index = log.push("recorder: (connection, no request)");
                let log = log.clone();
                tokio::spawn(answer(stream, move |request| {
                    if !request.is_empty() {
                        log.describe(index, format!("recorder: {request}"));
                    }
                }));
            }
        });
        Ok(Recorder { port, task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
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
        let log = CallLog::default();
        let before = std::time::Instant::now();
        let recorder = Recorder::start(log.clone()).await.unwrap();
        assert!(log.between(before, None).is_empty());
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
        let mut calls = log.between(before, None);
        for _ in 0..100 {
            if calls.len() == 2 && calls[0].what.contains("HTTP") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            calls = log.between(before, None);
        }
        assert_eq!(calls.len(), 2);
        assert_eq!(
            calls[0].what,
            "recorder: POST / HTTP/1.1 (GameLift.DescribeFleetAttributes)"
        );
        assert_eq!(calls[1].what, "recorder: (connection, no request)");
    }
}
