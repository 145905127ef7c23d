//! The demo postings page: every sample company with the page snippet, or any mix of ids.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use crate::server::AppState;
use logofill_core::CompanyId;

/// The demo postings page: every sample company, sorted by id.
pub(crate) async fn demo_page(State(state): State<Arc<AppState>>) -> Html<String> {
    let mut records: Vec<_> = state.directory.records().collect();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    let postings: Vec<(String, String)> = records
        .iter()
        .map(|r| (r.id.to_string(), r.name.clone()))
        .collect();
    Html(postings_html(&postings))
}

/// `/postings?ids=a,b,c`: a page with just these companies (ids the directory does not know
/// are shown by id, and their logos stay missing), to try the snippet on any mix.
pub(crate) async fn postings_page(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let raw = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("ids="))
        .unwrap_or("");
    let mut postings = Vec::new();
    for id in raw.split(',').filter(|s| !s.is_empty()) {
        let Ok(id) = CompanyId::parse(id) else {
            return (
                StatusCode::BAD_REQUEST,
                format!("ids: {id:?} is not a company id ([A-Za-z0-9_-], 1 to 64 characters)"),
            )
                .into_response();
        };
        let name = state
            .directory
            .records()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| id.to_string());
        postings.push((id.to_string(), name));
    }
    Html(postings_html(&postings)).into_response()
}

fn postings_html(postings: &[(String, String)]) -> String {
    let mut rows = String::new();
    for (n, (id, name)) in postings.iter().enumerate() {
        let name = escape(name);
        rows.push_str(&format!(
            r#"<li class="posting"><img class="logo" src="/logos/{id}/128.webp" width="64" height="64" data-company-id="{id}" alt="{name} logo"><div><h2>{role}</h2><p>{name}</p></div></li>
"#,
            role = ROLES[n % ROLES.len()],
        ));
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Postings · logofill dev</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 44rem; color: #222; }}
ul {{ list-style: none; padding: 0; }}
.posting {{ display: flex; gap: 1rem; align-items: center; padding: .75rem 0; border-bottom: 1px solid #eee; }}
.logo {{ width: 64px; height: 64px; object-fit: contain; background: #f4f4f4; border-radius: 8px; }}
h2 {{ font-size: 1rem; margin: 0; }} p {{ margin: .2rem 0 0; color: #666; }}
</style>
<script src="/logofill.js" data-endpoint="/logo-misses" data-debounce="300" async></script>
</head><body>
<h1>Open positions</h1>
<p>Logos come from <code>/logos/{{company_id}}/128.webp</code>. Missing ones are reported by the snippet and filled in by the worker; reload to see them.</p>
<ul>
{rows}</ul>
</body></html>"#
    )
}

const ROLES: &[&str] = &[
    "Backend Engineer",
    "Product Designer",
    "Site Reliability Engineer",
    "Data Analyst",
    "Mobile Developer",
    "Engineering Manager",
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
