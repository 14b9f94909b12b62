//! The per-session server credential: proof that a caller of the server API hosts the
//! game session it names.
//!
//! Hangar issues it when it starts a placement: `base64url(HMAC-SHA256(key,
//! "hangar-server-credential/v1\0" + placementId))`, 43 ASCII characters. GameLift hands
//! it to the game server that hosts the session, as the game property [`PROPERTY`]
//! (its value counts 43 bytes of GameLift's 96). The session item keeps only its SHA-256
//! ([`fingerprint`]); no player-facing answer carries the property or the fingerprint.
//! The server sends it back in the [`HEADER`] header with every server-API request.
//! Pure: no I/O.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The game property that carries the credential to the game server.
pub const PROPERTY: &str = "hangarServerCredential";
/// The request header the game server sends it in.
pub const HEADER: &str = "hangar-session-credential";

/// The signing key (from configuration; never in the repository).
#[derive(Clone)]
pub struct CredentialKey(Vec<u8>);

impl std::fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the server credential secret must be at least 32 bytes")]
pub struct WeakSecret;

impl CredentialKey {
    pub fn new(secret: &[u8]) -> Result<Self, WeakSecret> {
        if secret.len() < 32 {
            return Err(WeakSecret);
        }
        Ok(Self(secret.to_vec()))
    }

    /// The credential of the game session that placement `placement_id` creates.
    pub fn issue(&self, placement_id: &str) -> String {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(b"hangar-server-credential/v1\0");
        mac.update(placement_id.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// What the session item stores of a credential: its SHA-256, hex.
pub fn fingerprint(credential: &str) -> String {
    Sha256::digest(credential.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `presented` is the credential whose fingerprint is `stored` (compared in
/// constant time).
pub fn matches(stored: &str, presented: &str) -> bool {
    let actual = fingerprint(presented);
    let (a, b) = (actual.as_bytes(), stored.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CredentialKey {
        CredentialKey::new(&[3u8; 32]).unwrap()
    }

    #[test]
    fn a_credential_is_bound_to_its_placement_and_key() {
        let a = key().issue("placement-a");
        assert_eq!(a, key().issue("placement-a"));
        assert_ne!(a, key().issue("placement-b"));
        assert_ne!(
            a,
            CredentialKey::new(&[4u8; 32]).unwrap().issue("placement-a")
        );
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn only_the_credential_itself_matches_its_fingerprint() {
        let c = key().issue("p");
        let stored = fingerprint(&c);
        assert!(matches(&stored, &c));
        assert!(!matches(&stored, &key().issue("q")));
        assert!(!matches(&stored, ""));
        assert!(!matches(&stored, &stored));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(CredentialKey::new(b"short").is_err());
    }

    #[test]
    fn the_property_fits_gamelifts_limits() {
        assert!(PROPERTY.len() <= 32 && !PROPERTY.contains('.'));
        assert!(key().issue(&"p".repeat(48)).len() <= 96);
    }
}
