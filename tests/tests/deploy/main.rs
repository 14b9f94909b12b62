//! Deployments: the CodeDeploy traffic hooks and `hangar probe`.
//! One test binary for the area; each module is one part of it.

mod functions;
mod hooks;
mod probe;
