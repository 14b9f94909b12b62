//! Join throughput: players joining concurrently over HTTP (local API gateway -> join
//! handler -> DynamoDB on moto + CreatePlayerSession on the GameLift emulator).
//!
//! ```sh
//! AWS_ENDPOINT_URL=http://127.0.0.1:5013 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
//!   AWS_REGION=us-east-1 cargo bench -p hangar-tests --bench sessions_join --profile dev
//! ```
//! BENCH_PLAYERS (1000), BENCH_CONCURRENCY (50), BENCH_SESSIONS (10, 100 seats each).

#[allow(dead_code)]
#[path = "../tests/sessions/support.rs"]
mod sessions_support;

use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use reqwest::Method;
use sessions_support::{api_id, Options, Stack};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let players = env("BENCH_PLAYERS", 1000);
    let concurrency = env("BENCH_CONCURRENCY", 50);
    let session_count = env("BENCH_SESSIONS", 10);
    // Sessions outlive the run (the test clock runs 200x real time).
    let stack = Stack::start_with(Options {
        poller: false,
        adjust: |c| c.server.session_duration_ms = i64::MAX / 4,
    })
    .await;
    stack.scale_fleet(session_count.div_ceil(2) as i32).await;
    let ids = stack.gamelift_sessions(session_count, 100, &[]).await;
    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/v1/sessions/{}/join", api_id(id)))
        .collect();
    let tokens: Vec<String> = (0..players)
        .map(|i| stack.player(&format!("bench-{i}")))
        .collect();

    let started = Instant::now();
    let mut results: Vec<(u16, Duration)> = stream::iter(0..players)
        .map(|i| {
            let (path, token, stack) = (&paths[i % paths.len()], &tokens[i], &stack);
            async move {
                let t = Instant::now();
                let (status, _) = stack.call(Method::POST, path, Some(token), None).await;
                (status, t.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed();
    results.sort_by_key(|r| r.1);
    let ok = results.iter().filter(|r| r.0 == 200).count();
    let mut statuses = std::collections::BTreeMap::new();
    for r in &results {
        *statuses.entry(r.0).or_insert(0usize) += 1;
    }
    println!("statuses: {statuses:?}");
    let pct = |p: f64| {
        results[((results.len() as f64 * p) as usize).min(results.len() - 1)]
            .1
            .as_millis()
    };
    println!(
        "{players} joins ({concurrency} concurrent, {session_count} sessions of 100 seats): {ok} ok, {} other; \
         {:.0} joins/s; latency p50 {} ms, p99 {} ms, max {} ms",
        players - ok,
        players as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        results.last().map(|r| r.1.as_millis()).unwrap_or(0)
    );
}
