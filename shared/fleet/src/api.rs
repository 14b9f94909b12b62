//! The entry point of fleet replacement: every stage function (`functions/fleet`), the
//! local Step Functions engine and `hangar dev` call [`run`]. Errors leave as Lambda
//! diagnostics whose `errorType` is the name the state machine matches.

use lambda_runtime::Diagnostic;
use serde_json::Value;

use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::stages::Stage;

/// Runs `stage` on the execution state `input`; the result is stored by the state
/// machine under the stage's key.
pub async fn run(fleet: &Fleet, stage: Stage, input: Value) -> Result<Value, FleetError> {
    let result = stage.run(fleet, input).await;
    if let Err(e) = &result {
        tracing::warn!(
            stage = stage.function_name(),
            error_type = e.error_type(),
            error = %e,
            "stage failed"
        );
    }
    result
}

impl From<FleetError> for Diagnostic {
    fn from(e: FleetError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_carry_the_error_name_step_functions_matches() {
        let d: Diagnostic = FleetError::StageTimeout("too slow".into()).into();
        assert_eq!(d.error_type, "Hangar.StageTimeout");
        assert_eq!(d.error_message, "too slow");
    }
}
