//! GameLift queue placement events in the EventBridge-style shape GameLift publishes to a
//! queue's SNS notification target, and the delivery-fault plumbing (duplicate, delay,
//! reorder).

use crate::clock::SimMillis;
use crate::faults::EventFaults;
use serde::Serialize;
use serde_json::{json, Value};

pub const DETAIL_TYPE: &str = "GameLift Queue Placement Event";

/// ISO-8601 UTC with milliseconds, as GameLift writes times inside events.
pub fn iso_time(ms: SimMillis) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `detail.type` of a placement event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacementEventType {
    Fulfilled,
    Cancelled,
    TimedOut,
    Failed,
}

impl PlacementEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            PlacementEventType::Fulfilled => "PlacementFulfilled",
            PlacementEventType::Cancelled => "PlacementCancelled",
            PlacementEventType::TimedOut => "PlacementTimedOut",
            PlacementEventType::Failed => "PlacementFailed",
        }
    }
}

/// What a finished placement looks like, for its event.
pub struct PlacementOutcome<'a> {
    pub kind: PlacementEventType,
    pub placement_id: &'a str,
    pub start: SimMillis,
    pub end: SimMillis,
    pub custom_event_data: Option<&'a str>,
    pub fulfilled: Option<Fulfilled<'a>>,
}

pub struct Fulfilled<'a> {
    pub game_session_arn: &'a str,
    pub ip_address: &'a str,
    pub dns_name: &'a str,
    pub port: i64,
    pub game_session_region: &'a str,
    pub placed: &'a [(String, String)],
}

/// Builds the event. `detail.port` is a string, as GameLift sends it; only a fulfilled
/// placement carries game session, address and player session members.
pub fn placement_event(
    id: &str,
    now: SimMillis,
    account: &str,
    region: &str,
    queue_arn: &str,
    o: &PlacementOutcome<'_>,
) -> Value {
    let mut detail = json!({
        "type": o.kind.as_str(),
        "placementId": o.placement_id,
        "startTime": iso_time(o.start),
        "endTime": iso_time(o.end),
    });
    if let Some(data) = o.custom_event_data {
        detail["customEventData"] = json!(data);
    }
    if let Some(f) = &o.fulfilled {
        detail["gameSessionArn"] = json!(f.game_session_arn);
        detail["ipAddress"] = json!(f.ip_address);
        detail["dnsName"] = json!(f.dns_name);
        detail["port"] = json!(f.port.to_string());
        detail["gameSessionRegion"] = json!(f.game_session_region);
        detail["placedPlayerSessions"] = Value::Array(
            f.placed
                .iter()
                .map(|(player, psess)| json!({"playerId": player, "playerSessionId": psess}))
                .collect(),
        );
    }
    json!({
        "version": "0",
        "id": id,
        "detail-type": DETAIL_TYPE,
        "source": "aws.gamelift",
        "account": account,
        "time": iso_time(now),
        "region": region,
        "resources": [queue_arn],
        "detail": detail,
    })
}

/// An event handed to SNS (or refused before it), as `/admin/events` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentEvent {
    pub topic_arn: Option<String>,
    pub event: Value,
    pub published: bool,
    pub error: Option<String>,
}

/// An event waiting to be published.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outgoing {
    pub topic_arn: Option<String>,
    pub event: Value,
    pub due: SimMillis,
}

/// Events held back by delay and reorder faults.
#[derive(Debug, Default)]
pub struct Outbox {
    waiting: Vec<Outgoing>,
}

impl Outbox {
    /// Queues an event, applying delay and duplication.
    pub fn push(
        &mut self,
        topic_arn: Option<String>,
        event: Value,
        now: SimMillis,
        f: &EventFaults,
    ) {
        for _ in 0..=f.duplicate {
            self.waiting.push(Outgoing {
                topic_arn: topic_arn.clone(),
                event: event.clone(),
                due: now + f.delay_ms.max(0),
            });
        }
    }

    /// Takes the events due for publishing now, in publishing order. With a reorder window
    /// of N, nothing is released until N events are due, and then they go newest first.
    pub fn take_due(&mut self, now: SimMillis, f: &EventFaults) -> Vec<Outgoing> {
        let due_count = self.waiting.iter().filter(|o| o.due <= now).count();
        let window = f.reorder_window as usize;
        if due_count == 0 || (window > 1 && due_count < window) {
            return Vec::new();
        }
        let (mut due, rest): (Vec<_>, Vec<_>) = self.waiting.drain(..).partition(|o| o.due <= now);
        self.waiting = rest;
        if window > 1 {
            due.reverse();
        }
        due
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    pub fn clear(&mut self) {
        self.waiting.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome<'a>(
        kind: PlacementEventType,
        fulfilled: Option<Fulfilled<'a>>,
    ) -> PlacementOutcome<'a> {
        PlacementOutcome {
            kind,
            placement_id: "p-1",
            start: 1_000,
            end: 2_000,
            custom_event_data: None,
            fulfilled,
        }
    }

    #[test]
    fn fulfilled_event_has_string_port_and_placed_player_sessions() {
        let placed = vec![("player-1".to_string(), "psess-1".to_string())];
        let f = Fulfilled {
            game_session_arn: "arn:gs",
            ip_address: "127.0.0.1",
            dns_name: "localhost",
            port: 7001,
            game_session_region: "us-east-1",
            placed: &placed,
        };
        let e = placement_event(
            "id",
            2_000,
            "123456789012",
            "us-east-1",
            "arn:q",
            &outcome(PlacementEventType::Fulfilled, Some(f)),
        );
        assert_eq!(e["detail-type"], DETAIL_TYPE);
        assert_eq!(e["source"], "aws.gamelift");
        assert_eq!(e["resources"][0], "arn:q");
        assert_eq!(e["detail"]["port"], "7001");
        assert_eq!(
            e["detail"]["placedPlayerSessions"][0]["playerSessionId"],
            "psess-1"
        );
        assert_eq!(e["detail"]["startTime"], "1970-01-01T00:00:01.000Z");
    }

    #[test]
    fn timed_out_event_carries_no_game_session_members() {
        let e = placement_event(
            "id",
            2_000,
            "1",
            "r",
            "q",
            &outcome(PlacementEventType::TimedOut, None),
        );
        let d = e["detail"].as_object().unwrap();
        for k in [
            "gameSessionArn",
            "ipAddress",
            "dnsName",
            "port",
            "placedPlayerSessions",
        ] {
            assert!(!d.contains_key(k), "{k}");
        }
        assert_eq!(d["type"], "PlacementTimedOut");
    }

    #[test]
    fn outbox_duplicates_delays_and_reorders() {
        let mut o = Outbox::default();
        let f = EventFaults {
            duplicate: 1,
            delay_ms: 100,
            reorder_window: 0,
        };
        o.push(None, json!(1), 0, &f);
        assert!(o.take_due(50, &f).is_empty());
        assert_eq!(o.take_due(100, &f).len(), 2);

        let r = EventFaults {
            duplicate: 0,
            delay_ms: 0,
            reorder_window: 3,
        };
        o.push(None, json!(1), 0, &r);
        o.push(None, json!(2), 0, &r);
        assert!(o.take_due(0, &r).is_empty());
        o.push(None, json!(3), 0, &r);
        let out: Vec<_> = o.take_due(0, &r).into_iter().map(|x| x.event).collect();
        assert_eq!(out, vec![json!(3), json!(2), json!(1)]);
    }
}
