//! Per-function figures, the verdict against the cold-start targets, and the Markdown
//! table written into BENCHMARKS.md.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::json;

use crate::artifact::Sizes;
use crate::measure::{Outcome, Sample};
use crate::stats::{self, Summary};

/// The targets of every function. Sizes use decimal megabytes (the stricter reading).
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    pub init_median_ms: f64,
    /// Init median at most this many times the SDK-free floor (`version`) of the same run.
    pub init_floor_factor: f64,
    /// The SDK-free floor measured in this run (`version`'s init median), once known.
    pub init_floor_ms: Option<f64>,
    /// Init plus first invoke, median, for a function whose first invoke calls AWS.
    pub cold_start_median_ms: f64,
    pub zip_bytes: u64,
    pub rss_bytes: u64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            init_median_ms: 10.0,
            init_floor_factor: 2.0,
            init_floor_ms: None,
            cold_start_median_ms: 15.0,
            zip_bytes: 5_000_000,
            rss_bytes: 16_000_000,
        }
    }
}

/// The function whose init is the SDK-free floor.
pub const FLOOR_FUNCTION: &str = "version";

impl Targets {
    /// These targets with the floor taken from `version` among `results`.
    pub fn with_floor(mut self, results: &[FunctionResult]) -> Targets {
        self.init_floor_ms = results
            .iter()
            .find(|r| r.name == FLOOR_FUNCTION && r.runtime.is_none())
            .and_then(|r| r.init_ms())
            .map(|s| s.median);
        self
    }
}

/// Everything measured for one function.
#[derive(Debug, Clone)]
pub struct FunctionResult {
    pub name: String,
    /// `None` for our function binaries; `Some("Python 3.11")` for a peer written in
    /// another runtime (measured for comparison; the targets are not applied).
    pub runtime: Option<String>,
    /// The sample event's path under `events/`, `None` when there is none (`{}` sent).
    pub event: Option<String>,
    pub sizes: Option<Sizes>,
    pub samples: Vec<Sample>,
    /// Runs that did not reach an answer, with why.
    pub failures: Vec<String>,
}

impl FunctionResult {
    /// Summary of one figure over the runs; `None` unless every run has it.
    fn summary(&self, figure: impl Fn(&Sample) -> Option<f64>) -> Option<Summary> {
        let v: Option<Vec<f64>> = self.samples.iter().map(figure).collect();
        stats::summarize(&v?)
    }

    pub fn init_ms(&self) -> Option<Summary> {
        self.summary(|s| Some(s.init.as_secs_f64() * 1e3))
    }

    pub fn invoke_ms(&self) -> Option<Summary> {
        self.summary(|s| Some(s.invoke.as_secs_f64() * 1e3))
    }

    /// Init plus first invoke of each run.
    pub fn cold_start_ms(&self) -> Option<Summary> {
        self.summary(|s| Some((s.init + s.invoke).as_secs_f64() * 1e3))
    }

    /// Whether the first invoke reached an AWS endpoint (in most runs).
    pub fn calls_aws(&self) -> bool {
        let calling = self.samples.iter().filter(|s| s.invoke_calls > 0).count();
        calling * 2 > self.samples.len()
    }

    /// Peak RSS in bytes.
    pub fn rss_bytes(&self) -> Option<Summary> {
        self.summary(|s| s.peak_rss_kib.map(|k| (k * 1024) as f64))
    }

    fn init_calls(&self) -> usize {
        self.samples.iter().map(|s| s.init_calls.len()).sum()
    }

