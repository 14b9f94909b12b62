//! Hangar domain: pure business rules shared across areas, reached by unit tests with
//! no network. Area-specific rules live in their own crates under `shared/`.

pub mod search;
