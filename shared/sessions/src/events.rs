//! GameLift queue placement events, as they reach the consumer's SQS queue: the
//! EventBridge event either as a string inside an SNS envelope (`Message`) or raw (an
//! EventBridge rule targeting the queue).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sns::SnsMessage;
use serde::{Deserialize, Serialize};

use crate::model::{PlacedPlayerSession, PlacementStatus};

pub const DETAIL_TYPE: &str = "GameLift Queue Placement Event";
pub const SOURCE: &str = "aws.gamelift";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("message body is not JSON: {0}")]
    NotJson(String),
    #[error("SNS envelope is malformed: {0}")]
    BadEnvelope(String),
    #[error("not an EventBridge event: {0}")]
    NotEventBridge(String),
    #[error(
        "not a GameLift placement event (source {event_source:?}, detail-type {detail_type:?})"
    )]
    NotPlacementEvent {
        event_source: String,
        detail_type: String,
    },
    #[error("unknown placement event type {0:?}")]
    UnknownType(String),
    #[error("fulfilled placement event lacks {0}")]
    Missing(&'static str),
    #[error("port {0:?} is not a port number")]
    BadPort(String),
}

/// `detail` of a GameLift queue placement event (`port` is a string on the wire).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacementDetail {
    #[serde(rename = "type")]
    pub kind: String,
    pub placement_id: String,
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub game_session_arn: Option<String>,
    #[serde(default)]
    pub ip_address: Option<String>,
    #[serde(default)]
    pub dns_name: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub game_session_region: Option<String>,
    #[serde(default)]
    pub placed_player_sessions: Vec<PlacedPlayerSession>,
}

/// Connection details carried only by PlacementFulfilled.
#[derive(Debug, Clone, PartialEq)]
pub struct Fulfilment {
    pub game_session_id: String,
    pub ip_address: Option<String>,
    pub dns_name: Option<String>,
    pub port: Option<u16>,
    pub region: Option<String>,
    pub player_sessions: Vec<PlacedPlayerSession>,
}

/// A decoded placement event.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementEvent {
    pub placement_id: String,
    pub status: PlacementStatus,
    /// Event time (EventBridge `time`), milliseconds since the epoch; 0 when absent.
    pub time_millis: u64,
    pub fulfilment: Option<Fulfilment>,
}

/// Decodes one SQS message body.
pub fn decode_sqs_body(body: &str) -> Result<PlacementEvent, DecodeError> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let is_sns = value.get("Type").and_then(|t| t.as_str()) == Some("Notification");
    let event: EventBridgeEvent<PlacementDetail> = if is_sns {
        let envelope: SnsMessage =
            serde_json::from_value(value).map_err(|e| DecodeError::BadEnvelope(e.to_string()))?;
        serde_json::from_str(&envelope.message)
            .map_err(|e| DecodeError::NotEventBridge(e.to_string()))?
    } else {
        serde_json::from_value(value).map_err(|e| DecodeError::NotEventBridge(e.to_string()))?
    };
    from_eventbridge(event)
}

