//! The local stand-ins for the HTTP API's authorizers.
//!
//! Player routes: a JWT authorizer. Tokens are HS256 JWTs signed with the local secret
//! (`.hangar/dev-secret`); like API Gateway's JWT authorizer we check the signature, `iss`,
//! `aud`, `exp` and `nbf`, and hand the claims to the function as strings.
//!
//! Game-server routes: an IAM authorizer. Game servers sign with SigV4 in AWS; locally they
//! present a server token (same format, audience [`SERVER_AUDIENCE`]) and the function sees
//! the `iam` block an IAM authorizer would fill in.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

/// `iss` of every token issued by `hangar dev token`.
pub const ISSUER: &str = "https://hangar.local/dev";
/// `aud` of player tokens: the audience the local JWT authorizer accepts.
pub const PLAYER_AUDIENCE: &str = "hangar-players";
/// `aud` of game-server tokens: accepted only on game-server routes.
pub const SERVER_AUDIENCE: &str = "hangar-game-servers";
/// Account id shown in the IAM authorizer context (moto's default account).
pub const LOCAL_ACCOUNT_ID: &str = "123456789012";
/// Role game servers assume; the IAM context names it in `userArn`.
pub const GAME_SERVER_ROLE: &str = "hangar-game-server";

const SECRET_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read or create the local token secret {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the local token secret {path} is not {SECRET_LEN} hex-encoded bytes; delete it to have a new one generated")]
    Malformed { path: String },
}

/// Why a token was refused. Never sent to the caller (API Gateway answers a bare 401);
/// logged at debug level for the developer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("no bearer token in the Authorization header")]
    Missing,
    #[error("the token is not a JWT (header.payload.signature)")]
    Malformed,
    #[error("the token's algorithm is not HS256")]
    Algorithm,
    #[error("the token's signature does not match")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token's issuer is not {ISSUER}")]
    Issuer,
    #[error("the token's audience is not {0}")]
    Audience(&'static str),
    #[error("the token has no subject (sub)")]
    Subject,
}

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Player,
    Server,
}

impl TokenKind {
    fn audience(self) -> &'static str {
        match self {
            TokenKind::Player => PLAYER_AUDIENCE,
            TokenKind::Server => SERVER_AUDIENCE,
        }
    }
}

/// The HMAC key that signs and verifies local tokens.
#[derive(Clone)]
pub struct TokenKey {
    secret: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    pub fn from_bytes(secret: Vec<u8>) -> Self {
        Self { secret }
    }

    /// A fresh random key (tests, throwaway stacks).
    pub fn random() -> Self {
        let mut secret = vec![0u8; SECRET_LEN];
        rand::fill(&mut secret[..]);
        Self { secret }
    }

