//! The probe's samples and the report computed from them. Pure: no I/O, no clock.

use std::collections::BTreeMap;

use serde::Serialize;

/// One request's result; written as one JSON line to `--out`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub seq: u64,
    /// Milliseconds from the probe's start to this request's start.
    pub at_ms: u64,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Version label of a good answer: `version` or `version+commit7`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why the request failed; absent for good answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where a version was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionSeen {
    pub version: String,
    pub count: u64,
    pub first_ms: u64,
    pub last_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub requests: u64,
    pub failures: u64,
    /// Failure reason -> count.
    pub failure_reasons: BTreeMap<String, u64>,
    /// The first failed samples (at most [`LISTED_FAILURES`]).
    pub failed: Vec<Sample>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// In order of first appearance.
    pub versions: Vec<VersionSeen>,
    /// Time during which an older version still answered after the newest one first did
    /// (0: a clean switch; absent with fewer than two versions).
    pub mixed_window_ms: Option<u64>,
    pub expected_version: Option<String>,
    pub expected_version_seen: Option<bool>,
}

pub const LISTED_FAILURES: usize = 20;

/// Whether a version label matches `--expect-version`: the whole label, the version
/// alone, or a prefix of the commit.
pub fn matches_expected(label: &str, expected: &str) -> bool {
    let (version, commit) = label.split_once('+').unwrap_or((label, ""));
    label == expected
        || version == expected
        || (!commit.is_empty() && expected.len() >= 4 && expected.starts_with(commit))
        || (!commit.is_empty() && expected.len() >= 4 && commit.starts_with(expected))
}

impl Report {
    pub fn from_samples(samples: &[Sample], expected_version: Option<&str>) -> Self {
        let mut failure_reasons = BTreeMap::new();
        let mut failed = Vec::new();
        let mut versions: Vec<VersionSeen> = Vec::new();
        let mut ordered: Vec<&Sample> = samples.iter().collect();
        ordered.sort_by_key(|s| (s.at_ms, s.seq));
        for s in &ordered {
            if let Some(reason) = &s.error {
                *failure_reasons.entry(reason.clone()).or_insert(0) += 1;
                if failed.len() < LISTED_FAILURES {
                    failed.push((*s).clone());
                }
            } else if let Some(label) = &s.version {
                match versions.iter_mut().find(|v| &v.version == label) {
                    Some(v) => {
                        v.count += 1;
                        v.last_ms = v.last_ms.max(s.at_ms);
                    }
                    None => versions.push(VersionSeen {
                        version: label.clone(),
                        count: 1,
                        first_ms: s.at_ms,
                        last_ms: s.at_ms,
                    }),
                }
            }
        }
        let mut latencies: Vec<f64> = samples.iter().map(|s| s.latency_ms).collect();
        latencies.sort_by(f64::total_cmp);
        let mixed_window_ms = (versions.len() >= 2).then(|| {
            let newest = &versions[versions.len() - 1];
            let last_older = versions[..versions.len() - 1]
                .iter()
                .map(|v| v.last_ms)
                .max()
                .unwrap_or(0);
            last_older.saturating_sub(newest.first_ms)
        });
        let expected_version_seen =
            expected_version.map(|e| versions.iter().any(|v| matches_expected(&v.version, e)));
        Report {
            requests: samples.len() as u64,
            failures: samples.iter().filter(|s| s.error.is_some()).count() as u64,
            failure_reasons,
            failed,
            p50_ms: percentile(&latencies, 50.0),
            p95_ms: percentile(&latencies, 95.0),
            p99_ms: percentile(&latencies, 99.0),
            versions,
            mixed_window_ms,
            expected_version: expected_version.map(str::to_string),
            expected_version_seen,
        }
    }

    /// 0 when every request succeeded and the expected version (if any) answered.
    pub fn exit_code(&self) -> i32 {
        if self.requests == 0 || self.failures > 0 {
            1
        } else if self.expected_version_seen == Some(false) {
            2
        } else {
            0
        }
    }

