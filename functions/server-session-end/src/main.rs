#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let sessions = hangar_sessions::api::init(server_session_end::NEEDS).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        server_session_end::handler(&sessions, req)
    }))
    .await
}
