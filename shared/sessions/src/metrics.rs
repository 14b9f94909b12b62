//! CloudWatch metrics in the embedded metric format (EMF): one JSON line on stdout, which
//! Lambda sends to CloudWatch Logs and CloudWatch turns into the metric. No I/O beyond
//! the line; the alarms on these metrics are in `template.yaml`.

/// The namespace of every metric of the sessions area.
pub const NAMESPACE: &str = "Hangar/Sessions";
/// Placements still PENDING in our table past the queue's timeout: their events are
/// lost or late (for example a queue without a NotificationTarget).
pub const PENDING_PAST_TIMEOUT: &str = "PlacementsPendingPastTimeout";

/// The EMF line for one count of `metric`.
pub fn emf_count(metric: &str, timestamp_ms: u64) -> String {
    serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        metric: 1,
    })
    .to_string()
}

/// Counts a placement found PENDING past the queue timeout.
pub fn placement_pending_past_timeout(placement_id: &str) {
    tracing::warn!(placement = %placement_id, "placement PENDING past the queue timeout");
    println!(
        "{}",
        emf_count(PENDING_PAST_TIMEOUT, hangar_lambda::clock::now_ms())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emf_line_declares_its_metric_and_carries_its_value() {
        let line: serde_json::Value =
            serde_json::from_str(&emf_count(PENDING_PAST_TIMEOUT, 5)).unwrap();
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], NAMESPACE);
        assert_eq!(declared["Metrics"][0]["Name"], PENDING_PAST_TIMEOUT);
        assert_eq!(line[PENDING_PAST_TIMEOUT], 1);
        assert_eq!(line["_aws"]["Timestamp"], 5);
    }
}
