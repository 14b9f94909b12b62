//! CreateStateMachine: a STANDARD state machine whose definition the engine's own
//! validator accepts. Idempotent as Step Functions is: the same name with the same
//! definition and role answers the existing ARN; a different one is refused.

use serde_json::{json, Value};

use crate::engine;
use crate::error::SfnError;
use crate::history::epoch_secs;
use crate::input::{check_name, Input};
use crate::store::{Machine, Store, ACCOUNT};

/// The longest definition Step Functions accepts (bytes).
pub const MAX_DEFINITION_BYTES: usize = 1_048_576;

pub async fn create(store: &Store, input: &Value) -> Result<Value, SfnError> {
    let i = Input::new(input)?;
    let name = i.str("name", 80)?;
    check_name(name)?;
    let definition = i.str("definition", MAX_DEFINITION_BYTES)?;
    let role_arn = i.str("roleArn", 256)?;
    if !role_arn.starts_with("arn:") {
        return Err(SfnError::invalid_arn(role_arn));
    }
    match i.str_opt("type", 16)? {
        None | Some("STANDARD") => {}
        Some("EXPRESS") => {
            return Err(SfnError::new(
                "StateMachineTypeNotSupported",
                "the local endpoint runs STANDARD state machines only",
            ))
        }
        Some(other) => {
            return Err(SfnError::validation(format!(
                "1 validation error detected: Value '{other}' at 'type' failed to satisfy \
                 constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
            )))
        }
    }
    let parsed: Value = serde_json::from_str(definition).map_err(|e| {
        SfnError::new(
            "InvalidDefinition",
            format!("Invalid State Machine Definition: the definition is not JSON: {e}"),
        )
    })?;
    let region = store.region();
    let arn = format!("arn:aws:states:{region}:{ACCOUNT}:stateMachine:{name}");
    if let Some(existing) = store.lock().machine(&arn) {
        return if existing.definition == definition && existing.role_arn == role_arn {
            Ok(json!({"stateMachineArn": arn, "creationDate": epoch_secs(existing.created_ms)}))
        } else {
            Err(SfnError::new(
                "StateMachineAlreadyExists",
                format!("State Machine Already Exists: '{arn}'"),
            ))
        };
    }
    engine::validate(&store.options(), &parsed)
        .await
        .map_err(|m| {
            SfnError::new(
                "InvalidDefinition",
                format!("Invalid State Machine Definition: {m}"),
            )
        })?;
    let created_ms = hangar_lambda::clock::now_ms();
    let mut locked = store.lock();
    if locked.machine(&arn).is_none() {
        locked.add_machine(Machine {
            arn: arn.clone(),
            name: name.to_string(),
            definition: definition.to_string(),
            role_arn: role_arn.to_string(),
            created_ms,
        });
    }
    Ok(json!({"stateMachineArn": arn, "creationDate": epoch_secs(created_ms)}))
}
