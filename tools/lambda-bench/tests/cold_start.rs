//! End to end: the harness starts a real `lambda_runtime` function and measures it.
//!
//! The function is this test binary itself: started with `AWS_LAMBDA_RUNTIME_API` set it
//! behaves as a Lambda function whose behaviour `FIXTURE` picks; started by the test
//! runner it runs the cases below, each exec'ing itself under the harness.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use lambda_bench::measure::{cold_start, Launch, Limits, Outcome, RunError, Sample};
use lambda_bench::stack::CallLog;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

const FUNCTION: &str = "bench-fixture";
const LEAK: &str = "LAMBDA_BENCH_TEST_PARENT_ONLY";

fn main() {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        function();
        return;
    }
    // set before any thread exists: the harness must not pass it on to the function
    std::env::set_var(LEAK, "1");
    let cases: [(&str, fn()); 7] = [
        (
            "the_real_runtime_client_gets_the_event_with_every_header_and_its_answer_is_timed",
            the_real_runtime_client_gets_the_event_with_every_header_and_its_answer_is_timed,
        ),
        (
            "a_call_to_an_aws_endpoint_during_init_is_counted_as_a_network_call_in_init",
            a_call_to_an_aws_endpoint_during_init_is_counted_as_a_network_call_in_init,
        ),
        (
            "a_call_made_by_the_handler_is_not_counted_as_init",
            a_call_made_by_the_handler_is_not_counted_as_init,
        ),
        (
            "a_handler_error_is_reported_as_the_outcome",
            a_handler_error_is_reported_as_the_outcome,
        ),
        (
            "peak_rss_includes_memory_touched_during_init",
            peak_rss_includes_memory_touched_during_init,
        ),
        (
            "a_function_that_exits_during_init_is_a_failed_run_with_its_output",
            a_function_that_exits_during_init_is_a_failed_run_with_its_output,
        ),
        (
            "an_init_error_posted_to_the_runtime_api_is_a_failed_run",
            an_init_error_posted_to_the_runtime_api_is_a_failed_run,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut ran = 0;
    for (name, case) in cases {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        print!("test {name} ... ");
        case();
        println!("ok");
        ran += 1;
    }
    println!("\ntest result: ok. {ran} passed");
}

fn launch(fixture: &str) -> Launch {
    Launch {
        function_name: FUNCTION.into(),
        binary: std::env::current_exe().unwrap(),
        args: Vec::new(),
        cwd: None,
        memory_mb: 256,
        region: "eu-west-1".into(),
        vars: BTreeMap::from([("FIXTURE".to_string(), fixture.to_string())]),
        log_format: Some("JSON".into()),
        log_level: Some("INFO".into()),
        event: Bytes::from_static(br#"{"hello":"world"}"#),
        invocations: 1,
        limits: Limits::default(),
    }
}

fn measure(fixture: &str) -> Result<Sample, RunError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(cold_start(&launch(fixture), &CallLog::default()))
}

fn the_real_runtime_client_gets_the_event_with_every_header_and_its_answer_is_timed() {
    // the fixture answers 200 only if the event, request id, deadline, ARN, trace id and
    // the Lambda environment reached it (and nothing of the parent's environment did)
    let sample = measure("echo").unwrap();
    assert!(
        matches!(
            sample.outcome,
            Outcome::Response {
                status_code: Some(200),
                ..
            }
        ),
        "{:?}",
        sample.outcome
    );
    assert!(sample.init_calls.is_empty(), "{:?}", sample.init_calls);
    assert_eq!(sample.invoke_calls, 0);
    assert!(sample.init.as_nanos() > 0 && sample.invoke.as_nanos() > 0);
    assert!(sample.peak_rss_kib.is_some_and(|k| k > 0));
}

fn a_call_to_an_aws_endpoint_during_init_is_counted_as_a_network_call_in_init() {
    let sample = measure("call-at-init").unwrap();
    assert_eq!(
        sample.init_calls,
        ["recorder: POST / HTTP/1.1 (DynamoDB_20120810.DescribeTable)"]
    );
    assert_eq!(sample.invoke_calls, 0);
    assert!(
        matches!(
            sample.outcome,
            Outcome::Response {
                status_code: Some(200),
                ..
            }
        ),
        "{:?}",
        sample.outcome
    );
}

fn a_call_made_by_the_handler_is_not_counted_as_init() {
    let sample = measure("call-in-handler").unwrap();
    assert!(sample.init_calls.is_empty(), "{:?}", sample.init_calls);
    assert_eq!(sample.invoke_calls, 1);
}

fn a_handler_error_is_reported_as_the_outcome() {
    let sample = measure("handler-error").unwrap();
    assert!(
        matches!(&sample.outcome, Outcome::Error { message, .. } if message == "the handler failed"),
        "{:?}",
        sample.outcome
    );
    assert!(sample.peak_rss_kib.is_some());
}

fn peak_rss_includes_memory_touched_during_init() {
    let small = measure("echo").unwrap().peak_rss_kib.unwrap();
    let big = measure("touch-64mib").unwrap().peak_rss_kib.unwrap();
    assert!(big >= 64 * 1024, "{big} KiB");
    assert!(big > small + 60 * 1024, "{small} KiB then {big} KiB");
}

fn a_function_that_exits_during_init_is_a_failed_run_with_its_output() {
    let e = measure("exit").unwrap_err().to_string();
    assert!(e.contains("exited (exit status: 3)"), "{e}");
    assert!(e.contains("MISSING_SETTING is not set"), "{e}");
}

fn an_init_error_posted_to_the_runtime_api_is_a_failed_run() {
    let e = measure("init-error").unwrap_err().to_string();
    assert!(e.contains("/init/error (Runtime.InitError)"), "{e}");
    assert!(e.contains("bad configuration"), "{e}");
}

// ---- the function side -------------------------------------------------------------

fn function() {
    let fixture = std::env::var("FIXTURE").unwrap_or_default();
    let mut keep = Vec::new();
    match fixture.as_str() {
        "exit" => {
            eprintln!("MISSING_SETTING is not set");
            std::process::exit(3);
        }
        "init-error" => {
            let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap();
            let body = r#"{"errorType":"Config","errorMessage":"bad configuration"}"#;
            http(
                &api,
                &format!(
                    "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nhost: {api}\r\nlambda-runtime-function-error-type: Runtime.InitError\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                ),
            );
            std::process::exit(1);
        }
        "call-at-init" => call_aws(),
        "touch-64mib" => keep = vec![1u8; 64 * 1024 * 1024],
        _ => {}
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(lambda_runtime::run(service_fn(
        |event: LambdaEvent<Value>| {
            let fixture = fixture.clone();
            async move { handle(&fixture, event) }
        },
    )));
    drop(keep);
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

fn handle(fixture: &str, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let ctx = &event.context;
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let checks = [
        ("event", event.payload == json!({"hello": "world"})),
        ("request id", ctx.request_id.len() == 36),
        ("deadline", ctx.deadline > now_ms),
        (
            "function arn",
            ctx.invoked_function_arn
                == format!("arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION}"),
        ),
        (
            "trace id",
            ctx.xray_trace_id
                .as_deref()
                .is_some_and(|t| t.starts_with("Root=1-")),
        ),
        ("function name", env("AWS_LAMBDA_FUNCTION_NAME") == FUNCTION),
        ("memory", env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") == "256"),
        ("region", env("AWS_REGION") == "eu-west-1"),
        ("credentials", env("AWS_ACCESS_KEY_ID") == "test"),
        ("log format", env("AWS_LAMBDA_LOG_FORMAT") == "JSON"),
        ("parent environment", std::env::var_os(LEAK).is_none()),
    ];
    if let Some((what, _)) = checks.iter().find(|(_, ok)| !ok) {
        return Err(format!("the harness did not pass the {what}").into());
    }
    match fixture {
        "handler-error" => Err("the handler failed".into()),
        "call-in-handler" => {
            call_aws();
            Ok(json!({"statusCode": 200}))
        }
        _ => Ok(json!({"statusCode": 200})),
    }
}

/// One DynamoDB-shaped request to `AWS_ENDPOINT_URL`.
fn call_aws() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let host = endpoint.trim_start_matches("http://");
    let reply = http(
        host,
        &format!("POST / HTTP/1.1\r\nhost: {host}\r\nx-amz-target: DynamoDB_20120810.DescribeTable\r\ncontent-length: 2\r\n\r\n{{}}"),
    );
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
}

fn http(host: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(host).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply
}
