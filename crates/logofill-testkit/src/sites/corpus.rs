//! The discovery corpus: homepages modelled on how real sites declare their logos, each
//! labelled with the outcome a person would expect, all served by one loopback server.
//!
//! Layout and schema are in `tests/fixtures/discovery/README.md`: one folder per case with a
//! `case.json` (the company as the directory gives it, the expected outcome and the acceptable
//! sources, and answers that override or add to the files) and `files/<host>/<path>`.
//!
//! Why one server routed by `Host` plus a [`StaticResolver`], not a server per site: discovery
//! resolves names itself (to tell NXDOMAIN from a failed lookup), follows redirects across
//! hosts and resolves `<base href>` and manifest URLs, so each case needs real-looking host
//! names, and the DNS cases need names that do not exist. Every served name resolves to
//! 127.0.0.1; any other name is NXDOMAIN, as in the DNS.
//!
//! Why `:PORT`: the port is known only once the server is bound, so the corpus writes the
//! literal `:PORT` and [`CorpusServer::start`] replaces it, in `case.json` and in served text
//! files, before anything is parsed or served. Absolute URLs in pages then point back here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, HOST, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use logofill_fetch::{LookupError, StaticResolver};
use serde::Deserialize;

/// What the corpus writes where the server's port goes.
pub const PORT_PLACEHOLDER: &str = ":PORT";
/// An `accept` entry that accepts any `data:` URI source.
pub const ACCEPT_DATA_URI: &str = "data:";
/// An `accept` entry that accepts an inline `<svg>` source: reported as `inline-svg`,
/// `inline-svg:` and a locator, or as `logofill_discover::Source::label` writes one
/// (`inline <svg> (N bytes)`).
pub const ACCEPT_INLINE_SVG: &str = "inline-svg";
const INLINE_SVG_LABEL: &str = "inline <svg>";

/// Served files whose `:PORT` is replaced; binary files are served as they are.
const TEXT_EXTENSIONS: &[&str] = &[
    "html",
    "htm",
    "json",
    "webmanifest",
    "svg",
    "css",
    "txt",
    "xml",
    "js",
];

/// `tests/fixtures/discovery/`.
pub fn corpus_dir() -> PathBuf {
    crate::workspace_root().join("tests/fixtures/discovery")
}

/// One labelled homepage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The case's folder name (also the company id).
    pub name: String,
    pub description: String,
    /// One of the categories listed in the README (cms, spa, platform, challenge, ...).
    pub category: String,
    /// The ids from `rules.json` this case exercises.
    pub rules: Vec<String>,
    pub company: CaseCompany,
    pub expect: Expect,
}

/// The company as the directory gives it to the worker, `:PORT` already substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCompany {
    pub id: String,
    pub name: String,
    pub homepage: Option<String>,
    pub logo_url: Option<String>,
}

/// What discovery should conclude.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// A logo, from one of these sources (absolute URLs, or [`ACCEPT_DATA_URI`] /
    /// [`ACCEPT_INLINE_SVG`]).
    Logo { accept: Vec<String> },
    /// No usable logo of this company: the worker stores a placeholder.
    Placeholder,
    /// A bot challenge or refusals everywhere: reported as blocked, not as "no logo".
    Blocked,
}

impl Expect {
    /// Whether `source_url` (the source discovery picked) is one a person would accept.
    /// URLs match exactly; `data:` accepts any data: URI, `inline-svg` an inline svg source.
    pub fn accepts(&self, source_url: &str) -> bool {
        let Expect::Logo { accept } = self else {
            return false;
        };
        accept.iter().any(|entry| match entry.as_str() {
            ACCEPT_DATA_URI => source_url
                .get(..5)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:")),
            ACCEPT_INLINE_SVG => {
                source_url == ACCEPT_INLINE_SVG
                    || source_url.starts_with("inline-svg:")
                    || source_url.starts_with(INLINE_SVG_LABEL)
            }
            url => url == source_url,
        })
    }