    /// Loads the key from `path`; a missing file is an error (nothing is created).
    pub fn load(path: &Path) -> Result<Self, SecretError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SecretError::Io {
            path: shown.clone(),
            source,
        })?;
        Self::decode(text.trim(), shown)
    }

    fn decode(text: &str, shown: String) -> Result<Self, SecretError> {
        let secret = decode_hex(text).ok_or_else(|| SecretError::Malformed {
            path: shown.clone(),
        })?;
        if secret.len() != SECRET_LEN {
            return Err(SecretError::Malformed { path: shown });
        }
        Ok(Self { secret })
    }

    /// Loads the key from `path`, creating it (mode 0600) with a random secret when absent.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretError> {
        let shown = path.display().to_string();
        let io = |source| SecretError::Io {
            path: shown.clone(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::decode(text.trim(), shown),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let key = Self::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut file) => {
                        file.write_all(encode_hex(&key.secret).as_bytes())
                            .map_err(io)?;
                        Ok(key)
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::load_or_create(path)
                    }
                    Err(e) => Err(io(e)),
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Issues a token for `subject`, valid for `ttl` from now.
    pub fn issue(&self, kind: TokenKind, subject: &str, ttl: Duration) -> String {
        let now = now_epoch();
        let claims = json!({
            "iss": ISSUER,
            "aud": kind.audience(),
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now.saturating_add(ttl.as_secs()),
            "jti": uuid::Uuid::new_v4().to_string(),
            "token_use": "access",
        });
        self.sign(&claims)
    }

    /// Signs arbitrary claims (tests use it to build expired or odd tokens).
    pub fn sign(&self, claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{payload}");
        let signature =
            URL_SAFE_NO_PAD.encode(self.mac(signing_input.as_bytes()).finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// Verifies `token` for `kind` and returns its claims.
    pub fn verify(&self, token: &str, kind: TokenKind) -> Result<Map<String, Value>, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Value = decode_json(header)?;
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(TokenError::Algorithm);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let signing_input = token.rsplit_once('.').map_or("", |(input, _)| input);
        self.mac(signing_input.as_bytes())
            .verify_slice(&signature)
            .map_err(|_| TokenError::Signature)?;
        let claims: Map<String, Value> = decode_json(payload)?;

        let now = now_epoch();
        match claims.get("exp").and_then(Value::as_u64) {
            Some(exp) if exp > now => {}
            _ => return Err(TokenError::Expired),
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_u64) {
            if nbf > now {
                return Err(TokenError::NotYetValid);
            }
        }
        if claims.get("iss").and_then(Value::as_str) != Some(ISSUER) {
            return Err(TokenError::Issuer);
        }
        let audience = kind.audience();
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => a == audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !aud_ok {
            return Err(TokenError::Audience(audience));
        }
        match claims.get("sub").and_then(Value::as_str) {
            Some(sub) if !sub.is_empty() => Ok(claims),
            _ => Err(TokenError::Subject),
        }
    }

    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(data);
        mac
    }
}

/// The bearer token of an `Authorization` header value, if it has one.
pub fn bearer(header: Option<&str>) -> Result<&str, TokenError> {
    let value = header.ok_or(TokenError::Missing)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(TokenError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(TokenError::Missing);
    }
    Ok(token.trim())
}

/// Claims the way API Gateway's JWT authorizer passes them to a function: every value a
/// string; arrays as `[a b]`; objects as JSON text.
pub fn claims_as_strings(claims: &Map<String, Value>) -> BTreeMap<String, String> {
    claims
        .iter()
        .map(|(k, v)| (k.clone(), claim_string(v)))
        .collect()
}

fn claim_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(claim_string).collect();
            format!("[{}]", inner.join(" "))
        }
        other => other.to_string(),
    }
}

