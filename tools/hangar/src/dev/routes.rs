//! The route table of the local API: (method, path template, authorizer, handler), as the
//! HTTP API in `template.yaml` declares them. Every area adds its routes in [`api_routes`].

use std::path::Path;
use std::sync::Arc;

use aws_types::SdkConfig;
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use local_gateway::{handler, Authorizer, Route};

use super::resource_names::DevResources;

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
        handler(hangar_deploy::api::version),
    )];
    // Sessions API, server API, server allocation API: add their routes here, built from
    // `ctx` (clients from `ctx.sdk_config`, table names from `ctx.resources`).
    if let Some(sessions) =
        super::sessions::build(&ctx.sdk_config, &ctx.gamelift_endpoint, &ctx.resources)
    {
        routes.extend(super::sessions::routes(sessions));
    }
    routes.extend(super::gameservers::routes(&ctx.sdk_config, &ctx.resources));
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
