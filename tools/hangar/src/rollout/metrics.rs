//! The local stand-in for CloudWatch during a rollout: Lambda's own metrics of each
//! invocation (count, errors, duration), recorded by the alias that routed it, and the
//! functions' EMF lines (`Hangar/UnexpectedErrors`), read the way CloudWatch Logs reads
//! them. One per process, since the functions' EMF lines have one destination.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use hangar_lambda::metrics::{FunctionVersion, FUNCTION_DIMENSION, NAMESPACE, VERSION_DIMENSION};
use serde_json::Value;

use super::alarms::Period;

#[derive(Debug, Clone)]
enum Point {
    Invocation { failed: bool, duration_ms: u64 },
    UnexpectedError,
}

#[derive(Default)]
struct Points(Vec<(Instant, FunctionVersion, Point)>);

/// Where the local metrics are kept.
#[derive(Clone, Default)]
pub struct Recorder {
    points: Arc<Mutex<Points>>,
}

impl Recorder {
    /// The process's recorder; the first call also takes the functions' EMF lines.
    pub fn global() -> Recorder {
        static GLOBAL: OnceLock<Recorder> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let recorder = Recorder::default();
                let sink = recorder.clone();
                hangar_lambda::metrics::set_sink(move |line| sink.emf(line));
                recorder
            })
            .clone()
    }

    fn push(&self, id: FunctionVersion, point: Point) {
        self.points
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .push((Instant::now(), id, point));
    }

    /// One invocation of `id`, as Lambda counts it.
    pub fn invocation(&self, id: FunctionVersion, failed: bool, duration_ms: u64) {
        self.push(
            id,
            Point::Invocation {
                failed,
                duration_ms,
            },
        );
    }

    /// An EMF line: its `Hangar/UnexpectedErrors` values, by its dimensions. Lines of
    /// other namespaces or metrics, and lines that are not EMF, are ignored (CloudWatch
    /// keeps them as plain log lines).
    pub fn emf(&self, line: &str) {
        let Ok(doc) = serde_json::from_str::<Value>(line) else {
            return;
        };
        let declared = doc["_aws"]["CloudWatchMetrics"]
            .as_array()
            .is_some_and(|d| {
                d.iter().any(|m| {
                    m["Namespace"] == NAMESPACE
                        && m["Metrics"].as_array().is_some_and(|ms| {
                            ms.iter()
                                .any(|x| x["Name"] == hangar_lambda::metrics::UNEXPECTED_ERRORS)
                        })
                })
            });
        let (Some(function), Some(version)) = (
            doc[FUNCTION_DIMENSION].as_str(),
            doc[VERSION_DIMENSION].as_str(),
        ) else {
            return;
        };
        let count = doc[hangar_lambda::metrics::UNEXPECTED_ERRORS]
            .as_u64()
            .unwrap_or(0);
        if declared {
            let id = FunctionVersion {
                function: function.to_string(),
                version: version.to_string(),
            };
            for _ in 0..count {
                self.push(id.clone(), Point::UnexpectedError);
            }
        }
    }

    /// What `id` did in the last `window`.
    pub fn period(&self, id: &FunctionVersion, window: Duration) -> Period {
        let since = Instant::now().checked_sub(window);
        let points = self.points.lock().unwrap_or_else(PoisonError::into_inner);
        let mut period = Period::default();
        for (at, who, point) in &points.0 {
            if who != id || since.is_some_and(|s| *at < s) {
                continue;
            }
            match point {
                Point::Invocation {
                    failed,
                    duration_ms,
                } => {
                    period.invocations += 1;
                    period.errors += u64::from(*failed);
                    period.durations_ms.push(*duration_ms);
                }
                Point::UnexpectedError => period.unexpected_errors += 1,
            }
        }
        period
    }
}