/// The `iam` block of an IAM authorizer context for a game server named `subject`.
pub fn iam_context(subject: &str) -> Value {
    let caller = format!("AROAHANGARGAMESERVER:{subject}");
    json!({
        "accessKey": "ASIAHANGARLOCALDEV00",
        "accountId": LOCAL_ACCOUNT_ID,
        "callerId": caller,
        "cognitoIdentity": null,
        "principalOrgId": null,
        "userArn": format!("arn:aws:sts::{LOCAL_ACCOUNT_ID}:assumed-role/{GAME_SERVER_ROLE}/{subject}"),
        "userId": caller,
    })
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

fn now_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let pairs = text.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_player_token_verifies_and_carries_subject() {
        let key = TokenKey::random();
        let token = key.issue(TokenKind::Player, "player-1", Duration::from_secs(60));
        let claims = key.verify(&token, TokenKind::Player).unwrap();
        assert_eq!(claims["sub"], "player-1");
        assert_eq!(claims["aud"], PLAYER_AUDIENCE);
    }

    #[test]
    fn player_token_is_refused_as_server_token_and_back() {
        let key = TokenKey::random();
        let player = key.issue(TokenKind::Player, "p", Duration::from_secs(60));
        let server = key.issue(TokenKind::Server, "gs", Duration::from_secs(60));
        assert_eq!(
            key.verify(&player, TokenKind::Server),
            Err(TokenError::Audience(SERVER_AUDIENCE))
        );
        assert_eq!(
            key.verify(&server, TokenKind::Player),
            Err(TokenError::Audience(PLAYER_AUDIENCE))
        );
    }

    #[test]
    fn token_from_another_key_or_tampered_payload_is_refused() {
        let key = TokenKey::random();
        let other = TokenKey::random().issue(TokenKind::Player, "p", Duration::from_secs(60));
        assert_eq!(
            key.verify(&other, TokenKind::Player),
            Err(TokenError::Signature)
        );

        let good = key.issue(TokenKind::Player, "p", Duration::from_secs(60));
        let mut parts: Vec<&str> = good.split('.').collect();
        let forged_payload = URL_SAFE_NO_PAD.encode(
            json!({"iss": ISSUER, "aud": PLAYER_AUDIENCE, "sub": "admin", "exp": now_epoch() + 60})
                .to_string(),
        );
        parts[1] = &forged_payload;
        assert_eq!(
            key.verify(&parts.join("."), TokenKind::Player),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn alg_none_and_garbage_are_refused() {
        let key = TokenKey::random();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let payload = URL_SAFE_NO_PAD.encode(
            json!({"iss": ISSUER, "aud": PLAYER_AUDIENCE, "sub": "p", "exp": now_epoch() + 60})
                .to_string(),
        );
        assert_eq!(
            key.verify(&format!("{header}.{payload}."), TokenKind::Player),
            Err(TokenError::Algorithm)
        );
        assert_eq!(
            key.verify("abc", TokenKind::Player),
            Err(TokenError::Malformed)
        );
        assert_eq!(
            key.verify("a.b.c", TokenKind::Player),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn expired_wrong_issuer_and_missing_subject_are_refused() {
        let key = TokenKey::random();
        let now = now_epoch();
        let base = |extra: Value| {
            let mut claims =
                json!({"iss": ISSUER, "aud": PLAYER_AUDIENCE, "sub": "p", "exp": now + 60});
            for (k, v) in extra.as_object().unwrap() {
                claims[k] = v.clone();
            }
            key.sign(&claims)
        };
        assert_eq!(
            key.verify(&base(json!({"exp": now - 1})), TokenKind::Player),
            Err(TokenError::Expired)
        );
        assert_eq!(
            key.verify(&base(json!({"exp": null})), TokenKind::Player),
            Err(TokenError::Expired)
        );
        assert_eq!(
            key.verify(&base(json!({"nbf": now + 600})), TokenKind::Player),
            Err(TokenError::NotYetValid)
        );
        assert_eq!(
            key.verify(&base(json!({"iss": "https://evil"})), TokenKind::Player),
            Err(TokenError::Issuer)
        );
        assert_eq!(
            key.verify(&base(json!({"sub": ""})), TokenKind::Player),
            Err(TokenError::Subject)
        );
        assert!(key
            .verify(
                &base(json!({"aud": ["x", PLAYER_AUDIENCE]})),
                TokenKind::Player
            )
            .is_ok());
    }

    #[test]
    fn secret_file_is_created_once_with_owner_only_permissions() {
        let dir = std::env::temp_dir().join(format!("hangar-secret-{}", uuid::Uuid::new_v4()));
        let path = dir.join("dev-secret");
        let first = TokenKey::load_or_create(&path).unwrap();
        let second = TokenKey::load_or_create(&path).unwrap();
        assert_eq!(first.secret, second.secret);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        assert!(matches!(
            TokenKey::load_or_create(&path),
            Err(SecretError::Malformed { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bearer_header_parsing_and_claim_strings() {
        assert_eq!(bearer(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Ok("abc"));
        assert_eq!(bearer(Some("Basic abc")), Err(TokenError::Missing));
        assert_eq!(bearer(None), Err(TokenError::Missing));
        let claims = json!({"sub": "p", "exp": 5, "groups": ["a", "b"], "ok": true});
        let strings = claims_as_strings(claims.as_object().unwrap());
        assert_eq!(strings["exp"], "5");
        assert_eq!(strings["groups"], "[a b]");
        assert_eq!(strings["ok"], "true");
    }
}
