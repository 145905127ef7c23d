//! `logofill replay` against moto_server: a dead-letter queue filled by a real redrive policy
//! (each message received `maxReceiveCount` times), then every command as an operator runs
//! it: the real `logofill` binary, `--json` output, exit status.
//!
//! Fault injection goes through a TCP proxy between the binary and moto, because moto keeps
//! its queues in memory: stopping the server itself would lose the evidence. Cutting the
//! proxy is the server stopping as the tool sees it; pausing it lets the test delete the
//! target queue between two of the tool's batches, with the target's content counted first.
//! In every case the test counts what is in the DLQ and the target and shows no message is
//! missing.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::{
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName as A,
    SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;
use logofill_testkit::aws::{create_queue, create_queue_with_dlq, sqs_client};
use logofill_testkit::binaries;
use logofill_testkit::moto::{self, MotoServer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

fn body(company: &str, n: usize) -> String {
    format!(
        r#"{{"v":1,"company_id":"{company}","reported_at":"2026-01-02T03:04:{:02}Z","origin":"report"}}"#,
        n % 60
    )
}

/// A message attribute as SQS returns it: data type, string value, binary value.
type Attr = (String, Option<String>, Option<Vec<u8>>);

/// A message as the test sends it and later finds it: body and message attributes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    body: String,
    attributes: BTreeMap<String, Attr>,
}

fn attribute_map(
    attrs: Option<&std::collections::HashMap<String, MessageAttributeValue>>,
) -> BTreeMap<String, Attr> {
    attrs
        .map(|a| {
            a.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        (
                            v.data_type().to_owned(),
                            v.string_value().map(str::to_owned),
                            v.binary_value().map(|b| b.as_ref().to_vec()),
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Send messages (10 per call); `group` gives the FIFO group and dedup id per body.
async fn send_all(
    sqs: &Client,
    url: &str,
    messages: &[(String, Vec<(&str, MessageAttributeValue)>)],
    group: impl Fn(usize) -> Option<(String, String)>,
) {
    for (c, chunk) in messages.chunks(10).enumerate() {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, (body, attrs))| {
                let mut e = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body);
                for (k, v) in attrs {
                    e = e.message_attributes(*k, v.clone());
                }
                if let Some((g, d)) = group(c * 10 + i) {
                    e = e.message_group_id(g).message_deduplication_id(d);
                }
                e.build().unwrap()
            })
            .collect();
        let out = sqs
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("send_message_batch");
        assert!(out.failed().is_empty(), "{:?}", out.failed());
    }
}

/// Receive from the source with a zero visibility timeout until the redrive policy has
/// moved every message to the DLQ.
async fn redrive_all(sqs: &Client, source: &str, dlq: &str, expected: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = sqs
            .receive_message()
            .queue_url(source)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive from source");
        if out.messages().is_empty() && counts(sqs, dlq).await.0 == expected {
            return;
        }
        assert!(Instant::now() < deadline, "redrive did not finish");
    }
}

/// (visible, in flight) of a queue.
async fn counts(sqs: &Client, url: &str) -> (u64, u64) {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::All)
        .send()
        .await
        .expect("get_queue_attributes");
    let attrs = out.attributes().unwrap();
    let get = |n: A| attrs.get(&n).and_then(|v| v.parse().ok()).unwrap_or(0);
    (
        get(A::ApproximateNumberOfMessages),
        get(A::ApproximateNumberOfMessagesNotVisible),
    )
}

/// Every message of a queue (received and deleted), with attributes.
async fn take_all(sqs: &Client, url: &str) -> Vec<(Found, BTreeMap<String, String>)> {
    let mut out = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive");
        if got.messages().is_empty() {
            return out;
        }
        for m in got.messages() {
            let system = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            out.push((
                Found {
                    body: m.body().unwrap_or_default().to_owned(),
                    attributes: attribute_map(m.message_attributes()),
                },
                system,
            ));
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .expect("delete");
        }
    }
}

