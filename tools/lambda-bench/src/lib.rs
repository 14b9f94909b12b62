//! Cold-start benchmark of the Lambda functions. A loopback implementation of the Lambda
//! Runtime API starts each function binary the way Lambda does (custom runtime, the
//! reserved environment, the function's template configuration), serves it its sample
//! event once, and measures exec to first `/next`, the first invocation (its AWS calls
//! answered over TLS by moto and the GameLift emulator, [`stack`]), peak RSS, binary and
//! zip size, and any network call made during init. The same harness runs the Python
//! peers ([`suite::PEERS`]) under `awslambdaric` and, in the tests, every debug binary
//! with its sample event.

pub mod artifact;
pub mod measure;
pub mod procfs;
pub mod recorder;
pub mod report;
pub mod runtime_api;
pub mod stack;
pub mod stats;
pub mod suite;
pub mod template;
