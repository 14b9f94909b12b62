//! The traffic shifts of each `DeploymentType` the template allows, as CodeDeploy's
//! predefined Lambda configurations define them. Pure: facts in, steps out.

use std::time::Duration;

/// `DeploymentType` of template.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeploymentType {
    /// 10 % of traffic for 5 minutes, then the rest.
    #[value(name = "Canary10Percent5Minutes")]
    Canary10Percent5Minutes,
    /// 10 % more every minute.
    #[value(name = "Linear10PercentEvery1Minute")]
    Linear10PercentEvery1Minute,
    /// Everything at once.
    #[value(name = "AllAtOnce")]
    AllAtOnce,
}

/// One shift: the new version's share, then how long it holds before the next step
/// (alarms are watched meanwhile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub percent: u32,
    pub hold_minutes: u32,
}

impl DeploymentType {
    pub fn name(self) -> &'static str {
        match self {
            DeploymentType::Canary10Percent5Minutes => "Canary10Percent5Minutes",
            DeploymentType::Linear10PercentEvery1Minute => "Linear10PercentEvery1Minute",
            DeploymentType::AllAtOnce => "AllAtOnce",
        }
    }

    /// The shifts in order; the last is always 100 %.
    pub fn steps(self) -> Vec<Step> {
        match self {
            DeploymentType::Canary10Percent5Minutes => vec![
                Step {
                    percent: 10,
                    hold_minutes: 5,
                },
                Step {
                    percent: 100,
                    hold_minutes: 0,
                },
            ],
            DeploymentType::Linear10PercentEvery1Minute => (1..=10)
                .map(|i| Step {
                    percent: i * 10,
                    hold_minutes: u32::from(i < 10),
                })
                .collect(),
            DeploymentType::AllAtOnce => vec![Step {
                percent: 100,
                hold_minutes: 0,
            }],
        }
    }
}

/// A hold of `minutes`, with a simulated minute lasting `minute`.
pub fn hold(minutes: u32, minute: Duration) -> Duration {
    minute * minutes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_ends_at_full_traffic_and_the_shifts_match_codedeploy() {
        let canary = DeploymentType::Canary10Percent5Minutes.steps();
        assert_eq!(
            canary[0],
            Step {
                percent: 10,
                hold_minutes: 5
            }
        );
        let linear = DeploymentType::Linear10PercentEvery1Minute.steps();
        assert_eq!(linear.len(), 10);
        assert!(linear.windows(2).all(|w| w[1].percent == w[0].percent + 10));
        assert_eq!(DeploymentType::AllAtOnce.steps().len(), 1);
        for t in [
            DeploymentType::Canary10Percent5Minutes,
            DeploymentType::Linear10PercentEvery1Minute,
            DeploymentType::AllAtOnce,
        ] {
            assert_eq!(
                t.steps().last().map(|s| (s.percent, s.hold_minutes)),
                Some((100, 0))
            );
        }
        assert_eq!(hold(5, Duration::from_millis(200)), Duration::from_secs(1));
    }
}
