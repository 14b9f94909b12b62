//! Session ids in URLs.
//!
//! A GameLift game session id is an ARN such as
//! `arn:aws:gamelift:us-east-1::gamesession/fleet-1a2b/gsess-3c4d`: it holds `:` and `/`,
//! which do not belong in a path segment. The API therefore names a session by the
//! unpadded base64url encoding (RFC 4648 §5) of its GameLift id. The encoding is
//! reversible and stable, so clients treat it as an opaque string.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// GameLift's longest game session id (`GameSession.GameSessionId`, max 1024).
const MAX_GAMELIFT_ID: usize = 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("sessionId is not a session id returned by this API")]
pub struct BadSessionId;

/// The URL-safe API id of a GameLift game session id.
pub fn encode_session_id(gamelift_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(gamelift_id.as_bytes())
}

/// The GameLift game session id behind an API id.
pub fn decode_session_id(api_id: &str) -> Result<String, BadSessionId> {
    if api_id.is_empty() || api_id.len() > MAX_GAMELIFT_ID * 4 / 3 + 4 {
        return Err(BadSessionId);
    }
    let bytes = URL_SAFE_NO_PAD.decode(api_id).map_err(|_| BadSessionId)?;
    let id = String::from_utf8(bytes).map_err(|_| BadSessionId)?;
    // GameLift ids/ARNs use the characters of ArnStringModel: [a-zA-Z0-9:/-] plus '.' and '_'.
    let valid = !id.is_empty()
        && id.len() <= MAX_GAMELIFT_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '-' | '.' | '_'));
    if valid {
        Ok(id)
    } else {
        Err(BadSessionId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_round_trips_through_a_url_safe_id() {
        let arn = "arn:aws:gamelift:us-east-1::gamesession/fleet-1a2b/gsess-3c4d";
        let id = encode_session_id(arn);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(decode_session_id(&id).unwrap(), arn);
    }

    #[test]
    fn ids_that_are_not_ours_are_refused() {
        assert_eq!(decode_session_id(""), Err(BadSessionId));
        assert_eq!(decode_session_id("%%%"), Err(BadSessionId));
        // valid base64url of a string with characters GameLift never uses
        let evil = URL_SAFE_NO_PAD.encode("a b\n");
        assert_eq!(decode_session_id(&evil), Err(BadSessionId));
    }
}