    /// `logo`, `placeholder` or `blocked`, as `case.json` spells it.
    pub fn outcome(&self) -> &'static str {
        match self {
            Expect::Logo { .. } => "logo",
            Expect::Placeholder => "placeholder",
            Expect::Blocked => "blocked",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    description: String,
    category: String,
    #[serde(default)]
    rules: Vec<String>,
    company: CompanyFile,
    expect: ExpectFile,
    #[serde(default)]
    responses: Vec<ResponseFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompanyFile {
    id: String,
    name: String,
    homepage: Option<String>,
    logo_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFile {
    outcome: String,
    #[serde(default)]
    accept: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseFile {
    url: String,
    status: Option<u16>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    file: Option<String>,
    redirect: Option<String>,
}

/// One `responses` entry, ready to serve.
#[derive(Debug, Clone)]
struct Override {
    case: String,
    url: String,
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

/// Everything the handler needs.
struct Served {
    port: u16,
    /// host -> percent-decoded path -> body (`:PORT` substituted in text files).
    files: HashMap<String, BTreeMap<String, Bytes>>,
    /// exact URL -> index into `overrides`.
    by_url: HashMap<String, usize>,
    overrides: Vec<Override>,
    hits: Mutex<BTreeMap<String, usize>>,
}

/// The whole corpus on one 127.0.0.1 port, routed by the `Host` header. Dropping it stops
/// the server.
pub struct CorpusServer {
    cases: Vec<Case>,
    /// Hosts a case names (homepage, logo_url, accept lists, redirects) and the www./apex
    /// siblings of homepage hosts: the ones no server answers are made NXDOMAIN explicitly.
    named_hosts: BTreeSet<String>,
    served: Arc<Served>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl CorpusServer {
    /// Bind 127.0.0.1:0, load every case under `dir` with the bound port, and serve them.
    /// A malformed case panics with the case and the problem named.
    pub async fn start(dir: &Path) -> CorpusServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the discovery corpus server");
        let addr = listener.local_addr().unwrap();
        let loaded = load(dir, addr.port());
        let served = Arc::new(Served {
            port: addr.port(),
            files: loaded.files,
            by_url: loaded
                .overrides
                .iter()
                .enumerate()
                .map(|(i, o)| (o.url.clone(), i))
                .collect(),
            overrides: loaded.overrides,
            hits: Mutex::default(),
        });
        let app = Router::new().fallback(answer).with_state(served.clone());
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        CorpusServer {
            cases: loaded.cases,
            named_hosts: loaded.named_hosts,
            served,
            addr,
            task,
        }
    }

    /// Every case, sorted by name.
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// The case named `name`.
    pub fn case(&self, name: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.name == name)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every served host: the folders under each case's `files/` and the hosts named in
    /// `responses`, sorted.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: BTreeSet<String> = self.served.files.keys().cloned().collect();
        hosts.extend(self.served.overrides.iter().map(|o| host_of(&o.url)));
        hosts.into_iter().collect()
    }

    /// Every served host resolves to 127.0.0.1; every other name, the DNS cases' included,
    /// does not exist ([`LookupError::NoSuchHost`]).
    pub fn resolver(&self) -> StaticResolver {
        let loopback = [IpAddr::V4(Ipv4Addr::LOCALHOST)];
        let served = self.hosts();
        let mut resolver = StaticResolver::new();
        for host in &served {
            resolver = resolver.with(host, &loopback);
        }
        // StaticResolver already answers NoSuchHost for names it does not know; naming the
        // DNS cases' hosts keeps that true if its default ever changes.
        for host in self.named_hosts.iter().filter(|h| !served.contains(h)) {
            resolver = resolver.failing(host, LookupError::NoSuchHost);
        }
        resolver
    }

    /// Requests for `url` (`http://host:port/path?query`, as sent) so far.
    pub fn hits(&self, url: &str) -> usize {
        self.served
            .hits
            .lock()
            .unwrap()
            .get(url)
            .copied()
            .unwrap_or(0)
    }

    /// Every URL requested so far, with its count.
    pub fn all_hits(&self) -> BTreeMap<String, usize> {
        self.served.hits.lock().unwrap().clone()
    }
}

impl Drop for CorpusServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(State(served): State<Arc<Served>>, headers: HeaderMap, uri: Uri) -> Response {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_without_port)
        .unwrap_or_default();
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("http://{host}:{}{path_and_query}", served.port);
    *served.hits.lock().unwrap().entry(url.clone()).or_default() += 1;

    if let Some(&i) = served.by_url.get(&url) {
        let o = &served.overrides[i];
        let mut response = (o.status, o.body.clone()).into_response();
        for (name, value) in &o.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        return response;
    }
    match served.file(&host, uri.path()) {
        Some((path, body)) => {
            let mut response = (StatusCode::OK, body.clone()).into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
            response
        }
        None => (
            StatusCode::NOT_FOUND,
            format!("no {path_and_query} on {host}"),
        )
            .into_response(),
    }
}

impl Served {
    /// The file for a request path: the path itself, or its `index.html` (for `/dir/`, and
    /// for `/dir` when no file `/dir` exists, as a platform's `/name` profile URL is served).
    fn file(&self, host: &str, raw_path: &str) -> Option<(&str, &Bytes)> {
        let files = self.files.get(host)?;
        let path = percent_decode(raw_path)?;
        let found = if path.ends_with('/') {
            files.get_key_value(&format!("{path}index.html"))
        } else {
            files
                .get_key_value(&path)
                .or_else(|| files.get_key_value(&format!("{path}/index.html")))
        };
        found.map(|(p, body)| (p.as_str(), body))
    }
}

struct Loaded {
    cases: Vec<Case>,
    files: HashMap<String, BTreeMap<String, Bytes>>,
    overrides: Vec<Override>,
    named_hosts: BTreeSet<String>,
}

fn load(dir: &Path, port: u16) -> Loaded {
    let mut loaded = Loaded {
        cases: Vec::new(),
        files: HashMap::new(),
        overrides: Vec::new(),
        named_hosts: BTreeSet::new(),
    };
    // Which case first served each host, to refuse two cases serving it differently.
    let mut host_owner: HashMap<String, String> = HashMap::new();
    let mut case_dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    case_dirs.sort();
    for case_dir in case_dirs {
        let name = case_dir.file_name().unwrap().to_string_lossy().into_owned();
        let case_json = case_dir.join("case.json");
        let text = std::fs::read_to_string(&case_json).unwrap_or_else(|e| {
            panic!(
                "case {name}: {} ({e}); every folder of the corpus is a case",
                case_json.display()
            )
        });
        let text = text.replace(PORT_PLACEHOLDER, &format!(":{port}"));
        let file: CaseFile = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("case {name}: case.json does not match the schema: {e}"));
        let (case, responses) = check_case(&name, port, file);
        for url in case_urls(&case, &responses) {
            let host = host_of(&url);
            loaded.named_hosts.insert(host.clone());
            if Some(&url) == case.company.homepage.as_ref() {
                loaded.named_hosts.insert(sibling(&host));
            }
        }

        let mut case_files: HashMap<String, BTreeMap<String, Bytes>> = HashMap::new();
        let files_dir = case_dir.join("files");
        if files_dir.is_dir() {
            for host_dir in sorted_dir(&files_dir) {
                let host = host_dir.file_name().unwrap().to_string_lossy().into_owned();
                assert!(
                    host_dir.is_dir() && host == host.to_ascii_lowercase() && host.contains('.'),
                    "case {name}: files/{host} is not a lowercase host folder"
                );
                let mut served = BTreeMap::new();
                collect_files(&host_dir, &host_dir, port, &mut served);
                case_files.insert(host, served);
            }
        }
        for (host, served) in case_files {
            if let Some(owner) = host_owner.get(&host) {
                assert!(
                    loaded.files[&host] == served,
                    "cases {owner} and {name} both serve {host} with different files; give one of them its own host"
                );
            } else {
                host_owner.insert(host.clone(), name.clone());
                loaded.files.insert(host, served);
            }
        }

        for response in responses {
            let o = check_response(&name, &case_dir, port, response);
            if let Some(other) = loaded.overrides.iter().find(|other| other.url == o.url) {
                panic!("cases {} and {name} both answer {}", other.case, o.url);
            }
            loaded.overrides.push(o);
        }
        loaded.cases.push(case);
    }
    loaded
}

/// The case, checked against the schema's rules, and its `responses` (checked later).
fn check_case(name: &str, port: u16, file: CaseFile) -> (Case, Vec<ResponseFile>) {
    let CaseFile {
        description,
        category,
        rules,
        company,
        expect,
        responses,
    } = file;
    assert_eq!(
        company.id, name,
        "case {name}: company.id must be the folder name"
    );
    assert!(
        !description.trim().is_empty(),
        "case {name}: no description"
    );
    for url in company.homepage.iter().chain(&company.logo_url) {
        check_url(name, port, url);
    }
    let expect = match (expect.outcome.as_str(), expect.accept) {
        ("logo", accept) => {
            assert!(
                !accept.is_empty(),
                "case {name}: outcome logo needs at least one accept entry"
            );
            for entry in &accept {
                if entry != ACCEPT_DATA_URI && entry != ACCEPT_INLINE_SVG {
                    check_url(name, port, entry);
                }
            }
            Expect::Logo { accept }
        }
        ("placeholder", accept) if accept.is_empty() => Expect::Placeholder,
        ("blocked", accept) if accept.is_empty() => Expect::Blocked,
        (outcome @ ("placeholder" | "blocked"), _) => {
            panic!("case {name}: outcome {outcome} takes an empty accept list")
        }
        (other, _) => panic!("case {name}: outcome {other:?} is not logo, placeholder or blocked"),
    };
    let case = Case {
        name: name.to_string(),
        description,
        category,
        rules,
        company: CaseCompany {
            id: company.id,
            name: company.name,
            homepage: company.homepage,
            logo_url: company.logo_url,
        },
        expect,
    };
    (case, responses)
}

/// Every URL a case names, in case.json.
fn case_urls(case: &Case, responses: &[ResponseFile]) -> Vec<String> {
    let mut urls: Vec<String> = case
        .company
        .homepage
        .iter()
        .chain(&case.company.logo_url)
        .cloned()
        .collect();
    if let Expect::Logo { accept } = &case.expect {
        urls.extend(
            accept
                .iter()
                .filter(|a| *a != ACCEPT_DATA_URI && *a != ACCEPT_INLINE_SVG)
                .cloned(),
        );
    }
    for r in responses {
        urls.push(r.url.clone());
        urls.extend(r.redirect.clone());
    }
    urls
}

/// A corpus URL is `http://host:PORT/...`: anything else could never reach this server.
fn check_url(case: &str, port: u16, url: &str) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("case {case}: {url} is not an http:// URL"));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    assert!(
        authority.ends_with(&format!(":{port}")) && authority.len() > port.to_string().len() + 1,
        "case {case}: {url} does not name a host with {PORT_PLACEHOLDER}"
    );
    assert_eq!(
        authority,
        authority.to_ascii_lowercase(),
        "case {case}: write the host of {url} in lowercase"
    );
}

