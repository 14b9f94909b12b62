//! The context of an operation: what it needs besides the state.

use crate::clock::SimMillis;
use crate::faults::Faults;
use crate::model::{Identity, ServerSettings, Timing};

/// What an operation needs besides the state.
pub struct Ctx<'a> {
    pub now: SimMillis,
    pub timing: &'a Timing,
    pub settings: &'a ServerSettings,
    pub who: &'a Identity,
    pub faults: &'a Faults,
}
