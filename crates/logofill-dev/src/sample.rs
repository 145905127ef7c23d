//! The sample world of `logofill dev`: a JSON Lines company directory shipped in the
//! repository and the companies' websites, served by the dev server itself under
//! `/sample-sites/`, so discovery and the guarded fetch run over real HTTP with no internet.
//!
//! The directory's URLs say `{origin}`; it is replaced with the dev server's own origin at
//! start, whatever port it listens on.

/// The sample directory, one company per line.
pub const COMPANIES_JSONL: &str = include_str!("../sample/companies.jsonl");

/// Companies whose logos are rendered into the bucket before the demo page is first shown,
/// so the page has some logos from the start.
pub const PRESEEDED: &[&str] = &["wayne", "umbrella"];

/// The sample websites: path under `/sample-sites/`, content type, bytes.
pub const SITE_FILES: &[(&str, &str, &[u8])] = &[
    (
        "acme/logo.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/acme/logo.svg"),
    ),
    (
        "globex/",
        "text/html; charset=utf-8",
        include_bytes!("../sample/sites/globex/index.html"),
    ),
    (
        "globex/mark.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/globex/mark.svg"),
    ),
    (
        "initech/",
        "text/html; charset=utf-8",
        include_bytes!("../sample/sites/initech/index.html"),
    ),
    (
        "initech/site.webmanifest",
        "application/manifest+json",
        include_bytes!("../sample/sites/initech/site.webmanifest"),
    ),
    (
        "initech/icons/large.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/initech/icons/large.svg"),
    ),
    (
        "initech/icons/small.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/initech/icons/small.svg"),
    ),
    (
        "umbrella/logo.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/umbrella/logo.svg"),
    ),
    (
        "stark/banner.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/stark/banner.svg"),
    ),
    (
        "hooli/",
        "text/html; charset=utf-8",
        include_bytes!("../sample/sites/hooli/index.html"),
    ),
    (
        "soylent/logo.png",
        "image/png",
        include_bytes!("../sample/sites/soylent/logo.png"),
    ),
    (
        "piedpiper/",
        "text/html; charset=utf-8",
        include_bytes!("../sample/sites/piedpiper/index.html"),
    ),
    (
        "wayne/logo.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/wayne/logo.svg"),
    ),
    (
        "wonka/",
        "text/html; charset=utf-8",
        include_bytes!("../sample/sites/wonka/index.html"),
    ),
    (
        "wonka/assets/touch.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/wonka/assets/touch.svg"),
    ),
    (
        "wonka/assets/og.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/wonka/assets/og.svg"),
    ),
    (
        "vandelay/",
        "text/html; charset=utf-8",
        include_bytes!("../sample/sites/vandelay/index.html"),
    ),
    (
        "vandelay/favicon.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/vandelay/favicon.svg"),
    ),
    (
        "vandelay/brand/vandelay-logo.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/vandelay/vandelay-logo.svg"),
    ),
    (
        "massive/",
        "text/html; charset=utf-8",
        include_bytes!("../sample/sites/massive/index.html"),
    ),
    (
        "massive/media/massive-dynamic.svg",
        "image/svg+xml",
        include_bytes!("../sample/sites/massive/massive-dynamic.svg"),
    ),
];

/// The directory text with `{origin}` filled in.
pub fn companies_jsonl(origin: &str) -> String {
    COMPANIES_JSONL.replace("{origin}", origin)
}

/// A sample site file by its path under `/sample-sites/`.
pub fn site_file(path: &str) -> Option<(&'static str, &'static [u8])> {
    SITE_FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, content_type, bytes)| (*content_type, *bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use logofill_core::directory::JsonlDirectory;

    #[test]
    fn every_sample_line_is_a_valid_record() {
        let directory = JsonlDirectory::parse("sample", &companies_jsonl("http://127.0.0.1:8080"));
        assert!(
            directory.problems().is_empty(),
            "{:?}",
            directory.problems()
        );
        assert_eq!(directory.len(), COMPANIES_JSONL.lines().count());
    }

    #[test]
    fn every_sample_url_that_should_work_is_served() {
        let directory = JsonlDirectory::parse("sample", &companies_jsonl("http://o"));
        assert_eq!(directory.records().count(), COMPANIES_JSONL.lines().count());
        for record in directory.records() {
            for url in record.logo_url.iter().chain(record.homepage.iter()) {
                let path = url.trim_start_matches("http://o/sample-sites/");
                let broken = ["hooli/gone.png", "umbrella/logo.png"].contains(&path);
                assert_eq!(site_file(path).is_some(), !broken, "{url}");
            }
        }
    }
}
