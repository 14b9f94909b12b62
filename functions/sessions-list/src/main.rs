#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let sessions = hangar_sessions::api::init(sessions_list::NEEDS).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        sessions_list::handler(&sessions, req)
    }))
    .await
}
