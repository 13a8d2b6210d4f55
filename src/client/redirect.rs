//! Redirects: credentials go to the endpoint's origin and nowhere else.
//!
//! reqwest's default policy follows up to 10 redirects to any host and
//! strips only `Authorization`, `Cookie` and `Proxy-Authorization` on the
//! way: the `api-key` header would follow a redirect to another host. The
//! client this crate builds uses [`same_origin_redirects`]; for a caller's
//! own client, [`check_origin`] refuses an answer that came from elsewhere.

use url::Url;

use super::endpoint::Endpoint;
use crate::error::{ConfigField, Error, Result};

/// Most redirects followed within the origin before giving up.
const MAX_REDIRECTS: usize = 5;

/// A redirect policy that follows redirects only within the origin (scheme,
/// host and port) of the first request, at most 5 of them. A redirect to
/// another origin is not followed: the `3xx` answer is returned, which the
/// clients report as [`Error::Http`] naming where it pointed.
///
/// Give it to your own `reqwest::Client` when you pass one with
/// [`ClientOptions::with_http_client`](super::ClientOptions::with_http_client):
///
/// ```
/// use azure_ai_inference_otel::client::{ClientOptions, same_origin_redirects};
///
/// let http = reqwest::Client::builder()
///     .redirect(same_origin_redirects())
///     .build()?;
/// let options = ClientOptions::new().with_http_client(http);
/// # let _ = options;
/// # Ok::<(), reqwest::Error>(())
/// ```
pub fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Some(first) = attempt.previous().first() else {
            return attempt.stop();
        };
        if !same_origin(first, attempt.url()) {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// Same scheme, host and (effective) port.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `scheme://host:port` of `url`: no path or query, which may hold tokens.
pub(crate) fn origin_text(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or("?"),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// Fails when `final_url` (where the answer came from, after any redirects
/// a caller's client followed) is not the endpoint's origin.
pub(crate) fn check_origin(endpoint: &Endpoint, final_url: &Url) -> Result<()> {
    if same_origin(endpoint.as_url(), final_url) {
        return Ok(());
    }
    Err(Error::invalid_config(
        ConfigField::HttpClient,
        format!(
            "the HTTP client followed a redirect from {} to {}, another origin, and sent the credentials there; the answer was discarded. Build the client with client::same_origin_redirects() or reqwest::redirect::Policy::none(), and revoke the key if that host is not yours",
            origin_text(endpoint.as_url()),
            origin_text(final_url)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let a = url("https://r.services.ai.azure.com/models/chat");
        assert!(same_origin(
            &a,
            &url("https://r.services.ai.azure.com:443/x")
        ));
        assert!(!same_origin(&a, &url("http://r.services.ai.azure.com/x")));
        assert!(!same_origin(&a, &url("https://evil.example/x")));
        assert!(!same_origin(
            &a,
            &url("https://r.services.ai.azure.com:8443/x")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:80/"),
            &url("http://localhost:80/")
        ));
    }

    #[test]
    fn the_refusal_names_both_origins_but_no_path() {
        let endpoint = Endpoint::parse("https://r.services.ai.azure.com/models").unwrap();
        assert!(check_origin(&endpoint, &url("https://r.services.ai.azure.com/models/x")).is_ok());
        let e = check_origin(&endpoint, &url("https://evil.example/steal?token=abc"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("https://evil.example:443") && !e.contains("token=abc"),
            "{e}"
        );
    }
}