fn check_response(case: &str, case_dir: &Path, port: u16, r: ResponseFile) -> Override {
    check_url(case, port, &r.url);
    assert!(
        !(r.file.is_some() && r.redirect.is_some()),
        "case {case}: the response for {} has both a file and a redirect",
        r.url
    );
    let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
    let mut set = |name: HeaderName, value: HeaderValue| {
        headers.retain(|(n, _)| *n != name);
        headers.push((name, value));
    };
    let (status, body) = if let Some(to) = &r.redirect {
        check_url(case, port, to);
        set(LOCATION, HeaderValue::from_str(to).unwrap());
        (r.status.unwrap_or(301), Bytes::new())
    } else if let Some(file) = &r.file {
        let path = case_dir.join(file);
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("case {case}: response file {}: {e}", path.display()));
        set(CONTENT_TYPE, HeaderValue::from_static(content_type(file)));
        (r.status.unwrap_or(200), served_bytes(file, bytes, port))
    } else {
        let status = r.status.unwrap_or(200);
        set(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        (status, Bytes::from(format!("status {status}")))
    };
    for (name, value) in &r.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|e| panic!("case {case}: header {name:?}: {e}"));
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("case {case}: header {name} value {value:?}: {e}"));
        set(name, value);
    }
    Override {
        case: case.to_string(),
        url: r.url,
        status: StatusCode::from_u16(status)
            .unwrap_or_else(|e| panic!("case {case}: status {status}: {e}")),
        headers,
        body,
    }
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

