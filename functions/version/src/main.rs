use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hangar_lambda::init_tracing();
    run(service_fn(version::handler)).await
}
