//! The one place Hangar builds its AWS SDK configuration, for the functions, the CLI,
//! the emulator and the tests alike.
//!
//! [`loader`] is `aws_config::defaults` (so `AWS_ENDPOINT_URL_<SERVICE>` /
//! `AWS_ENDPOINT_URL`, the region and the credential chain behave as everywhere else)
//! with one change: the HTTPS client. The SDK's default client loads the platform's
//! trust store through `rustls-native-certs`, which reads the CA bundle *and* every
//! file of the certificate directory (about 150 files on Debian), in the function's
//! init phase, on every cold start. Ours trusts the root certificates compiled into the
//! binary unless `SSL_CERT_FILE` names a bundle (see [`trust_store`]), and uses the
//! `ring` crypto provider, which keeps the deployment packages smaller than the default
//! `aws-lc` one.

#[cfg(feature = "ec2")]
pub mod ec2;
#[cfg(all(test, feature = "ec2"))]
mod ec2_tests;
pub mod error;
#[cfg(test)]
mod https_tests;
mod trust;

use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext};
use aws_smithy_http_client::{Builder, Connector, ConnectorBuilder};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

pub use aws_smithy_http_client::tls::TrustStore;
pub use error::{AwsError, Fault, ServiceAnswer};
pub use trust::{compiled_roots_pem, trust_store, TrustSource};

/// `aws_config::defaults(BehaviorVersion::latest())` with [`https_client`]. Adjust it
/// (region, endpoint, credentials) before `load()`.
pub fn loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}

/// [`loader`], loaded: what a function's `main` builds its clients from.
pub async fn sdk_config() -> SdkConfig {
    loader().load().await
}

/// An HTTPS (and plain HTTP, for local endpoints) client: rustls with the `ring`
/// provider, the trust store from [`trust_store`], proxies from `HTTP(S)_PROXY` /
/// `NO_PROXY` as the SDK's own default client does.
pub fn https_client() -> SharedHttpClient {
    let (store, source) = trust_store(&|name| std::env::var_os(name));
    tracing::debug!(source = %source, "TLS trust store");
    https_client_trusting(store)
}

/// [`https_client`] trusting exactly `store`.
pub fn https_client_trusting(store: TrustStore) -> SharedHttpClient {
    let context = tls_context(store);
    let client = Builder::new().build_with_connector_fn(move |settings, components| {
        connector(&context, settings, components.and_then(|c| c.sleep_impl()))
    });
    SharedHttpClient::new(BuiltOnFirstUse(client))
}

/// A TLS context trusting `store` (the platform's store if rustls refuses it).
fn tls_context(store: TrustStore) -> TlsContext {
    match TlsContext::builder().with_trust_store(store).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "TLS context refused; using the platform's trust store");
            TlsContext::default()
        }
    }
}

/// One connection pool over `context`: rustls with the `ring` provider, proxies from
/// the environment, `settings`' timeouts (enforced with `sleep`).
fn connector(
    context: &TlsContext,
    settings: Option<&HttpConnectorSettings>,
    sleep: Option<SharedAsyncSleep>,
) -> Connector {
    let mut builder = ConnectorBuilder::default()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context.clone());
    builder.set_connector_settings(settings.cloned());
    builder.set_sleep_impl(sleep);
    builder.set_proxy_config(Some(ProxyConfig::from_env()));
    builder.build()
}

/// [`https_client`]'s connection pool alone, for a call made without an SDK client
/// (the trust store read now, from the environment).
#[cfg(feature = "ec2")]
pub(crate) fn https_connector() -> Connector {
    let (store, source) = trust_store(&|name| std::env::var_os(name));
    tracing::debug!(source = %source, "TLS trust store");
    connector(&tls_context(store), None, None)
}

/// The client above, minus its start-up check. The SDK's own client builds (and drops)
/// a whole TLS connector each time a service client is constructed, so that the
/// platform's certificates are loaded before the first request; with a bundle of ~150
/// PEM certificates that is about 1.5 ms per service client in the function's init.
/// Our trust store is already read and checked by [`trust_store`], so the connector is
/// built once, for the first request, and kept (per timeout settings) as before.
#[derive(Debug)]
struct BuiltOnFirstUse(SharedHttpClient);

impl HttpClient for BuiltOnFirstUse {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}
