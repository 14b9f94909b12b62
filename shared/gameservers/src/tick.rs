//! One scaler run: take the lease, reconcile the table with ECS, probe every running
//! server, decide (see [`crate::decision::plan`]), act on ECS, write the table back,
//! give the lease back. A second run while the lease is held does nothing.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use futures::stream::{self, StreamExt};
use serde::Serialize;

use hangar_lambda::clock::now_ms;

use crate::address::{endpoints, Endpoints, NetworkFacts, Ports};
use crate::config::{ClientAddress, NetworkMode, TickSettings};
use crate::decision::{
    next_state_after_probe, plan, reconcile_holds, Hold, ServerState, ServerView,
};
use crate::ec2::InstanceAddresses;
use crate::ecs::GameServerTask;
use crate::error::GameServersError;
use crate::probe::{CapacityReport, ProbeError};
use crate::service::{GameServers, Scaling};
use crate::store::ServerRecord;

/// What a run did, for logs, tests and the benchmark.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TickReport {
    /// The table was empty and was filled from ECS.
    pub rebuilt: bool,
    pub servers: usize,
    /// Tasks passed to DescribeTasks: those new to the table or not yet seen RUNNING.
    pub described: usize,
    pub probed: usize,
    pub probe_failures: usize,
    pub free_before: u32,
    pub launched: Vec<String>,
    pub stopped: Vec<String>,
    pub standby: Vec<String>,
    pub reactivated: Vec<String>,
    pub unhealthy: Vec<String>,
    pub protected: Vec<String>,
    pub unprotected: Vec<String>,
    /// Items removed because their task no longer runs.
    pub removed: usize,
    /// Actions that failed and will be retried next run.
    pub errors: Vec<String>,
    /// Where the run spent its time.
    pub timings: Timings,
}

/// Milliseconds per phase of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    /// Reading the table, listing the ECS tasks and describing the unknown ones.
    pub discover_ms: u64,
    /// Of which: the table Query (all pages) ...
    pub table_ms: u64,
    /// ... ListTasks, at the same time as the Query ...
    pub list_ms: u64,
    /// ... and DescribeTasks, after both.
    pub describe_ms: u64,
    pub probe_ms: u64,
    /// Scale-in protection calls and table writes.
    pub write_ms: u64,
    /// StopTask and RunTask.
    pub act_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickOutcome {
    /// Another run holds the lease.
    Skipped,
    Done(Box<TickReport>),
}

/// What the scheduled function answers: the report, or `{"skipped": true}`.
impl Serialize for TickOutcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            TickOutcome::Skipped => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("skipped", &true)?;
                map.end()
            }
            TickOutcome::Done(report) => report.serialize(serializer),
        }
    }
}

/// Runs `f`, answering its output and how long it took in milliseconds.
async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, u64) {
    let start = Instant::now();
    let out = f.await;
    (out, start.elapsed().as_millis() as u64)
}

/// How many times a write is retried after losing a race with the allocator.
const SAVE_ATTEMPTS: usize = 8;

impl GameServers {
    /// One scaler run under the group's lease; [`TickOutcome::Skipped`] while another
    /// run holds it.
    pub async fn tick(&self) -> Result<TickOutcome, GameServersError> {
        let scaling = self
            .scaling
            .as_ref()
            .ok_or(GameServersError::ScalingNotConfigured)?;
        let owner = uuid::Uuid::new_v4().to_string();
        if !self
            .store
            .acquire_lease(&owner, now_ms(), scaling.settings.lease.as_millis() as u64)
            .await?
        {
            tracing::info!(
                group = self.store.group(),
                "another scaler run holds the lease; skipping"
            );
            return Ok(TickOutcome::Skipped);
        }
        let result = self.run(scaling).await;
        if let Err(e) = self.store.release_lease(&owner).await {
            tracing::warn!(error = %e, "could not release the scaler lease; it expires on its own");
        }
        result.map(|r| TickOutcome::Done(Box::new(r)))
    }

