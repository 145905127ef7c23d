//! The company directory over HTTP: an endpoint template such as
//! `https://api.example.com/companies/{id}`, fetched through the guarded fetcher like every
//! other request (the directory is outside input too). An adapter of
//! `logofill_core::directory::CompanyDirectory`, beside the fetcher it needs.

use std::future::Future;

use logofill_core::directory::{CompanyDirectory, CompanyRecord, DirectoryError};
use logofill_core::fetch::{FetchError, Fetcher};
use logofill_core::CompanyId;

/// GET, JSON, 404 means unknown company.
#[derive(Debug)]
pub struct HttpDirectory<F> {
    template: String,
    fetcher: F,
}

impl<F: Fetcher> HttpDirectory<F> {
    pub fn new(template: &str, fetcher: F) -> Result<Self, DirectoryError> {
        if !template.contains("{id}") {
            return Err(DirectoryError::Broken {
                directory: template.to_string(),
                detail: "the URL template has no {id} placeholder".into(),
            });
        }
        Ok(HttpDirectory {
            template: template.to_string(),
            fetcher,
        })
    }

    async fn lookup_now(&self, id: &CompanyId) -> Result<Option<CompanyRecord>, DirectoryError> {
        // The id grammar needs no escaping in a URL path.
        let url = self.template.replace("{id}", id.as_str());
        match self.fetcher.get(&url).await {
            Ok(response) => CompanyRecord::from_json(&response.body, Some(id)).map(Some),
            Err(FetchError::Status { status: 404, .. }) => Ok(None),
            Err(e) if e.is_retryable() => Err(DirectoryError::Unavailable {
                directory: self.template.clone(),
                detail: e.to_string(),
            }),
            Err(e) => Err(DirectoryError::Broken {
                directory: self.template.clone(),
                detail: e.to_string(),
            }),
        }
    }
}

impl<F: Fetcher> CompanyDirectory for HttpDirectory<F> {
    fn lookup(
        &self,
        id: &CompanyId,
    ) -> impl Future<Output = Result<Option<CompanyRecord>, DirectoryError>> + Send {
        self.lookup_now(id)
    }
}

#[cfg(test)]
mod tests {
    use logofill_core::fetch::MemoryFetcher;

    use super::*;

    fn id(s: &str) -> CompanyId {
        CompanyId::parse(s).unwrap()
    }

    #[tokio::test]
    async fn records_unknown_ids_and_failures_are_told_apart() {
        let f = std::sync::Arc::new(MemoryFetcher::new());
        f.answer(
            "https://api.example/companies/acme",
            200,
            r#"{"id": "acme", "name": "Acme", "homepage": "https://acme.example/"}"#,
        )
        .answer("https://api.example/companies/broken", 200, "not json")
        .answer("https://api.example/companies/down", 503, "");
        let d = HttpDirectory::new("https://api.example/companies/{id}", f.clone()).unwrap();
        let acme = d.lookup(&id("acme")).await.unwrap().unwrap();
        assert_eq!(acme.homepage.as_deref(), Some("https://acme.example/"));
        assert_eq!(
            d.lookup(&id("nobody")).await.unwrap(),
            None,
            "404 is unknown"
        );
        assert!(matches!(
            d.lookup(&id("broken")).await,
            Err(DirectoryError::Malformed { .. })
        ));
        let down = d.lookup(&id("down")).await.unwrap_err();
        assert!(down.is_retryable(), "{down}");
        assert!(HttpDirectory::new("https://api.example/companies", f).is_err());
    }
}