/// Interprets an EventBridge event as a placement event.
pub fn from_eventbridge(
    event: EventBridgeEvent<PlacementDetail>,
) -> Result<PlacementEvent, DecodeError> {
    if event.source != SOURCE || event.detail_type != DETAIL_TYPE {
        return Err(DecodeError::NotPlacementEvent {
            event_source: event.source,
            detail_type: event.detail_type,
        });
    }
    let d = event.detail;
    let status = match d.kind.as_str() {
        "PlacementFulfilled" => PlacementStatus::Fulfilled,
        "PlacementCancelled" => PlacementStatus::Cancelled,
        "PlacementTimedOut" => PlacementStatus::TimedOut,
        "PlacementFailed" => PlacementStatus::Failed,
        other => return Err(DecodeError::UnknownType(other.to_string())),
    };
    if d.placement_id.is_empty() {
        return Err(DecodeError::Missing("placementId"));
    }
    let fulfilment = if status == PlacementStatus::Fulfilled {
        let game_session_id = d
            .game_session_arn
            .filter(|a| !a.is_empty())
            .ok_or(DecodeError::Missing("gameSessionArn"))?;
        let port = match d.port.as_deref() {
            None | Some("") => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| DecodeError::BadPort(p.to_string()))?,
            ),
        };
        Some(Fulfilment {
            game_session_id,
            ip_address: d.ip_address,
            dns_name: d.dns_name,
            port,
            region: d.game_session_region,
            player_sessions: d.placed_player_sessions,
        })
    } else {
        None
    };
    Ok(PlacementEvent {
        placement_id: d.placement_id,
        status,
        time_millis: event
            .time
            .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
            .unwrap_or(0),
        fulfilment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULFILLED: &str =
        include_str!("../../../events/placement-events/fulfilled-eventbridge.json");
    const SQS_BATCH: &str = include_str!("../../../events/placement-events.json");

    #[test]
    fn raw_eventbridge_fulfilled_event_decodes_with_string_port() {
        let e = decode_sqs_body(FULFILLED).unwrap();
        assert_eq!(e.status, PlacementStatus::Fulfilled);
        let f = e.fulfilment.unwrap();
        assert_eq!(f.port, Some(7777));
        assert_eq!(f.player_sessions.len(), 2);
        assert!(e.time_millis > 0);
    }

    #[test]
    fn sns_enveloped_event_decodes_the_same() {
        let raw = decode_sqs_body(FULFILLED).unwrap();
        let envelope = serde_json::json!({
            "Type": "Notification",
            "MessageId": "m-1",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:placements",
            "Message": FULFILLED,
            "Timestamp": "2026-01-01T00:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "x",
            "SigningCertURL": "https://example.com/c.pem",
            "UnsubscribeURL": "https://example.com/u"
        });
        assert_eq!(decode_sqs_body(&envelope.to_string()).unwrap(), raw);
    }

    #[test]
    fn sample_sqs_batch_holds_decodable_and_malformed_messages() {
        let batch: aws_lambda_events::sqs::SqsEvent = serde_json::from_str(SQS_BATCH).unwrap();
        let results: Vec<_> = batch
            .records
            .iter()
            .map(|r| decode_sqs_body(r.body.as_deref().unwrap_or("")))
            .collect();
        assert!(results[0].is_ok());
        assert!(results.iter().any(|r| r.is_err()));
    }

    #[test]
    fn non_fulfilled_events_carry_no_connection() {
        let body = serde_json::json!({
            "version": "0", "id": "1", "detail-type": DETAIL_TYPE, "source": SOURCE,
            "time": "2026-01-01T00:00:01Z", "resources": [],
            "detail": {"type": "PlacementTimedOut", "placementId": "p-1"}
        });
        let e = decode_sqs_body(&body.to_string()).unwrap();
        assert_eq!(e.status, PlacementStatus::TimedOut);
        assert_eq!(e.fulfilment, None);
    }

    #[test]
    fn malformed_events_are_refused_with_a_reason() {
        assert!(matches!(
            decode_sqs_body("nope"),
            Err(DecodeError::NotJson(_))
        ));
        assert!(matches!(
            decode_sqs_body(r#"{"Type":"Notification","Message":"{}"}"#),
            Err(DecodeError::BadEnvelope(_))
        ));
        let other = serde_json::json!({"detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2", "detail": {"type": "x", "placementId": "p"}});
        assert!(matches!(
            decode_sqs_body(&other.to_string()),
            Err(DecodeError::NotPlacementEvent { .. })
        ));
        let bad_type = serde_json::json!({"detail-type": DETAIL_TYPE, "source": SOURCE,
            "detail": {"type": "PlacementExploded", "placementId": "p"}});
        assert_eq!(
            decode_sqs_body(&bad_type.to_string()),
            Err(DecodeError::UnknownType("PlacementExploded".into()))
        );
        let no_arn = serde_json::json!({"detail-type": DETAIL_TYPE, "source": SOURCE,
            "detail": {"type": "PlacementFulfilled", "placementId": "p", "port": "1"}});
        assert_eq!(
            decode_sqs_body(&no_arn.to_string()),
            Err(DecodeError::Missing("gameSessionArn"))
        );
        let bad_port = serde_json::json!({"detail-type": DETAIL_TYPE, "source": SOURCE,
            "detail": {"type": "PlacementFulfilled", "placementId": "p", "port": "http",
                       "gameSessionArn": "arn:x"}});
        assert!(matches!(
            decode_sqs_body(&bad_port.to_string()),
            Err(DecodeError::BadPort(_))
        ));
    }
}
