//! The dev server over real HTTP on loopback: same contract as the Lambda.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn start() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = logofill_dev::router(&format!("http://{addr}"));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// One HTTP/1.1 exchange; returns (status, raw response).
async fn exchange(addr: SocketAddr, request: String) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let status = raw[9..12].parse().unwrap();
    (status, raw)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_accepted_and_shown_in_the_queue() {
    let addr = start().await;
    let own_origin = format!("http://{addr}");
    let (status, raw) = exchange(
        addr,
        post(
            "/logo-misses",
            "text/plain",
            Some(&own_origin),
            r#"{"company_ids":["acme","acme"]}"#,
        ),
    )
    .await;
    assert_eq!(status, 202, "{raw}");
    assert!(raw.ends_with(r#"{"duplicates":1,"enqueued":1}"#), "{raw}");
    assert!(
        raw.to_ascii_lowercase()
            .contains(&format!("access-control-allow-origin: {own_origin}")),
        "{raw}"
    );

    let (status, raw) = exchange(
        addr,
        "GET /dev/queue HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(raw.contains(r#""company_id":"acme""#), "{raw}");
    assert!(raw.contains(r#""origin":"report""#), "{raw}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_errors_come_through() {
    let addr = start().await;
    let (status, raw) = exchange(addr, post("/logo-misses", "application/xml", None, "{}")).await;
    assert_eq!(status, 415, "{raw}");
    let big = format!(r#"{{"company_ids":["a"]}}{}"#, " ".repeat(9000));
    let (status, raw) = exchange(addr, post("/logo-misses", "application/json", None, &big)).await;
    assert_eq!(status, 413, "{raw}");
    let (status, _) = exchange(
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
    let (status, _) = exchange(
        addr,
        "DELETE /logo-misses HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert_eq!(status, 405);
}
