//! The one request validator: checks a request's members against the operation's input
//! shape in GameLift's service model (required members, types, lengths, patterns, enum
//! values, ranges), before any operation runs. Every violation is reported, as GameLift
//! reports them: `InvalidRequestException` with
//! `N validation error(s) detected: Value '<v>' at '<member.path>' failed to satisfy
//! constraint: Member must ...`, member paths in lower camel case, list items as
//! `<list>.<n>.member` (1-based). A JSON `null` is an absent member.

use crate::api_model::{ApiModel, Shape, ShapeType};
use crate::error::ApiError;
use serde_json::Value;

/// One failed constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The member path, e.g. `storageLocation.bucket` or `tags.1.member.key`.
    pub path: String,
    /// The offending value as GameLift prints it (`null` for a missing member).
    pub value: String,
    /// The constraint, e.g. `Member must not be null`.
    pub constraint: String,
}

/// Validates `body` as the input of `op`. An operation the model does not know, or one
/// without input, has nothing to check.
pub fn validate(model: &ApiModel, op: &str, body: &Value) -> Result<(), ApiError> {
    let violations = violations(model, op, body);
    if violations.is_empty() {
        return Ok(());
    }
    let n = violations.len();
    let detail: Vec<String> = violations
        .iter()
        .map(|v| {
            format!(
                "Value {} at '{}' failed to satisfy constraint: {}",
                v.value, v.path, v.constraint
            )
        })
        .collect();
    Err(ApiError::invalid(format!(
        "{n} validation error{} detected: {}",
        if n == 1 { "" } else { "s" },
        detail.join("; ")
    )))
}

/// Every constraint `body` breaks, in member order.
pub fn violations(model: &ApiModel, op: &str, body: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(shape) = model.input(op) {
        Walk {
            model,
            out: &mut out,
        }
        .structure(shape, body, "");
    }
    out
}

struct Walk<'a> {
    model: &'a ApiModel,
    out: &'a mut Vec<Violation>,
}

/// `Name` -> `name`, `EC2InstanceType` -> `eC2InstanceType`.
fn lower_camel(member: &str) -> String {
    let mut c = member.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_string()
    } else {
        format!("{path}.{member}")
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::String(s) => format!("'{s}'"),
        other => format!("'{other}'"),
    }
}

fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl Walk<'_> {
    fn fail(&mut self, path: &str, v: &Value, constraint: String) {
        self.out.push(Violation {
            path: path.to_string(),
            value: shown(v),
            constraint,
        });
    }

    fn value(&mut self, shape_name: &str, v: &Value, path: &str) {
        let Some(shape) = self.model.shape(shape_name) else {
            return;
        };
        match shape.kind {
            ShapeType::Structure => self.structure(shape, v, path),
            ShapeType::List => self.list(shape, v, path),
            ShapeType::Map => self.map(shape, v, path),
            ShapeType::String => self.string(shape_name, shape, v, path),
            ShapeType::Integer | ShapeType::Long => self.integer(shape, v, path),
            ShapeType::Float | ShapeType::Double => self.float(shape, v, path),
            ShapeType::Boolean => {
                if !v.is_boolean() {
                    self.fail(path, v, "Member must be of type boolean".into());
                }
            }
            ShapeType::Timestamp => {
                if !v.is_number() {
                    self.fail(path, v, "Member must be of type timestamp".into());
                }
            }
            ShapeType::Blob => {
                if !v.is_string() {
                    self.fail(path, v, "Member must be of type blob".into());
                }
            }
        }
    }

    fn structure(&mut self, shape: &Shape, v: &Value, path: &str) {
        let Some(map) = v.as_object() else {
            self.fail(path, v, "Member must be of type structure".into());
            return;
        };
        for (member, member_shape) in &shape.members {
            let here = join(path, &lower_camel(member));
            match map.get(member).filter(|x| !x.is_null()) {
                None if shape.required.contains(member) => {
                    self.fail(&here, &Value::Null, "Member must not be null".into())
                }
                None => {}
                Some(x) => self.value(member_shape, x, &here),
            }
        }
    }

    fn length(&mut self, shape: &Shape, len: usize, v: &Value, path: &str) {
        let len = len as f64;
        if let Some(min) = shape.min {
            if len < min {
                self.fail(
                    path,
                    v,
                    format!(
                        "Member must have length greater than or equal to {}",
                        number_text(min)
                    ),
                );
            }
        }
        if let Some(max) = shape.max {
            if len > max {
                self.fail(
                    path,
                    v,
                    format!(
                        "Member must have length less than or equal to {}",
                        number_text(max)
                    ),
                );
            }
        }
    }

    fn range(&mut self, shape: &Shape, x: f64, v: &Value, path: &str) {
        if let Some(min) = shape.min {
            if x < min {
                self.fail(
                    path,
                    v,
                    format!(
                        "Member must have value greater than or equal to {}",
                        number_text(min)
                    ),
                );
            }
        }
        if let Some(max) = shape.max {
            if x > max {
                self.fail(
                    path,
                    v,
                    format!(
                        "Member must have value less than or equal to {}",
                        number_text(max)
                    ),
                );
            }
        }
    }

    fn list(&mut self, shape: &Shape, v: &Value, path: &str) {
        let Some(items) = v.as_array() else {
            self.fail(path, v, "Member must be of type list".into());
            return;
        };
        self.length(shape, items.len(), v, path);
        if let Some(member) = &shape.member {
            for (i, item) in items.iter().enumerate() {
                let here = format!("{path}.{}.member", i + 1);
                if item.is_null() {
                    self.fail(&here, item, "Member must not be null".into());
                } else {
                    self.value(member, item, &here);
                }
            }
        }
    }

    fn map(&mut self, shape: &Shape, v: &Value, path: &str) {
        let Some(entries) = v.as_object() else {
            self.fail(path, v, "Member must be of type map".into());
            return;
        };
        self.length(shape, entries.len(), v, path);
        for (k, item) in entries {
            if let Some(key) = &shape.key {
                // Keys are strings; their constraints are reported at the map's path.
                let before = self.out.len();
                self.value(key, &Value::String(k.clone()), path);
                for violation in &mut self.out[before..] {
                    violation.constraint = format!(
                        "Map keys must satisfy constraint: [{}]",
                        violation.constraint
                    );
                }
            }
            if let Some(value) = &shape.value {
                let here = format!("{path}.{k}.member");
                if item.is_null() {
                    self.fail(&here, item, "Member must not be null".into());
                } else {
                    self.value(value, item, &here);
                }
            }
        }
    }

    fn string(&mut self, shape_name: &str, shape: &Shape, v: &Value, path: &str) {
        let Some(s) = v.as_str() else {
            self.fail(path, v, "Member must be of type string".into());
            return;
        };
        if let Some(values) = &shape.enum_values {
            if !values.iter().any(|e| e == s) {
                self.fail(
                    path,
                    v,
                    format!(
                        "Member must satisfy enum value set: [{}]",
                        values.join(", ")
                    ),
                );
            }
            return;
        }
        self.length(shape, s.chars().count(), v, path);
        if let (Some(p), Some(re)) = (&shape.pattern, self.model.pattern(shape_name)) {
            if !re.is_match(s) {
                self.fail(
                    path,
                    v,
                    format!("Member must satisfy regular expression pattern: {p}"),
                );
            }
        }
    }

    fn integer(&mut self, shape: &Shape, v: &Value, path: &str) {
        let fits = match shape.kind {
            ShapeType::Integer => v.as_i64().is_some_and(|x| i32::try_from(x).is_ok()),
            _ => v.as_i64().is_some(),
        };
        if !fits {
            self.fail(
                path,
                v,
                format!("Member must be of type {}", shape.kind.name()),
            );
            return;
        }
        if let Some(x) = v.as_i64() {
            self.range(shape, x as f64, v, path);
        }
    }

    fn float(&mut self, shape: &Shape, v: &Value, path: &str) {
        match v.as_f64() {
            Some(x) => self.range(shape, x, v, path),
            None => self.fail(
                path,
                v,
                format!("Member must be of type {}", shape.kind.name()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_model::api_model;
    use serde_json::json;

    fn check(op: &str, body: Value) -> Vec<(String, String)> {
        violations(api_model(), op, &body)
            .into_iter()
            .map(|v| (v.path, v.constraint))
            .collect()
    }

    #[test]
    fn a_missing_required_member_is_named_in_lower_camel_case() {
        assert_eq!(
            check("DescribeBuild", json!({})),
            vec![("buildId".to_string(), "Member must not be null".to_string())]
        );
        assert_eq!(
            check("DescribeBuild", json!({"BuildId": null})).len(),
            1,
            "null is absent"
        );
    }

    #[test]
    fn a_member_of_the_wrong_type_is_refused() {
        assert_eq!(
            check("ListBuilds", json!({"Limit": "ten"})),
            vec![(
                "limit".to_string(),
                "Member must be of type integer".to_string()
            )]
        );
        assert_eq!(
            check("ListBuilds", json!({"Limit": 3_000_000_000_i64}))[0].1,
            "Member must be of type integer",
            "an integer member is 32 bits"
        );
    }

    #[test]
    fn a_string_too_long_or_too_short_is_refused() {
        let long = "x".repeat(1025);
        assert_eq!(
            check("CreateBuild", json!({"Name": long})),
            vec![(
                "name".to_string(),
                "Member must have length less than or equal to 1024".to_string()
            )]
        );
        assert_eq!(
            check("CreateBuild", json!({"Name": ""}))[0].1,
            "Member must have length greater than or equal to 1"
        );
        // Characters, not bytes: 1024 two-byte characters fit.
        assert!(check("CreateBuild", json!({"Name": "é".repeat(1024)})).is_empty());
    }

    #[test]
    fn a_string_off_its_pattern_is_refused_with_the_pattern() {
        let v = check("DescribeBuild", json!({"BuildId": "not a build"}));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, "buildId");
        assert!(
            v[0].1
                .starts_with("Member must satisfy regular expression pattern: "),
            "{v:?}"
        );
    }

    #[test]
    fn a_value_outside_an_enum_is_refused_with_the_allowed_values() {
        let v = check(
            "CreateFleet",
            json!({"Name": "f", "EC2InstanceType": "c9.galactic"}),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "eC2InstanceType");
        assert!(v[0].1.starts_with("Member must satisfy enum value set: ["));
        assert!(v[0].1.contains("c5.large"));
    }

    #[test]
    fn a_number_outside_its_range_is_refused() {
        assert_eq!(
            check("ListBuilds", json!({"Limit": 0})),
            vec![(
                "limit".to_string(),
                "Member must have value greater than or equal to 1".to_string()
            )]
        );
        let v = check(
            "CreateFleet",
            json!({"Name": "f", "RuntimeConfiguration": {"ServerProcesses": [{"LaunchPath": "/x", "ConcurrentExecutions": 1}], "GameSessionActivationTimeoutSeconds": 601}}),
        );
        assert_eq!(
            v,
            vec![(
                "runtimeConfiguration.gameSessionActivationTimeoutSeconds".to_string(),
                "Member must have value less than or equal to 600".to_string()
            )]
        );
    }

    #[test]
    fn list_lengths_and_list_items_are_checked_with_one_based_item_paths() {
        let v = check(
            "CreatePlayerSessions",
            json!({"GameSessionId": "arn:aws:gamelift:us-east-1::gamesession/fleet-1/g", "PlayerIds": []}),
        );
        assert_eq!(
            v,
            vec![(
                "playerIds".to_string(),
                "Member must have length greater than or equal to 1".to_string()
            )]
        );
        let v = check(
            "TagResource",
            json!({"ResourceARN": "arn:aws:gamelift:us-east-1:123456789012:fleet/fleet-1", "Tags": [{"Key": "a", "Value": "b"}, {"Value": "c"}]}),
        );
        assert_eq!(
            v,
            vec![(
                "tags.2.member.key".to_string(),
                "Member must not be null".to_string()
            )]
        );
    }

    #[test]
    fn every_violation_is_reported_in_one_message() {
        let e = validate(
            api_model(),
            "CreateGameSession",
            &json!({"MaximumPlayerSessionCount": -1, "Name": ""}),
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidRequestException");
        assert!(
            e.message.starts_with("2 validation errors detected: "),
            "{}",
            e.message
        );
        assert!(e
            .message
            .contains("Value '-1' at 'maximumPlayerSessionCount' failed to satisfy constraint: Member must have value greater than or equal to 0"));
    }

    #[test]
    fn an_operation_without_constraints_broken_passes() {
        assert!(validate(api_model(), "ListBuilds", &json!({"Limit": 5})).is_ok());
        assert!(validate(api_model(), "NoSuchOperation", &json!({"x": 1})).is_ok());
    }
}
