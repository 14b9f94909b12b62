use lambda_http::{run, service_fn, Body, Error, Request, Response};

async fn handle(_req: Request) -> Result<Response<Body>, Error> {
    let body = serde_json::json!({ "version": env!("CARGO_PKG_VERSION") });
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handle)).await
}
