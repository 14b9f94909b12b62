//! Who is calling, as API Gateway (HTTP API, payload v2) tells the function.
//!
//! Player routes sit behind a JWT authorizer: API Gateway verifies the token and passes
//! its claims; the player is the `sub` claim. Game-server routes use `AWS_IAM`
//! authorization: API Gateway verifies the SigV4 signature and passes the IAM caller.
//! `hangar dev` fills the same request context after verifying its own tokens, so the
//! handlers run unchanged. A request that reached a function without the expected
//! authorizer context is refused, never trusted.

use lambda_http::{request::RequestContext, Request, RequestExt};

use crate::http::ApiError;

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A player, identified by the JWT `sub` claim.
    Player(String),
    /// A game server (or another IAM principal allowed to call the server routes),
    /// identified by its IAM principal (user ARN, else caller id).
    Server(String),
}

/// Longest player id accepted (GameLift's `PlayerId` is at most 1024 characters).
pub const MAX_PLAYER_ID_CHARS: usize = 1024;

/// The caller of `req`, from its API Gateway v2 authorizer context.
pub fn caller(req: &Request) -> Result<Caller, ApiError> {
    let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() else {
        return Err(ApiError::unauthorized(
            "the request carries no API Gateway authorizer context",
        ));
    };
    let Some(authorizer) = ctx.authorizer.as_ref() else {
        return Err(ApiError::unauthorized("the request was not authorized"));
    };
    if let Some(jwt) = authorizer.jwt.as_ref() {
        return match jwt.claims.get("sub").map(|s| s.trim()) {
            Some(sub) if !sub.is_empty() && sub.chars().count() <= MAX_PLAYER_ID_CHARS => {
                Ok(Caller::Player(sub.to_string()))
            }
            _ => Err(ApiError::unauthorized(
                "the token has no usable 'sub' claim",
            )),
        };
    }
    if let Some(iam) = authorizer.iam.as_ref() {
        let principal = iam
            .user_arn
            .clone()
            .or_else(|| iam.caller_id.clone())
            .filter(|p| !p.is_empty());
        return principal
            .map(Caller::Server)
            .ok_or_else(|| ApiError::unauthorized("the IAM caller is unknown"));
    }
    Err(ApiError::unauthorized("the request was not authorized"))
}

/// The player calling a player route; a game server or an unauthenticated request is refused.
pub fn require_player(req: &Request) -> Result<String, ApiError> {
    match caller(req)? {
        Caller::Player(id) => Ok(id),
        Caller::Server(_) => Err(ApiError::forbidden("this route is for players")),
    }
}

/// The game server calling a server route; a player or an unauthenticated request is refused.
pub fn require_server(req: &Request) -> Result<String, ApiError> {
    match caller(req)? {
        Caller::Server(principal) => Ok(principal),
        Caller::Player(_) => Err(ApiError::forbidden("this route is for game servers")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;

    fn request(mut context: serde_json::Value) -> Request {
        context["http"] = serde_json::json!({"method": "GET", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test"});
        let ctx: ApiGatewayV2httpRequestContext = serde_json::from_value(context).unwrap();
        lambda_http::http::Request::builder()
            .body(lambda_http::Body::Empty)
            .unwrap()
            .with_request_context(RequestContext::ApiGatewayV2(ctx))
    }

    #[test]
    fn jwt_claims_sub_is_the_player() {
        let req = request(
            serde_json::json!({"authorizer": {"jwt": {"claims": {"sub": "player-1"}, "scopes": null}}}),
        );
        assert_eq!(caller(&req).unwrap(), Caller::Player("player-1".into()));
        assert_eq!(require_player(&req).unwrap(), "player-1");
        assert_eq!(require_server(&req).unwrap_err().status, 403);
    }

    #[test]
    fn iam_caller_is_a_server_and_may_not_use_player_routes() {
        let req = request(
            serde_json::json!({"authorizer": {"iam": {"userArn": "arn:aws:sts::1:assumed-role/gs/i-1", "callerId": "AROA:i-1"}}}),
        );
        assert_eq!(
            require_server(&req).unwrap(),
            "arn:aws:sts::1:assumed-role/gs/i-1"
        );
        assert_eq!(require_player(&req).unwrap_err().status, 403);
    }

    #[test]
    fn missing_context_authorizer_or_sub_is_401() {
        let bare = lambda_http::http::Request::builder()
            .body(lambda_http::Body::Empty)
            .unwrap();
        assert_eq!(caller(&bare).unwrap_err().status, 401);
        assert_eq!(
            caller(&request(serde_json::json!({}))).unwrap_err().status,
            401
        );
        let no_sub = request(serde_json::json!({"authorizer": {"jwt": {"claims": {"iss": "x"}}}}));
        assert_eq!(caller(&no_sub).unwrap_err().status, 401);
        let blank_sub =
            request(serde_json::json!({"authorizer": {"jwt": {"claims": {"sub": " "}}}}));
        assert_eq!(caller(&blank_sub).unwrap_err().status, 401);
    }
}