fn collect_files(root: &Path, dir: &Path, port: u16, out: &mut BTreeMap<String, Bytes>) {
    for path in sorted_dir(dir) {
        if path.is_dir() {
            collect_files(root, &path, port, out);
            continue;
        }
        let relative = path.strip_prefix(root).unwrap();
        let url_path = format!(
            "/{}",
            relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.insert(url_path.clone(), served_bytes(&url_path, bytes, port));
    }
}

/// `bytes` as served: `:PORT` replaced in text files (byte-wise, so a Shift_JIS or
/// ISO-8859-1 page is substituted without being decoded).
fn served_bytes(name: &str, bytes: Vec<u8>, port: u16) -> Bytes {
    if !TEXT_EXTENSIONS.contains(&extension(name).as_str()) {
        return Bytes::from(bytes);
    }
    let needle = PORT_PLACEHOLDER.as_bytes();
    let replacement = format!(":{port}").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(needle) {
            out.extend_from_slice(&replacement);
            i += needle.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Bytes::from(out)
}

fn extension(name: &str) -> String {
    let file = name.rsplit('/').next().unwrap_or(name);
    match file.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// The content type a static host sends for a file name. HTML goes without a charset so a
/// page's own `<meta charset>` (Shift_JIS, ISO-8859-1) decides, as it would in a browser.
fn content_type(name: &str) -> &'static str {
    match extension(name).as_str() {
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "css" => "text/css",
        "js" => "text/javascript",
        "txt" => "text/plain",
        "xml" => "application/xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

/// The host of an `http://host:port/...` URL.
fn host_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    host_without_port(authority)
}

fn host_without_port(authority: &str) -> String {
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// `www.example.com` <-> `example.com`: the name discovery tries when one does not resolve.
fn sibling(host: &str) -> String {
    match host.strip_prefix("www.") {
        Some(apex) => apex.to_string(),
        None => format!("www.{host}"),
    }
}

/// `%XX` decoded, as UTF-8; `None` when the result is not UTF-8 (no file is named so).
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use logofill_fetch::NameResolver;
    use serde_json::Value;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An answer read off the wire.
    struct Fetched {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Fetched {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }
    }

    /// GET `url` (`http://host:port/path`) from the server at `addr`, by a real HTTP/1.1
    /// request over TCP with the URL's authority as `Host`.
    async fn get(addr: SocketAddr, url: &str) -> Fetched {
        let rest = url.strip_prefix("http://").expect("an http:// URL");
        let (authority, target) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: logofill-tests\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete HTTP head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if let Some(len) = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
        {
            body.truncate(len);
        }
        Fetched {
            status,
            headers,
            body,
        }
    }

    async fn corpus() -> CorpusServer {
        CorpusServer::start(&corpus_dir()).await
    }

    fn rules() -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(corpus_dir().join("rules.json")).unwrap();
        serde_json::from_str(&text).expect("rules.json: an object of rule id -> description")
    }

    const CATEGORIES: &[&str] = &[
        "cms",
        "spa",
        "blog",
        "favicon-only",
        "lying-sizes",
        "legacy-markup",
        "markup",
        "international",
        "government",
        "news",
        "platform",
        "parked",
        "challenge",
        "blocked",
        "http-error",
        "dns",
        "redirect",
        "ranking",
        "inline",
        "jsonld",
        "microdata",
        "source",
        "directory",
    ];

    #[tokio::test]
    async fn every_case_loads_with_its_port_substituted() {
        let corpus = corpus().await;
        let cases = corpus.cases();
        assert!(cases.len() >= 48, "{} cases", cases.len());
        let port = format!(":{}", corpus.port());
        for case in cases {
            assert!(
                CATEGORIES.contains(&case.category.as_str()),
                "case {}: category {:?} is not one the README lists",
                case.name,
                case.category
            );
            let mut urls: Vec<&String> = case
                .company
                .homepage
                .iter()
                .chain(&case.company.logo_url)
                .collect();
            if let Expect::Logo { accept } = &case.expect {
                urls.extend(accept.iter().filter(|a| a.starts_with("http://")));
            }
            for url in urls {
                assert!(
                    url.contains(&port) && !url.contains(PORT_PLACEHOLDER),
                    "{url}"
                );
            }
        }
        let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), cases.len());
        assert!(corpus.case("wordpress-custom-logo").is_some());
    }

    #[tokio::test]
    async fn every_rule_is_exercised_and_every_case_names_known_rules() {
        let corpus = corpus().await;
        let rules = rules();
        let mut used: BTreeMap<&str, usize> = BTreeMap::new();
        for case in corpus.cases() {
            assert!(!case.rules.is_empty(), "case {} names no rule", case.name);
            for rule in &case.rules {
                assert!(
                    rules.contains_key(rule),
                    "case {}: unknown rule {rule}",
                    case.name
                );
                *used.entry(rule).or_default() += 1;
            }
        }
        let unused: Vec<&String> = rules
            .keys()
            .filter(|r| !used.contains_key(r.as_str()))
            .collect();
        assert!(unused.is_empty(), "rules no case exercises: {unused:?}");
    }

    #[test]
    fn accepts_matches_exactly_and_by_kind() {
        let expect = Expect::Logo {
            accept: vec![
                "http://a.example:1/logo.png".into(),
                ACCEPT_DATA_URI.into(),
                ACCEPT_INLINE_SVG.into(),
            ],
        };
        assert!(expect.accepts("http://a.example:1/logo.png"));
        assert!(!expect.accepts("http://a.example:1/logo.png?v=2"));
        assert!(expect.accepts("data:image/svg+xml,%3Csvg%3E"));
        assert!(expect.accepts("DATA:image/png;base64,iVBOR"));
        assert!(expect.accepts("inline-svg"));
        assert!(expect.accepts("inline-svg:header"));
        assert!(expect.accepts("inline <svg> (412 bytes)"));
        assert!(expect.accepts("data:image/svg+xml (230 bytes)"));
        assert!(!expect.accepts("inline-svgx"));
        let only_url = Expect::Logo {
            accept: vec!["http://a.example:1/logo.png".into()],
        };
        assert!(!only_url.accepts("data:image/png;base64,iVBOR"));
        assert!(!only_url.accepts("inline-svg"));
        assert!(!Expect::Placeholder.accepts("http://a.example:1/logo.png"));
        assert!(!Expect::Blocked.accepts("data:x"));
    }

    #[tokio::test]
    async fn every_accepted_source_is_served_as_an_image() {
        let corpus = corpus().await;
        let mut checked = 0;
        for case in corpus.cases() {
            let Expect::Logo { accept } = &case.expect else {
                continue;
            };
            for url in accept.iter().filter(|a| a.starts_with("http://")) {
                let got = get(corpus.addr(), url).await;
                assert_eq!(got.status, 200, "case {}: {url}", case.name);
                assert!(!got.body.is_empty(), "case {}: {url} is empty", case.name);
                let ct = got.header("content-type").unwrap_or_default();
                assert!(
                    ct.starts_with("image/"),
                    "case {}: {url} is {ct}",
                    case.name
                );
                assert!(
                    image_format(&got.body).is_some(),
                    "case {}: {url} is no image",
                    case.name
                );
                assert_eq!(corpus.hits(url), 1, "case {}: {url}", case.name);
                checked += 1;
            }
        }
        assert!(checked >= 40, "{checked}");
    }

    #[tokio::test]
    async fn every_response_override_is_applied() {
        let corpus = corpus().await;
        assert!(corpus.served.overrides.len() >= 15);
        for o in &corpus.served.overrides {
            let got = get(corpus.addr(), &o.url).await;
            assert_eq!(got.status, o.status.as_u16(), "case {}: {}", o.case, o.url);
            for (name, value) in &o.headers {
                assert_eq!(
                    got.header(name.as_str()),
                    Some(value.to_str().unwrap()),
                    "case {}: {} header {name}",
                    o.case,
                    o.url
                );
            }
            assert_eq!(got.body, o.body.as_ref(), "case {}: {}", o.case, o.url);
        }
        // Spot checks against case.json, so the loader is tested and not just replayed.
        let port = corpus.port();
        let challenge = get(
            corpus.addr(),
            &format!("http://www.montrose-freight.com:{port}/"),
        )
        .await;
        assert_eq!(challenge.status, 403);
        assert_eq!(challenge.header("cf-mitigated"), Some("challenge"));
        assert!(
            String::from_utf8_lossy(&challenge.body).contains("<title>Just a moment...</title>")
        );
        let moved = get(
            corpus.addr(),
            &format!("http://oakhurst-logistics.com:{port}/"),
        )
        .await;
        assert_eq!(moved.status, 301);
        assert_eq!(
            moved.header("location"),
            Some(format!("http://www.fjordway-logistics.com:{port}/?utm_source=oakhurst&utm_medium=redirect").as_str())
        );
        let thumb = get(
            corpus.addr(),
            &format!(
                "http://www.fairhaven-dairy.com:{port}/image.php?src=brand%2Flogo.png&w=256&h=256"
            ),
        )
        .await;
        assert_eq!(
            (thumb.status, thumb.header("content-type")),
            (200, Some("image/png"))
        );
        let undecoded = get(
            corpus.addr(),
            &format!("http://www.fairhaven-dairy.com:{port}/image.php?src=brand%2Flogo.png&amp;w=256&amp;h=256"),
        )
        .await;
        assert_eq!(undecoded.status, 404);
        let refused = get(
            corpus.addr(),
            &format!("http://www.silverline-optics.com:{port}/favicon.ico"),
        )
        .await;
        assert_eq!(refused.status, 403);
        let linkedin = get(
            corpus.addr(),
            &format!("http://www.linkedin.com:{port}/company/halvard-logistics/"),
        )
        .await;
        assert_eq!(linkedin.status, 999);
    }

    #[tokio::test]
    async fn pages_are_served_by_host_and_path_with_the_port_in_them() {
        let corpus = corpus().await;
        let port = corpus.port();
        let addr = corpus.addr();
        let home = format!("http://www.harrow-bakehouse.co.uk:{port}/");
        let page = get(addr, &home).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-type"), Some("text/html"));
        let text = String::from_utf8(page.body.clone()).unwrap();
        assert!(text.contains(&format!(
            "http://www.harrow-bakehouse.co.uk:{port}/wp-content/"
        )));
        assert!(!text.contains(PORT_PLACEHOLDER));
        assert_eq!(
            get(addr, &format!("{home}index.html")).await.body,
            page.body
        );
        // The same path on another host is another site.
        let other = get(addr, &format!("http://www.quantaloop.io:{port}/")).await;
        assert_ne!(other.body, page.body);
        // A folder path, a platform's /name path, a percent-encoded UTF-8 path.
        assert_eq!(
            get(addr, &format!("http://www.trellis-garden.com:{port}/en/"))
                .await
                .status,
            200
        );
        assert_eq!(
            get(
                addr,
                &format!("http://linktr.ee:{port}/harbourlight.candles")
            )
            .await
            .status,
            200
        );
        let arabic = format!(
            "http://www.alnoor-trading.ae:{port}/wp-content/themes/alnoor/images/%D8%B4%D8%B9%D8%A7%D8%B1.png"
        );
        assert_eq!(
            get(addr, &arabic).await.header("content-type"),
            Some("image/png")
        );
        // A Shift_JIS page keeps its bytes, with only the port substituted.
        let jp = get(addr, &format!("http://www.kobayashi-seiki.co.jp:{port}/")).await;
        assert!(
            String::from_utf8(jp.body.clone()).is_err(),
            "served as Shift_JIS, not re-encoded"
        );
        // Unknown paths and hosts are 404, and every request is counted.
        let missing = format!("http://www.harrow-bakehouse.co.uk:{port}/apple-touch-icon.png");
        assert_eq!(get(addr, &missing).await.status, 404);
        assert_eq!(get(addr, &missing).await.status, 404);
        assert_eq!(corpus.hits(&missing), 2);
        assert_eq!(
            get(addr, &format!("http://nowhere.invalid:{port}/"))
                .await
                .status,
            404
        );
        assert_eq!(corpus.hits(&home), 1);
        assert!(corpus.all_hits().len() >= 8);
    }

    #[tokio::test]
    async fn served_hosts_resolve_to_loopback_and_other_names_do_not_exist() {
        let corpus = corpus().await;
        let resolver = corpus.resolver();
        let hosts = corpus.hosts();
        for host in [
            "www.harrow-bakehouse.co.uk",
            "cdn.storefront-files.net",
            "linktr.ee",
            "www.montrose-freight.com",
            "oakhurst-logistics.com",
        ] {
            assert!(hosts.iter().any(|h| h == host), "{host} is served");
        }
        for host in &hosts {
            assert_eq!(
                resolver.lookup(host).await,
                Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]),
                "{host}"
            );
        }
        // The DNS cases: the homepage host is no folder and no response, so it does not exist.
        for host in [
            "meridian-optik.de",
            "www.halvorsen-fisk.no",
            "www.dunmore-textiles.com",
            "dunmore-textiles.com",
            "never-served.example",
        ] {
            assert!(!hosts.iter().any(|h| h == host));
            assert_eq!(
                resolver.lookup(host).await,
                Err(LookupError::NoSuchHost),
                "{host}"
            );
        }
        // Their siblings that do answer.
        assert!(hosts.iter().any(|h| h == "www.meridian-optik.de"));
        assert!(hosts.iter().any(|h| h == "halvorsen-fisk.no"));
    }

    #[test]
    fn paths_and_hosts_are_read_as_a_server_reads_them() {
        assert_eq!(
            percent_decode("/a%20b/%D8%B4.png").as_deref(),
            Some("/a b/ش.png")
        );
        assert_eq!(
            percent_decode("/w_32%2Ch_32/x").as_deref(),
            Some("/w_32,h_32/x")
        );
        assert_eq!(percent_decode("/100%").as_deref(), Some("/100%"));
        assert_eq!(percent_decode("/%zz%4").as_deref(), Some("/%zz%4"));
        assert_eq!(percent_decode("/%FF"), None);
        assert_eq!(host_without_port("WWW.Example.com:8080"), "www.example.com");
        assert_eq!(host_without_port("example.com."), "example.com");
        assert_eq!(host_of("http://a.example:1/x?y"), "a.example");
        assert_eq!(sibling("www.a.example"), "a.example");
        assert_eq!(sibling("a.example"), "www.a.example");
        assert_eq!(
            &served_bytes("x.html", b"a:PORT/b:PORT".to_vec(), 81)[..],
            b"a:81/b:81"
        );
        assert_eq!(
            &served_bytes("x.png", b"a:PORT".to_vec(), 81)[..],
            b"a:PORT"
        );
        assert_eq!(content_type("/A/B.PNG"), "image/png");
        assert_eq!(
            content_type("/harbourlight.candles"),
            "application/octet-stream"
        );
    }

    // ---- The images: real files of the size and kind the corpus says they are. ----

    fn image_format(bytes: &[u8]) -> Option<&'static str> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some("png")
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some("gif")
        } else if bytes.starts_with(b"\xff\xd8\xff") {
            Some("jpeg")
        } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some("webp")
        } else if bytes.starts_with(b"\0\0\x01\0") {
            Some("ico")
        } else if String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).contains("<svg") {
            Some("svg")
        } else {
            None
        }
    }

    /// (width, height, format) of each ICO directory entry.
    fn ico_entries(bytes: &[u8]) -> Vec<(u32, u32, &'static str)> {
        let count = u16::from_le_bytes([bytes[4], bytes[5]]) as usize;
        (0..count)
            .map(|i| {
                let e = &bytes[6 + 16 * i..6 + 16 * (i + 1)];
                let side = |b: u8| if b == 0 { 256 } else { b as u32 };
                let offset = u32::from_le_bytes([e[12], e[13], e[14], e[15]]) as usize;
                let data = &bytes[offset..];
                let format = if data.starts_with(b"\x89PNG") {
                    "png"
                } else if data.starts_with(&40u32.to_le_bytes()) {
                    "bmp"
                } else {
                    "unknown"
                };
                (side(e[0]), side(e[1]), format)
            })
            .collect()
    }

    /// The viewBox size of an SVG.
    fn svg_size(text: &str) -> (f64, f64) {
        let start = text.find("viewBox=\"").expect("an SVG with a viewBox") + 9;
        let values: Vec<f64> = text[start..]
            .split('"')
            .next()
            .unwrap()
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        (values[2], values[3])
    }

    /// Distinct `fill="..."` and `stroke="..."` colours of an SVG (`none` and `currentColor`
    /// left out).
    fn svg_colours(text: &str) -> BTreeSet<String> {
        let mut colours = BTreeSet::new();
        for attr in ["fill=\"", "stroke=\""] {
            for (i, _) in text.match_indices(attr) {
                let value = text[i + attr.len()..]
                    .split('"')
                    .next()
                    .unwrap()
                    .to_ascii_lowercase();
                if value != "none" && value != "currentcolor" {
                    colours.insert(value);
                }
            }
        }
        colours
    }

    /// `WxH` in a file name (`icon-180x180.png`, `share-1200x630.jpg`), if it has one.
    fn size_in_name(name: &str) -> Option<(u32, u32)> {
        let b = name.as_bytes();
        for (i, _) in name.match_indices('x') {
            let before = b[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let after = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if before > 0 && after > 0 {
                let w = name[i - before..i].parse().ok()?;
                let h = name[i + 1..i + 1 + after].parse().ok()?;
                return Some((w, h));
            }
        }
        None
    }

    fn is_image_name(name: &str) -> bool {
        ["png", "ico", "jpg", "jpeg", "gif", "webp", "svg", "bmp"]
            .contains(&extension(name).as_str())
    }

    /// Every file under the corpus, relative to it, with `/` separators.
    fn corpus_files() -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for path in sorted_dir(dir) {
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    let rel = path.strip_prefix(root).unwrap();
                    out.push(
                        rel.components()
                            .map(|c| c.as_os_str().to_string_lossy().into_owned())
                            .collect::<Vec<_>>()
                            .join("/"),
                    );
                }
            }
        }
        let mut out = Vec::new();
        walk(&corpus_dir(), &corpus_dir(), &mut out);
        out
    }

    fn manifest() -> BTreeMap<String, Value> {
        let text = std::fs::read_to_string(corpus_dir().join("images.json")).unwrap();
        serde_json::from_str(&text).expect("images.json: an object of path -> image")
    }

    #[test]
    fn every_image_is_the_size_format_and_kind_the_corpus_says() {
        let manifest = manifest();
        assert!(manifest.len() >= 150, "{} images", manifest.len());
        // No image outside the list (an image added by hand, not by make_images.py).
        for file in corpus_files() {
            if is_image_name(&file) {
                assert!(
                    manifest.contains_key(&file),
                    "{file} is not in images.json; add it to make_images.py"
                );
            }
        }
        for (path, entry) in &manifest {
            let bytes =
                std::fs::read(corpus_dir().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
            let want = |k: &str| entry[k].as_u64().unwrap() as u32;
            let (width, height) = (want("width"), want("height"));
            let format = entry["format"].as_str().unwrap();
            let kind = entry["kind"].as_str().unwrap();
            assert_eq!(image_format(&bytes), Some(format), "{path}: format");

            let name = path.rsplit('/').next().unwrap();
            if let Some(named) = size_in_name(name) {
                assert_eq!(
                    named,
                    (width, height),
                    "{path}: its name says {}x{}",
                    named.0,
                    named.1
                );
            }

            if format == "svg" {
                let text = String::from_utf8(bytes).unwrap();
                let (w, h) = svg_size(&text);
                assert_eq!((w as u32, h as u32), (width, height), "{path}: viewBox");
                let colours = svg_colours(&text);
                match kind {
                    "silhouette" => assert!(colours.len() <= 1, "{path}: {colours:?}"),
                    _ => assert!(colours.len() >= 3, "{path}: {colours:?}"),
                }
                continue;
            }

            if format == "ico" {
                let entries = ico_entries(&bytes);
                let listed: Vec<(u32, u32, &str)> = entry["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        (
                            e[0].as_u64().unwrap() as u32,
                            e[1].as_u64().unwrap() as u32,
                            e[2].as_str().unwrap(),
                        )
                    })
                    .collect();
                assert_eq!(entries, listed, "{path}: ICO entries");
            }
            let img = image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(
                (img.width(), img.height()),
                (width, height),
                "{path}: decoded size"
            );
            let rgba = img.to_rgba8();
            let pixels: Vec<[u8; 4]> = rgba.pixels().map(|p| p.0).collect();
            let visible: BTreeSet<[u8; 3]> = pixels
                .iter()
                .filter(|p| p[3] > 0)
                .map(|p| [p[0], p[1], p[2]])
                .collect();
            match kind {
                "pixel" => assert_eq!((width, height), (1, 1), "{path}"),
                "transparent" => assert!(
                    pixels.iter().all(|p| p[3] == 0),
                    "{path}: not fully transparent"
                ),
                "flat" => {
                    assert!(
                        pixels.iter().all(|p| *p == pixels[0]),
                        "{path}: not one flat colour"
                    );
                    assert_eq!(pixels[0][3], 255, "{path}: a flat image is opaque");
                }
                "silhouette" => {
                    assert_eq!(visible.len(), 1, "{path}: a silhouette is one colour");
                    assert!(pixels.iter().any(|p| p[3] == 0), "{path}: on transparent");
                }
                "mark" | "wordmark" | "card" | "photo" | "other" => {
                    assert!(visible.len() >= 3, "{path}: {} colours", visible.len())
                }
                other => panic!("{path}: unknown kind {other}"),
            }
            // A wordmark is at least 2:1; a social card is the 1.91:1 Open Graph shape.
            let least = match kind {
                "wordmark" => 2.0,
                "card" => 1.8,
                _ => 0.0,
            };
            if least > 0.0 {
                assert!(
                    width as f64 >= least * height as f64,
                    "{path}: a {kind} is wide"
                );
            }
            if kind == "mark" {
                let ratio = width.max(height) as f64 / width.min(height) as f64;
                assert!(ratio <= 1.25, "{path}: a mark is near-square");
            }
        }
    }

    #[tokio::test]
    async fn every_image_is_served_as_it_is_on_disk() {
        let corpus = corpus().await;
        let port = corpus.port();
        for path in manifest().keys() {
            // <case>/files/<host>/<path>; images beside case.json are served by `responses`.
            let mut parts = path.splitn(4, '/');
            let (_case, files, host, rest) =
                (parts.next(), parts.next(), parts.next(), parts.next());
            let (Some("files"), Some(host), Some(rest)) = (files, host, rest) else {
                continue;
            };
            let on_disk = std::fs::read(corpus_dir().join(path)).unwrap();
            let encoded: String = rest
                .split('/')
                .map(|seg| {
                    seg.bytes()
                        .map(|b| match b {
                            b'A'..=b'Z'
                            | b'a'..=b'z'
                            | b'0'..=b'9'
                            | b'-'
                            | b'.'
                            | b'_'
                            | b'~'
                            | b',' => (b as char).to_string(),
                            _ => format!("%{b:02X}"),
                        })
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("/");
            let got = get(corpus.addr(), &format!("http://{host}:{port}/{encoded}")).await;
            assert_eq!(got.status, 200, "{path}");
            assert!(
                got.body == on_disk,
                "{path}: served bytes differ from the file"
            );
        }
    }

    /// A description's `N px` and `WxH` claims are sizes of this case's images (declared
    /// sizes, thresholds and inline images are written otherwise: `sizes=192x192`, "the
    /// 48-pixel threshold", "a 64-pixel PNG").
    #[tokio::test]
    async fn sizes_in_descriptions_are_sizes_of_the_cases_images() {
        let corpus = corpus().await;
        let manifest = manifest();
        for case in corpus.cases() {
            let prefix = format!("{}/", case.name);
            let mut dims = BTreeSet::new();
            let mut sides = BTreeSet::new();
            for (_, e) in manifest
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
            {
                let (w, h) = (e["width"].as_u64().unwrap(), e["height"].as_u64().unwrap());
                dims.insert((w, h));
                sides.extend([w, h]);
                for entry in e["entries"].as_array().into_iter().flatten() {
                    sides.insert(entry[0].as_u64().unwrap());
                }
            }
            let d = case.description.as_bytes();
            let mut i = 0;
            while i < d.len() {
                let starts_claim = d[i].is_ascii_digit()
                    && (i == 0
                        || !(d[i - 1].is_ascii_alphanumeric() || b"-_=/".contains(&d[i - 1])));
                if !starts_claim {
                    i += 1;
                    continue;
                }
                let run = |from: usize| d[from..].iter().take_while(|c| c.is_ascii_digit()).count();
                let num = |from: usize, len: usize| {
                    case.description[from..from + len].parse::<u64>().unwrap()
                };
                let first = run(i);
                let after = i + first;
                if d.get(after) == Some(&b'x')
                    && run(after + 1) > 0
                    && !d
                        .get(after + 1 + run(after + 1))
                        .is_some_and(|c| c.is_ascii_alphanumeric())
                {
                    let claim = (num(i, first), num(after + 1, run(after + 1)));
                    assert!(
                        dims.contains(&claim),
                        "case {}: no {}x{} image",
                        case.name,
                        claim.0,
                        claim.1
                    );
                    i = after + 1 + run(after + 1);
                    continue;
                }
                // N px, or N/M/K px
                let mut numbers = vec![num(i, first)];
                let mut j = after;
                while d.get(j) == Some(&b'/') && run(j + 1) > 0 {
                    numbers.push(num(j + 1, run(j + 1)));
                    j += 1 + run(j + 1);
                }
                if case.description[j..].starts_with(" px") {
                    for n in numbers {
                        assert!(sides.contains(&n), "case {}: no {n} px image", case.name);
                    }
                }
                i = j;
            }
        }
    }
}
