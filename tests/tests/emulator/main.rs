//! The GameLift emulator through real GameLift clients (aws-sdk-gamelift over RPC v2 CBOR, and JSON 1.1).
//! One test binary for the area; each module is one part of it.

mod api;
mod faults;
mod lifecycle;
mod operations;
mod placement;
mod placement_rules;
mod search_differential;
mod terminate;
mod uploads;
mod validation;
