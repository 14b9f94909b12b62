//! The two S3 requests the upload watcher makes to the local S3 (path-style URLs, SigV4
//! signed with the credentials the emulator hands out for uploads): create the upload
//! bucket, and ask whether an upload has arrived.

use aws_sdk_sns::config::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::SystemTime;

/// A local S3 at `base` (e.g. `http://127.0.0.1:5000`).
pub struct LocalS3 {
    pub base: String,
    pub region: String,
    identity: Identity,
    http: reqwest::Client,
}

impl LocalS3 {
    pub fn new(base: String, region: String, credentials: Credentials) -> Self {
        Self {
            base,
            region,
            identity: credentials.into(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
        }
    }

    fn signed(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &[u8],
    ) -> Result<reqwest::RequestBuilder, String> {
        let url = format!("{}/{path}", self.base);
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let signable = SignableRequest::new(
            method.as_str(),
            url.as_str(),
            std::iter::empty(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        let mut req = self.http.request(method, &url).body(body.to_vec());
        for (name, value) in instructions.headers() {
            req = req.header(name, value);
        }
        Ok(req)
    }

    /// `PUT /<bucket>`; a bucket of ours that exists already is fine.
    pub async fn create_bucket(&self, bucket: &str) -> Result<(), String> {
        let body = if self.region == "us-east-1" {
            String::new()
        } else {
            format!(
                "<CreateBucketConfiguration><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.region
            )
        };
        let resp = self
            .signed(reqwest::Method::PUT, bucket, body.as_bytes())?
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if status.is_success() || text.contains("BucketAlreadyOwnedByYou") {
            Ok(())
        } else {
            Err(format!("HTTP {status}: {text}"))
        }
    }

    /// The size in bytes of `bucket/key`, if the object is there.
    pub async fn object_size(&self, bucket: &str, key: &str) -> Option<i64> {
        let resp = self
            .signed(reqwest::Method::HEAD, &format!("{bucket}/{key}"), &[])
            .ok()?
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        Some(
            resp.headers()
                .get(reqwest::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        )
    }
}