    /// The targets missed, empty when all are met.
    pub fn missed(&self, targets: &Targets) -> Vec<String> {
        let mut missed = Vec::new();
        if self.samples.is_empty() {
            missed.push("did not start".to_string());
            return missed;
        }
        if !self.failures.is_empty() {
            missed.push(format!(
                "{} of {} runs failed",
                self.failures.len(),
                self.failures.len() + self.samples.len()
            ));
        }
        let init = self.init_ms();
        if init.is_none_or(|s| s.median > targets.init_median_ms) {
            missed.push("init".into());
        }
        if let (Some(floor), Some(init)) = (targets.init_floor_ms, init) {
            if self.name != FLOOR_FUNCTION && init.median > floor * targets.init_floor_factor {
                missed.push(format!("init > {}x version", targets.init_floor_factor));
            }
        }
        if self.calls_aws()
            && self
                .cold_start_ms()
                .is_none_or(|s| s.median > targets.cold_start_median_ms)
        {
            missed.push("init + 1st invoke".into());
        }
        match self.sizes {
            Some(s) if s.zip <= targets.zip_bytes => {}
            Some(_) => missed.push("zip".into()),
            None => missed.push("zip not measured".into()),
        }
        match self.rss_bytes() {
            Some(s) if s.max <= targets.rss_bytes as f64 => {}
            Some(_) => missed.push("RSS".into()),
            None => missed.push("RSS not measured".into()),
        }
        if self.init_calls() > 0 {
            missed.push("network during init".into());
        }
        missed
    }

    fn outcome(&self) -> String {
        let outcomes: BTreeSet<String> =
            self.samples.iter().map(|s| s.outcome.describe()).collect();
        outcomes.into_iter().collect::<Vec<_>>().join(" / ")
    }

    pub fn to_json(&self, targets: &Targets) -> serde_json::Value {
        json!({
            "function": self.name,
            "runtime": self.runtime,
            "event": self.event,
            "binary_bytes": self.sizes.map(|s| s.binary),
            "zip_bytes": self.sizes.map(|s| s.zip),
            "missed": if self.runtime.is_none() { self.missed(targets) } else { Vec::new() },
            "failures": self.failures,
            "runs": self.samples.iter().map(|s| json!({
                "init_ms": s.init.as_secs_f64() * 1e3,
                "invoke_ms": s.invoke.as_secs_f64() * 1e3,
                "outcome": s.outcome.describe(),
                "peak_rss_kib": s.peak_rss_kib,
                "init_calls": s.init_calls,
                "invoke_calls": s.invoke_calls,
            })).collect::<Vec<_>>(),
        })
    }
}

fn mib(bytes: f64) -> String {
    format!("{:.1}", bytes / 1_048_576.0)
}

fn pair(s: Option<Summary>, second: fn(&Summary) -> f64, unit: fn(f64) -> String) -> String {
    s.map(|s| format!("{} / {}", unit(s.median), unit(second(&s))))
        .unwrap_or_else(|| "–".into())
}

fn ms(v: f64) -> String {
    format!("{v:.1}")
}

/// The display name of a result: the function, and the runtime of a peer.
fn label(r: &FunctionResult) -> String {
    match &r.runtime {
        None => r.name.clone(),
        Some(runtime) => format!("{} ({runtime}, boto3)", r.name),
    }
}

