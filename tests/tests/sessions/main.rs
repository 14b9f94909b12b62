//! The sessions area end to end: the sessions API over HTTP through the local gateway, placement events through SNS and SQS, the reconciler.
//! One test binary for the area; each module is one part of it.

mod access;
mod contract;
mod events;
mod flow;
mod join;
mod ownership;
mod pending;
mod reconciler;
mod replaced;
mod sharding;
#[allow(dead_code)]
mod support;
mod truth;