    /// The report a person reads.
    pub fn render(&self) -> String {
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1} ms"));
        let mut out = String::new();
        out.push_str(&format!(
            "requests  {}\nfailures  {}\n",
            self.requests, self.failures
        ));
        for (reason, count) in &self.failure_reasons {
            out.push_str(&format!("  {count:>6} x {reason}\n"));
        }
        for s in &self.failed {
            out.push_str(&format!(
                "  #{} at {:.3} s: {}\n",
                s.seq,
                s.at_ms as f64 / 1000.0,
                s.error.as_deref().unwrap_or_default()
            ));
        }
        out.push_str(&format!(
            "latency   p50 {}  p95 {}  p99 {}\n",
            ms(self.p50_ms),
            ms(self.p95_ms),
            ms(self.p99_ms)
        ));
        out.push_str("versions\n");
        for v in &self.versions {
            out.push_str(&format!(
                "  {:<24} {:>6} answers, first at {:.3} s, last at {:.3} s\n",
                v.version,
                v.count,
                v.first_ms as f64 / 1000.0,
                v.last_ms as f64 / 1000.0
            ));
        }
        if let Some(w) = self.mixed_window_ms {
            out.push_str(&format!("mixed window {:.3} s\n", w as f64 / 1000.0));
        }
        if let (Some(e), Some(seen)) = (&self.expected_version, self.expected_version_seen) {
            out.push_str(&format!(
                "expected version {e}: {}\n",
                if seen { "seen" } else { "NEVER SEEN" }
            ));
        }
        out
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(seq: u64, at_ms: u64, version: &str, latency_ms: f64) -> Sample {
        Sample {
            seq,
            at_ms,
            latency_ms,
            status: Some(200),
            version: Some(version.into()),
            error: None,
        }
    }

    fn failed(seq: u64, at_ms: u64, reason: &str) -> Sample {
        Sample {
            seq,
            at_ms,
            latency_ms: 1.0,
            status: Some(503),
            version: None,
            error: Some(reason.into()),
        }
    }

    #[test]
    fn versions_are_ordered_by_first_sight_with_the_mixed_window_between_them() {
        let samples = vec![
            ok(0, 0, "1.0", 1.0),
            ok(1, 100, "1.1", 2.0),
            ok(2, 200, "1.0", 3.0),
            ok(3, 300, "1.1", 4.0),
            ok(4, 400, "1.1", 5.0),
        ];
        let r = Report::from_samples(&samples, Some("1.1"));
        assert_eq!(
            r.versions
                .iter()
                .map(|v| v.version.as_str())
                .collect::<Vec<_>>(),
            ["1.0", "1.1"]
        );
        assert_eq!(
            (
                r.versions[0].first_ms,
                r.versions[0].last_ms,
                r.versions[0].count
            ),
            (0, 200, 2)
        );
        assert_eq!(r.versions[1].first_ms, 100);
        assert_eq!(r.mixed_window_ms, Some(100));
        assert_eq!(r.expected_version_seen, Some(true));
        assert_eq!(r.exit_code(), 0);
        assert_eq!(r.p50_ms, Some(3.0));
        assert_eq!(r.p99_ms, Some(5.0));
    }

    #[test]
    fn clean_switch_has_a_zero_window_and_one_version_has_none() {
        let r = Report::from_samples(&[ok(0, 0, "a", 1.0), ok(1, 10, "b", 1.0)], None);
        assert_eq!(r.mixed_window_ms, Some(0));
        let r = Report::from_samples(&[ok(0, 0, "a", 1.0)], None);
        assert_eq!(r.mixed_window_ms, None);
    }

    #[test]
    fn failures_are_counted_listed_and_fail_the_exit_code() {
        let samples = vec![
            ok(0, 0, "a", 1.0),
            failed(1, 5, "status 503"),
            failed(2, 9, "timed out"),
            failed(3, 12, "status 503"),
        ];
        let r = Report::from_samples(&samples, None);
        assert_eq!(r.failures, 3);
        assert_eq!(r.failure_reasons["status 503"], 2);
        assert_eq!(r.failed.len(), 3);
        assert_ne!(r.exit_code(), 0);
        let text = r.render();
        assert!(
            text.contains("2 x status 503") && text.contains("#2 at 0.009 s: timed out"),
            "{text}"
        );
    }

    #[test]
    fn expected_version_never_seen_fails_and_commit_prefixes_match() {
        let r = Report::from_samples(&[ok(0, 0, "1.0+abcdef1", 1.0)], Some("2.0"));
        assert_eq!(r.expected_version_seen, Some(false));
        assert_eq!(r.exit_code(), 2);
        assert!(r.render().contains("NEVER SEEN"));
        assert!(matches_expected("1.0+abcdef1", "abcdef1234567"));
        assert!(matches_expected("1.0+abcdef1", "abcd"));
        assert!(matches_expected("1.0+abcdef1", "1.0"));
        assert!(!matches_expected("1.0+abcdef1", "abc"));
        assert!(!matches_expected("1.0", "1.1"));
        assert_ne!(Report::from_samples(&[], None).exit_code(), 0);
    }
}
