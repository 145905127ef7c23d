//! The dev runner over real HTTP on loopback: the report contract as in production, and the
//! whole loop from a report to a logo served from the bucket folder.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use logofill_dev::{start, DevOptions, RunningDev};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn dev(name: &str) -> (RunningDev, std::path::PathBuf) {
    let bucket =
        std::env::temp_dir().join(format!("logofill-dev-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&bucket);
    let options = DevOptions {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        bucket_dir: bucket.clone(),
        visibility_timeout: Duration::from_millis(300),
        max_receive_count: 2,
        ..DevOptions::default()
    };
    (start(options).await.expect("dev runner starts"), bucket)
}

/// One HTTP/1.1 exchange; returns (status, head, body).
async fn exchange(addr: SocketAddr, request: String) -> (u16, String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a full response")
        + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head[9..12].parse().unwrap();
    (status, head, raw[split..].to_vec())
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
}

fn post(path: &str, content_type: &str, origin: Option<&str>, body: &str) -> String {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: {content_type}\r\n{origin}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

async fn queue_json(addr: SocketAddr) -> serde_json::Value {
    let (_, _, body) = exchange(addr, get("/dev/queue")).await;
    serde_json::from_slice(&body).unwrap()
}

async fn wait_idle(addr: SocketAddr, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let q = queue_json(addr).await;
        if q["queued"].as_array().unwrap().is_empty()
            && q["in_flight"].as_array().unwrap().is_empty()
        {
            return q;
        }
        assert!(Instant::now() < deadline, "queue not idle in time: {q}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_closes_the_loop_through_queue_worker_and_bucket() {
    let (dev, bucket) = dev("loop").await;
    let addr = dev.addr;
    // Pre-seeded logos are there from the start.
    let (status, head, _) = exchange(addr, get("/logos/wayne/128.webp")).await;
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: image/webp"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("cache-control: public, max-age=86400"),
        "{head}"
    );
    let (status, _, _) = exchange(addr, get("/logos/acme/128.png")).await;
    assert_eq!(status, 404);

    let (status, _, body) = exchange(
        addr,
        post(
            "/logo-misses",
            "text/plain;charset=UTF-8",
            Some(&dev.origin),
            r#"{"company_ids":["acme","globex","initech","hooli","kakao","nobody","vandelay","massive"]}"#,
        ),
    )
    .await;
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    let q = wait_idle(addr, Duration::from_secs(30)).await;
    assert_eq!(q["sent_total"], 8);
    assert!(q["dead_letter"].as_array().unwrap().is_empty(), "{q}");

    for (id, kind) in [
        ("acme", "logo"),
        ("globex", "logo"),
        ("initech", "logo"),
        ("hooli", "placeholder"),
        ("kakao", "placeholder"),
    ] {
        let (status, head, body) = exchange(addr, get(&format!("/logos/{id}/256.png"))).await;
        assert_eq!(status, 200, "{id}: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("x-amz-meta-kind: {kind}")),
            "{id}: {head}"
        );
        assert_eq!(&body[1..4], b"PNG", "{id}");
    }
    // The header's logo, not the flat favicon; the JSON-LD logo, not the 16 px icon.
    for (id, source) in [
        ("vandelay", "/sample-sites/vandelay/brand/vandelay-logo.svg"),
        ("massive", "/sample-sites/massive/media/massive-dynamic.svg"),
    ] {
        let (status, head, _) = exchange(addr, get(&format!("/logos/{id}/256.png"))).await;
        assert_eq!(status, 200, "{id}: {head}");
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("x-amz-meta-kind: logo") && head.contains(source),
            "{id}: {head}"
        );
    }
    let (status, _, _) = exchange(addr, get("/logos/nobody/256.png")).await;
    assert_eq!(status, 404, "an unknown company gets nothing");

    // The scheduled refresh: nothing is due today; in 31 days the five logos are (the two
    // placeholders came due after a day and are looked at again), and an unchanged source
    // changes no image.
    let refresh = |today: Option<String>| {
        let path = match today {
            Some(day) => format!("/dev/refresh?today={day}"),
            None => "/dev/refresh".to_string(),
        };
        exchange(addr, post(&path, "application/json", None, ""))
    };
    let (status, _, body) = refresh(None).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(report["sent"], 0, "{report}");
    let acme_before = std::fs::read(bucket.join("logos/acme/128.webp")).unwrap();
    let later = (chrono::Utc::now() + chrono::Duration::days(31))
        .format("%Y-%m-%d")
        .to_string();
    let mut filed: Vec<String> = Vec::new();
    for day in std::fs::read_dir(bucket.join("refresh/due")).unwrap() {
        for key in std::fs::read_dir(day.unwrap().path()).unwrap() {
            let name = key.unwrap().file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && !name.ends_with(".meta.json") {
                filed.push(name);
            }
        }
    }
    filed.sort();
    for id in [
        "acme", "globex", "initech", "hooli", "kakao", "vandelay", "massive",
    ] {
        assert!(filed.iter().any(|f| f == id), "{id} is filed: {filed:?}");
    }
    let (status, _, body) = refresh(Some(later)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        report["sent"],
        filed.len(),
        "every filed set is due in 31 days: {report}"
    );
    assert_eq!(report["removed"], filed.len(), "{report}");
    let q = wait_idle(addr, Duration::from_secs(30)).await;
    assert!(q["dead_letter"].as_array().unwrap().is_empty(), "{q}");
    assert_eq!(
        std::fs::read(bucket.join("logos/acme/128.webp")).unwrap(),
        acme_before,
        "an unchanged logo is not rewritten"
    );
    let (status, _, _) = refresh(Some("2026-13-01".into())).await;
    assert_eq!(status, 400);
    dev.stop().await.unwrap();
    std::fs::remove_dir_all(bucket).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_ends_in_the_dead_letter_queue() {
    let (dev, bucket) = dev("poison").await;
    // The report endpoint never enqueues poison, so put a bad id through the queue port the
    // way a faulty producer would: a body that does not parse.
    dev_enqueue_raw(&dev, "not json").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let q = queue_json(dev.addr).await;
        if q["dead_letter"].as_array().unwrap().len() == 1 {
            assert_eq!(q["dead_letter"][0]["body"], "not json");
            assert_eq!(q["dead_letter"][0]["receive_count"], 2);
            break;
        }
        assert!(Instant::now() < deadline, "not dead-lettered: {q}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    dev.stop().await.unwrap();
    std::fs::remove_dir_all(bucket).ok();
}

async fn dev_enqueue_raw(dev: &RunningDev, body: &str) {
    dev.enqueue_raw(body).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_errors_and_the_demo_page() {
    let (dev, bucket) = dev("contract").await;
    let addr = dev.addr;
    let (status, _, _) = exchange(addr, post("/logo-misses", "application/xml", None, "{}")).await;
    assert_eq!(status, 415);
    let big = format!(r#"{{"company_ids":["a"]}}{}"#, " ".repeat(9000));
    let (status, _, _) = exchange(addr, post("/logo-misses", "application/json", None, &big)).await;
    assert_eq!(status, 413);
    let (status, _, _) = exchange(
        addr,
        post(
            "/logo-misses",
            "application/json",
            Some("https://elsewhere.example"),
            r#"{"company_ids":["a"]}"#,
        ),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, page) = exchange(addr, get("/")).await;
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(r#"data-company-id="acme""#));
    assert!(page.contains(r#"<script src="/logofill.js""#));
    let (status, head, _) = exchange(addr, get("/logofill.js")).await;
    assert_eq!(status, 200);
    assert!(head.contains("javascript"));
    let (status, _, _) = exchange(addr, get("/logos/../Cargo.toml")).await;
    assert_eq!(status, 404);
    dev.stop().await.unwrap();
    std::fs::remove_dir_all(bucket).ok();
}

/// The dev runner opens loopback to its own address only: its sample sites are fetched, any
/// other local port (another service on this machine) is refused without connecting, and so
/// is a host name, whose port the resolver cannot see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_fetcher_reaches_its_own_sample_sites_and_no_other_loopback_port() {
    use logofill_core::fetch::{FetchError, Fetcher};
    use logofill_testkit::sites::Tripwire;

    let (dev, bucket) = dev("loopback").await;
    let other = Tripwire::start().await;
    let other_port = other.port;

    let settings = logofill_worker::WorkerSettings::with_defaults(
        "dev",
        logofill_worker::DirectorySource::File("sample".into()),
    );
    let fetcher = logofill_dev::sample_site_fetcher(&settings, dev.addr, &[]).unwrap();
    let own = format!("{}/sample-sites/umbrella/logo.svg", dev.origin);
    let fetched = fetcher
        .get(&own)
        .await
        .unwrap_or_else(|e| panic!("{own}: {e}"));
    assert_eq!(fetched.status, 200);

    for url in [
        format!("http://127.0.0.1:{other_port}/logo.png"),
        format!(
            "http://127.0.0.2:{}/sample-sites/umbrella/logo.svg",
            dev.addr.port()
        ),
        format!(
            "http://localhost:{}/sample-sites/umbrella/logo.svg",
            dev.addr.port()
        ),
        format!("http://localhost:{other_port}/logo.png"),
    ] {
        match fetcher.get(&url).await {
            Err(FetchError::Blocked { .. }) => {}
            other => panic!("{url}: expected Blocked, got {other:?}"),
        }
    }
    assert_eq!(
        other.accepted(),
        0,
        "another loopback port was connected to"
    );
    dev.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(bucket);
}

/// Read one response (head and its Content-Length body) without waiting for the connection to
/// close, so the test can go on writing (or not) after it.
async fn read_response(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
) -> (u16, String, serde_json::Value) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end + 4]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .expect("a Content-Length");
                if raw.len() >= end + 4 + length {
                    let body = serde_json::from_slice(&raw[end + 4..end + 4 + length])
                        .unwrap_or_else(|e| panic!("not JSON ({e}): {head}"));
                    return (head[9..12].parse().unwrap(), head, body);
                }
            }
            let n = stream.read(&mut buf).await.expect("read the response");
            assert!(n > 0, "closed before a full response: {raw:?}");
            raw.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an answer before the rest of the body was sent")
}

const REPORT_LIMIT: usize = logofill_core::report::DEFAULT_MAX_BODY_BYTES;
const ONE_MB: usize = 1024 * 1024;

fn assert_json_413(status: u16, head: &str, body: &serde_json::Value, detail_has: &str) {
    assert_eq!(status, 413, "{head}{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert_eq!(body["error"], "body_too_large", "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(detail_has), "{detail}");
    assert!(detail.contains("over the 8192-byte limit"), "{detail}");
}

/// A 1 MB body with a Content-Length is refused from the header: the answer comes before a
/// byte of the body is sent, and the body sent after it is never read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_megabyte_body_gets_the_json_413_before_it_is_read() {
    let (dev, bucket) = dev("body-length").await;
    let mut stream = tokio::net::TcpStream::connect(dev.addr).await.unwrap();
    let head = format!(
        "POST /logo-misses HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {ONE_MB}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, head, body) = read_response(&mut stream).await;
    assert_json_413(status, &head, &body, "body is 1048576 bytes");
    // The rest of the request may be refused by a closed connection; nothing waits for it.
    let _ = stream.write_all(&vec![b' '; ONE_MB]).await;
    drop(stream);

    // The whole 1 MB sent at once by an ordinary client gets the same JSON answer.
    let (status, text) = loop_post(dev.addr, vec![b' '; ONE_MB]).await;
    assert_eq!(status, 413, "{text}");
    assert!(
        text.contains("body_too_large") && text.contains("1048576 bytes"),
        "{text}"
    );
    dev.stop().await.unwrap();
    std::fs::remove_dir_all(bucket).ok();
}

async fn loop_post(addr: SocketAddr, body: Vec<u8>) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/logo-misses"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("an answer to the 1 MB POST");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// A chunked body (no Content-Length) is read up to the limit and one byte more: the answer
/// comes while the client still holds the rest of its 1 MB; a body of exactly the limit is
/// waited for and accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_is_read_no_further_than_one_byte_over_the_limit() {
    let (dev, bucket) = dev("body-chunked").await;
    let head = "POST /logo-misses HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";

    let mut stream = tokio::net::TcpStream::connect(dev.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(&chunk(&vec![b' '; REPORT_LIMIT + 1]))
        .await
        .unwrap();
    let (status, head_text, body) = read_response(&mut stream).await;
    assert_json_413(status, &head_text, &body, "at least 8193 bytes");
    // The other 1 MB - 8193 bytes, and the end of the body, are never needed.
    for _ in 0..(ONE_MB / 65536) {
        if stream.write_all(&chunk(&[b' '; 65536])).await.is_err() {
            break;
        }
    }
    drop(stream);

    // Exactly the limit: the server waits for the end of the body, then serves the report.
    let report = br#"{"company_ids":["acme"]}"#;
    let mut exact = report.to_vec();
    exact.resize(REPORT_LIMIT, b' ');
    let mut stream = tokio::net::TcpStream::connect(dev.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&chunk(&exact)).await.unwrap();
    let mut probe = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), stream.peek(&mut probe)).await;
    assert!(early.is_err(), "no answer before the body ended");
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let (status, _, body) = read_response(&mut stream).await;
    assert_eq!(status, 202, "{body}");
    dev.stop().await.unwrap();
    std::fs::remove_dir_all(bucket).ok();
}
