//! Deployments: the CodeDeploy traffic hooks, the metric that gates deployments, the
//! local rollout rehearsal and `hangar probe`. One test binary for the area; each module
//! is one part of it.

mod functions;
mod hooks;
mod metrics;
mod panic;
mod probe;
mod rollout;
mod stack;