fn bodies(found: &[(Found, BTreeMap<String, String>)]) -> Vec<String> {
    let mut b: Vec<String> = found.iter().map(|(f, _)| f.body.clone()).collect();
    b.sort();
    b
}

fn logofill_command(endpoint: &str, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::from(binaries::command("logofill"));
    cmd.env_clear()
        .envs(moto::client_env(endpoint))
        .arg("replay")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn logofill(endpoint: &str, args: &[&str]) -> Output {
    logofill_command(endpoint, args)
        .output()
        .await
        .expect("runs logofill")
}

/// Run with `--json`, expect `code`, return the JSON.
async fn logofill_json(endpoint: &str, args: &[&str], code: i32) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = logofill(endpoint, &all).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn plain(bodies: &[String]) -> Vec<(String, Vec<(&'static str, MessageAttributeValue)>)> {
    bodies.iter().map(|b| (b.clone(), Vec::new())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_peek_dry_run_then_move_all() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let (source, dlq) = create_queue_with_dlq(&sqs, "lf-all", 2, 0).await;
    let mut sent: Vec<String> = (0..23).map(|i| body(&format!("co{}", i % 5), i)).collect();
    sent.push("this is not json".into());
    sent.push(r#"{"v":2,"company_id":"acme"}"#.into());
    let mut messages = plain(&sent);
    messages[0].1.push((
        "trace",
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value("t-1")
            .build()
            .unwrap(),
    ));
    send_all(&sqs, &source, &messages, |_| None).await;
    redrive_all(&sqs, &source, &dlq, 25).await;

    let stats = logofill_json(&moto.endpoint, &["stats", "--dlq", &dlq], 0).await;
    assert_eq!(stats["visible"], 25);
    assert_eq!(stats["source_queues"], serde_json::json!([source]));
    assert_eq!(stats["sampled"], 25);
    assert!(stats["oldest_age_secs"].as_u64().is_some());

    let peek = logofill_json(&moto.endpoint, &["peek", "--dlq", &dlq, "--max", "50"], 0).await;
    assert_eq!(peek["messages"].as_array().unwrap().len(), 25);
    assert_eq!(peek["by_company"]["co0"], 5);
    assert_eq!(peek["by_company"]["(unreadable)"], 2);
    assert_eq!(peek["by_reason"]["not JSON"], 1);
    assert_eq!(peek["by_reason"]["unsupported message version"], 1);
    let first = &peek["messages"][0];
    assert!(first["receive_count"].as_u64().unwrap() >= 2, "{first}");
    assert!(first["sent_at"].is_string() && first["first_received_at"].is_string());
    assert_eq!(counts(&sqs, &dlq).await, (25, 0), "peek consumed nothing");

    let text = logofill(&moto.endpoint, &["peek", "--dlq", &dlq, "--max", "3"]).await;
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("by company:") && text.contains("made visible again"),
        "{text}"
    );

    let dry = logofill_json(&moto.endpoint, &["move", "--dlq", &dlq, "--dry-run"], 0).await;
    assert_eq!(dry["would_move"], 25);
    assert_eq!(dry["moved"], 0);
    assert_eq!(dry["planned"].as_array().unwrap().len(), 25);
    assert_eq!(counts(&sqs, &dlq).await, (25, 0), "dry run changed nothing");
    assert_eq!(counts(&sqs, &source).await, (0, 0));

    let moved = logofill_json(&moto.endpoint, &["move", "--dlq", &dlq], 0).await;
    assert_eq!(moved["target"], source.as_str());
    assert_eq!(moved["moved"], 25);
    assert_eq!(moved["failed"], 0);
    assert_eq!(moved["companies"]["co1"]["moved"], 5);
    assert_eq!(moved["stopped"], "drained");
    assert_eq!(counts(&sqs, &dlq).await, (0, 0));
    let back = take_all(&sqs, &source).await;
    let mut expected = sent.clone();
    expected.sort();
    assert_eq!(bodies(&back), expected, "bodies byte for byte");
    let traced = back.iter().find(|(f, _)| f.body == sent[0]).unwrap();
    assert_eq!(
        traced.0.attributes["trace"],
        ("String".to_string(), Some("t-1".to_string()), None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_with_each_filter_and_max() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let (source, dlq) = create_queue_with_dlq(&sqs, "lf-filters", 1, 0).await;
    let old: Vec<String> = ["acme", "acme", "globex", "globex"]
        .iter()
        .enumerate()
        .map(|(i, c)| body(c, i))
        .collect();
    let new: Vec<String> = ["acme", "acme", "initech", "initech"]
        .iter()
        .enumerate()
        .map(|(i, c)| body(c, 10 + i))
        .collect();
    send_all(&sqs, &source, &plain(&old), |_| None).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    send_all(&sqs, &source, &plain(&new), |_| None).await;
    redrive_all(&sqs, &source, &dlq, 8).await;
    let ep = &moto.endpoint;

    let r = logofill_json(
        ep,
        &["move", "--dlq", &dlq, "--company", "globex", "--max", "1"],
        0,
    )
    .await;
    assert_eq!(
        (r["moved"].as_u64(), r["stopped"].as_str()),
        (Some(1), Some("max_reached"))
    );
    assert_eq!(
        counts(&sqs, &dlq).await,
        (7, 0),
        "the rest is visible again"
    );

    let r = logofill_json(
        ep,
        &[
            "move",
            "--dlq",
            &dlq,
            "--company",
            "initech,acme",
            "--newer-than",
            "4s",
        ],
        0,
    )
    .await;
    assert_eq!(r["moved"], 4, "{r}");
    assert_eq!(r["companies"]["initech"]["moved"], 2);
    assert_eq!(r["skip_reasons"]["too old"], 2);
    assert_eq!(r["skip_reasons"]["other company"], 1);

    let r = logofill_json(
        ep,
        &[
            "move",
            "--dlq",
            &dlq,
            "--older-than",
            "4s",
            "--company",
            "globex",
        ],
        0,
    )
    .await;
    assert_eq!(r["moved"], 1, "{r}");
    let r = logofill_json(ep, &["move", "--dlq", &dlq, "--older-than", "4s"], 0).await;
    assert_eq!(r["moved"], 2, "{r}");
    assert_eq!(r["companies"]["acme"]["moved"], 2);
    assert_eq!(counts(&sqs, &dlq).await, (0, 0));

    let mut all: Vec<String> = old.iter().chain(&new).cloned().collect();
    all.sort();
    assert_eq!(bodies(&take_all(&sqs, &source).await), all);

    // Usage errors touch nothing and exit 2.
    let out = logofill(
        ep,
        &[
            "move",
            "--dlq",
            &dlq,
            "--older-than",
            "1h",
            "--newer-than",
            "5m",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("leave no window"));
    let out = logofill(ep, &["move", "--dlq", &dlq, "--older-than", "soon"]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_dlq_into_fifo_source_keeps_groups_and_dedups_reruns() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let (source, dlq) = create_queue_with_dlq(&sqs, "lf-fifo.fifo", 2, 0).await;
    let sent: Vec<String> = (0..6).map(|i| body(&format!("c{i}"), i)).collect();
    // As the report path does: the company id is the dedup id; two groups.
    send_all(&sqs, &source, &plain(&sent), |i| {
        Some((format!("grp{}", i % 2), format!("c{i}")))
    })
    .await;
    redrive_all(&sqs, &source, &dlq, 6).await;
    // A fresh report of c0 with the same dedup id sits in the source: a replay reusing the
    // original dedup id would be dropped as its duplicate.
    send_all(&sqs, &source, &plain(&[body("c0", 59)]), |_| {
        Some(("grp0".into(), "c0".into()))
    })
    .await;

    let dir = std::env::temp_dir().join(format!("logofill-replay-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join("dlq.jsonl");
    let archive = archive.to_str().unwrap();
    let ex = logofill_json(
        &moto.endpoint,
        &["export", "--dlq", &dlq, "--out", archive],
        0,
    )
    .await;
    assert_eq!(ex["exported"], 6);

    let r = logofill_json(&moto.endpoint, &["move", "--dlq", &dlq], 0).await;
    assert_eq!(r["moved"], 6, "{r}");
    assert_eq!(r["target_fifo"], true);
    let run_id = r["run_id"].as_str().unwrap().to_owned();
    assert_eq!(
        counts(&sqs, &source).await.0,
        7,
        "no replay was deduplicated away"
    );

    // The same replay again within the window (the archive holds the same messages): SQS
    // accepts and drops every one as a duplicate.
    let again = logofill_json(
        &moto.endpoint,
        &["import", "--file", archive, "--to", &source],
        0,
    )
    .await;
    assert_eq!(again["sent"], 6);
    assert_eq!(
        counts(&sqs, &source).await.0,
        7,
        "a re-run sent no duplicates"
    );

    let found = take_all(&sqs, &source).await;
    assert_eq!(found.len(), 7);
    let replayed: Vec<_> = found
        .iter()
        .filter(|(_, sys)| sys.get("MessageDeduplicationId").map(String::as_str) != Some("c0"))
        .collect();
    assert_eq!(replayed.len(), 6);
    for (f, sys) in replayed {
        let company: Value = serde_json::from_str(&f.body).unwrap();
        let i: usize = company["company_id"].as_str().unwrap()[1..]
            .parse()
            .unwrap();
        assert_eq!(sys["MessageGroupId"], format!("grp{}", i % 2), "group kept");
        assert!(sys["MessageDeduplicationId"].starts_with(&format!("{run_id}-")));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_import_round_trip_is_byte_identical() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let (source, dlq) = create_queue_with_dlq(&sqs, "lf-archive", 1, 0).await;
    let mut messages = plain(&[
        r#"{"v":1, "company_id":"acme" ,"reported_at":"2026-01-02T03:04:05Z","origin":"backfill","note":"héllo\t✓"}"#.to_string(),
        // Valid to the worker's parser (import checks that), but every byte matters: an
        // unknown field of markup and an emoji, then CR LF, a space and a tab after the JSON.
        "{\"v\":1,\"company_id\":\"umbrella\",\"reported_at\":\"2026-01-02T03:04:05Z\",\"origin\":\"replay\",\"x\":\"<not-json> &amp; \u{1F600}\"}\r\n \t ".to_string(),
        body("globex", 1),
        body("initech", 2),
    ]);
    let attr = |t: &str, s: Option<&str>, b: Option<&[u8]>| {
        MessageAttributeValue::builder()
            .data_type(t)
            .set_string_value(s.map(str::to_owned))
            .set_binary_value(b.map(Blob::new))
            .build()
            .unwrap()
    };
    messages[0]
        .1
        .push(("trace", attr("String", Some("ünï \"q\""), None)));
    messages[0]
        .1
        .push(("attempt", attr("Number", Some("3"), None)));
    messages[1]
        .1
        .push(("blob", attr("Binary", None, Some(&[0, 1, 2, 255, 10]))));
    messages[2]
        .1
        .push(("kind", attr("String.custom", Some("x"), None)));
    send_all(&sqs, &source, &messages, |_| None).await;
    redrive_all(&sqs, &source, &dlq, 4).await;

    let dir = std::env::temp_dir().join(format!("logofill-replay-archive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dlq.jsonl");
    let file = file.to_str().unwrap();
    let ex = logofill_json(
        &moto.endpoint,
        &["export", "--dlq", &dlq, "--out", file, "--delete"],
        0,
    )
    .await;
    assert_eq!(
        (ex["exported"].as_u64(), ex["deleted"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(counts(&sqs, &dlq).await, (0, 0));
    assert_eq!(std::fs::read_to_string(file).unwrap().lines().count(), 4);
    // An archive is never overwritten.
    let out = logofill(&moto.endpoint, &["export", "--dlq", &dlq, "--out", file]).await;
    assert_eq!(out.status.code(), Some(2));

    let target = create_queue(&sqs, "lf-archive-restored").await;
    let im = logofill_json(
        &moto.endpoint,
        &["import", "--file", file, "--to", &target],
        0,
    )
    .await;
    assert_eq!(im["sent"], 4);
    let mut got: Vec<Found> = take_all(&sqs, &target)
        .await
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    let mut want: Vec<Found> = messages
        .iter()
        .map(|(b, attrs)| Found {
            body: b.clone(),
            attributes: attrs
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        (
                            v.data_type().to_owned(),
                            v.string_value().map(str::to_owned),
                            v.binary_value().map(|b| b.as_ref().to_vec()),
                        ),
                    )
                })
                .collect(),
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);

    // A body the worker cannot read is refused before anything is sent, naming its line.
    let poison = dir.join("poison.jsonl");
    let good = std::fs::read_to_string(file).unwrap();
    let first = good.lines().next().unwrap();
    let mut bad: Value = serde_json::from_str(first).unwrap();
    bad["body"] = "<not-json>".into();
    std::fs::write(&poison, format!("{first}\n\n{bad}\n")).unwrap();
    let out = logofill(
        &moto.endpoint,
        &[
            "import",
            "--file",
            poison.to_str().unwrap(),
            "--to",
            &target,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("poison.jsonl line 3: message") && stderr.contains("not JSON"),
        "{stderr}"
    );
    assert_eq!(counts(&sqs, &target).await, (0, 0), "nothing was sent");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A TCP proxy the test can pause (no bytes forwarded to the server) and cut (every
/// connection dropped, new ones refused).
struct Proxy {
    endpoint: String,
    paused: watch::Sender<bool>,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let (paused, gate) = watch::channel(false);
        let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let registry = tasks.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let up = tokio::spawn(pump(cr, sw, Some(gate.clone())));
                let down = tokio::spawn(pump(sr, cw, None));
                let mut r = registry.lock().unwrap();
                r.push(up.abort_handle());
                r.push(down.abort_handle());
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        Proxy {
            endpoint,
            paused,
            tasks,
        }
    }

    fn pause(&self, on: bool) {
        self.paused.send_replace(on);
    }

    fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut gate: Option<watch::Receiver<bool>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some(g) = &mut gate {
            if g.wait_for(|paused| !*paused).await.is_err() {
                return;
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A DLQ of `n` readable messages, filled through the redrive policy.
async fn filled(sqs: &Client, name: &str, n: usize) -> (String, String, Vec<String>) {
    let (source, dlq) = create_queue_with_dlq(sqs, name, 1, 0).await;
    let sent: Vec<String> = (0..n).map(|i| body(&format!("c{i}"), i)).collect();
    send_all(sqs, &source, &plain(&sent), |_| None).await;
    redrive_all(sqs, &source, &dlq, n as u64).await;
    (source, dlq, sent)
}

async fn wait_for_target(sqs: &Client, target: &str, at_least: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while counts(sqs, target).await.0 < at_least {
        assert!(Instant::now() < deadline, "the move did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every sent body is in `found` (DLQ and target together).
fn assert_none_missing(sent: &[String], found: &[String]) {
    let present: BTreeSet<&String> = found.iter().collect();
    let missing: Vec<&String> = sent.iter().filter(|b| !present.contains(b)).collect();
    assert!(missing.is_empty(), "missing messages: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_deleted_mid_run_loses_nothing() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let (source, dlq, sent) = filled(&sqs, "lf-gone", 60).await;
    let proxy = Proxy::start(moto.port).await;
    let child = logofill_command(
        &proxy.endpoint,
        &[
            "move",
            "--dlq",
            &dlq,
            "--to",
            &source,
            "--rate",
            "20",
            "--visibility-timeout",
            "2",
        ],
    )
    .spawn()
    .unwrap();
    wait_for_target(&sqs, &source, 10).await;
    // Between two batches: count the target, then delete it.
    proxy.pause(true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let in_target = take_all(&sqs, &source).await;
    sqs.delete_queue().queue_url(&source).send().await.unwrap();
    proxy.pause(false);
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("NonExistentQueue") || stderr.contains("QueueDoesNotExist"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sqs:SendMessage to") && stderr.contains(&source),
        "{stderr}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await; // anything still hidden shows again
    let in_dlq = take_all(&sqs, &dlq).await;
    assert!(!in_target.is_empty() && !in_dlq.is_empty());
    let mut all = bodies(&in_target);
    all.extend(bodies(&in_dlq));
    assert_none_missing(&sent, &all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stopped_mid_run_loses_nothing() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let (source, dlq, sent) = filled(&sqs, "lf-stop", 60).await;
    let proxy = Proxy::start(moto.port).await;
    let child = logofill_command(
        &proxy.endpoint,
        &[
            "move",
            "--dlq",
            &dlq,
            "--to",
            &source,
            "--rate",
            "20",
            "--visibility-timeout",
            "2",
        ],
    )
    .spawn()
    .unwrap();
    wait_for_target(&sqs, &source, 10).await;
    proxy.cut();
    let out = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("the tool gives up on a dead server")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("re-run"), "{stderr}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut all = bodies(&take_all(&sqs, &source).await);
    let in_dlq = take_all(&sqs, &dlq).await;
    assert!(!in_dlq.is_empty());
    all.extend(bodies(&in_dlq));
    assert_none_missing(&sent, &all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_finishes_the_batch_then_stops_with_the_tally() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let (source, dlq, sent) = filled(&sqs, "lf-sigint", 60).await;
    let child = logofill_command(
        &moto.endpoint,
        &["move", "--dlq", &dlq, "--rate", "20", "--json"],
    )
    .spawn()
    .unwrap();
    wait_for_target(&sqs, &source, 10).await;
    let pid = child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("finishing the batch in flight"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stopped"], "interrupted");
    let moved = report["moved"].as_u64().unwrap();
    assert!((10..60).contains(&moved), "{report}");
    // Nothing held back: the DLQ and the target split the messages exactly.
    let in_target = bodies(&take_all(&sqs, &source).await);
    let in_dlq = bodies(&take_all(&sqs, &dlq).await);
    assert_eq!(in_target.len() as u64, moved);
    assert_eq!(in_target.len() + in_dlq.len(), sent.len());
    let mut all = in_target;
    all.extend(in_dlq);
    assert_none_missing(&sent, &all);
}

/// Characters a terminal acts on instead of showing (the CLI's `terminal::is_unsafe`), apart
/// from the newlines between lines.
fn has_terminal_controls(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peek_and_stats_print_message_text_escaped() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let dlq = create_queue(&sqs, "lf-hostile-dlq").await;
    // What SQS lets through: CR, tab, C1 (U+009B is CSI to an 8-bit terminal), NEL, bidi.
    let hostile = "ok\r\u{9b}2J\u{85}\tFAIL\u{202e}gpj.exe\u{2066}";
    let mut messages = plain(&[body("acme", 1), format!("not json {hostile}")]);
    messages[0].1.push((
        "note",
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(hostile)
            .build()
            .unwrap(),
    ));
    send_all(&sqs, &dlq, &messages, |_| None).await;

    for args in [
        vec!["peek", "--dlq", dlq.as_str(), "--max", "5"],
        vec!["stats", "--dlq", dlq.as_str()],
    ] {
        let out = logofill(&moto.endpoint, &args).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!has_terminal_controls(&stdout), "{args:?}: {stdout:?}");
        assert!(!has_terminal_controls(&stderr), "{args:?}: {stderr:?}");
        if args[0] == "peek" {
            assert!(
                stdout.contains(r"note: ok\r\u{9b}2J\u{85}\tFAIL\u{202e}gpj.exe\u{2066}"),
                "{stdout}"
            );
        }
    }

    // JSON: the same characters as \u escapes; the document still holds the exact value.
    let out = logofill(&moto.endpoint, &["peek", "--dlq", &dlq, "--json"]).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!has_terminal_controls(&stdout), "{stdout:?}");
    let peek: Value = serde_json::from_str(&stdout).unwrap();
    let noted = peek["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["company_id"] == "acme")
        .unwrap();
    assert_eq!(
        noted["message_attributes"]["note"],
        format!("{hostile} (String)")
    );
}
