//! Wire codecs. Operations read and build `serde_json::Value`s; this module turns them into
//! the two protocols GameLift clients speak:
//! - JSON 1.1 (`POST /`, `X-Amz-Target: GameLift.<Operation>`), timestamps as epoch seconds;
//! - Smithy RPC v2 CBOR (`POST /service/GameLift/operation/<Operation>`), timestamps as CBOR
//!   tag 1 over a float, which is what current aws-sdk-gamelift and botocore send.
//!
//! A timestamp inside a response value is written as `{"$ts": <epoch seconds>}` by [`ts`].

use crate::clock::SimMillis;
use crate::error::{ApiError, ApiResult};
use minicbor::data::{IanaTag, Tag, Type};
use serde_json::{json, Map, Number, Value};

const TS_KEY: &str = "$ts";

/// A timestamp member value.
pub fn ts(ms: SimMillis) -> Value {
    json!({ TS_KEY: ms as f64 / 1000.0 })
}

fn as_ts(map: &Map<String, Value>) -> Option<f64> {
    if map.len() == 1 {
        map.get(TS_KEY).and_then(Value::as_f64)
    } else {
        None
    }
}

/// Replaces timestamp markers by epoch seconds.
pub fn to_json(v: &Value) -> Value {
    match v {
        Value::Object(m) => match as_ts(m) {
            Some(secs) => Number::from_f64(secs)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            None => Value::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        },
        Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        other => other.clone(),
    }
}

pub fn encode_json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(&to_json(v)).unwrap_or_else(|_| b"{}".to_vec())
}

pub fn decode_json(body: &[u8]) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            "SerializationException",
            format!("request body is not valid JSON: {e}"),
        )
    })?;
    if !v.is_object() {
        return Err(ApiError::new(
            "SerializationException",
            "request body must be a JSON object",
        ));
    }
    Ok(v)
}

/// Encodes a response value as CBOR.
pub fn encode_cbor(v: &Value) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = write_cbor(&mut e, v);
    e.into_writer()
}

fn write_cbor(
    e: &mut minicbor::Encoder<Vec<u8>>,
    v: &Value,
) -> Result<(), minicbor::encode::Error<core::convert::Infallible>> {
    match v {
        Value::Null => {
            e.null()?;
        }
        Value::Bool(b) => {
            e.bool(*b)?;
        }
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                e.i64(i)?;
            } else if let Some(u) = n.as_u64() {
                e.u64(u)?;
            } else {
                write_float(e, n.as_f64().unwrap_or(0.0))?;
            }
        }
        Value::String(s) => {
            e.str(s)?;
        }
        Value::Array(a) => {
            e.array(a.len() as u64)?;
            for x in a {
                write_cbor(e, x)?;
            }
        }
        Value::Object(m) => {
            if let Some(secs) = as_ts(m) {
                e.tag(Tag::from(IanaTag::Timestamp))?;
                e.f64(secs)?;
            } else {
                e.map(m.len() as u64)?;
                for (k, x) in m {
                    e.str(k)?;
                    write_cbor(e, x)?;
                }
            }
        }
    }
    Ok(())
}

/// Floats that fit a 32-bit float exactly go out as f32 so both `Float` and `Double`
/// members decode; others as f64.
fn write_float(
    e: &mut minicbor::Encoder<Vec<u8>>,
    x: f64,
) -> Result<(), minicbor::encode::Error<core::convert::Infallible>> {
    if (x as f32) as f64 == x {
        e.f32(x as f32)?;
    } else {
        e.f64(x)?;
    }
    Ok(())
}

pub fn decode_cbor(body: &[u8]) -> ApiResult<Value> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let mut d = minicbor::Decoder::new(body);
    let v = read_cbor(&mut d, 0).map_err(|e| {
        ApiError::new(
            "SerializationException",
            format!("request body is not valid CBOR: {e}"),
        )
    })?;
    if !v.is_object() {
        return Err(ApiError::new(
            "SerializationException",
            "request body must be a CBOR map",
        ));
    }
    Ok(v)
}

fn read_cbor(
    d: &mut minicbor::Decoder<'_>,
    depth: usize,
) -> Result<Value, minicbor::decode::Error> {
    if depth > 64 {
        return Err(minicbor::decode::Error::message("nesting too deep"));
    }
    Ok(match d.datatype()? {
        Type::Null | Type::Undefined => {
            d.skip()?;
            Value::Null
        }
        Type::Bool => Value::Bool(d.bool()?),
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Value::from(d.u64()?),
        Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::Int => Value::from(d.i64()?),
        Type::F16 | Type::F32 | Type::F64 => Number::from_f64(d.f64()?)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Type::String | Type::StringIndef => {
            let mut s = String::new();
            for part in d.str_iter()? {
                s.push_str(part?);
            }
            Value::String(s)
        }
        Type::Bytes | Type::BytesIndef => {
            use base64::Engine;
            let mut b = Vec::new();
            for part in d.bytes_iter()? {
                b.extend_from_slice(part?);
            }
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Type::Array | Type::ArrayIndef => {
            let mut out = Vec::new();
            match d.array()? {
                Some(n) => {
                    for _ in 0..n {
                        out.push(read_cbor(d, depth + 1)?);
                    }
                }
                None => {
                    while d.datatype()? != Type::Break {
                        out.push(read_cbor(d, depth + 1)?);
                    }
                    d.skip()?;
                }
            }
            Value::Array(out)
        }
        Type::Map | Type::MapIndef => {
            let mut out = Map::new();
            match d.map()? {
                Some(n) => {
                    for _ in 0..n {
                        let k = d.str()?.to_string();
                        out.insert(k, read_cbor(d, depth + 1)?);
                    }
                }
                None => {
                    while d.datatype()? != Type::Break {
                        let k = d.str()?.to_string();
                        out.insert(k, read_cbor(d, depth + 1)?);
                    }
                    d.skip()?;
                }
            }
            Value::Object(out)
        }
        Type::Tag => {
            // Timestamps (tag 1) and anything else: keep the tagged value.
            d.tag()?;
            read_cbor(d, depth + 1)?
        }
        other => {
            return Err(minicbor::decode::Error::message(format!(
                "unsupported CBOR type {other}"
            )))
        }
    })
}

/// Typed access to a request's members, with errors naming the member.
pub struct Input<'a>(pub &'a Map<String, Value>);

