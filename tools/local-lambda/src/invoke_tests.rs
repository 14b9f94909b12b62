//! The local Lambda service answered by the real aws-sdk-lambda client over loopback.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use lambda_runtime::Diagnostic;
use serde_json::{json, Value};

async fn client(endpoint: &str) -> aws_sdk_lambda::Client {
    let config = hangar_aws::loader()
        .region("us-east-1")
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .endpoint_url(endpoint)
        .load()
        .await;
    aws_sdk_lambda::Client::new(&config)
}

fn registry() -> crate::Registry {
    let mut r = crate::Registry::new();
    r.register("add", |v: Value| async move {
        let a = v["a"].as_i64().ok_or(Diagnostic {
            error_type: "BadInput".into(),
            error_message: "a is missing".into(),
        })?;
        Ok::<_, Diagnostic>(json!({"sum": a + v["b"].as_i64().unwrap_or(0)}))
    });
    r.register("which:blue", |_v: Value| async move {
        Ok::<_, Diagnostic>(json!("blue"))
    });
    r.register("which", |_v: Value| async move {
        Ok::<_, Diagnostic>(json!("any"))
    });
    r.register("boom", |_v: Value| async move {
        if true {
            panic!("handler bug");
        }
        Ok::<_, Diagnostic>(json!(null))
    });
    r
}

#[tokio::test]
async fn sdk_invoke_returns_the_handler_result_and_function_errors_carry_error_type() {
    let server = crate::serve(registry(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let c = client(&server.endpoint_url()).await;

    let ok = c
        .invoke()
        .function_name("add")
        .payload(Blob::new(r#"{"a":2,"b":3}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status_code(), 200);
    assert!(ok.function_error().is_none());
    let body: Value = serde_json::from_slice(ok.payload().unwrap().as_ref()).unwrap();
    assert_eq!(body, json!({"sum": 5}));

    let err = c
        .invoke()
        .function_name("add")
        .payload(Blob::new(r#"{"b":3}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(err.function_error(), Some("Unhandled"));
    let body: Value = serde_json::from_slice(err.payload().unwrap().as_ref()).unwrap();
    assert_eq!(
        body,
        json!({"errorType": "BadInput", "errorMessage": "a is missing"})
    );

    let panicked = c.invoke().function_name("boom").send().await.unwrap();
    assert_eq!(panicked.function_error(), Some("Unhandled"));
    let again = c
        .invoke()
        .function_name("add")
        .payload(Blob::new(r#"{"a":1}"#))
        .send()
        .await
        .unwrap();
    assert!(
        again.function_error().is_none(),
        "the service survives a panicking handler"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn arns_and_qualifiers_select_the_registered_handler() {
    let server = crate::serve(registry(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let c = client(&server.endpoint_url()).await;
    let call = |name: &'static str, qualifier: Option<&'static str>| {
        let c = c.clone();
        async move {
            let out = c
                .invoke()
                .function_name(name)
                .set_qualifier(qualifier.map(str::to_string))
                .send()
                .await
                .unwrap();
            serde_json::from_slice::<Value>(out.payload().unwrap().as_ref()).unwrap()
        }
    };
    assert_eq!(call("which", Some("blue")).await, json!("blue"));
    assert_eq!(call("which", Some("green")).await, json!("any"));
    assert_eq!(
        call(
            "arn:aws:lambda:us-east-1:123456789012:function:which:blue",
            None
        )
        .await,
        json!("blue")
    );
    // `add` without `a` is a function error: reaching it by ARN returns its error body.
    let by_arn = call("arn:aws:lambda:us-east-1:123456789012:function:add", None).await;
    assert_eq!(
        by_arn,
        json!({"errorType": "BadInput", "errorMessage": "a is missing"})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_functions_and_bad_payloads_are_refused_like_lambda() {
    let server = crate::serve(registry(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let c = client(&server.endpoint_url()).await;
    let missing = c.invoke().function_name("nope").send().await.unwrap_err();
    assert!(missing
        .into_service_error()
        .is_resource_not_found_exception());
    let bad = c
        .invoke()
        .function_name("add")
        .payload(Blob::new("not json"))
        .send()
        .await
        .unwrap_err();
    assert!(bad
        .into_service_error()
        .is_invalid_request_content_exception());
    let dry = c
        .invoke()
        .function_name("add")
        .invocation_type(InvocationType::DryRun)
        .send()
        .await
        .unwrap();
    assert_eq!(dry.status_code(), 204);
    let event = c
        .invoke()
        .function_name("add")
        .invocation_type(InvocationType::Event)
        .send()
        .await
        .unwrap();
    assert_eq!(event.status_code(), 202);
    server.shutdown().await;
}

#[tokio::test]
async fn only_loopback_addresses_are_accepted() {
    let err = crate::serve(registry(), "0.0.0.0:0".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert!(matches!(err, crate::ServeError::NotLoopback(_)));
}