    async fn run(&self, scaling: &Scaling) -> Result<TickReport, GameServersError> {
        let s = &scaling.settings;
        let mut report = TickReport::default();
        let mut phase = Instant::now();
        let mut lap = move || {
            let ms = phase.elapsed().as_millis() as u64;
            phase = Instant::now();
            ms
        };
        let ((stored, table_ms), (listed, list_ms)) =
            tokio::join!(timed(self.store.servers()), timed(scaling.ecs.listed()));
        let (stored, listed) = (stored?, listed?);
        (report.timings.table_ms, report.timings.list_ms) = (table_ms, list_ms);
        report.rebuilt = stored.is_empty();
        let now = now_ms();
        let mut before: HashMap<String, ServerRecord> = stored
            .into_iter()
            .map(|r| (r.task_arn().to_string(), r))
            .collect();

        // Only tasks new to the table, or not yet seen RUNNING, are described; a listed
        // task already seen RUNNING still runs (see `ServerRecord::seen_running`).
        let unknown: Vec<String> = listed
            .iter()
            .filter(|a| before.get(*a).is_none_or(|r| !r.seen_running()))
            .cloned()
            .collect();
        report.described = unknown.len();
        let (described, describe_ms) = timed(scaling.ecs.describe(&unknown)).await;
        let described = described?;
        let located = self.locate(scaling, &described).await?;
        report.timings.describe_ms = describe_ms;
        let described: HashMap<&str, &GameServerTask> =
            described.iter().map(|t| (t.arn.as_str(), t)).collect();

        // Reconcile the table with ECS: new tasks get an item, vanished tasks lose theirs.
        // `running`: the task is RUNNING and may be probed.
        let mut current: Vec<(ServerRecord, bool)> = Vec::with_capacity(listed.len());
        for arn in &listed {
            match (before.get(arn), described.get(arn.as_str())) {
                (Some(r), None) if r.seen_running() => current.push((r.clone(), true)),
                (stored, Some(t)) => {
                    let mut r = stored.cloned().unwrap_or_else(|| {
                        ServerRecord::new(self.store.group(), &t.arn, t.in_service, now)
                    });
                    let at = located.get(t.arn.as_str()).cloned().unwrap_or_default();
                    if let Some((host, port)) = at.client {
                        (r.host, r.port) = (Some(host), port);
                    }
                    if at.probe.is_some() {
                        r.probe = at.probe;
                    }
                    r.in_service = t.in_service;
                    if t.is_running() && r.running_since_ms == 0 {
                        r.running_since_ms = now;
                    }
                    current.push((r, t.is_running()));
                }
                // Not a game server (tags, family) or gone since ListTasks.
                _ => {}
            }
        }
        let keep: HashSet<&str> = current.iter().map(|(r, _)| r.task_arn()).collect();
        let gone: Vec<String> = before
            .keys()
            .filter(|a| !keep.contains(a.as_str()))
            .cloned()
            .collect();
        for arn in &gone {
            self.store.delete(arn).await?;
            before.remove(arn);
        }
        report.removed = gone.len();
        report.servers = current.len();
        report.timings.discover_ms = lap();

        // Probe every running server that is not already being replaced.
        let targets: Vec<(String, String)> = current
            .iter()
            .filter(|(r, running)| *running && r.state != ServerState::Unhealthy)
            .filter_map(|(r, _)| {
                r.probe_address(s.capacity_port)
                    .map(|a| (r.task_arn().to_string(), a))
            })
            .collect();
        let mut records: Vec<ServerRecord> = current.into_iter().map(|(r, _)| r).collect();
        report.probed = targets.len();
        let results = scaling.prober.probe_all(targets).await;
        report.timings.probe_ms = lap();
        for r in records.iter_mut() {
            if let Some(result) = results.get(r.task_arn()) {
                if result.is_err() {
                    report.probe_failures += 1;
                }
                apply_probe(r, result, now, s);
                if r.state == ServerState::Unhealthy
                    && before.get(r.task_arn()).map(|b| b.state) != Some(ServerState::Unhealthy)
                {
                    tracing::warn!(task = %r.task_arn(), failures = r.failures, "game server unhealthy");
                    report.unhealthy.push(r.task_arn().to_string());
                }
            }
        }

        let renew_window = u64::from(s.protection_minutes.unsigned_abs()) * 30_000;
        let views: Vec<_> = records
            .iter()
            .map(|r| ServerView {
                protection_expiring: r.protected
                    && r.protected_until_ms.saturating_sub(now) < renew_window,
                ..r.view()
            })
            .collect();
        let p = plan(&views, &s.margins);
        report.free_before = p.free_before;
        tracing::info!(servers = records.len(), free = p.free_before, launch = p.launch, standby = ?p.standby, reactivate = ?p.reactivate, stop = ?p.stop, "scaler plan");

        for r in records.iter_mut() {
            if p.reactivate.iter().any(|a| a == r.task_arn()) {
                r.state = ServerState::Active;
            }
            if p.standby.iter().any(|a| a == r.task_arn()) {
                r.state = ServerState::Standby;
            }
        }
        report.reactivated = p.reactivate.clone();
        report.standby = p.standby.clone();

        // Scale-in protection for service tasks with players (off again when empty).
        for (list, enabled) in [(&p.protect, true), (&p.unprotect, false)] {
            if list.is_empty() {
                continue;
            }
            match scaling
                .ecs
                .protect(list, enabled, s.protection_minutes)
                .await
            {
                Ok(done) => {
                    for r in records
                        .iter_mut()
                        .filter(|r| done.iter().any(|a| a == r.task_arn()))
                    {
                        r.protected = enabled;
                        r.protected_until_ms = if enabled {
                            now + u64::from(s.protection_minutes.unsigned_abs()) * 60_000
                        } else {
                            0
                        };
                    }
                    if enabled {
                        report.protected = done;
                    } else {
                        report.unprotected = done;
                    }
                }
                Err(e) => report.errors.push(e.to_string()),
            }
        }

        // Write back what changed; standby takes effect for the allocator from here on.
        let changed: Vec<ServerRecord> = records
            .into_iter()
            .filter(|r| before.get(r.task_arn()).is_none_or(|b| differs(b, r)))
            .map(|mut r| {
                r.updated_at_ms = now;
                r
            })
            .collect();
        // The futures are built first: a stream mapping with a closure that borrows
        // `self` would make the run's future Send only for one lifetime, and a spawned
        // scaler (`hangar dev`) needs it Send for all.
        let saves: Vec<_> = changed
            .into_iter()
            .map(|r| {
                let seen = before.get(r.task_arn()).cloned();
                self.save(r, seen)
            })
            .collect();
        let writes = stream::iter(saves)
            .buffer_unordered(s.write_concurrency.max(1))
            .collect::<Vec<_>>()
            .await;
        for w in writes {
            w?;
        }
        report.timings.write_ms = lap();

        for arn in &p.stop {
            match scaling
                .ecs
                .stop(arn, "hangar-scaler: unhealthy or ready to close")
                .await
            {
                Ok(()) => {
                    self.store.delete(arn).await?;
                    report.stopped.push(arn.clone());
                }
                Err(e) => report.errors.push(e.to_string()),
            }
        }

        if p.launch > 0 {
            match scaling.ecs.run(p.launch).await {
                Ok(started) => {
                    for arn in started {
                        let r = ServerRecord::new(self.store.group(), &arn, false, now);
                        self.store.save(&r, None).await?;
                        report.launched.push(arn);
                    }
                }
                Err(e) => report.errors.push(e.to_string()),
            }
        }
        report.timings.act_ms = lap();
        for e in &report.errors {
            tracing::error!(error = %e, "scaler action failed; retried next run");
        }
        Ok(report)
    }

