use gameservers_list::{handle, App};
use hangar_lambda::config::Env;
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hangar_lambda::init_tracing();
    let aws = hangar_aws::sdk_config().await;
    let app = App::from_vars(&Env, aws_sdk_dynamodb::Client::new(&aws))?;
    let app = &app;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(handle(app, req).await)
    }))
    .await
}
