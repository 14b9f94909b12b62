//! A local API Gateway HTTP API: an HTTP server on loopback that does what API Gateway's
//! HTTP API does in front of Lambda functions. Used by `hangar dev` and the tests, which
//! give it the route table; it knows nothing of either. Each request is matched against the route table, passed
//! through the route's authorizer, turned into the payload-2.0 event API Gateway sends
//! (deserialized by `lambda_http` exactly as in Lambda), handed to the same handler
//! function the Lambda binary runs, and its response returned.
//!
//! Answers API Gateway gives itself are reproduced: `404 {"message":"Not Found"}` for no
//! route, `401 {"message":"Unauthorized"}` from the JWT authorizer, `403
//! {"message":"Forbidden"}` from the IAM authorizer, `500 {"message":"Internal Server
//! Error"}` when the function fails, `413` past the 10 MB payload limit.

pub mod auth;
pub mod route;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lambda_http::RequestExt;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::{TokenKey, TokenKind};
pub use route::{handler, Authorizer, Handler, Route};

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;
/// Stage of the local API (`$default`, as an HTTP API's default stage).
const STAGE: &str = "$default";

struct Gateway {
    routes: Vec<Route>,
    key: TokenKey,
}

/// The local API, serving until [`RunningGateway::shutdown`].
pub struct RunningGateway {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningGateway {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "local API stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "local API task failed"),
        }
    }
}

/// Serves `routes` on `listener`, with tokens verified by `key`.
pub fn serve(
    listener: TcpListener,
    routes: Vec<Route>,
    key: TokenKey,
) -> std::io::Result<RunningGateway> {
    let addr = listener.local_addr()?;
    let state = Arc::new(Gateway { routes, key });
    let app = axum::Router::new().fallback(dispatch).with_state(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });
    Ok(RunningGateway {
        addr,
        stop: Some(stop),
        task,
    })
}

async fn dispatch(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut response = handle(&gateway, peer, request, &request_id).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("apigw-requestid", value);
    }
    response
}

async fn handle(
    gateway: &Gateway,
    peer: SocketAddr,
    request: axum::extract::Request,
    request_id: &str,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let Some((route, path_parameters)) =
        find_route(&gateway.routes, &parts.method, parts.uri.path())
    else {
        return gateway_error(StatusCode::NOT_FOUND, "Not Found");
    };
    let authorizer = match authorize(gateway, route.authorizer, &parts.headers) {
        Ok(authorizer) => authorizer,
        Err(refusal) => return refusal,
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => return gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
    };
    let event = api_gateway_v2_event(&EventParts {
        route,
        method: parts.method.as_str(),
        path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        path_parameters,
        authorizer,
        body: &body,
        peer,
        request_id,
    });
    let lambda_request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(e) => {
            tracing::error!(error = %e, "lambda_http could not read the API Gateway event");
            return gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
    };
    let mut context = lambda_http::Context::default();
    context.request_id = request_id.to_string();
    context.invoked_function_arn = format!(
        "arn:aws:lambda:us-east-1:{}:function:hangar-local",
        auth::LOCAL_ACCOUNT_ID
    );
    let lambda_request = lambda_request.with_lambda_context(context);

    match (route.handler)(lambda_request).await {
        Ok(response) => into_http_response(response),
        Err(e) => {
            tracing::error!(route = %route.route_key(), error = %e, "function failed");
            gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

/// Runs the route's authorizer; the `authorizer` block of the request context on success.
#[allow(clippy::result_large_err)]
fn authorize(
    gateway: &Gateway,
    authorizer: Authorizer,
    headers: &HeaderMap,
) -> Result<Option<Value>, axum::response::Response> {
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match authorizer {
        Authorizer::None => Ok(None),
        Authorizer::Player => {
            let claims = auth::bearer(authorization)
                .and_then(|token| gateway.key.verify(token, TokenKind::Player))
                .map_err(|e| {
                    if e == auth::TokenError::Signature {
                        tracing::warn!("JWT authorizer refused a token signed with another secret than this API's; issue tokens with the running stack's secret");
                    } else {
                        tracing::debug!(reason = %e, "JWT authorizer refused the request");
                    }
                    unauthorized(&e)
                })?;
            Ok(Some(json!({
                "jwt": { "claims": auth::claims_as_strings(&claims), "scopes": null }
            })))
        }
        Authorizer::Server => {
            let claims = auth::bearer(authorization)
                .and_then(|token| gateway.key.verify(token, TokenKind::Server))
                .map_err(|e| {
                    tracing::debug!(reason = %e, "IAM authorizer refused the request");
                    gateway_error(StatusCode::FORBIDDEN, "Forbidden")
                })?;
            let subject = claims
                .get("sub")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Ok(Some(json!({ "iam": auth::iam_context(subject) })))
        }
    }
}

/// The best route for `method` and `path`: literal segments beat `{param}`, which beats
/// `{param+}`, as in API Gateway. Returns the decoded path parameters.
fn find_route<'a>(
    routes: &'a [Route],
    method: &axum::http::Method,
    path: &str,
) -> Option<(&'a Route, BTreeMap<String, String>)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    routes
        .iter()
        .filter(|r| r.method == *method)
        .filter_map(|r| {
            match_template(&r.path, &segments).map(|(score, params)| (score, r, params))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, route, params)| (route, params))
}

fn match_template(
    template: &str,
    segments: &[&str],
) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
    let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let mut params = BTreeMap::new();
    let mut score = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            let rest = segments
                .get(i..)
                .filter(|r| !r.is_empty() && !r[0].is_empty())?;
            params.insert(name.to_string(), percent_decode(&rest.join("/"), false));
            score.push(0);
            return Some((score, params));
        }
        let segment = segments.get(i)?;
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if segment.is_empty() {
                return None;
            }
            params.insert(name.to_string(), percent_decode(segment, false));
            score.push(1);
        } else if part == segment {
            score.push(2);
        } else {
            return None;
        }
    }
    (segments.len() == parts.len()).then_some((score, params))
}

