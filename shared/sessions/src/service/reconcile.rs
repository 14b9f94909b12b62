//! The scheduled reconciler: repairs drift between the table and GameLift, through every
//! page of DescribeGameSessions of every fleet it covers.

use std::collections::HashSet;

use hangar_lambda::clock::now_ms;
use serde::Serialize;

use super::Sessions;
use crate::gamelift::GameSessionInfo;
use crate::listing::Source;
use crate::model::*;
use crate::SessionsError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub fleets: usize,
    pub pages: usize,
    pub seen: usize,
    pub added: usize,
    pub ended: usize,
    /// Active sessions whose seat count was corrected from GameLift's.
    pub synced: usize,
    /// PENDING placements looked up and recorded (their events never came).
    pub placements_resolved: usize,
}

/// Most PENDING placements one run looks up.
const MAX_LOOKUPS_PER_RUN: usize = 100;

/// The fleet id inside a game session ARN (`.../gamesession/fleet-x/gsess-y`).
pub fn fleet_of(game_session_id: &str) -> Option<String> {
    game_session_id
        .split('/')
        .find(|p| p.starts_with("fleet-"))
        .map(str::to_string)
}

impl Sessions {
    /// Every page of DescribeGameSessions of every fleet it covers: the fleets behind the
    /// configured queue/alias now, and every fleet that has active sessions in our table
    /// (a fleet replaced since keeps them until GameLift says they ended). Ends what
    /// GameLift ended (or no longer knows), adds what we lack, takes GameLift's seat count.
    pub async fn reconcile(&self) -> Result<ReconcileReport, SessionsError> {
        let mut fleets = self
            .gamelift
            .fleets_behind(
                self.settings.queue.as_deref(),
                self.settings.alias.as_deref(),
            )
            .await?;
        for fleet in self.fleets_in_table().await? {
            if !fleets.contains(&fleet) {
                fleets.push(fleet);
            }
        }
        let mut report = ReconcileReport {
            fleets: fleets.len(),
            ..Default::default()
        };
        // Placements whose events never came, oldest first, a bounded number per run.
        let now = now_ms();
        let overdue = now.saturating_sub(self.settings.lookup_after_ms);
        for p in self
            .store
            .pending_placements(overdue, MAX_LOOKUPS_PER_RUN)
            .await?
        {
            report.placements_resolved += usize::from(self.look_up(&p, now, false).await?);
        }
        let mut seen: HashSet<String> = HashSet::new();
        for fleet in &fleets {
            let mut token = None;
            loop {
                let (sessions, next) = self
                    .gamelift
                    .game_sessions_page(fleet, token, self.settings.reconcile_page_size)
                    .await?;
                report.pages += 1;
                for g in sessions {
                    seen.insert(g.game_session_id.clone());
                    report.seen += 1;
                    match (self.store.get_session(&g.game_session_id).await?, g.status) {
                        (None, Some(SessionStatus::Active)) => {
                            let added = self
                                .store
                                .insert_session(
                                    &session_from_gamelift(&g, now, self.settings.listing_shards),
                                    &[],
                                )
                                .await?;
                            report.added += usize::from(added);
                        }
                        (Some(ours), Some(status))
                            if status.is_ended() && !ours.status.is_ended() =>
                        {
                            let ended = self.end_session_with(&ours, status, now).await?;
                            report.ended += usize::from(ended);
                        }
                        (Some(ours), Some(SessionStatus::Active))
                            if ours.status == SessionStatus::Active
                                && ours.player_session_count != g.current_sessions =>
                        {
                            // Seats GameLift freed (reservations that timed out, players
                            // who left) or took without us: GameLift's count wins.
                            let mut synced = ours.clone();
                            synced.player_session_count =
                                g.current_sessions.min(ours.maximum_sessions);
                            synced.updated_at_millis = now;
                            synced.refresh_index_keys();
                            if self.store.replace_session(&ours, &synced).await? {
                                report.synced += 1;
                            }
                        }
                        _ => {}
                    }
                }
                match next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
        // Active sessions of those fleets that GameLift no longer lists at all.
        let mut active = Vec::new();
        self.store
            .for_each_page(&Source::Active, 500, |page| {
                active.extend(page.items);
                Ok(())
            })
            .await?;
        for ours in active {
            let ours_fleet = ours
                .fleet_id
                .clone()
                .or_else(|| fleet_of(&ours.game_session_id));
            let covered = ours_fleet.map(|f| fleets.contains(&f)).unwrap_or(false);
            if covered
                && !seen.contains(&ours.game_session_id)
                && self
                    .end_session_with(&ours, SessionStatus::Terminated, now)
                    .await?
            {
                report.ended += 1;
            }
        }
        Ok(report)
    }

    /// The fleets of the active sessions in our table.
    async fn fleets_in_table(&self) -> Result<Vec<String>, SessionsError> {
        let mut fleets: Vec<String> = Vec::new();
        self.store
            .for_each_page(&Source::Active, 500, |page| {
                for ours in &page.items {
                    if let Some(f) = ours
                        .fleet_id
                        .clone()
                        .or_else(|| fleet_of(&ours.game_session_id))
                    {
                        if !fleets.contains(&f) {
                            fleets.push(f);
                        }
                    }
                }
                Ok(())
            })
            .await?;
        Ok(fleets)
    }
}

/// Our record of a session GameLift knows and we lack, in its shard of `shards`.
pub fn session_from_gamelift(g: &GameSessionInfo, now_ms: u64, shards: u32) -> SessionItem {
    let mut s = SessionItem {
        pk: session_pk(&g.game_session_id),
        sk: SESSION_SK.into(),
        game_session_id: g.game_session_id.clone(),
        name: g.name.clone(),
        status: g.status.unwrap_or(SessionStatus::Active),
        maximum_sessions: g.maximum_sessions,
        player_session_count: g.current_sessions,
        properties: g.properties.clone(),
        data: g.data.clone(),
        ip_address: g.ip_address.clone(),
        dns_name: g.dns_name.clone(),
        port: g.port,
        fleet_id: g.fleet_id.clone().or_else(|| fleet_of(&g.game_session_id)),
        location: g.location.clone(),
        placement_id: None,
        creator_id: g.creator_id.clone(),
        creation_time_millis: if g.creation_time_millis > 0 {
            g.creation_time_millis
        } else {
            now_ms
        },
        updated_at_millis: now_ms,
        ended_at_millis: None,
        version: 0,
        list_shard: listing_shard(&g.game_session_id, shards),
        open_pk: None,
        active_pk: None,
        list_sk: String::new(),
        ttl: None,
        credential_fingerprint: g.credential.as_deref().map(crate::credential::fingerprint),
    };
    s.refresh_index_keys();
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn fleet_is_read_from_a_game_session_arn() {
        assert_eq!(
            fleet_of("arn:aws:gamelift:us-east-1::gamesession/fleet-123/gsess-9").as_deref(),
            Some("fleet-123")
        );
        assert_eq!(fleet_of("gsess-9"), None);
    }

    #[test]
    fn sessions_from_gamelift_are_listed_only_while_active() {
        let mut g = GameSessionInfo {
            game_session_id: "arn:aws:gamelift:r::gamesession/fleet-1/gsess-1".into(),
            name: None,
            status: Some(SessionStatus::Active),
            maximum_sessions: 4,
            current_sessions: 1,
            properties: BTreeMap::new(),
            data: None,
            ip_address: None,
            dns_name: None,
            port: None,
            fleet_id: None,
            location: None,
            creator_id: None,
            creation_time_millis: 5,
            credential: None,
        };
        let s = session_from_gamelift(&g, 10, 1);
        assert_eq!(s.fleet_id.as_deref(), Some("fleet-1"));
        assert!(s.open_pk.is_some());
        g.status = Some(SessionStatus::Activating);
        assert!(session_from_gamelift(&g, 10, 1).active_pk.is_none());
    }
}
