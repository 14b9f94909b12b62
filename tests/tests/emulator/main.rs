//! The GameLift emulator through real GameLift clients (aws-sdk-gamelift over RPC v2 CBOR, and JSON 1.1).
//! One test binary for the area; each module is one part of it.

#[path = "emulator/api.rs"]
mod api;
#[path = "emulator/faults.rs"]
mod faults;
#[path = "emulator/lifecycle.rs"]
mod lifecycle;
#[path = "emulator/placement.rs"]
mod placement;
#[path = "emulator/terminate.rs"]
mod terminate;
