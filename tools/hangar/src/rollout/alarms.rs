//! The alarms of template.yaml that gate a deployment, evaluated on local metrics: the
//! new version's Lambda errors (Sum > 0), its `Hangar/UnexpectedErrors` (Sum >
//! `AlarmApi5xxPerMinute`) and its p99 duration (> `AlarmP99DurationMs`), each over one
//! period of a (simulated) minute. Pure: facts in, alarms out.

/// The alarm thresholds, with the template's parameter defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// `AlarmP99DurationMs`.
    pub p99_duration_ms: u64,
    /// `AlarmApi5xxPerMinute`.
    pub unexpected_errors_per_minute: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            p99_duration_ms: 3000,
            unexpected_errors_per_minute: 0,
        }
    }
}

/// What one function version did in one period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Period {
    pub invocations: u64,
    /// Invocations that failed (the handler returned an error or panicked).
    pub errors: u64,
    /// `Hangar/UnexpectedErrors` data points (EMF lines the code wrote).
    pub unexpected_errors: u64,
    pub durations_ms: Vec<u64>,
}

/// An alarm in state ALARM, named as in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// `ErrorsAlarm`, `UnexpectedErrorsAlarm`, `P99DurationAlarm`.
    pub name: &'static str,
    pub reason: String,
}

/// p99 of `durations_ms` (nearest rank), `None` without data.
pub fn p99(durations_ms: &[u64]) -> Option<u64> {
    if durations_ms.is_empty() {
        return None;
    }
    let mut sorted = durations_ms.to_vec();
    sorted.sort_unstable();
    let rank = (sorted.len() * 99).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The alarms `period` sets off. Missing data is not breaching (`TreatMissingData:
/// notBreaching`).
pub fn evaluate(period: &Period, t: &Thresholds) -> Vec<Alarm> {
    let mut alarms = Vec::new();
    if period.errors > 0 {
        alarms.push(Alarm {
            name: "ErrorsAlarm",
            reason: format!(
                "{} of {} invocations failed",
                period.errors, period.invocations
            ),
        });
    }
    if period.unexpected_errors > t.unexpected_errors_per_minute {
        alarms.push(Alarm {
            name: "UnexpectedErrorsAlarm",
            reason: format!(
                "{} unexpected errors (threshold {})",
                period.unexpected_errors, t.unexpected_errors_per_minute
            ),
        });
    }
    if let Some(p) = p99(&period.durations_ms).filter(|p| *p > t.p99_duration_ms) {
        alarms.push(Alarm {
            name: "P99DurationAlarm",
            reason: format!("p99 duration {p} ms (threshold {} ms)", t.p99_duration_ms),
        });
    }
    alarms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_or_designed_traffic_sets_off_nothing() {
        let t = Thresholds::default();
        assert!(evaluate(&Period::default(), &t).is_empty());
        let busy = Period {
            invocations: 100,
            durations_ms: vec![5; 100],
            ..Period::default()
        };
        assert!(evaluate(&busy, &t).is_empty());
    }

    #[test]
    fn errors_unexpected_errors_and_slow_p99_each_set_off_their_alarm() {
        let t = Thresholds::default();
        let names =
            |p: Period| -> Vec<&'static str> { evaluate(&p, &t).iter().map(|a| a.name).collect() };
        assert_eq!(
            names(Period {
                invocations: 3,
                errors: 1,
                ..Period::default()
            }),
            ["ErrorsAlarm"]
        );
        assert_eq!(
            names(Period {
                invocations: 3,
                unexpected_errors: 1,
                ..Period::default()
            }),
            ["UnexpectedErrorsAlarm"]
        );
        let mut slow = vec![10; 98];
        slow.extend([4000, 4000]);
        assert_eq!(
            names(Period {
                invocations: 100,
                durations_ms: slow,
                ..Period::default()
            }),
            ["P99DurationAlarm"]
        );
        assert_eq!(p99(&[1, 2, 3]), Some(3));
    }
}
