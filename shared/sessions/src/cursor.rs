//! Opaque listing cursors: the position after the last item returned, bound to the
//! query that produced it and signed with HMAC-SHA256, so a cursor cannot be forged,
//! altered, or replayed against a different filter/sort.
//!
//! Wire form: `base64url(payload) "." base64url(hmac(key, payload))`, where payload is
//! JSON `{"q": hex(sha256(query)), "k": {<key attribute>: <value>}, "s": <shard>}`: the
//! key of the last item returned and the listing shard it is in (absent in cursors made
//! before listings were sharded: shard 0).

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Longest cursor accepted (keys are short; this bounds the work spent on garbage).
const MAX_CURSOR: usize = 4096;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CursorError {
    #[error("cursor is malformed")]
    Malformed,
    #[error("cursor signature is not valid")]
    BadSignature,
    #[error("cursor belongs to a different query (filter or sort changed)")]
    ForeignQuery,
}

/// The signing key (from configuration; never in the repository).
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cursor key must be at least 32 bytes")]
pub struct WeakKey;

impl CursorKey {
    pub fn new(secret: &[u8]) -> Result<Self, WeakKey> {
        if secret.len() < 32 {
            return Err(WeakKey);
        }
        Ok(Self(secret.to_vec()))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length; this cannot fail.
        <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!())
    }
}

/// The position inside an index: its key attributes as strings.
pub type Position = BTreeMap<String, String>;

#[derive(Serialize, Deserialize)]
struct Payload {
    q: String,
    k: Position,
    #[serde(default, skip_serializing_if = "is_zero")]
    s: u32,
    /// The listing's density so far (items per millisecond, share matching): sizes the
    /// next page's first read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<[f64; 2]>,
}

/// What a cursor holds: a position, the listing shard it is in, a density hint.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub position: Position,
    pub shard: u32,
    pub density: Option<[f64; 2]>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A stable fingerprint of a query (filter and sort as given by the client).
pub fn query_fingerprint(filter: &str, sort: &str) -> String {
    let mut h = Sha256::new();
    h.update(filter.as_bytes());
    h.update([0u8]);
    h.update(sort.as_bytes());
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A cursor for `mark`.
pub fn encode(key: &CursorKey, fingerprint: &str, mark: &Mark) -> String {
    let payload = serde_json::to_vec(&Payload {
        q: fingerprint.to_string(),
        k: mark.position.clone(),
        s: mark.shard,
        d: mark.density,
    })
    .unwrap_or_default();
    let mut mac = key.mac();
    mac.update(&payload);
    let sig = mac.finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

/// The mark of a cursor made by [`encode`] for this query.
pub fn decode(key: &CursorKey, fingerprint: &str, cursor: &str) -> Result<Mark, CursorError> {
    if cursor.len() > MAX_CURSOR {
        return Err(CursorError::Malformed);
    }
    let (payload, sig) = cursor.split_once('.').ok_or(CursorError::Malformed)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| CursorError::Malformed)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| CursorError::Malformed)?;
    let mut mac = key.mac();
    mac.update(&payload);
    mac.verify_slice(&sig)
        .map_err(|_| CursorError::BadSignature)?;
    let payload: Payload = serde_json::from_slice(&payload).map_err(|_| CursorError::Malformed)?;
    if payload.q != fingerprint {
        return Err(CursorError::ForeignQuery);
    }
    Ok(Mark {
        position: payload.k,
        shard: payload.s,
        density: payload
            .d
            .filter(|d| d.iter().all(|x| x.is_finite() && *x > 0.0)),
    })
}

/// SHA-256 (hex) of a request body, for idempotency records.
pub fn body_hash(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::new(&[7u8; 32]).unwrap()
    }

    fn pos() -> Position {
        Position::from([
            ("pk".into(), "S#a".into()),
            ("listSk".into(), "0001#a".into()),
        ])
    }

    fn mark() -> Mark {
        Mark {
            position: pos(),
            shard: 0,
            density: None,
        }
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_query() {
        let q = query_fingerprint("playerSessionCount > 1", "");
        let m = Mark {
            position: pos(),
            shard: 3,
            density: Some([0.5, 1.0]),
        };
        let c = encode(&key(), &q, &m);
        assert_eq!(decode(&key(), &q, &c).unwrap(), m);
    }

    #[test]
    fn a_cursor_for_another_query_is_refused() {
        let c = encode(&key(), &query_fingerprint("a = 1", ""), &mark());
        assert_eq!(
            decode(&key(), &query_fingerprint("a = 2", ""), &c),
            Err(CursorError::ForeignQuery)
        );
        // filter/sort boundaries are not ambiguous
        assert_ne!(query_fingerprint("ab", ""), query_fingerprint("a", "b"));
    }

    #[test]
    fn forged_or_altered_cursors_are_refused() {
        let q = query_fingerprint("", "");
        let c = encode(&key(), &q, &mark());
        let other_key = CursorKey::new(&[8u8; 32]).unwrap();
        assert_eq!(decode(&other_key, &q, &c), Err(CursorError::BadSignature));
        let (payload, sig) = c.split_once('.').unwrap();
        let mut forged: Payload =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        forged.k.insert("pk".into(), "S#victim".into());
        let forged = format!(
            "{}.{sig}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap())
        );
        assert_eq!(decode(&key(), &q, &forged), Err(CursorError::BadSignature));
        assert_eq!(decode(&key(), &q, "garbage"), Err(CursorError::Malformed));
        assert_eq!(decode(&key(), &q, "!!.!!"), Err(CursorError::Malformed));
    }

    #[test]
    fn a_cursor_made_before_sharding_reads_as_shard_zero() {
        let q = query_fingerprint("", "");
        let payload = serde_json::to_vec(&serde_json::json!({"q": q, "k": pos()})).unwrap();
        let mut mac = key().mac();
        mac.update(&payload);
        let c = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(decode(&key(), &q, &c).unwrap(), mark());
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(CursorKey::new(b"short").is_err());
    }
}
