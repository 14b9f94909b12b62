//! DynamoDB items read per player allocation (`GET /v1/gameservers/available`) at 10,
//! 100 and 1,000 game servers: the servers are written to a fresh table as a scaler run
//! leaves them (active, an address, free slots), then players are allocated, a few at
//! a time, through the ECS lab's front, which counts the items each read returns
//! (GetItem 1, Query `ScannedCount`). Also checked: no server handed out more slots
//! than it had.
//!
//! Needs a moto server: `AWS_ENDPOINT_URL=http://127.0.0.1:<port> cargo bench -p hangar-tests --bench gameservers_allocation`
//! Optional: `BENCH_FLEETS` (default `10,100,1000`), `BENCH_PLAYERS` (allocations
//! measured one at a time, 100, at most half the slots), `BENCH_CONCURRENCY` (the rest
//! of the slots and 20 players more, this many at a time, 10), `BENCH_CAPACITY` (slots
//! per server, 4).

use futures::stream::{self, StreamExt};
use hangar_gameservers::decision::ServerState;
use hangar_gameservers::store::ServerRecord;
use hangar_tests::ecs::{self, allocator};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let fleets: Vec<u32> = std::env::var("BENCH_FLEETS")
        .unwrap_or_else(|_| "10,100,1000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let players = env("BENCH_PLAYERS", 100) as usize;
    let concurrency = env("BENCH_CONCURRENCY", 10) as usize;
    let capacity = env("BENCH_CAPACITY", 4) as u32;
    println!(
        "up to {players} allocations measured one at a time, then the rest {concurrency} at a time; {capacity} slots per server; moto at {}",
        hangar_tests::moto_endpoint()
    );
    println!("| servers | allocations measured | items read per allocation (mean) | max | read requests per allocation | items of a whole-group read | concurrent players granted | items read per concurrent allocation (mean, refusals included) |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for servers in fleets {
        let lab = ecs::lab(capacity).await;
        let (_, store) = ecs::scaler(
            &lab,
            ecs::Limits {
                capacity,
                up: 0,
                down: 1_000_000,
                min: 0,
                max: servers + 1,
            },
            &[],
        )
        .await;
        let now = hangar_lambda::clock::now_ms();
        stream::iter(0..servers)
            .for_each_concurrent(32, |i| {
                let store = store.clone();
                async move {
                    let arn = format!(
                        "arn:aws:ecs:us-east-1:123456789012:task/{}/{i:032x}",
                        store.group()
                    );
                    let mut r = ServerRecord::new(store.group(), &arn, false, now);
                    r.state = ServerState::Active;
                    (r.host, r.port) = (Some(format!("10.0.{}.{}", i / 250, i % 250)), 7777);
                    (r.capacity, r.reported_free, r.free) = (capacity, capacity, capacity);
                    assert!(store.save(&r, None).await.expect("write a server"));
                }
            })
            .await;
        let app = allocator(&lab, &store, &[("RESERVATION_HOLD_SECONDS", "600")]).await;
        let slots = (servers * capacity) as usize;
        // Measured one at a time, so each count is that allocation's alone.
        let n = players.min(slots / 2);
        let mut reads = Vec::with_capacity(n);
        let (_, requests_before) = lab.dynamodb_reads();
        for p in 0..n {
            let (before, _) = lab.dynamodb_reads();
            app.allocate(&format!("player-{p}"), hangar_lambda::clock::now_ms())
                .await
                .expect("allocate");
            reads.push(lab.dynamodb_reads().0 - before);
        }
        let requests = lab.dynamodb_reads().1 - requests_before;
        // Then the rest of the slots and 20 players more, `concurrency` at a time.
        let rest = slots - n + 20;
        let (concurrent_before, _) = lab.dynamodb_reads();
        let granted = stream::iter(n..n + rest)
            .map(|p| {
                let app = app.clone();
                async move {
                    app.allocate(&format!("player-{p}"), hangar_lambda::clock::now_ms())
                        .await
                        .is_ok()
                }
            })
            .buffer_unordered(concurrency)
            .filter(|ok| std::future::ready(*ok))
            .count()
            .await;
        let concurrent_reads = lab.dynamodb_reads().0 - concurrent_before;
        let all = store.servers().await.expect("read the group");
        let over = all.iter().filter(|r| r.reserved > r.reported_free).count();
        let handed: u32 = all.iter().map(|r| r.reserved).sum();
        assert_eq!(
            granted,
            slots - n,
            "the concurrent players got exactly the slots left"
        );
        assert_eq!(handed as usize, slots, "every slot handed out once");
        assert_eq!(over, 0, "no server handed out more slots than it had");
        reads.sort();
        println!(
            "| {servers} | {n} | {:.2} | {} | {:.2} | {} | {} of {} | {:.2} |",
            reads.iter().sum::<u64>() as f64 / n as f64,
            reads.last().copied().unwrap_or(0),
            requests as f64 / n as f64,
            all.len(),
            granted,
            rest,
            concurrent_reads as f64 / rest as f64
        );
    }
}
