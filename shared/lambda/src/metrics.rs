//! The functions' own CloudWatch metrics, in the embedded metric format (EMF): one JSON
//! line per data point on stdout, which CloudWatch Logs turns into a metric. Called by
//! [`crate::http`] (the one place errors become HTTP responses) for every unexpected
//! failure, so the deployment alarms count those and never a designed answer.
//!
//! A data point belongs to the function version that produced it: in Lambda the
//! variables Lambda sets in every function (`AWS_LAMBDA_FUNCTION_NAME`,
//! `AWS_LAMBDA_FUNCTION_VERSION`); in a process that runs many functions (the local
//! stack, tests) whatever [`scope`] says around the handler. Lines go to stdout unless a
//! local stack installed its own [`set_sink`].
//!
//! Every line also carries `"level":"ERROR"`: with the JSON log format, Lambda's
//! application log-level filter drops lines below the configured level and reads a line
//! without `level` as INFO, so a metric line must pass every level a deployment may set.

use std::sync::OnceLock;

/// The namespace of every Hangar metric.
pub const NAMESPACE: &str = "Hangar";
/// Responses that are failures nobody designed: every 5xx except a 503 that asks the
/// client to retry later (`ApiError::unavailable`).
pub const UNEXPECTED_ERRORS: &str = "UnexpectedErrors";
/// The dimensions of every data point, as the AWS/Lambda namespace names them.
pub const FUNCTION_DIMENSION: &str = "FunctionName";
pub const VERSION_DIMENSION: &str = "ExecutedVersion";

/// The function version a data point belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionVersion {
    pub function: String,
    pub version: String,
}

tokio::task_local! {
    static SCOPE: FunctionVersion;
}

/// Runs `future` with its data points attributed to `id` (for processes that run many
/// functions; Lambda needs none).
pub async fn scope<F: std::future::Future>(id: FunctionVersion, future: F) -> F::Output {
    SCOPE.scope(id, future).await
}

/// The function version of the current task: [`scope`]'s, else Lambda's variables, else
/// `unknown` / `$LATEST`.
pub fn current() -> FunctionVersion {
    SCOPE.try_with(Clone::clone).unwrap_or_else(|_| {
        static LAMBDA: OnceLock<FunctionVersion> = OnceLock::new();
        LAMBDA
            .get_or_init(|| FunctionVersion {
                function: std::env::var("AWS_LAMBDA_FUNCTION_NAME")
                    .unwrap_or_else(|_| "unknown".into()),
                version: std::env::var("AWS_LAMBDA_FUNCTION_VERSION")
                    .unwrap_or_else(|_| "$LATEST".into()),
            })
            .clone()
    })
}

type Sink = Box<dyn Fn(&str) + Send + Sync>;
static SINK: OnceLock<Sink> = OnceLock::new();

/// Sends every metric line of this process to `sink` instead of stdout. Only the first
/// call takes effect (one process, one destination); returns whether it did.
pub fn set_sink(sink: impl Fn(&str) + Send + Sync + 'static) -> bool {
    SINK.set(Box::new(sink)).is_ok()
}

/// The EMF line for one data point of `metric` (a count) for `id` at `timestamp_ms`.
pub fn emf_line(id: &FunctionVersion, metric: &str, count: u64, timestamp_ms: u64) -> String {
    serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[FUNCTION_DIMENSION, VERSION_DIMENSION]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        FUNCTION_DIMENSION: id.function,
        VERSION_DIMENSION: id.version,
        metric: count,
        "level": "ERROR",
    })
    .to_string()
}

/// Counts one `metric` for the current function version, now.
pub fn count(metric: &str) {
    let line = emf_line(&current(), metric, 1, crate::clock::now_ms());
    match SINK.get() {
        Some(sink) => sink(&line),
        None => println!("{line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_line_declares_the_metric_its_dimensions_and_an_error_level() {
        let id = FunctionVersion {
            function: "hangar-dev-sessions-get".into(),
            version: "7".into(),
        };
        let line: serde_json::Value =
            serde_json::from_str(&emf_line(&id, UNEXPECTED_ERRORS, 1, 1_767_268_800_000)).unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(line["_aws"]["Timestamp"], 1_767_268_800_000u64);
        assert_eq!(directive["Namespace"], "Hangar");
        assert_eq!(
            directive["Dimensions"],
            serde_json::json!([["FunctionName", "ExecutedVersion"]])
        );
        assert_eq!(
            directive["Metrics"],
            serde_json::json!([{"Name": "UnexpectedErrors", "Unit": "Count"}])
        );
        assert_eq!(line["FunctionName"], "hangar-dev-sessions-get");
        assert_eq!(line["ExecutedVersion"], "7");
        assert_eq!(line["UnexpectedErrors"], 1);
        assert_eq!(line["level"], "ERROR");
    }

    #[tokio::test]
    async fn scope_attributes_data_points_to_its_function_version() {
        let id = FunctionVersion {
            function: "f".into(),
            version: "2".into(),
        };
        let seen = scope(id.clone(), async { current() }).await;
        assert_eq!(seen, id);
        assert_eq!(current().version, "$LATEST");
    }
}
