//! `hangar probe`: watch an endpoint during a deployment. Calls a URL (normally `/version`)
//! at a steady rate, shows live counts, writes every result as a JSON line, and ends with
//! a report: failures with reasons, latency percentiles, when each version was first and
//! last seen, and how long old and new versions answered side by side.

pub mod report;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use tokio::sync::{mpsc, Semaphore};

pub use report::{Report, Sample};

#[derive(Args, Debug, Clone)]
pub struct ProbeArgs {
    /// URL to call (GET), e.g. https://api.example.com/version.
    #[arg(long)]
    pub url: String,
    /// Requests per second.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// How long to probe: 90s, 10m, ...
    #[arg(long, default_value = "60s", value_parser = crate::duration::parse_duration)]
    pub duration: Duration,
    /// Most requests in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Fail (exit 2) unless this version (or commit prefix) answers at least once.
    #[arg(long)]
    pub expect_version: Option<String>,
    /// Write every result to this file as JSON lines.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Time allowed for one request.
    #[arg(long, default_value = "5s", value_parser = crate::duration::parse_duration)]
    pub timeout: Duration,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("--url: `{0}` is not an http(s) URL")]
    Url(String),
    #[error("--rate must be a number above 0 (at most 10000)")]
    Rate,
    #[error("--concurrency must be at least 1")]
    Concurrency,
    #[error("cannot write {path}: {source}")]
    Out {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// What one probe run does.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    pub url: String,
    pub rate: f64,
    pub duration: Duration,
    pub concurrency: usize,
    pub timeout: Duration,
    pub expect_version: Option<String>,
}

impl TryFrom<&ProbeArgs> for ProbeConfig {
    type Error = ProbeError;

    fn try_from(a: &ProbeArgs) -> Result<Self, ProbeError> {
        match reqwest::Url::parse(&a.url) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
            _ => return Err(ProbeError::Url(a.url.clone())),
        }
        if !(a.rate.is_finite() && a.rate > 0.0 && a.rate <= 10_000.0) {
            return Err(ProbeError::Rate);
        }
        if a.concurrency == 0 {
            return Err(ProbeError::Concurrency);
        }
        Ok(Self {
            url: a.url.clone(),
            rate: a.rate,
            duration: a.duration,
            concurrency: a.concurrency,
            timeout: a.timeout,
            expect_version: a.expect_version.clone(),
        })
    }
}

/// Live counts, updated as results arrive.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub requests: u64,
    pub failures: u64,
    pub last_version: Option<String>,
    pub versions: Vec<(String, u64)>,
    pub last_latency_ms: f64,
}

impl Live {
    fn add(&mut self, s: &Sample) {
        self.requests += 1;
        self.last_latency_ms = s.latency_ms;
        if s.error.is_some() {
            self.failures += 1;
        }
        if let Some(v) = &s.version {
            self.last_version = Some(v.clone());
            match self.versions.iter_mut().find(|(name, _)| name == v) {
                Some((_, n)) => *n += 1,
                None => self.versions.push((v.clone(), 1)),
            }
        }
    }

    pub fn line(&self, elapsed: Duration) -> String {
        let versions: Vec<String> = self
            .versions
            .iter()
            .map(|(v, n)| format!("{v}={n}"))
            .collect();
        format!(
            "[{:>6.1}s] requests {} failures {} latency {:.1} ms versions {}",
            elapsed.as_secs_f64(),
            self.requests,
            self.failures,
            self.last_latency_ms,
            if versions.is_empty() {
                "-".to_string()
            } else {
                versions.join(" ")
            }
        )
    }
}

/// Runs the probe; each result goes to `on_sample` as it arrives and `on_tick` gets the
/// live counts about once a second. Returns every sample.
pub async fn run(
    config: &ProbeConfig,
    mut on_sample: impl FnMut(&Sample),
    mut on_tick: impl FnMut(&Live, Duration),
) -> Result<Vec<Sample>, ProbeError> {
    let client = reqwest::Client::builder()
        .timeout(config.timeout)
        .build()
        .map_err(|e| ProbeError::Client(e.to_string()))?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let start = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / config.rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let sender = {
        let (client, url, permits) = (client.clone(), config.url.clone(), Arc::clone(&permits));
        let duration = config.duration;
        tokio::spawn(async move {
            let mut seq = 0u64;
            loop {
                ticker.tick().await;
                if start.elapsed() >= duration {
                    break;
                }
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                    break;
                };
                let (client, url, tx) = (client.clone(), url.clone(), tx.clone());
                let at_ms = start.elapsed().as_millis() as u64;
                tokio::spawn(async move {
                    let sample = call(&client, &url, seq, at_ms).await;
                    drop(permit);
                    let _ = tx.send(sample);
                });
                seq += 1;
            }
        })
    };

    let mut samples = Vec::new();
    let mut live = Live::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tokio::select! {
            sample = rx.recv() => match sample {
                Some(sample) => {
                    live.add(&sample);
                    on_sample(&sample);
                    samples.push(sample);
                }
                // Every sender is gone: the request loop ended and all requests answered.
                None => break,
            },
            _ = tick.tick() => on_tick(&live, start.elapsed()),
        }
    }
    let _ = sender.await;
    on_tick(&live, start.elapsed());
    Ok(samples)
}

