//! GameLift's service model as the emulator keeps it: every operation's name and input
//! shape, and the shapes reachable from inputs with their constraints, from botocore's
//! `gamelift/2015-10-01/service-2.json` (see `data/gamelift-2015-10-01.json`, refreshed by
//! `scripts/refresh_gamelift_model.py`, pinned to the botocore of scripts/requirements.txt).
//! Read by the validator and by the server (which operations exist). A leaf module.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

const MODEL_JSON: &str = include_str!("../data/gamelift-2015-10-01.json");

/// The kind of a shape, as botocore names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeType {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
}

impl ShapeType {
    pub fn name(self) -> &'static str {
        match self {
            ShapeType::Structure => "structure",
            ShapeType::List => "list",
            ShapeType::Map => "map",
            ShapeType::String => "string",
            ShapeType::Integer => "integer",
            ShapeType::Long => "long",
            ShapeType::Float => "float",
            ShapeType::Double => "double",
            ShapeType::Boolean => "boolean",
            ShapeType::Timestamp => "timestamp",
            ShapeType::Blob => "blob",
        }
    }
}

/// One shape and its constraints.
#[derive(Debug, Clone, Deserialize)]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: ShapeType,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub members: BTreeMap<String, String>,
    pub member: Option<String>,
    pub key: Option<String>,
    pub value: Option<String>,
    /// Length (strings, lists, maps) or value (numbers) bounds.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct Document {
    botocore: String,
    operations: BTreeMap<String, Option<String>>,
    shapes: HashMap<String, Shape>,
}

/// The loaded model, with every pattern compiled once.
#[derive(Debug, Default)]
pub struct ApiModel {
    /// The botocore version the data was taken from.
    pub botocore: String,
    operations: BTreeMap<String, Option<String>>,
    shapes: HashMap<String, Shape>,
    patterns: HashMap<String, regex_lite::Regex>,
}

impl ApiModel {
    fn parse(text: &str) -> Result<Self, String> {
        let doc: Document = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut patterns = HashMap::new();
        for (name, shape) in &doc.shapes {
            if let Some(p) = &shape.pattern {
                let re = compile_pattern(p).map_err(|e| format!("pattern of {name}: {e}"))?;
                patterns.insert(name.clone(), re);
            }
        }
        Ok(Self {
            botocore: doc.botocore,
            operations: doc.operations,
            shapes: doc.shapes,
            patterns,
        })
    }

    /// Every GameLift operation, in name order.
    pub fn operations(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    pub fn has_operation(&self, op: &str) -> bool {
        self.operations.contains_key(op)
    }

    /// The input shape of an operation.
    pub fn input(&self, op: &str) -> Option<&Shape> {
        self.operations
            .get(op)?
            .as_deref()
            .and_then(|s| self.shapes.get(s))
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// The compiled pattern of a shape, matched against the whole value.
    pub fn pattern(&self, shape: &str) -> Option<&regex_lite::Regex> {
        self.patterns.get(shape)
    }
}

/// GameLift's model, loaded on first use.
pub fn api_model() -> &'static ApiModel {
    static MODEL: OnceLock<ApiModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ApiModel::parse(MODEL_JSON).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the embedded GameLift service model does not load; requests are not validated");
            ApiModel::default()
        })
    })
}

/// Compiles a model pattern (Java regular-expression syntax, matched against the whole
/// value as Java's `matches` does). `\uXXXX` escapes become code points; a UTF-16
/// surrogate pair becomes the code point it encodes. `\d`, `\s`, `\w` are ASCII-only in
/// both Java and `regex_lite`.
pub fn compile_pattern(java: &str) -> Result<regex_lite::Regex, regex_lite::Error> {
    let mut out = String::with_capacity(java.len() + 8);
    let chars: Vec<char> = java.chars().collect();
    let mut i = 0;
    let unit = |at: usize| -> Option<u32> {
        if chars.get(at) == Some(&'\\') && chars.get(at + 1) == Some(&'u') {
            let hex: String = chars.get(at + 2..at + 6)?.iter().collect();
            u32::from_str_radix(&hex, 16).ok()
        } else {
            None
        }
    };
    while i < chars.len() {
        if let Some(high) = unit(i) {
            let code = match unit(i + 6) {
                Some(low)
                    if (0xD800..0xDC00).contains(&high) && (0xDC00..0xE000).contains(&low) =>
                {
                    i += 12;
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                }
                _ => {
                    i += 6;
                    high
                }
            };
            out.push_str(&format!("\\x{{{code:X}}}"));
            continue;
        }
        if chars[i] == '\\' && i + 1 < chars.len() {
            out.push(chars[i]);
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    regex_lite::Regex::new(&format!(r"\A(?:{out})\z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_model_loads_with_all_120_operations_and_every_pattern_compiles() {
        let m = ApiModel::parse(MODEL_JSON).unwrap();
        assert_eq!(m.operations().count(), 120);
        let with_pattern = m.shapes.values().filter(|s| s.pattern.is_some()).count();
        assert_eq!(m.patterns.len(), with_pattern);
        assert!(m.input("CreateBuild").is_some());
    }

    #[test]
    fn java_patterns_match_whole_values_and_surrogate_pairs_become_code_points() {
        let re = compile_pattern("[a-z]+").unwrap();
        assert!(re.is_match("abc"));
        assert!(
            !re.is_match("abc1"),
            "matches the whole value, as Java does"
        );
        let xml =
            compile_pattern(r"^[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]+$")
                .unwrap();
        assert!(xml.is_match("héllo 🎮"));
        assert!(!xml.is_match("\u{1}"));
        let word = compile_pattern(r"^[\w]+$").unwrap();
        assert!(!word.is_match("é"), "\\w is ASCII-only, as in Java");
    }
}
