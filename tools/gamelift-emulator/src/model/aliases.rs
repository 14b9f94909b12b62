//! An alias: a name that routes to a fleet (SIMPLE) or answers a message (TERMINAL).

use crate::clock::SimMillis;
use crate::model::status::RoutingStrategyType;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alias {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub description: Option<String>,
    pub routing_type: RoutingStrategyType,
    pub fleet_id: Option<String>,
    pub message: Option<String>,
    pub created: SimMillis,
    pub updated: SimMillis,
}

impl Alias {
    /// The fleet a SIMPLE alias routes to; `None` for a TERMINAL alias.
    pub fn routed_fleet(&self) -> Option<&str> {
        match (self.routing_type, &self.fleet_id) {
            (RoutingStrategyType::Simple, Some(f)) => Some(f),
            _ => None,
        }
    }
}