/// The results table plus notes on every target missed.
pub fn markdown(results: &[FunctionResult], targets: &Targets) -> String {
    let mut out = String::new();
    out.push_str("| function | init ms (median / p90) | 1st invoke ms (median / p90) | init + 1st invoke ms (median / p90) | answer | AWS calls in 1st invoke | peak RSS MiB (median / max) | binary MiB | zip MiB | network calls in init | targets |\n");
    out.push_str("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for r in results {
        let missed = r.missed(targets);
        let verdict = if r.runtime.is_some() {
            "(comparison)".to_string()
        } else if missed.is_empty() {
            "pass".to_string()
        } else {
            format!("**missed**: {}", missed.join(", "))
        };
        let answer = match &r.event {
            Some(_) => r.outcome(),
            None if r.samples.is_empty() => String::new(),
            None => format!("{} (`{{}}`, no sample event)", r.outcome()),
        };
        let calls: BTreeSet<usize> = r.samples.iter().map(|s| s.invoke_calls).collect();
        let calls = calls
            .into_iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("–");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            label(r),
            pair(r.init_ms(), |s| s.p90, ms),
            pair(r.invoke_ms(), |s| s.p90, ms),
            pair(r.cold_start_ms(), |s| s.p90, ms),
            answer,
            calls,
            pair(r.rss_bytes(), |s| s.max, mib),
            r.sizes.map(|s| mib(s.binary as f64)).unwrap_or_default(),
            r.sizes.map(|s| mib(s.zip as f64)).unwrap_or_default(),
            if r.samples.is_empty() {
                String::new()
            } else {
                r.init_calls().to_string()
            },
            verdict,
        );
    }
    let notes: Vec<String> = results
        .iter()
        .filter_map(|r| {
            let mut why = Vec::new();
            let calls: BTreeSet<&str> = r
                .samples
                .iter()
                .flat_map(|s| s.init_calls.iter().map(String::as_str))
                .collect();
            if !calls.is_empty() {
                why.push(format!(
                    "called out during init: {}",
                    calls
                        .into_iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let errors: BTreeSet<String> = r
                .samples
                .iter()
                .filter_map(|s| match &s.outcome {
                    Outcome::Error {
                        error_type,
                        message,
                    } => Some(format!("`{error_type}`: {}", clip(message, 200))),
                    Outcome::Response { .. } => None,
                })
                .collect();
            for e in errors {
                why.push(format!("answered error {}", e.replace('\n', " ")));
            }
            let failures: BTreeSet<&str> = r.failures.iter().map(String::as_str).collect();
            for f in failures {
                why.push(format!("run failed: {}", f.replace('\n', " ")));
            }
            (!why.is_empty()).then(|| format!("- {}: {}", label(r), why.join("; ")))
        })
        .collect();
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes.join("\n"));
        out.push('\n');
    }
    out
}

/// Our cold start (median) at least this many times faster than the peer's.
pub const PEER_SPEEDUP: f64 = 20.0;
/// Our peak RSS (median) at most this share of the peer's.
pub const PEER_MEMORY_SHARE: f64 = 1.0 / 3.0;