    /// Writes `r` unless the allocator reserved or gave back slots meanwhile; then
    /// folds the new holds in (and drops those given back) and tries again.
    async fn save(
        &self,
        mut r: ServerRecord,
        seen: Option<ServerRecord>,
    ) -> Result<(), GameServersError> {
        let Some(mut seen_holds) = seen.map(|b| b.holds) else {
            if self.store.save(&r, None).await? {
                return Ok(());
            }
            return Err(GameServersError::Contended {
                task_arn: r.task_arn().to_string(),
            });
        };
        for _ in 0..SAVE_ATTEMPTS {
            if self.store.save(&r, Some(&seen_holds)).await? {
                return Ok(());
            }
            let Some(fresh) = self.store.server(r.task_arn()).await? else {
                return Ok(()); // removed meanwhile
            };
            r.holds = fold_holds(&r.holds, &seen_holds, &fresh.holds);
            r.reserved = r.holds.len() as u32;
            r.free = r.reported_free.saturating_sub(r.reserved);
            seen_holds = fresh.holds;
        }
        Err(GameServersError::Contended {
            task_arn: r.task_arn().to_string(),
        })
    }

    /// Where the described tasks are reached: the container instances' addresses
    /// (EC2 launch type) and the interfaces' public IPs (awsvpc, when players get them)
    /// are asked of ECS and EC2 once for all of them.
    async fn locate(
        &self,
        scaling: &Scaling,
        tasks: &[GameServerTask],
    ) -> Result<HashMap<String, Endpoints>, GameServersError> {
        let s = &scaling.settings;
        let mut instances: HashMap<String, InstanceAddresses> = HashMap::new();
        let mut instance_of: HashMap<String, String> = HashMap::new();
        let mut public_ips: HashMap<String, String> = HashMap::new();
        if s.network_mode == NetworkMode::Awsvpc {
            let enis: Vec<String> = tasks.iter().filter_map(|t| t.eni_id.clone()).collect();
            if s.client_address == ClientAddress::Public && !enis.is_empty() {
                public_ips = scaling.ec2.public_ips(&enis).await?;
            }
        } else {
            let mut cis: Vec<String> = tasks
                .iter()
                .filter_map(|t| t.container_instance.clone())
                .collect();
            cis.sort();
            cis.dedup();
            if !cis.is_empty() {
                instance_of = scaling.ecs.instances_of(&cis).await?;
                let mut ids: Vec<String> = instance_of.values().cloned().collect();
                ids.sort();
                ids.dedup();
                instances = scaling.ec2.instances(&ids).await?;
            }
        }
        let ports = Ports {
            game: s.game_port,
            capacity: s.capacity_port,
        };
        Ok(tasks
            .iter()
            .map(|t| {
                let facts = NetworkFacts {
                    instance: t
                        .container_instance
                        .as_ref()
                        .and_then(|ci| instance_of.get(ci))
                        .and_then(|id| instances.get(id)),
                    interface_public_ip: t
                        .eni_id
                        .as_ref()
                        .and_then(|e| public_ips.get(e))
                        .map(String::as_str),
                };
                let at = endpoints(t, s.network_mode, s.client_address, ports, facts);
                if at.client.is_none() && t.is_running() {
                    tracing::warn!(task = %t.arn, mode = ?s.network_mode, clients = ?s.client_address, "no address for players yet; not handed out");
                }
                (t.arn.clone(), at)
            })
            .collect())
    }
}