static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();

impl<'a> Input<'a> {
    pub fn new(v: &'a Value) -> Self {
        match v.as_object() {
            Some(m) => Input(m),
            None => Input(EMPTY.get_or_init(Map::new)),
        }
    }

    fn present(&self, f: &str) -> Option<&'a Value> {
        self.0.get(f).filter(|v| !v.is_null())
    }

    pub fn str_opt(&self, f: &str) -> ApiResult<Option<&'a str>> {
        match self.present(f) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => {
                Err(ApiError::invalid(format!("{f} must not be empty")))
            }
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::invalid(format!("{f} must be a string"))),
        }
    }

    pub fn str_req(&self, f: &str) -> ApiResult<&'a str> {
        self.str_opt(f)?
            .ok_or_else(|| ApiError::invalid(format!("{f} is required")))
    }

    pub fn int_opt(&self, f: &str, min: i64) -> ApiResult<Option<i64>> {
        match self.present(f) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(i) if i >= min => Ok(Some(i)),
                Some(_) => Err(ApiError::invalid(format!("{f} must be at least {min}"))),
                None => Err(ApiError::invalid(format!("{f} must be an integer"))),
            },
        }
    }

    pub fn int_req(&self, f: &str, min: i64) -> ApiResult<i64> {
        self.int_opt(f, min)?
            .ok_or_else(|| ApiError::invalid(format!("{f} is required")))
    }

    pub fn f64_opt(&self, f: &str) -> ApiResult<Option<f64>> {
        match self.present(f) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{f} must be a number"))),
        }
    }

    pub fn list_opt(&self, f: &str) -> ApiResult<Option<&'a Vec<Value>>> {
        match self.present(f) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(ApiError::invalid(format!("{f} must be a list"))),
        }
    }

    pub fn obj_opt(&self, f: &str) -> ApiResult<Option<Input<'a>>> {
        match self.present(f) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Input(m))),
            Some(_) => Err(ApiError::invalid(format!("{f} must be a structure"))),
        }
    }

    pub fn enum_opt(&self, f: &str, allowed: &[&str]) -> ApiResult<Option<&'a str>> {
        match self.str_opt(f)? {
            Some(s) if !allowed.contains(&s) => Err(ApiError::invalid(format!(
                "{f} must be one of {}",
                allowed.join(", ")
            ))),
            other => Ok(other),
        }
    }

    /// A list of strings.
    pub fn strings_opt(&self, f: &str) -> ApiResult<Option<Vec<&'a str>>> {
        match self.list_opt(f)? {
            None => Ok(None),
            Some(items) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| ApiError::invalid(format!("{f} must be a list of strings")))
                })
                .collect::<ApiResult<Vec<_>>>()
                .map(Some),
        }
    }

    /// A list of structures.
    pub fn structs_opt(&self, f: &str) -> ApiResult<Vec<Input<'a>>> {
        match self.list_opt(f)? {
            None => Ok(Vec::new()),
            Some(items) => items
                .iter()
                .map(|v| {
                    v.as_object().map(Input).ok_or_else(|| {
                        ApiError::invalid(format!("{f} must be a list of structures"))
                    })
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbor_round_trip_keeps_members_and_turns_timestamps_into_numbers() {
        let v = json!({"A": "x", "B": 3, "C": [1.5, true, null], "T": ts(1_700_000_000_500), "M": {"K": -2}});
        let back = decode_cbor(&encode_cbor(&v)).unwrap();
        assert_eq!(back["A"], "x");
        assert_eq!(back["B"], 3);
        assert_eq!(back["C"][0], 1.5);
        assert_eq!(back["T"].as_f64(), Some(1_700_000_000.5));
        assert_eq!(back["M"]["K"], -2);
    }

    #[test]
    fn json_encoding_writes_timestamps_as_epoch_seconds() {
        let v = json!({"CreationTime": ts(2_000)});
        assert_eq!(to_json(&v), json!({"CreationTime": 2.0}));
    }

    #[test]
    fn missing_or_mistyped_members_are_named_in_the_error() {
        let v = json!({"Limit": "ten"});
        let i = Input::new(&v);
        assert_eq!(i.str_req("Name").unwrap_err().message, "Name is required");
        assert_eq!(
            i.int_opt("Limit", 1).unwrap_err().message,
            "Limit must be an integer"
        );
    }
}
