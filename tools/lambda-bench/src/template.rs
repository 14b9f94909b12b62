//! The environment each function gets in the SAM template: `Globals.Function` merged
//! with the function's own `Environment.Variables`, memory size and logging config,
//! with CloudFormation intrinsics resolved to stand-in values (parameters to their
//! defaults or overrides, resources to `bench-<LogicalId>`), so a function starts with
//! the configuration it would have in AWS, minus real resources.

use std::collections::BTreeMap;

use serde_norway::{Mapping, Value};

const ACCOUNT: &str = "123456789012";
const STACK: &str = "hangar-bench";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template.yaml does not parse: {0}")]
    Yaml(#[from] serde_norway::Error),
    #[error("template.yaml has no Resources mapping")]
    NoResources,
    #[error("{function}.{var}: {message}")]
    Variable {
        function: String,
        var: String,
        message: String,
    },
    #[error("{function}: {message}")]
    Function { function: String, message: String },
}

/// What the template says one function runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// The resource's logical id (e.g. `SessionsGetFunction`).
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`.
    pub binary: String,
    /// `MemorySize` (function, else Globals, else Lambda's default 128).
    pub memory_mb: u32,
    /// `Environment.Variables` (Globals first, the function's own override them).
    pub vars: BTreeMap<String, String>,
    /// `LoggingConfig.LogFormat` (`JSON` / `Text`), when set.
    pub log_format: Option<String>,
    /// `LoggingConfig.ApplicationLogLevel`, when set.
    pub log_level: Option<String>,
}

/// Every `AWS::Serverless::Function` with a `BuildProperties.Binary`, by binary name.
/// `params` override parameter defaults; a parameter with neither gets `bench-<Name>`.
pub fn functions(
    template: &str,
    params: &BTreeMap<String, String>,
    region: &str,
) -> Result<BTreeMap<String, FunctionSpec>, TemplateError> {
    let doc: Value = serde_norway::from_str(template)?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or(TemplateError::NoResources)?;
    let resolver = Resolver {
        params: parameters(&doc, params),
        resources,
        region,
    };
    let globals = doc.get("Globals").and_then(|g| g.get("Function"));

    let mut out = BTreeMap::new();
    for (id, resource) in resources {
        let Some(id) = id.as_str() else { continue };
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let Some(binary) = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let props = resource.get("Properties");
        let mut vars = BTreeMap::new();
        for scope in [globals, props] {
            let Some(map) = scope
                .and_then(|s| s.get("Environment"))
                .and_then(|e| e.get("Variables"))
                .and_then(Value::as_mapping)
            else {
                continue;
            };
            for (name, value) in map {
                let name = name.as_str().unwrap_or_default().to_string();
                let value = resolver
                    .string(value)
                    .map_err(|message| TemplateError::Variable {
                        function: id.to_string(),
                        var: name.clone(),
                        message,
                    })?;
                vars.insert(name, value);
            }
        }
        let setting = |key: &str| -> Option<&Value> {
            props
                .and_then(|p| p.get(key))
                .or_else(|| globals.and_then(|g| g.get(key)))
        };
        let memory_mb = match setting("MemorySize") {
            None => 128,
            Some(v) => resolver
                .string(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| TemplateError::Function {
                    function: id.to_string(),
                    message: "MemorySize is not a number".into(),
                })?,
        };
        let logging = |key: &str| {
            setting("LoggingConfig")
                .and_then(|l| l.get(key))
                .and_then(|v| resolver.string(v).ok())
        };
        out.insert(
            binary.to_string(),
            FunctionSpec {
                logical_id: id.to_string(),
                binary: binary.to_string(),
                memory_mb,
                vars,
                log_format: logging("LogFormat"),
                log_level: logging("ApplicationLogLevel"),
            },
        );
    }
    Ok(out)
}

/// Parameter values: override, else `Default`, else `bench-<Name>`.
fn parameters(doc: &Value, overrides: &BTreeMap<String, String>) -> BTreeMap<String, Resolved> {
    let mut out = BTreeMap::new();
    if let Some(params) = doc.get("Parameters").and_then(Value::as_mapping) {
        for (name, param) in params {
            let Some(name) = name.as_str() else { continue };
            let value = overrides
                .get(name)
                .cloned()
                .or_else(|| param.get("Default").and_then(scalar))
                .unwrap_or_else(|| format!("bench-{name}"));
            let is_list = param
                .get("Type")
                .and_then(Value::as_str)
                .is_some_and(|t| t == "CommaDelimitedList" || t.starts_with("List<"));
            let resolved = if is_list {
                Resolved::List(value.split(',').map(str::to_string).collect())
            } else {
                Resolved::Str(value)
            };
            out.insert(name.to_string(), resolved);
        }
    }
    out
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolved {
    Str(String),
    List(Vec<String>),
}

struct Resolver<'a> {
    params: BTreeMap<String, Resolved>,
    resources: &'a Mapping,
    region: &'a str,
}

impl Resolver<'_> {
    fn string(&self, v: &Value) -> Result<String, String> {
        match self.value(v)? {
            Resolved::Str(s) => Ok(s),
            Resolved::List(_) => Err("resolves to a list, not a string".into()),
        }
    }

    fn value(&self, v: &Value) -> Result<Resolved, String> {
        if let Some(s) = scalar(v) {
            return Ok(Resolved::Str(s));
        }
        let (function, arg) = match v {
            Value::Tagged(t) => (t.tag.to_string(), &t.value),
            Value::Mapping(m) if m.len() == 1 => {
                let Some((k, arg)) = m.iter().next() else {
                    return Err("empty mapping".into());
                };
                let k = k.as_str().unwrap_or_default();
                let k = k.strip_prefix("Fn::").unwrap_or(k);
                (format!("!{k}"), arg)
            }
            Value::Sequence(items) => {
                let list = items
                    .iter()
                    .map(|i| self.string(i))
                    .collect::<Result<_, _>>()?;
                return Ok(Resolved::List(list));
            }
            _ => return Err("unsupported value".into()),
        };
        match function.as_str() {
            "!Ref" => self.reference(arg.as_str().ok_or("!Ref takes a name")?),
            "!GetAtt" => {
                let target = match arg {
                    Value::Sequence(parts) => parts
                        .iter()
                        .map(|p| self.string(p))
                        .collect::<Result<Vec<_>, _>>()?
                        .join("."),
                    other => self.string(other)?,
                };
                Ok(Resolved::Str(self.attribute(&target)))
            }
            "!Sub" => {
                let (text, vars) = match arg {
                    Value::Sequence(parts) if parts.len() == 2 => {
                        let mut vars = BTreeMap::new();
                        if let Some(map) = parts[1].as_mapping() {
                            for (k, v) in map {
                                vars.insert(
                                    k.as_str().unwrap_or_default().to_string(),
                                    self.string(v)?,
                                );
                            }
                        }
                        (parts[0].as_str().ok_or("!Sub takes a string")?, vars)
                    }
                    other => (
                        other.as_str().ok_or("!Sub takes a string")?,
                        BTreeMap::new(),
                    ),
                };
                self.substitute(text, &vars).map(Resolved::Str)
            }
            "!Join" => {
                let parts = arg
                    .as_sequence()
                    .filter(|p| p.len() == 2)
                    .ok_or("!Join takes [separator, list]")?;
                let separator = parts[0]
                    .as_str()
                    .ok_or("!Join separator must be a string")?;
                let items = match self.value(&parts[1])? {
                    Resolved::List(items) => items,
                    Resolved::Str(s) => vec![s],
                };
                Ok(Resolved::Str(items.join(separator)))
            }
            other => Err(format!(
                "intrinsic {other} is not supported; pass the variable with --env"
            )),
        }
    }

    fn reference(&self, name: &str) -> Result<Resolved, String> {
        if let Some(pseudo) = self.pseudo(name) {
            return Ok(Resolved::Str(pseudo));
        }
        if let Some(p) = self.params.get(name) {
            return Ok(p.clone());
        }
        // SAM: `!Ref Function.Version` / `.Alias` of an AutoPublishAlias function: the
        // Ref of the version (alias) resource, its ARN
        if let Some((resource, attr)) = name.split_once('.') {
            if self.resources.contains_key(resource) {
                let qualifier = if attr == "Version" { "1" } else { "live" };
                return Ok(Resolved::Str(format!(
                    "arn:aws:lambda:{}:{ACCOUNT}:function:bench-{resource}:{qualifier}",
                    self.region
                )));
            }
        }
        if self.resources.contains_key(name) {
            return Ok(Resolved::Str(format!("bench-{name}")));
        }
        Err(format!("!Ref {name}: no such parameter or resource"))
    }

    fn attribute(&self, target: &str) -> String {
        match target.rsplit_once('.') {
            Some((_, "Version")) => "1".to_string(),
            Some((resource, "Arn")) => {
                format!(
                    "arn:aws:bench:{}:{ACCOUNT}:{STACK}/bench-{resource}",
                    self.region
                )
            }
            Some((resource, attr)) => format!("bench-{resource}-{attr}"),
            None => format!("bench-{target}"),
        }
    }

    fn pseudo(&self, name: &str) -> Option<String> {
        Some(match name {
            "AWS::Region" => self.region.to_string(),
            "AWS::AccountId" => ACCOUNT.to_string(),
            "AWS::StackName" => STACK.to_string(),
            "AWS::Partition" => "aws".to_string(),
            "AWS::URLSuffix" => "amazonaws.com".to_string(),
            _ => return None,
        })
    }

    /// `${Name}`, `${Resource.Attr}` and `${!Literal}` of `Fn::Sub`.
    fn substitute(&self, text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or("!Sub: unterminated ${")?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.get(name) {
                out.push_str(v);
            } else {
                match self.reference(name) {
                    Ok(Resolved::Str(s)) => out.push_str(&s),
                    Ok(Resolved::List(items)) => out.push_str(&items.join(",")),
                    Err(_) => out.push_str(&self.attribute(name)),
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  Stage:
    Type: String
    Default: dev
  QueueName:
    Type: String
  Ttl:
    Type: Number
    Default: 30
  Subnets:
    Type: CommaDelimitedList
    Default: "subnet-1,subnet-2"
Globals:
  Function:
    MemorySize: 256
    LoggingConfig:
      LogFormat: JSON
      ApplicationLogLevel: INFO
    Environment:
      Variables:
        HANGAR_STAGE: !Ref Stage
        SHARED: global
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Api:
    Type: AWS::Serverless::HttpApi
  GetFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: sessions-get
    Properties:
      MemorySize: 512
      Environment:
        Variables:
          SHARED: own
          TABLE: !Ref Table
          TTL: !Ref Ttl
          QUEUE: !Ref QueueName
          SUBNETS: !Join [",", !Ref Subnets]
          URL: !Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/v"
          LITERAL: !Sub "${!NotMe}-${Suffix}"
          TARGETS: !Join
            - ","
            - - !Join ["=", [sessions-get, !Ref GetFunction.Version]]
          ARN: !GetAtt Table.Arn
          LONG: { "Fn::Sub": ["x-${Name}", { Name: !Ref Stage }] }
  Plain:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: version
  NotRust:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
"#;

    fn get() -> FunctionSpec {
        let params = BTreeMap::from([("Stage".to_string(), "bench".to_string())]);
        functions(TEMPLATE, &params, "eu-west-1")
            .unwrap()
            .remove("sessions-get")
            .unwrap()
    }

    #[test]
    fn only_functions_with_a_binary_are_listed_by_binary_name() {
        let all = functions(TEMPLATE, &BTreeMap::new(), "us-east-1").unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["sessions-get", "version"]);
        assert_eq!(all["version"].logical_id, "Plain");
    }

    #[test]
    fn function_variables_override_globals_and_settings_fall_back_to_globals() {
        let all = functions(TEMPLATE, &BTreeMap::new(), "us-east-1").unwrap();
        let get = &all["sessions-get"];
        assert_eq!(get.vars["SHARED"], "own");
        assert_eq!(get.vars["HANGAR_STAGE"], "dev");
        assert_eq!(get.memory_mb, 512);
        assert_eq!(all["version"].memory_mb, 256);
        assert_eq!(all["version"].vars["SHARED"], "global");
        assert_eq!(get.log_format.as_deref(), Some("JSON"));
        assert_eq!(get.log_level.as_deref(), Some("INFO"));
    }

    #[test]
    fn refs_resolve_to_overrides_defaults_stand_ins_and_resource_names() {
        let get = get();
        assert_eq!(get.vars["HANGAR_STAGE"], "bench");
        assert_eq!(get.vars["TTL"], "30");
        assert_eq!(get.vars["QUEUE"], "bench-QueueName");
        assert_eq!(get.vars["TABLE"], "bench-Table");
        assert_eq!(get.vars["SUBNETS"], "subnet-1,subnet-2");
        assert_eq!(
            get.vars["TARGETS"],
            "sessions-get=arn:aws:lambda:eu-west-1:123456789012:function:bench-GetFunction:1"
        );
        assert_eq!(
            get.vars["ARN"],
            "arn:aws:bench:eu-west-1:123456789012:hangar-bench/bench-Table"
        );
    }

    #[test]
    fn sub_substitutes_names_pseudo_parameters_and_keeps_escaped_literals() {
        let get = get();
        assert_eq!(
            get.vars["URL"],
            "https://bench-Api.execute-api.eu-west-1.amazonaws.com/bench/v"
        );
        assert_eq!(get.vars["LITERAL"], "${NotMe}-bench-Suffix");
        assert_eq!(get.vars["LONG"], "x-bench");
    }

    #[test]
    fn an_unsupported_intrinsic_names_the_function_and_variable() {
        let template = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties:\n        Binary: f\n    Properties:\n      Environment:\n        Variables:\n          MODE: !If [Cond, a, b]\n";
        let e = functions(template, &BTreeMap::new(), "us-east-1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("F.MODE") && e.contains("!If"), "{e}");
    }

    #[test]
    fn a_ref_to_nothing_is_an_error() {
        let template = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties:\n        Binary: f\n    Properties:\n      Environment:\n        Variables:\n          T: !Ref Missing\n";
        let e = functions(template, &BTreeMap::new(), "us-east-1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("F.T") && e.contains("Missing"), "{e}");
    }
}
