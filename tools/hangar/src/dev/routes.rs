//! The route table of the local API: (method, path template, authorizer, handler), as the
//! HTTP API in `template.yaml` declares them. Every area adds its routes in [`api_routes`].

use aws_types::SdkConfig;
use lambda_http::http::Method;
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

/// Every route of the local API.
pub async fn api_routes(ctx: &RouteContext) -> Vec<Route> {
    let mut routes = vec![
        Route::new(
            Method::GET,
            "/version",
            Authorizer::None,
            handler(hangar_deploy::api::public),
        ),
        // The same function as /version, as deployed: the document fixed into the build.
        Route::new(
            Method::GET,
            "/openapi.json",
            Authorizer::None,
            handler(hangar_deploy::api::public),
        ),
    ];
    // Sessions API, server API, server allocation API: add their routes here, built from
    // `ctx` (clients from `ctx.sdk_config`, table names from `ctx.resources`).
    if let Some(sessions) =
        super::sessions::build(&ctx.sdk_config, &ctx.gamelift_endpoint, &ctx.resources)
    {
        routes.extend(super::sessions::routes(sessions));
    }
    routes.extend(super::gameservers::routes(&ctx.sdk_config, &ctx.resources));
    routes
}
