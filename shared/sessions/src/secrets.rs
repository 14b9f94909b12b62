//! The area's signing keys (the listing cursors' and the server credentials'), read from
//! Secrets Manager at run time: the variable holds only the secret's ARN, the function's
//! configuration never the key. The key is read on the first request that needs it, never
//! at start-up (no network call in a function's init), and kept for the life of the
//! process; a failed read is not kept, so the next request tries again. Adapter: the
//! only module that calls Secrets Manager. `hangar dev` creates its secrets with
//! [`create_key_secret`], as `template.yaml` declares them.

use std::sync::Arc;

use aws_sdk_secretsmanager::Client;
use hangar_aws::AwsError;
use tokio::sync::OnceCell;

use crate::credential::CredentialKey;
use crate::cursor::CursorKey;
use crate::SessionsError;

/// A key made from a secret's `SecretString`.
pub trait FromSecret: Sized {
    /// The key, or why the secret cannot be one.
    fn from_secret(secret: &[u8]) -> Result<Self, String>;
}

impl FromSecret for CursorKey {
    fn from_secret(secret: &[u8]) -> Result<Self, String> {
        CursorKey::new(secret).map_err(|e| e.to_string())
    }
}

impl FromSecret for CredentialKey {
    fn from_secret(secret: &[u8]) -> Result<Self, String> {
        CredentialKey::new(secret).map_err(|e| e.to_string())
    }
}

/// One key, read from its secret on first use and then kept. Clones share the key.
#[derive(Clone)]
pub struct SecretKey<K> {
    client: Client,
    /// The secret's ARN (or name), from the variable `var`.
    secret_id: String,
    var: &'static str,
    key: Arc<OnceCell<K>>,
}

impl<K> std::fmt::Debug for SecretKey<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("secret_id", &self.secret_id)
            .field("read", &self.key.initialized())
            .finish()
    }
}

impl<K: FromSecret> SecretKey<K> {
    /// The key in secret `secret_id` (named by variable `var`); nothing is read yet.
    pub fn new(client: Client, secret_id: String, var: &'static str) -> Self {
        Self {
            client,
            secret_id,
            var,
            key: Arc::new(OnceCell::new()),
        }
    }

    /// A key known already (unit tests, which contact no endpoint).
    #[cfg(any(test, feature = "test-util"))]
    pub fn known(client: Client, key: K, var: &'static str) -> Self {
        Self {
            client,
            secret_id: String::new(),
            var,
            key: Arc::new(OnceCell::new_with(Some(key))),
        }
    }

    /// The key: read from Secrets Manager the first time (GetSecretValue of the current
    /// version), kept afterwards.
    pub async fn get(&self) -> Result<&K, SessionsError> {
        self.key
            .get_or_try_init(|| async {
                let out = self
                    .client
                    .get_secret_value()
                    .secret_id(&self.secret_id)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("GetSecretValue", e))?;
                let text = out
                    .secret_string()
                    .ok_or_else(|| SessionsError::BadSecret {
                        var: self.var,
                        reason: "it has no SecretString".into(),
                    })?;
                K::from_secret(text.as_bytes()).map_err(|reason| SessionsError::BadSecret {
                    var: self.var,
                    reason,
                })
            })
            .await
    }
}

/// Creates secret `name` holding a fresh random key of 64 alphanumeric characters (as the
/// template's `GenerateSecretString` does) and answers its ARN; an existing secret of
/// that name is kept as it is.
pub async fn create_key_secret(client: &Client, name: &str) -> Result<String, AwsError> {
    use rand::distr::{Alphanumeric, SampleString};
    let value = Alphanumeric.sample_string(&mut rand::rng(), 64);
    match client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
    {
        Ok(out) => Ok(out.arn().unwrap_or(name).to_string()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception()) =>
        {
            let out = client
                .describe_secret()
                .secret_id(name)
                .send()
                .await
                .map_err(|e| AwsError::new("DescribeSecret", e))?;
            Ok(out.arn().unwrap_or(name).to_string())
        }
        Err(e) => Err(AwsError::new("CreateSecret", e)),
    }
}
