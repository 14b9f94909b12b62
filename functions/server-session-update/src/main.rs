#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let sessions = hangar_sessions::api::init(server_session_update::NEEDS).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        server_session_update::handler(&sessions, req)
    }))
    .await
}