async fn call(client: &reqwest::Client, url: &str, seq: u64, at_ms: u64) -> Sample {
    let started = Instant::now();
    let result = client.get(url).send().await;
    let mut sample = Sample {
        seq,
        at_ms,
        latency_ms: 0.0,
        status: None,
        version: None,
        error: None,
    };
    match result {
        Err(e) if e.is_timeout() => sample.error = Some("timed out".into()),
        Err(e) if e.is_connect() => sample.error = Some("connection failed".into()),
        Err(e) => sample.error = Some(format!("request failed: {}", e.without_url())),
        Ok(response) => {
            let status = response.status();
            sample.status = Some(status.as_u16());
            let body = response.bytes().await;
            if !status.is_success() {
                sample.error = Some(format!("status {}", status.as_u16()));
            } else {
                match body.ok().and_then(|b| version_label(&b)) {
                    Some(label) => sample.version = Some(label),
                    None => sample.error = Some("answer has no JSON \"version\"".into()),
                }
            }
        }
    }
    sample.latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    sample
}

/// `version`, or `version+commit7` when the answer names its commit.
fn version_label(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let version = value.get("version")?.as_str()?;
    match value.get("commit").and_then(|c| c.as_str()) {
        Some(commit) if !commit.is_empty() && commit != "unknown" => {
            Some(format!("{version}+{}", commit.get(..7).unwrap_or(commit)))
        }
        _ => Some(version.to_string()),
    }
}

/// `hangar probe`: run, stream JSON lines, print the report; returns the exit code.
pub async fn main(args: ProbeArgs) -> Result<i32, ProbeError> {
    let config = ProbeConfig::try_from(&args)?;
    let mut out = match &args.out {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|source| ProbeError::Out {
                path: path.display().to_string(),
                source,
            })?,
        )),
        None => None,
    };
    let mut write_error = None;
    eprintln!(
        "probing {} at {}/s for {:.0} s (concurrency {})",
        config.url,
        config.rate,
        config.duration.as_secs_f64(),
        config.concurrency
    );
    let samples = run(
        &config,
        |s| {
            if let (Some(w), None) = (out.as_mut(), write_error.as_ref()) {
                let line = serde_json::to_string(s).unwrap_or_default();
                if let Err(e) = writeln!(w, "{line}") {
                    write_error = Some(e);
                }
            }
        },
        |live, elapsed| eprintln!("{}", live.line(elapsed)),
    )
    .await?;
    if let Some(w) = out.as_mut() {
        if let Err(e) = w.flush() {
            write_error.get_or_insert(e);
        }
    }
    if let (Some(source), Some(path)) = (write_error, &args.out) {
        return Err(ProbeError::Out {
            path: path.display().to_string(),
            source,
        });
    }
    let report = Report::from_samples(&samples, config.expect_version.as_deref());
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", report.render());
    }
    Ok(report.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_labels_carry_a_short_commit_when_known() {
        assert_eq!(
            version_label(br#"{"version":"1.2.0","commit":"abcdef1234"}"#).as_deref(),
            Some("1.2.0+abcdef1")
        );
        assert_eq!(
            version_label(br#"{"version":"1.2.0","commit":"unknown"}"#).as_deref(),
            Some("1.2.0")
        );
        assert_eq!(
            version_label(br#"{"version":"1.2.0"}"#).as_deref(),
            Some("1.2.0")
        );
        assert_eq!(version_label(br#"{"v":1}"#), None);
        assert_eq!(version_label(b"<html>"), None);
    }

    #[test]
    fn bad_flags_are_named() {
        let args = |url: &str, rate: f64, concurrency: usize| ProbeArgs {
            url: url.into(),
            rate,
            duration: Duration::from_secs(1),
            concurrency,
            expect_version: None,
            out: None,
            timeout: Duration::from_secs(1),
            json: false,
        };
        assert!(ProbeConfig::try_from(&args("ftp://x", 1.0, 1))
            .unwrap_err()
            .to_string()
            .contains("--url"));
        assert!(ProbeConfig::try_from(&args("http://x/version", 0.0, 1))
            .unwrap_err()
            .to_string()
            .contains("--rate"));
        assert!(ProbeConfig::try_from(&args("http://x/version", 1.0, 0))
            .unwrap_err()
            .to_string()
            .contains("--concurrency"));
        assert!(ProbeConfig::try_from(&args("http://x/version", 1.0, 1)).is_ok());
    }
}
