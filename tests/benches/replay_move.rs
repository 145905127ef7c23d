//! Messages per second of `logofill replay move` against moto_server, next to a bare batched
//! receive/send/delete loop written with the SDK here, on the same server in the same run.
//! The bare loop is the ceiling for a sequential mover: any cost the tool adds (parsing
//! bodies for the per-company tally, the hold/seen bookkeeping, process start-up, the SDK
//! client from the standard chain) shows as the gap. Target: the tool at 90% or more of it.
//!
//! Runs alternate (tool, loop, tool, loop, ...) on fresh, freshly filled queues each time, so a
//! server that slows as it ages hurts both the same. Both stop after exactly N messages.
//! `LOGOFILL_BENCH_MESSAGES` (default 1000) and `LOGOFILL_BENCH_ROUNDS` (default 3) tune it.
//! Run with `make bench-replay` (it builds the release binary first).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;
use logofill_testkit::aws::{create_queue_with_dlq, sqs_client};
use logofill_testkit::binaries;
use logofill_testkit::moto::{self, MotoServer};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Put `n` v1 messages straight into the DLQ (four senders at once).
async fn fill(sqs: &Client, dlq: &str, n: usize) {
    let mut tasks = Vec::new();
    for part in 0..4 {
        let sqs = sqs.clone();
        let dlq = dlq.to_owned();
        tasks.push(tokio::spawn(async move {
            let ids: Vec<usize> = (0..n).filter(|i| i % 4 == part).collect();
            for chunk in ids.chunks(10) {
                let entries = chunk
                    .iter()
                    .enumerate()
                    .map(|(j, i)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(j.to_string())
                            .message_body(format!(
                                r#"{{"v":1,"company_id":"company-{}","reported_at":"2026-01-02T03:04:05.678Z","origin":"report"}}"#,
                                i % 500
                            ))
                            .build()
                            .unwrap()
                    })
                    .collect();
                sqs.send_message_batch()
                    .queue_url(&dlq)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .expect("fill");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// The bare loop: receive 10, send them, delete what was sent. Message attributes are
/// asked for and copied, as any mover that keeps them must.
async fn raw_move(sqs: &Client, dlq: &str, target: &str, n: usize) -> usize {
    let mut moved = 0;
    while moved < n {
        let out = sqs
            .receive_message()
            .queue_url(dlq)
            .max_number_of_messages((n - moved).min(10) as i32)
            .wait_time_seconds(2)
            .visibility_timeout(120)
            .message_attribute_names("All")
            .send()
            .await
            .expect("receive");
        let messages = out.messages();
        if messages.is_empty() {
            break;
        }
        let entries = messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(m.body().unwrap_or_default())
                    .set_message_attributes(m.message_attributes().cloned())
                    .build()
                    .unwrap()
            })
            .collect();
        let sent = sqs
            .send_message_batch()
            .queue_url(target)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("send");
        let ok: Vec<&str> = sent.successful().iter().map(|s| s.id()).collect();
        let deletes = messages
            .iter()
            .enumerate()
            .filter(|(i, _)| ok.contains(&i.to_string().as_str()))
            .map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle().unwrap())
                    .build()
                    .unwrap()
            })
            .collect();
        sqs.delete_message_batch()
            .queue_url(dlq)
            .set_entries(Some(deletes))
            .send()
            .await
            .expect("delete");
        moved += ok.len();
    }
    moved
}

fn tool_move(endpoint: &str, dlq: &str, target: &str, n: usize) -> usize {
    let out = binaries::command("logofill")
        .env_clear()
        .envs(moto::client_env(endpoint))
        .args(["replay", "move", "--dlq", dlq, "--to", target, "--json"])
        .args(["--max", &n.to_string()])
        .output()
        .expect("runs logofill");
    assert!(
        out.status.success(),
        "logofill replay move: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    report["moved"].as_u64().unwrap() as usize
}

fn rate(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = env_or("LOGOFILL_BENCH_MESSAGES", 1000);
    let rounds = env_or("LOGOFILL_BENCH_ROUNDS", 3);
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let mut results: HashMap<&str, Vec<f64>> = HashMap::new();
    println!("replay move: {n} messages per run, {rounds} rounds, moto_server on loopback");
    for round in 1..=rounds {
        for which in ["logofill replay move", "raw SDK loop"] {
            // Fresh queues per run (SQS allows one purge a minute per queue).
            let name = format!("bench-{round}-{}", which.len());
            let (target, dlq) = create_queue_with_dlq(&sqs, &name, 5, 30).await;
            fill(&sqs, &dlq, n).await;
            let started = Instant::now();
            let moved = if which == "raw SDK loop" {
                raw_move(&sqs, &dlq, &target, n).await
            } else {
                let (endpoint, dlq, target) = (moto.endpoint.clone(), dlq.clone(), target.clone());
                tokio::task::spawn_blocking(move || tool_move(&endpoint, &dlq, &target, n))
                    .await
                    .unwrap()
            };
            let took = started.elapsed();
            assert_eq!(moved, n, "{which} moved {moved} of {n}");
            let r = rate(n, took);
            println!("  round {round}: {which:<22} {r:>8.1} msg/s ({took:.2?})");
            results.entry(which).or_default().push(r);
        }
    }
    let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    let tool = mean(&results["logofill replay move"]);
    let raw = mean(&results["raw SDK loop"]);
    println!("mean: logofill replay move {tool:.1} msg/s, raw SDK loop {raw:.1} msg/s");
    println!(
        "ratio tool/raw: {:.2} (target >= 0.90){}",
        tool / raw,
        if tool / raw >= 0.90 {
            ""
        } else {
            "  BELOW TARGET"
        }
    );
}
