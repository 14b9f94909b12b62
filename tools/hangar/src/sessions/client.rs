//! HTTP calls of `hangar sessions` to the sessions API and the server API, with the
//! answers kept as JSON (the commands print them as tables or, with `--json`, as they came).

use std::time::Duration;

use serde_json::Value;

/// Why a call did not give an answer the command can use.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("cannot reach {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The API refused the request: its status, error code and message (naming the field).
    #[error("{method} {path} answered {status}{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Refused {
        method: &'static str,
        path: String,
        status: u16,
        code: Option<String>,
        message: String,
        /// `www-authenticate` of a 401 (the reason the token was refused).
        hint: Option<String>,
    },
    #[error("{method} {path} answered {status} with a body that is not JSON")]
    NotJson {
        method: &'static str,
        path: String,
        status: u16,
    },
}

/// A client of one API with one bearer token.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str, token: String) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            token,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Sends one request and decodes its JSON answer; a non-2xx answer is [`CallError::Refused`].
    pub async fn call(
        &self,
        method: &'static str,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        headers: &[(&str, String)],
    ) -> Result<Value, CallError> {
        let url = format!("{}{path}", self.base);
        let verb = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = self
            .http
            .request(verb, &url)
            .bearer_auth(&self.token)
            .query(query);
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|source| CallError::Unreachable {
                url: url.clone(),
                source,
            })?;
        let status = response.status().as_u16();
        let hint = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response
            .text()
            .await
            .map_err(|source| CallError::Unreachable {
                url: url.clone(),
                source,
            })?;
        let value: Value = serde_json::from_str(&text).map_err(|_| CallError::NotJson {
            method,
            path: path.to_string(),
            status,
        })?;
        if !(200..300).contains(&status) {
            // The areas answer {"error": {"code", "message"}}; API Gateway {"message"}.
            let code = value["error"]["code"].as_str().map(str::to_string);
            let message = value["error"]["message"]
                .as_str()
                .or(value["message"].as_str())
                .unwrap_or("no message")
                .to_string();
            return Err(CallError::Refused {
                method,
                path: path.to_string(),
                status,
                code,
                message,
                hint,
            });
        }
        Ok(value)
    }
}

/// Percent-encodes one path segment (session ids are base64url, placement ids plain).
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
