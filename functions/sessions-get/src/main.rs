#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let sessions = hangar_sessions::api::init(sessions_get::NEEDS).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        sessions_get::handler(&sessions, req)
    }))
    .await
}
