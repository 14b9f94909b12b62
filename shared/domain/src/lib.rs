//! Hangar domain: pure business rules, reached by unit tests with no network.
