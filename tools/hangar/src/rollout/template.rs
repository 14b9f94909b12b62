//! The API functions of template.yaml: every `AWS::Serverless::Function` with an
//! `HttpApi` event, its binary (`BuildProperties.Binary`) and its first route (a function
//! with several routes, such as `version` with `/version` and `/openapi.json`, is one
//! function, listed once). The rollout shifts exactly these, as CodeDeploy does in AWS.

use serde_norway::Value;

/// One API function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFunction {
    pub logical_id: String,
    pub binary: String,
    pub method: String,
    pub path: String,
}

impl ApiFunction {
    /// API Gateway's route key, `GET /v1/sessions`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The API functions of `template` (the text of template.yaml), in template order.
pub fn api_functions(template: &str) -> Result<Vec<ApiFunction>, String> {
    let doc: Value = serde_norway::from_str(template).map_err(|e| format!("template.yaml: {e}"))?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or("template.yaml has no Resources")?;
    let mut out = Vec::new();
    for (id, resource) in resources {
        let Some(id) = id.as_str() else { continue };
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str);
        let events = resource
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(Value::as_mapping);
        for event in events.into_iter().flat_map(|e| e.values()) {
            if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                continue;
            }
            let props = event.get("Properties");
            let field = |k: &str| props.and_then(|p| p.get(k)).and_then(Value::as_str);
            let (Some(binary), Some(method), Some(path)) = (binary, field("Method"), field("Path"))
            else {
                return Err(format!(
                    "{id}: an HttpApi event needs Binary, Method and Path"
                ));
            };
            out.push(ApiFunction {
                logical_id: id.to_string(),
                binary: binary.to_string(),
                method: method.to_uppercase(),
                path: path.to_string(),
            });
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_template_has_ten_api_functions_with_their_routes() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))
                .unwrap();
        let functions = crate::rollout::template::api_functions(&text).unwrap();
        assert_eq!(functions.len(), 10, "{functions:?}");
        let get = functions
            .iter()
            .find(|f| f.binary == "sessions-get")
            .unwrap();
        assert_eq!(get.route_key(), "GET /v1/sessions/{sessionId}");
        assert_eq!(get.logical_id, "SessionsGetFunction");
        let binaries: std::collections::BTreeSet<_> =
            functions.iter().map(|f| f.binary.as_str()).collect();
        assert_eq!(binaries.len(), functions.len(), "each function once");
        let version = functions.iter().find(|f| f.binary == "version").unwrap();
        assert_eq!(version.route_key(), "GET /version");
    }
}
