use gameservers_allocate::{handle, App};
use hangar_lambda::config::Env;
use hangar_scaler::AllocatorConfig;
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hangar_lambda::init_tracing();
    let config = AllocatorConfig::from_vars(&Env)?;
    let aws = hangar_aws::sdk_config().await;
    let app = App::new(config, aws_sdk_dynamodb::Client::new(&aws));
    let app = &app;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(handle(app, req).await)
    }))
    .await
}