/// The peers beside the function of the same name: total cold start (init + first
/// invoke, medians) and peak RSS (medians), with the ratios and the verdict against
/// [`PEER_SPEEDUP`] and [`PEER_MEMORY_SHARE`].
pub fn comparison(results: &[FunctionResult]) -> String {
    let mut out = String::new();
    out.push_str("| function | Rust cold start ms | peer cold start ms | peer / Rust | Rust peak RSS MiB | peer peak RSS MiB | Rust / peer | targets (≥ 20x faster, ≤ 1/3 memory) |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for peer in results.iter().filter(|r| r.runtime.is_some()) {
        let Some(rust) = results
            .iter()
            .find(|r| r.runtime.is_none() && r.name == peer.name)
        else {
            continue;
        };
        let (Some(rc), Some(pc), Some(rr), Some(pr)) = (
            rust.cold_start_ms(),
            peer.cold_start_ms(),
            rust.rss_bytes(),
            peer.rss_bytes(),
        ) else {
            continue;
        };
        let (faster, memory) = (pc.median / rc.median, rr.median / pr.median);
        let mut missed = Vec::new();
        // a peer that answered otherwise (e.g. a TLS error) did other work: no ratio holds
        if peer.outcome() != rust.outcome() {
            missed.push("answers differ, not comparable");
        }
        if faster < PEER_SPEEDUP {
            missed.push("cold start");
        }
        if memory > PEER_MEMORY_SHARE {
            missed.push("memory");
        }
        let verdict = if missed.is_empty() {
            "pass".to_string()
        } else {
            format!("**missed**: {}", missed.join(", "))
        };
        let _ = writeln!(
            out,
            "| {} vs {} | {} | {} | {faster:.1}x | {} | {} | {memory:.2} | {verdict} |",
            rust.name,
            label(peer),
            ms(rc.median),
            ms(pc.median),
            mib(rr.median),
            mib(pr.median),
        );
    }
    out
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

pub const BEGIN: &str = "<!-- lambda-bench:begin -->";
pub const END: &str = "<!-- lambda-bench:end -->";

pub const CALLGRIND_BEGIN: &str = "<!-- lambda-bench:callgrind:begin -->";
pub const CALLGRIND_END: &str = "<!-- lambda-bench:callgrind:end -->";

/// `doc` with the text between the `BEGIN` and `END` markers replaced by `content`.
pub fn replace_section(doc: &str, content: &str) -> Option<String> {
    replace_marked(doc, BEGIN, END, content)
}

/// `doc` with the text between `begin` and `end` replaced by `content`.
pub fn replace_marked(doc: &str, begin: &str, end: &str, content: &str) -> Option<String> {
    let start = doc.find(begin)? + begin.len();
    let end = start + doc[start..].find(end)?;
    Some(format!(
        "{}\n{}\n{}",
        &doc[..start],
        content.trim_end(),
        &doc[end..]
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sample(init_ms: u64, rss_kib: Option<u64>, init_calls: &[&str]) -> Sample {
        Sample {
            init: Duration::from_millis(init_ms),
            invoke: Duration::from_millis(2),
            outcome: Outcome::Response {
                status_code: Some(200),
                body: String::new(),
            },
            peak_rss_kib: rss_kib,
            init_calls: init_calls.iter().map(|c| c.to_string()).collect(),
            invoke_calls: 0,
        }
    }

    fn result(samples: Vec<Sample>, zip: u64) -> FunctionResult {
        FunctionResult {
            name: "f".into(),
            runtime: None,
            event: Some("events/f.json".into()),
            sizes: Some(Sizes {
                binary: zip * 2,
                zip,
            }),
            samples,
            failures: vec![],
        }
    }

    #[test]
    fn a_function_within_every_target_passes() {
        let r = result(
            vec![sample(3, Some(8000), &[]), sample(5, Some(9000), &[])],
            3_000_000,
        );
        assert!(r.missed(&Targets::default()).is_empty());
        let table = markdown(&[r], &Targets::default());
        assert!(
            table
                .contains("| f | 4.0 / 5.0 | 2.0 / 2.0 | 6.0 / 7.0 | 200 | 0 | 8.3 / 8.8 | 5.7 | 2.9 | 0 | pass |"),
            "{table}"
        );
    }

    #[test]
    fn the_init_target_is_on_the_median_not_the_slowest_run() {
        let r = result(
            vec![
                sample(4, Some(1), &[]),
                sample(5, Some(1), &[]),
                sample(90, Some(1), &[]),
            ],
            1,
        );
        assert!(r.missed(&Targets::default()).is_empty());
        let r = result(
            vec![
                sample(4, Some(1), &[]),
                sample(11, Some(1), &[]),
                sample(12, Some(1), &[]),
            ],
            1,
        );
        assert_eq!(r.missed(&Targets::default()), ["init"]);
    }

    #[test]
    fn zip_rss_and_a_single_network_call_in_init_are_each_missed() {
        let over_rss = 16_000_000 / 1024 + 1;
        let r = result(
            vec![
                sample(1, Some(100), &[]),
                sample(
                    1,
                    Some(over_rss),
                    &["POST / (DynamoDB_20120810.DescribeTable)"],
                ),
            ],
            5_000_001,
        );
        assert_eq!(
            r.missed(&Targets::default()),
            ["zip", "RSS", "network during init"]
        );
        let table = markdown(&[r], &Targets::default());
        assert!(
            table.contains("called out during init: `POST / (DynamoDB_20120810.DescribeTable)`"),
            "{table}"
        );
    }

    #[test]
    fn missing_measurements_and_failed_runs_never_pass() {
        let r = result(vec![sample(1, None, &[])], 1);
        assert_eq!(r.missed(&Targets::default()), ["RSS not measured"]);
        let mut r = result(vec![], 1);
        r.failures
            .push("the function exited (exit status: 1)".into());
        assert_eq!(r.missed(&Targets::default()), ["did not start"]);
        let mut r = result(vec![sample(1, Some(1), &[])], 1);
        r.failures.push("no GET /next within 10s".into());
        assert_eq!(r.missed(&Targets::default()), ["1 of 2 runs failed"]);
        assert!(markdown(&[r], &Targets::default()).contains("run failed: no GET /next within 10s"));
    }

    fn with_invoke(mut s: Sample, invoke_ms: u64, calls: usize) -> Sample {
        s.invoke = Duration::from_millis(invoke_ms);
        s.invoke_calls = calls;
        s
    }

    #[test]
    fn init_over_twice_the_version_floor_of_the_same_run_is_missed() {
        let mut version = result(vec![sample(2, Some(1), &[])], 1);
        version.name = FLOOR_FUNCTION.into();
        let fast = result(vec![sample(4, Some(1), &[])], 1);
        let mut slow = result(vec![sample(5, Some(1), &[])], 1);
        slow.name = "g".into();
        let targets = Targets::default().with_floor(&[version.clone(), fast.clone(), slow.clone()]);
        assert_eq!(targets.init_floor_ms, Some(2.0));
        assert!(fast.missed(&targets).is_empty());
        assert_eq!(slow.missed(&targets), ["init > 2x version"]);
        assert!(version.missed(&targets).is_empty());
        // a peer's figures never set the floor
        version.runtime = Some("Python 3.11".into());
        assert_eq!(
            Targets::default().with_floor(&[version]).init_floor_ms,
            None
        );
    }

    #[test]
    fn the_cold_start_target_applies_to_functions_whose_first_invoke_calls_aws() {
        let calling = result(
            vec![
                with_invoke(sample(5, Some(1), &[]), 12, 1),
                with_invoke(sample(5, Some(1), &[]), 9, 1),
            ],
            1,
        );
        assert_eq!(calling.missed(&Targets::default()), ["init + 1st invoke"]);
        let quick = result(vec![with_invoke(sample(5, Some(1), &[]), 9, 1)], 1);
        assert!(quick.missed(&Targets::default()).is_empty());
        let offline = result(vec![with_invoke(sample(5, Some(1), &[]), 30, 0)], 1);
        assert!(offline.missed(&Targets::default()).is_empty());
    }

    #[test]
    fn the_comparison_sets_each_peer_beside_the_function_it_mirrors() {
        let rust = result(vec![with_invoke(sample(5, Some(8 * 1024), &[]), 5, 1)], 1);
        let mut peer = result(
            vec![with_invoke(sample(300, Some(64 * 1024), &[]), 100, 1)],
            1,
        );
        peer.runtime = Some("Python 3.11".into());
        let table = comparison(&[rust, peer]);
        assert!(
            table.contains(
                "| f vs f (Python 3.11, boto3) | 10.0 | 400.0 | 40.0x | 8.0 | 64.0 | 0.12 | pass |"
            ),
            "{table}"
        );
    }

    #[test]
    fn a_peer_that_answered_otherwise_is_not_compared() {
        let rust = result(vec![with_invoke(sample(5, Some(8 * 1024), &[]), 5, 1)], 1);
        let mut failed = with_invoke(sample(500, Some(20 * 1024), &[]), 100, 1);
        failed.outcome = Outcome::Error {
            error_type: "SSLError".into(),
            message: "No such file or directory".into(),
        };
        let mut peer = result(vec![failed], 1);
        peer.runtime = Some("Python 3.11".into());
        let table = comparison(&[rust, peer]);
        assert!(
            table.contains("**missed**: answers differ, not comparable"),
            "{table}"
        );
    }

    #[test]
    fn a_peer_less_than_20_times_slower_or_a_third_of_the_memory_misses_the_target() {
        let rust = result(vec![with_invoke(sample(5, Some(8 * 1024), &[]), 5, 1)], 1);
        let mut peer = result(
            vec![with_invoke(sample(150, Some(20 * 1024), &[]), 40, 1)],
            1,
        );
        peer.runtime = Some("Python 3.11".into());
        let table = comparison(&[rust, peer]);
        assert!(
            table.contains("| 19.0x | 8.0 | 20.0 | 0.40 | **missed**: cold start, memory |"),
            "{table}"
        );
    }

    #[test]
    fn the_section_between_the_markers_is_replaced_and_the_rest_kept() {
        let doc = format!("# B\n\nintro\n{BEGIN}\nold\n{END}\nafter\n");
        let new = replace_section(&doc, "new table\n").unwrap();
        assert_eq!(
            new,
            format!("# B\n\nintro\n{BEGIN}\nnew table\n{END}\nafter\n")
        );
        assert_eq!(replace_section("no markers", "x"), None);
    }
}