struct EventParts<'a> {
    route: &'a Route,
    method: &'a str,
    path: &'a str,
    raw_query: &'a str,
    headers: &'a HeaderMap,
    path_parameters: BTreeMap<String, String>,
    authorizer: Option<Value>,
    body: &'a Bytes,
    peer: SocketAddr,
    request_id: &'a str,
}

/// The API Gateway HTTP API payload-2.0 event for one request.
fn api_gateway_v2_event(p: &EventParts<'_>) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies: Vec<String> = Vec::new();
    for (name, value) in p.headers {
        let Ok(value) = value.to_str() else { continue };
        if name == axum::http::header::COOKIE {
            cookies.extend(
                value
                    .split(';')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        headers
            .entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push(',');
                v.push_str(value);
            })
            .or_insert_with(|| value.to_string());
    }
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for pair in p.raw_query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k, true), percent_decode(v, true));
        query
            .entry(k)
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&v);
            })
            .or_insert(v);
    }
    let (body, is_base64) = match std::str::from_utf8(p.body) {
        _ if p.body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_string()), false),
        Err(_) => (Value::String(STANDARD.encode(p.body)), true),
    };
    let host = headers
        .get("host")
        .cloned()
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let now = time::OffsetDateTime::now_utc();
    let clf = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    let mut context = Map::new();
    context.insert("accountId".into(), json!(auth::LOCAL_ACCOUNT_ID));
    context.insert("apiId".into(), json!("local"));
    if let Some(authorizer) = &p.authorizer {
        context.insert("authorizer".into(), authorizer.clone());
    }
    context.insert("domainName".into(), json!(host));
    context.insert(
        "domainPrefix".into(),
        json!(host.split('.').next().unwrap_or_default()),
    );
    context.insert(
        "http".into(),
        json!({
            "method": p.method,
            "path": p.path,
            "protocol": "HTTP/1.1",
            "sourceIp": p.peer.ip().to_string(),
            "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
        }),
    );
    context.insert("requestId".into(), json!(p.request_id));
    context.insert("routeKey".into(), json!(p.route.route_key()));
    context.insert("stage".into(), json!(STAGE));
    context.insert("time".into(), json!(now.format(&clf).unwrap_or_default()));
    context.insert(
        "timeEpoch".into(),
        json!(now.unix_timestamp() * 1000 + i64::from(now.millisecond())),
    );

    let mut event = json!({
        "version": "2.0",
        "routeKey": p.route.route_key(),
        "rawPath": p.path,
        "rawQueryString": p.raw_query,
        "headers": headers,
        "requestContext": Value::Object(context),
        "isBase64Encoded": is_base64,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = json!(query);
    }
    if !p.path_parameters.is_empty() {
        event["pathParameters"] = json!(p.path_parameters);
    }
    if !body.is_null() {
        event["body"] = body;
    }
    event
}

