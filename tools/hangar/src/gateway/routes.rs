//! The route table of the local API: (method, path template, authorizer, handler), as the
//! HTTP API in `template.yaml` declares them. Every area adds its routes in [`api_routes`].

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use aws_types::SdkConfig;
use lambda_http::http::Method;
use lambda_http::{Body, IntoResponse, Request, Response};

use crate::dev::DevResources;

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

/// What route handlers may need from the local stack: AWS configuration pointing at the
/// local endpoints (moto for everything, `gamelift_endpoint` for GameLift) and the names
/// of the resources `hangar dev` created.
#[derive(Clone, Debug)]
pub struct RouteContext {
    pub sdk_config: SdkConfig,
    pub gamelift_endpoint: String,
    pub resources: DevResources,
}

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid YAML: {message}")]
    OpenApi { path: String, message: String },
}

/// Every route of the local API.
pub async fn api_routes(ctx: &RouteContext) -> Result<Vec<Route>, RouteError> {
    let mut routes = vec![Route::new(
        Method::GET,
        "/version",
        Authorizer::None,
        handler(version::handler),
    )];
    // Sessions API, server API, server allocation API: add their routes here, built from
    // `ctx` (clients from `ctx.sdk_config`, table names from `ctx.resources`).
    if let Some(sessions) =
        crate::dev::sessions::build(&ctx.sdk_config, &ctx.gamelift_endpoint, &ctx.resources)
    {
        routes.extend(crate::dev::sessions::routes(sessions));
    }
    routes.extend(crate::dev::ecs::routes(&ctx.sdk_config, &ctx.resources));
    Ok(routes)
}

/// `GET /openapi.json`, served from the OpenAPI document at `path` when it exists.
pub fn openapi_route(path: &Path) -> Result<Option<Route>, RouteError> {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(RouteError::Read {
                path: shown,
                source,
            })
        }
    };
    let document: serde_json::Value =
        serde_norway::from_str(&text).map_err(|e| RouteError::OpenApi {
            path: shown,
            message: e.to_string(),
        })?;
    let body = Arc::new(document.to_string());
    Ok(Some(Route::new(
        Method::GET,
        "/openapi.json",
        Authorizer::None,
        handler(move |_req: Request| {
            let body = Arc::clone(&body);
            async move {
                Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(Body::from(body.as_str()))
            }
        }),
    )))
}
