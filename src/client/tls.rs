//! Building the `reqwest::Client` of a client, with TLS set up once per
//! process.
//!
//! Left to itself, `reqwest` (feature `rustls`) builds a
//! `rustls-platform-verifier` verifier in every `ClientBuilder::build`,
//! which on Linux reads and parses every system root certificate: about 19M
//! instructions (4 ms) per client, paid even for `http://` endpoints and by
//! every `azinfer` run at start. Here all clients share one verifier that
//! loads the roots on the first TLS handshake of the process, not before;
//! building a client is then about 40k instructions (`.ci/bench --callgrind
//! crate:build-http`), the first TLS handshake of the process pays the rest.
//!
//! Certificate checks are those `reqwest` would make: the platform verifier
//! (system roots and WebPKI on Linux, the OS verifier on macOS and Windows),
//! TLS 1.2 and 1.3, ALPN `h2` and `http/1.1`, the process's default rustls
//! crypto provider if one is installed, else aws-lc-rs. The roots are read
//! once: a root added to the system later is seen by the next process. When
//! no root can be loaded, every TLS connection fails with a connection error
//! that says so (`reqwest` would have failed the build instead).

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Builds a `reqwest` client whose TLS is the process-wide lazily loaded
/// verifier ([`tls_config`]); `configure` sets timeouts and redirects.
///
/// `tls_backend_preconfigured` has no semver promise: a `rustls` in the
/// user's lockfile that differs from reqwest's makes reqwest refuse the
/// configuration at build time. The client is then built again with
/// reqwest's own TLS set-up (the same checks, the roots loaded per client),
/// so a version drift costs start-up time, never every call.
pub(super) fn build_client(
    configure: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
) -> reqwest::Result<reqwest::Client> {
    // Only a crypto provider without TLS 1.2 or 1.3 support fails
    // `tls_config`: reqwest then sets TLS up (and reports the problem) itself.
    build_preferring(tls_config().ok(), configure)
}

/// [`build_client`] with the preconfigured TLS value given (tests force the
/// fallback with one reqwest refuses).
fn build_preferring<T: std::any::Any>(
    tls: Option<T>,
    configure: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
) -> reqwest::Result<reqwest::Client> {
    if let Some(tls) = tls
        && let Ok(client) =
            configure(reqwest::Client::builder().tls_backend_preconfigured(tls)).build()
    {
        return Ok(client);
    }
    configure(reqwest::Client::builder()).build()
}

/// A rustls configuration around the process-wide [`LazyPlatformVerifier`].
/// Cheap: no certificate is read here.
fn tls_config() -> std::result::Result<rustls::ClientConfig, rustls::Error> {
    let verifier = shared_verifier();
    let mut config = rustls::ClientConfig::builder_with_provider(verifier.provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // `reqwest` sets ALPN only on configurations it builds itself.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn shared_verifier() -> Arc<LazyPlatformVerifier> {
    static VERIFIER: OnceLock<Arc<LazyPlatformVerifier>> = OnceLock::new();
    VERIFIER
        .get_or_init(|| {
            let provider = CryptoProvider::get_default()
                .cloned()
                .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
            Arc::new(LazyPlatformVerifier {
                provider,
                inner: OnceLock::new(),
            })
        })
        .clone()
}

/// The platform verifier, built (roots loaded) on first use and then
/// shared by every client of the process.
struct LazyPlatformVerifier {
    provider: Arc<CryptoProvider>,
    inner: OnceLock<std::result::Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyPlatformVerifier {
    fn get(&self) -> std::result::Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.inner
            .get_or_init(|| rustls_platform_verifier::Verifier::new(self.provider.clone()))
            .as_ref()
            .map_err(|e| rustls::Error::General(format!("no usable root certificates: {e}")))
    }
}

impl fmt::Debug for LazyPlatformVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyPlatformVerifier")
            .field("loaded", &self.inner.get().is_some())
            .finish_non_exhaustive()
    }
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.get()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    // Asked when the ClientHello is written, before any certificate: answered
    // from the provider so that no root is loaded for it.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_preconfigured_tls_falls_back_to_reqwests_own() {
        // What a rustls version drift looks like to reqwest: a value it
        // does not know.
        struct OtherRustlsConfig;
        assert!(
            reqwest::Client::builder()
                .tls_backend_preconfigured(OtherRustlsConfig)
                .build()
                .is_err(),
            "reqwest refuses it"
        );
        let client = build_preferring(Some(OtherRustlsConfig), |b| {
            b.redirect(crate::client::same_origin_redirects())
        });
        assert!(client.is_ok(), "{client:?}");
    }

    #[test]
    fn clients_share_one_verifier_and_offer_h2() {
        build_client(|b| b).unwrap();
        build_client(|b| b).unwrap();
        let a = shared_verifier();
        let b = shared_verifier();
        assert!(Arc::ptr_eq(&a, &b));
        let config = tls_config().unwrap();
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert!(!a.supported_verify_schemes().is_empty());
    }

    #[test]
    fn the_platform_verifier_rejects_an_unknown_certificate() {
        // Not a certificate at all: the loaded verifier must refuse it (or,
        // on a machine without roots, the lazy load must say so).
        let verifier = shared_verifier();
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let name = ServerName::try_from("example.com").unwrap();
        let result = verifier.verify_server_cert(&junk, &[], &name, &[], UnixTime::now());
        assert!(result.is_err());
        assert!(format!("{verifier:?}").contains("loaded: true"));
    }
}
