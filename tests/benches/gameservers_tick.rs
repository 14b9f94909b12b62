//! One scaler tick over 1,000 game servers whose `GET /capacity` answers after 20 ms,
//! with bounded concurrent probes, beside a sequential baseline (concurrency 1).
//!
//! Needs a moto server: `AWS_ENDPOINT_URL=http://127.0.0.1:<port> cargo bench -p hangar-tests --bench gameservers_tick`
//! Optional: `BENCH_SERVERS` (default 1000), `BENCH_DELAY_MS` (20), `BENCH_CONCURRENCY` (100),
//! `BENCH_TICKS` (steady ticks, 5).

use std::time::Instant;

use hangar_gameservers::{GameServers, TickOutcome, TickReport};
use hangar_tests::ecs::{self, Limits, NewServers};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn timed(scaler: &GameServers) -> (f64, TickReport) {
    let start = Instant::now();
    let outcome = scaler.tick().await.expect("tick");
    let secs = start.elapsed().as_secs_f64();
    match outcome {
        TickOutcome::Done(r) => (secs, *r),
        TickOutcome::Skipped => panic!("lease held"),
    }
}

fn line(label: &str, secs: f64, r: &TickReport) {
    let t = r.timings;
    println!(
        "| {label} | {:.0} ms | {} | {} | {} | discover {} ms (table {} ms, list {} ms, describe {} ms), probe {} ms, write {} ms, act {} ms |",
        secs * 1000.0,
        r.described,
        r.probed,
        r.probe_failures,
        t.discover_ms,
        t.table_ms,
        t.list_ms,
        t.describe_ms,
        t.probe_ms,
        t.write_ms,
        t.act_ms
    );
}

#[tokio::main]
async fn main() {
    let servers = env("BENCH_SERVERS", 1000);
    let delay_ms = env("BENCH_DELAY_MS", 20);
    let concurrency = env("BENCH_CONCURRENCY", 100);
    let ticks = env("BENCH_TICKS", 5);
    let lab = ecs::lab(10).await;
    lab.set_new_servers(NewServers {
        delay_ms,
        ..NewServers::with_capacity(10)
    });
    let mut left = servers;
    while left > 0 {
        let n = left.min(10);
        lab.run_tasks(n as i32, None, true).await.unwrap();
        left -= n;
    }
    let limits = || Limits {
        capacity: 10,
        up: 0,
        down: 1_000_000,
        min: 0,
        max: servers as u32 + 10,
    };
    let concurrency = concurrency.to_string();
    let probe = [
        ("PROBE_TIMEOUT_MS", "5000"),
        ("PROBE_CONCURRENCY", concurrency.as_str()),
    ];
    let (scaler, _) = ecs::scaler(&lab, limits(), &probe).await;
    let (baseline, _) = ecs::scaler(
        &lab,
        limits(),
        &[("PROBE_TIMEOUT_MS", "5000"), ("PROBE_CONCURRENCY", "1")],
    )
    .await;

    println!(
        "{servers} servers, probe answers after {delay_ms} ms, moto at {}",
        hangar_tests::moto_endpoint()
    );
    println!("| run | wall time | described | probed | failed | phases |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let (secs, r) = timed(&scaler).await;
    line(
        &format!(
            "first tick, concurrency {concurrency} (table rebuilt: {} items written)",
            r.servers
        ),
        secs,
        &r,
    );
    let mut steady = Vec::new();
    for i in 1..=ticks {
        let (secs, r) = timed(&scaler).await;
        line(
            &format!("steady tick {i}, concurrency {concurrency}"),
            secs,
            &r,
        );
        steady.push(secs);
    }
    let (_, _) = timed(&baseline).await; // fills the baseline's own table
    let (secs, r) = timed(&baseline).await;
    line("steady tick, sequential (concurrency 1)", secs, &r);
    steady.sort_by(f64::total_cmp);
    if let (Some(lo), Some(hi)) = (steady.first(), steady.last()) {
        println!(
            "steady ticks at concurrency {concurrency}: median {:.0} ms, range {:.0}-{:.0} ms",
            steady[steady.len() / 2] * 1000.0,
            lo * 1000.0,
            hi * 1000.0
        );
    }
}
