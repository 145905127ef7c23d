//! The validators (`ETag`, `Last-Modified`) of the sources discovery fetched, kept so the one
//! that is stored can be fetched conditionally on its next refresh.

use std::future::Future;
use std::sync::Mutex;

use logofill_core::fetch::{BodyLimit, FetchError, Fetched, Fetcher, Validators};

/// Responses remembered per discovery: it fetches at most a few candidates, and the homepage.
const MAX_REMEMBERED: usize = 32;

/// A fetcher that passes every request through and remembers the validators of each answer
/// by the URL that answered.
pub struct ValidatorLog<'a, F> {
    inner: &'a F,
    seen: Mutex<Vec<(String, Validators)>>,
}

impl<'a, F: Fetcher> ValidatorLog<'a, F> {
    pub fn new(inner: &'a F) -> Self {
        ValidatorLog {
            inner,
            seen: Mutex::new(Vec::new()),
        }
    }

    /// The validators `url` answered with (none for a source that was not fetched, such as an
    /// inline SVG or a `data:` URI).
    pub fn validators_of(&self, url: &str) -> Validators {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .find(|(u, _)| u == url)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn remember(&self, answer: Result<Fetched, FetchError>) -> Result<Fetched, FetchError> {
        if let Ok(fetched) = &answer {
            let validators = Validators::of(fetched);
            if !validators.is_empty() {
                let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
                if seen.len() >= MAX_REMEMBERED {
                    seen.remove(0);
                }
                seen.push((fetched.final_url.clone(), validators));
            }
        }
        answer
    }
}

impl<F: Fetcher> Fetcher for ValidatorLog<'_, F> {
    async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        self.remember(self.inner.get(url).await)
    }

    async fn get_within(&self, url: &str, limit: BodyLimit) -> Result<Fetched, FetchError> {
        self.remember(self.inner.get_within(url, limit).await)
    }

    fn get_page(
        &self,
        url: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + Send {
        // A page's validators are not a source's: not remembered.
        self.inner.get_page(url, max_bytes)
    }

    async fn get_conditional(
        &self,
        url: &str,
        validators: &Validators,
        limit: BodyLimit,
    ) -> Result<Fetched, FetchError> {
        self.remember(self.inner.get_conditional(url, validators, limit).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logofill_core::MemoryFetcher;

    #[tokio::test]
    async fn the_validators_of_each_answer_are_kept_by_the_url_that_answered() {
        let inner = MemoryFetcher::new();
        inner.answer_with(
            "https://acme.example/logo.svg",
            200,
            &[
                ("ETag", "\"v1\""),
                ("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT"),
            ],
            "<svg/>",
        );
        inner.answer("https://acme.example/icon.png", 200, "png");
        let log = ValidatorLog::new(&inner);
        log.get("https://acme.example/logo.svg").await.unwrap();
        log.get("https://acme.example/icon.png").await.unwrap();
        let kept = log.validators_of("https://acme.example/logo.svg");
        assert_eq!(kept.etag.as_deref(), Some("\"v1\""));
        assert_eq!(
            kept.last_modified.as_deref(),
            Some("Tue, 01 Dec 2026 10:00:00 GMT")
        );
        assert!(log
            .validators_of("https://acme.example/icon.png")
            .is_empty());
        assert!(log.validators_of("https://other.example/").is_empty());
    }
}
