//! A local AWS Step Functions endpoint for tests and `hangar dev`: the JSON 1.0 protocol
//! of CreateStateMachine, StartExecution, DescribeExecution, GetExecutionHistory,
//! StopExecution and ListExecutions on loopback, reached through `AWS_ENDPOINT_URL_SFN`.
//! Each execution is run by a real ASL engine (`aws-local-stepfunctions` under Node,
//! `statemachines/local/run.mjs`) whose Task states call Lambda's Invoke API, here
//! `local-lambda` serving the fleet-replacement stage functions in-process.
//!
//! - [`server`]: the endpoint and in-process followers of an execution.
//! - [`state_machines`], [`executions`]: the operations; [`store`]: what the endpoint
//!   knows; [`history`]: engine events into Step Functions history events;
//!   [`engine`]: one execution's Node process; [`input`]: request validation.
//! - [`fleet`]: the fleet state machine from `template.yaml`, its stage functions, and
//!   [`LocalEngine`], which starts both.

pub mod engine;
pub mod error;
pub mod executions;
pub mod fleet;
pub mod history;
pub mod input;
pub mod server;
pub mod state_machines;
pub mod store;

pub use engine::EngineOptions;
pub use error::SfnError;
pub use fleet::{EngineError, LocalEngine};
pub use history::EngineEvent;
pub use server::{LocalExecution, LocalStepFunctions, Outcome};
