//! Cold-start benchmark of the Lambda functions. A loopback implementation of the Lambda
//! Runtime API starts each function binary the way Lambda does (custom runtime, the
//! reserved environment, the function's template configuration), serves it its sample
//! event once, and measures exec to first `/next`, the first invocation, peak RSS, binary
//! and zip size, and any network call made during init (every AWS endpoint, the instance
//! metadata endpoint and HTTP proxies point at a recorder on loopback).

pub mod artifact;
pub mod measure;
pub mod procfs;
pub mod recorder;
pub mod report;
pub mod runtime_api;
pub mod stats;
pub mod template;
