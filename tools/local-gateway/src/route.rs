//! A route of the local HTTP API: method, API Gateway path template, the authorizer API
//! Gateway applies before the function runs, and the handler (the same function the
//! Lambda binary passes to `lambda_http::run`).

use std::future::Future;
use std::sync::Arc;

use lambda_http::http::Method;
use lambda_http::{Body, IntoResponse, Request, Response};

/// A handler: the same function the Lambda binary passes to `lambda_http::run`.
pub type Handler = Arc<
    dyn Fn(
            Request,
        )
            -> futures::future::BoxFuture<'static, Result<Response<Body>, lambda_http::Error>>
        + Send
        + Sync,
>;

/// The authorizer API Gateway applies to a route before the function runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorizer {
    /// `Auth: {Authorizer: NONE}`: public.
    None,
    /// The JWT authorizer of player routes (`PlayerJwt` in template.yaml).
    Player,
    /// `AWS_IAM`: game servers signing with SigV4.
    Server,
}

/// One route of the HTTP API.
#[derive(Clone)]
pub struct Route {
    pub method: Method,
    /// API Gateway path template: `/sessions/{sessionId}`, `/files/{path+}`.
    pub path: String,
    pub authorizer: Authorizer,
    pub handler: Handler,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match self.authorizer {
            Authorizer::None => "public",
            Authorizer::Player => "player JWT",
            Authorizer::Server => "game-server IAM",
        };
        write!(f, "{} {} ({auth})", self.method, self.path)
    }
}

impl Route {
    pub fn new(
        method: Method,
        path: impl Into<String>,
        authorizer: Authorizer,
        handler: Handler,
    ) -> Self {
        Self {
            method,
            path: path.into(),
            authorizer,
            handler,
        }
    }

    /// API Gateway's `routeKey`, e.g. `GET /sessions/{sessionId}`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Wraps an async handler function (`async fn(Request) -> Result<impl IntoResponse, E>`).
pub fn handler<F, Fut, R, E>(f: F) -> Handler
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: IntoResponse + Send,
    E: Into<lambda_http::Error> + Send,
{
    let f = Arc::new(f);
    Arc::new(move |req| {
        let f = Arc::clone(&f);
        Box::pin(async move {
            match f(req).await {
                Ok(response) => Ok(response.into_response().await),
                Err(e) => Err(e.into()),
            }
        })
    })
}
