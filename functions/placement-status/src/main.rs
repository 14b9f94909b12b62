#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let sessions = hangar_sessions::api::init(placement_status::NEEDS).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        placement_status::handler(&sessions, req)
    }))
    .await
}
