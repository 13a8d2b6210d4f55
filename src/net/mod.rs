//! HTTP details shared by the client and the exporters: one backoff, one
//! `Retry-After` reading, one `User-Agent`, one secret type. Crate-private except
//! [`Secret`], which appears in public signatures.

pub(crate) mod backoff;
mod retry_after;
mod secret;

pub(crate) use retry_after::retry_after;
pub use secret::Secret;

/// The `User-Agent` product token every request of this crate carries, the
/// client's calls and the exporters' alike.
pub(crate) const USER_AGENT: &str = concat!("azure-ai-inference-otel/", env!("CARGO_PKG_VERSION"));

/// Whether `url`'s host is `localhost` (or a `*.localhost` name) or a
/// loopback address: the one place where a key may go over plain `http://`
/// without an explicit opt-in (the client's rule everywhere: https, or
/// loopback, or the caller said so).
pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The largest answer an exporter's backend (Braintrust API, OTLP
/// collector) is read for: its answers are small JSON or protobuf objects.
pub(crate) const MAX_EXPORTER_ANSWER: usize = 1024 * 1024;

/// Reads an exporter backend's answer, at most [`MAX_EXPORTER_ANSWER`]
/// bytes (a larger `Content-Length` is refused before reading). `Err` says
/// why, without the body.
pub(crate) async fn read_exporter_answer(
    mut response: reqwest::Response,
) -> Result<bytes::Bytes, String> {
    let too_large = || format!("the answer is over the {MAX_EXPORTER_ANSWER}-byte limit");
    if response
        .content_length()
        .is_some_and(|n| n > MAX_EXPORTER_ANSWER as u64)
    {
        return Err(too_large());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| "the answer could not be read".to_owned())?
    {
        if body.len() + chunk.len() > MAX_EXPORTER_ANSWER {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// `url` fit for an error message: the `user:password@` part and the query
/// replaced by [`Secret::PLACEHOLDER`]. The one redaction of URLs quoted
/// in errors (client endpoint, OTLP endpoint, Braintrust API URL). Works on text that is not a valid
/// URL too (that is when it is shown), so it splits by hand rather than
/// with `url::Url`, which would refuse it.
pub(crate) fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("{}{}", Secret::PLACEHOLDER, &authority[at..]),
        None => authority.to_owned(),
    };
    let tail = match tail.find('?') {
        Some(q) => {
            let fragment = tail[q..].find('#').map_or("", |h| &tail[q + h..]);
            format!("{}?{}{fragment}", &tail[..q], Secret::PLACEHOLDER)
        }
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

/// `from + after`, saturating: a "forever" setting (`Duration::MAX`) is a
/// deadline a century away instead of the panic `Instant + Duration` gives
/// on overflow. Every deadline and timer the crate computes goes through it.
pub(crate) fn saturating_deadline(
    from: std::time::Instant,
    after: std::time::Duration,
) -> std::time::Instant {
    const CENTURY: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 24 * 3600);
    from.checked_add(after)
        .or_else(|| from.checked_add(CENTURY))
        .unwrap_or(from)
}

/// [`saturating_deadline`] from now.
pub(crate) fn deadline_in(after: std::time::Duration) -> std::time::Instant {
    saturating_deadline(std::time::Instant::now(), after)
}

/// A random UUID v4 in its usual text form (attachment keys, ids of the
/// test endpoint's answers). Not for secrets: `fastrand` is not a CSPRNG.
pub(crate) fn uuid_v4() -> String {
    let mut b: [u8; 16] = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuid_v4_has_the_version_and_variant_bits() {
        let id = super::uuid_v4();
        assert_eq!(id.len(), 36);
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{id}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{id}");
        assert_ne!(id, super::uuid_v4());
    }

    #[test]
    fn forever_deadlines_saturate() {
        let now = std::time::Instant::now();
        let far = super::saturating_deadline(now, std::time::Duration::MAX);
        assert!(far > now + std::time::Duration::from_secs(365 * 24 * 3600));
        let near = super::saturating_deadline(now, std::time::Duration::from_secs(1));
        assert_eq!(near, now + std::time::Duration::from_secs(1));
    }
}
