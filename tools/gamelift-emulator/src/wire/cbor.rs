//! The Smithy RPC v2 CBOR protocol's bodies (`POST /service/GameLift/operation/<Operation>`):
//! timestamps as CBOR tag 1 over a float, which is what current aws-sdk-gamelift and
//! botocore send.

use crate::error::{ApiError, ApiResult};
use crate::wire::timestamp::as_ts;
use minicbor::data::{IanaTag, Tag, Type};
use serde_json::{Map, Number, Value};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::timestamp::ts;
    use serde_json::json;

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
}