/// The holds to write after a lost race: ours that are still in the table, plus those
/// the allocator added since we read (`seen`). Holds given back meanwhile are dropped.
pub fn fold_holds(ours: &[Hold], seen: &[Hold], fresh: &[Hold]) -> Vec<Hold> {
    let mut out: Vec<Hold> = ours.iter().filter(|h| fresh.contains(h)).cloned().collect();
    out.extend(fresh.iter().filter(|h| !seen.contains(h)).cloned());
    out
}

/// Folds one probe result into a record. A new server that has not answered yet may
/// fail its probes for the start-up grace without the failures counting.
pub fn apply_probe(
    r: &mut ServerRecord,
    result: &Result<CapacityReport, ProbeError>,
    now: u64,
    s: &TickSettings,
) {
    match result {
        Ok(c) => {
            adopt_legacy_reservations(r, s);
            let (holds, free) = reconcile_holds(r.reported_free, &r.holds, c.free_slots, now);
            r.failures = 0;
            r.capacity = c.capacity;
            r.reported_free = c.free_slots;
            r.reserved = holds.len() as u32;
            r.holds = holds;
            r.free = free;
            r.ready_to_close = c.ready_to_close;
            r.state = next_state_after_probe(r.state, true, 0, s.failure_threshold);
        }
        Err(e) => {
            let grace_ms = s.startup_grace.as_millis() as u64;
            let starting = r.state == ServerState::Launching
                && r.running_since_ms > 0
                && now.saturating_sub(r.running_since_ms) < grace_ms;
            if starting {
                tracing::debug!(task = %r.task_arn(), error = %e, "probe failed during the start-up grace");
                return;
            }
            r.failures += 1;
            tracing::debug!(task = %r.task_arn(), failures = r.failures, error = %e, "probe failed");
            r.state = next_state_after_probe(r.state, false, r.failures, s.failure_threshold);
        }
    }
}

/// Items written before holds expired one by one count their reservations without
/// holds: they become holds expiring one reservation hold after the last reservation.
fn adopt_legacy_reservations(r: &mut ServerRecord, s: &TickSettings) {
    let legacy = (r.reserved as usize).saturating_sub(r.holds.len());
    if legacy > 0 {
        let expires_at_ms = r.last_reserved_at_ms + s.reservation_hold.as_millis() as u64;
        r.holds.extend((0..legacy).map(|i| Hold {
            id: format!("legacy-{i}"),
            expires_at_ms,
        }));
    }
    r.last_reserved_at_ms = 0;
}

fn differs(a: &ServerRecord, b: &ServerRecord) -> bool {
    let mut b = b.clone();
    b.updated_at_ms = a.updated_at_ms;
    b.sync_index();
    a != &b
}