fn into_http_response(
    response: lambda_http::Response<lambda_http::Body>,
) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(text) => Bytes::from(text),
        lambda_http::Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    let mut out = axum::response::Response::new(axum::body::Body::from(bytes));
    *out.status_mut() = parts.status;
    *out.headers_mut() = parts.headers;
    out
}

/// The JWT authorizer's 401: API Gateway's body, and (as API Gateway does) the reason in
/// `www-authenticate` for a token that was sent but refused.
fn unauthorized(reason: &auth::TokenError) -> axum::response::Response {
    let mut response = gateway_error(StatusCode::UNAUTHORIZED, "Unauthorized");
    if *reason != auth::TokenError::Missing {
        let description = match reason {
            auth::TokenError::Signature => {
                "the token's signature does not match this API's signing secret (was it issued for another stack?)".to_string()
            }
            other => other.to_string(),
        };
        let value = format!(
            "Bearer scope=\"\" error=\"invalid_token\" error_description=\"{}\"",
            description.replace('"', "'")
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().insert("www-authenticate", v);
        }
    }
    response
}

/// An answer API Gateway gives itself: `{"message": ...}`.
fn gateway_error(status: StatusCode, message: &str) -> axum::response::Response {
    let mut response = axum::response::Response::new(axum::body::Body::from(
        json!({ "message": message }).to_string(),
    ));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert("www-authenticate", HeaderValue::from_static("Bearer"));
    }
    response
}

/// Decodes `%XX` escapes (and `+` as space in query strings); invalid escapes stay as sent.
fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(b) = hex {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: axum::http::Method, path: &str) -> Route {
        Route::new(
            method,
            path,
            Authorizer::None,
            handler(|_req: lambda_http::Request| async { Ok::<_, lambda_http::Error>("ok") }),
        )
    }

    #[test]
    fn literal_segments_win_over_parameters_and_greedy_paths() {
        use axum::http::Method;
        let routes = vec![
            route(Method::GET, "/sessions/{sessionId}"),
            route(Method::GET, "/sessions/search"),
            route(Method::GET, "/files/{path+}"),
        ];
        let (r, params) = find_route(&routes, &Method::GET, "/sessions/search").unwrap();
        assert_eq!(r.path, "/sessions/search");
        assert!(params.is_empty());
        let (r, params) = find_route(&routes, &Method::GET, "/sessions/a%20b").unwrap();
        assert_eq!(r.path, "/sessions/{sessionId}");
        assert_eq!(params["sessionId"], "a b");
        let (_, params) = find_route(&routes, &Method::GET, "/files/x/y/z").unwrap();
        assert_eq!(params["path"], "x/y/z");
        assert!(find_route(&routes, &Method::POST, "/sessions/search").is_none());
        assert!(find_route(&routes, &Method::GET, "/sessions").is_none());
        assert!(find_route(&routes, &Method::GET, "/sessions/").is_none());
        assert!(find_route(&routes, &Method::GET, "/sessions/a/b").is_none());
        assert!(find_route(&routes, &Method::GET, "/files/").is_none());
    }

    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(percent_decode("a%2Fb%zz+c", false), "a/b%zz+c");
        assert_eq!(percent_decode("a+b%26", true), "a b&");
    }
}
