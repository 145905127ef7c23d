//! The real `logofill-worker` binary, run as Lambda runs it: SQS events from a real queue
//! (moto_server) handed over the Runtime API, S3 through `AWS_ENDPOINT_URL`, logo sources on a
//! loopback fixture site (opted in with LOGOFILL_ALLOW_LOOPBACK_SOURCES=1).

use std::process::Stdio;
use std::time::Duration;

use logofill_testkit::aws::{
    create_bucket, create_distribution, create_queue_with_dlq, receive_as_lambda_event, s3_client,
    sqs_client,
};
use logofill_testkit::lambda_runtime::FakeLambdaRuntime;
use logofill_testkit::moto::MotoServer;
use logofill_testkit::sites::{FixtureSite, Page};
use logofill_testkit::{binaries, free_port};
use serde_json::Value;

const SVG_LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#c33"/><circle cx="60" cy="20" r="12" fill="#fff"/></svg>"##;

/// Stops the worker and returns its stdout with the EMF metric lines found in it.
fn stop_and_read_metrics(mut child: std::process::Child) -> (String, Vec<Value>) {
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let emf = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect();
    (stdout, emf)
}

/// moto with a `logos` bucket and a queue with its DLQ, and an empty fixture site.
async fn stack(
    queue_name: &str,
) -> (
    MotoServer,
    aws_sdk_sqs::Client,
    aws_sdk_s3::Client,
    String,
    FixtureSite,
) {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let s3 = s3_client(&moto.endpoint).await;
    create_bucket(&s3, "logos").await;
    let (queue, _) = create_queue_with_dlq(&sqs, queue_name, 5, 30).await;
    (moto, sqs, s3, queue, FixtureSite::start().await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_turns_a_batch_into_objects_and_a_partial_failure() {
    let (moto, sqs, s3, queue, site) = stack("logofill-worker-e2e").await;
    site.page("/logo.svg", Page::ok("image/svg+xml", SVG_LOGO));
    let dir = std::env::temp_dir().join(format!("logofill-worker-bin-{}", free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let directory = dir.join("companies.jsonl");
    std::fs::write(
        &directory,
        format!(
            "{}\n",
            serde_json::json!({"id": "acme", "name": "Acme", "logo_url": site.url("/logo.svg")})
        ),
    )
    .unwrap();
    for body in [
        r#"{"v":1,"company_id":"acme","reported_at":"2026-11-25T10:00:00Z","origin":"report"}"#,
        r#"{"v":1,"company_id":"nobody","reported_at":"2026-11-25T10:00:00Z","origin":"backfill"}"#,
        r#"{"v":9}"#,
    ] {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let event = receive_as_lambda_event(&sqs, &queue).await;
    assert_eq!(event["Records"].as_array().unwrap().len(), 3);

    let runtime = FakeLambdaRuntime::start().await;
    let child = runtime
        .worker_command(
            &binaries::path("logofill-worker"),
            &moto.endpoint,
            &directory,
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logofill-worker");
    let id = runtime.invoke(event.to_string());
    let answer = runtime
        .answer(&id, Duration::from_secs(60))
        .await
        .expect("handler answered");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let poison_id = event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["body"] == r#"{"v":9}"#)
        .unwrap()["messageId"]
        .clone();
    assert_eq!(
        answer["batchItemFailures"],
        serde_json::json!([{"itemIdentifier": poison_id}])
    );

    let (stdout, emf) = stop_and_read_metrics(child);
    assert_eq!(emf.len(), 1, "{stdout}");
    assert_eq!(emf[0]["stored"], 1.0);
    assert_eq!(emf[0]["unknown_company"], 1.0);
    assert_eq!(emf[0]["poison"], 1.0);
    assert!(
        stdout.contains("\"company_id\":\"acme\""),
        "logs carry the company id: {stdout}"
    );

    let refresh_key = format!(
        "refresh/due/{}/acme",
        (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d")
    );
    let listed = s3.list_objects_v2().bucket("logos").send().await.unwrap();
    let mut keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "logos/acme/128.png",
            "logos/acme/128.webp",
            "logos/acme/256.png",
            "logos/acme/256.webp",
            "logos/acme/64.png",
            "logos/acme/64.webp",
            // Filed for the scheduled refresh, 30 days on.
            refresh_key.as_str(),
            // The shared-source index entry of the stored source (sha256 of SVG_LOGO).
            "sources/86173723a7361e19983e398957519e36aafddb2aa56d42e5b89e56eec816a8e8"
        ]
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placeholder_upgraded_to_a_logo_is_invalidated_on_the_cdn() {
    let (moto, sqs, s3, queue, site) = stack("logofill-worker-cdn").await;
    site.page("/logo.svg", Page::ok("image/svg+xml", SVG_LOGO));
    let cloudfront =
        logofill_aws::cloudfront_client(&logofill_aws::local_sdk_config(&moto.endpoint).await);
    let distribution = create_distribution(&cloudfront).await;
    // A stale placeholder set (refresh after 0 s): the report finds a logo and replaces it.
    s3.put_object()
        .bucket("logos")
        .key("logos/acme/256.png")
        .body(b"placeholder".to_vec().into())
        .metadata("kind", "placeholder")
        .metadata("reason", "no-logo")
        .send()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("logofill-worker-cdn-{}", free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let directory = dir.join("companies.jsonl");
    let record =
        serde_json::json!({"id": "acme", "name": "Acme", "logo_url": site.url("/logo.svg")});
    std::fs::write(&directory, format!("{record}\n")).unwrap();
    sqs.send_message()
        .queue_url(&queue)
        .message_body(
            r#"{"v":1,"company_id":"acme","reported_at":"2026-11-25T10:00:00Z","origin":"report"}"#,
        )
        .send()
        .await
        .unwrap();
    let event = receive_as_lambda_event(&sqs, &queue).await;

    let runtime = FakeLambdaRuntime::start().await;
    let child = runtime
        .worker_command(
            &binaries::path("logofill-worker"),
            &moto.endpoint,
            &directory,
        )
        .env("LOGOFILL_CDN_DISTRIBUTION_ID", &distribution)
        .env("LOGOFILL_PLACEHOLDER_REFRESH_SECS", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logofill-worker");
    let id = runtime.invoke(event.to_string());
    let answer = runtime
        .answer(&id, Duration::from_secs(60))
        .await
        .expect("handler answered");
    let (stdout, emf) = stop_and_read_metrics(child);
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap()["batchItemFailures"],
        serde_json::json!([])
    );
    assert_eq!(emf[0]["stored"], 1.0, "{stdout}");

    let listed = cloudfront
        .list_invalidations()
        .distribution_id(&distribution)
        .send()
        .await
        .unwrap();
    let items = listed
        .invalidation_list()
        .map(|l| l.items())
        .unwrap_or_default();
    assert_eq!(
        items.len(),
        1,
        "one invalidation for the invocation: {stdout}"
    );
    let one = cloudfront
        .get_invalidation()
        .distribution_id(&distribution)
        .id(items[0].id())
        .send()
        .await
        .unwrap();
    let paths = one
        .invalidation()
        .and_then(|i| i.invalidation_batch())
        .and_then(|b| b.paths())
        .map(|p| p.items().to_vec())
        .unwrap_or_default();
    assert_eq!(paths, ["/logos/acme/*"]);
    std::fs::remove_dir_all(dir).ok();
}

/// An SVG that passes the byte and node limits and asks for a morphology over a huge radius:
/// without a check it renders for minutes. Refused by the SVG checks, or ended by the render
/// budget; either way only its record is affected.
const HOSTILE_SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="2000"><filter id="f" x="0" y="0" width="1" height="1"><feMorphology operator="dilate" radius="900 900"/></filter><rect width="2000" height="2000" fill="red" filter="url(#f)"/></svg>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hostile_record_costs_its_own_render_budget_and_nothing_else() {
    let (moto, sqs, s3, queue, site) = stack("logofill-worker-hostile").await;
    site.page("/logo.svg", Page::ok("image/svg+xml", SVG_LOGO));
    site.page("/hostile.svg", Page::ok("image/svg+xml", HOSTILE_SVG));
    let dir = std::env::temp_dir().join(format!("logofill-worker-hostile-{}", free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let directory = dir.join("companies.jsonl");
    let mut lines = String::new();
    let ids = ["good-1", "good-2", "evil", "good-3", "good-4"];
    for id in ids {
        let path = if id == "evil" {
            "/hostile.svg"
        } else {
            "/logo.svg"
        };
        lines.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": id, "name": id, "logo_url": site.url(path)})
        ));
    }
    std::fs::write(&directory, lines).unwrap();
    for id in ids {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(format!(
                r#"{{"v":1,"company_id":"{id}","reported_at":"2026-12-01T10:00:00Z","origin":"report"}}"#
            ))
            .send()
            .await
            .unwrap();
    }
    let event = receive_as_lambda_event(&sqs, &queue).await;
    assert_eq!(event["Records"].as_array().unwrap().len(), 5);

    let render_timeout = Duration::from_millis(1500);
    let runtime = FakeLambdaRuntime::start().await;
    let child = runtime
        .worker_command(
            &binaries::path("logofill-worker"),
            &moto.endpoint,
            &directory,
        )
        .env(
            "LOGOFILL_RENDER_TIMEOUT_MS",
            render_timeout.as_millis().to_string(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logofill-worker");
    // Let the worker start its render helper before the clock starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let id = runtime.invoke(event.to_string());
    let answer = runtime
        .answer(&id, Duration::from_secs(60))
        .await
        .expect("handler answered");
    let took = started.elapsed();
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["batchItemFailures"], serde_json::json!([]));
    // Four small SVG renders of a debug build and S3 round trips, plus at most one budget.
    assert!(
        took < render_timeout + Duration::from_secs(10),
        "the batch took {took:?}"
    );

    let (stdout, emf) = stop_and_read_metrics(child);
    assert_eq!(emf.len(), 1, "{stdout}");
    assert_eq!(emf[0]["stored"], 4.0, "{stdout}");
    assert_eq!(emf[0]["placeholder"], 1.0, "{stdout}");

    let evil_line = stdout
        .lines()
        .find(|l| l.contains("\"company_id\":\"evil\"") && l.contains("record done"))
        .unwrap_or_else(|| panic!("no outcome line for the hostile record: {stdout}"));
    assert!(
        evil_line.contains("budget_exceeded") || evil_line.contains(" limit"),
        "the hostile record's placeholder names the budget or the SVG limit: {evil_line}"
    );
    // A helper is lost only when the render budget, not an SVG check, ended the render.
    let over_budget = if evil_line.contains("budget_exceeded") {
        1.0
    } else {
        0.0
    };
    assert_eq!(emf[0]["render_budget_exceeded"], over_budget, "{stdout}");
    let evil = s3
        .head_object()
        .bucket("logos")
        .key("logos/evil/256.png")
        .send()
        .await
        .unwrap();
    assert_eq!(
        evil.metadata()
            .and_then(|m| m.get("kind"))
            .map(String::as_str),
        Some("placeholder")
    );
    for good in ["good-1", "good-2", "good-3", "good-4"] {
        let head = s3
            .head_object()
            .bucket("logos")
            .key(format!("logos/{good}/256.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.metadata()
                .and_then(|m| m.get("kind"))
                .map(String::as_str),
            Some("logo"),
            "{good}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_variable() {
    let output = binaries::command("logofill-worker")
        .env_clear()
        .env("LOGOFILL_BUCKET", "logos")
        .env("LOGOFILL_DIRECTORY", "companies.jsonl")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("LOGOFILL_DIRECTORY=\"companies.jsonl\" is not valid"),
        "{stderr}"
    );
}

/// The objects' ETags (their bytes), sorted by key, and the sentinel's metadata.
async fn objects_of(
    s3: &aws_sdk_s3::Client,
) -> (
    Vec<(String, String)>,
    std::collections::HashMap<String, String>,
) {
    let listed = s3
        .list_objects_v2()
        .bucket("logos")
        .prefix("logos/")
        .send()
        .await
        .unwrap();
    let mut etags: Vec<(String, String)> = listed
        .contents()
        .iter()
        .map(|o| {
            (
                o.key().unwrap_or_default().to_string(),
                o.e_tag().unwrap_or_default().to_string(),
            )
        })
        .collect();
    etags.sort();
    let head = s3
        .head_object()
        .bucket("logos")
        .key("logos/acme/256.png")
        .send()
        .await
        .unwrap();
    (etags, head.metadata().cloned().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_set_outlives_a_report_and_a_refresh_and_an_unchanged_logo_is_not_invalidated() {
    let (moto, sqs, s3, queue, site) = stack("logofill-worker-refresh").await;
    site.page("/logo.svg", Page::ok("image/svg+xml", SVG_LOGO));
    let cloudfront =
        logofill_aws::cloudfront_client(&logofill_aws::local_sdk_config(&moto.endpoint).await);
    let distribution = create_distribution(&cloudfront).await;
    let dir = std::env::temp_dir().join(format!("logofill-worker-refresh-{}", free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let directory = dir.join("companies.jsonl");
    let mut lines = String::new();
    for id in ["acme", "initech"] {
        let record = serde_json::json!({"id": id, "name": id, "logo_url": site.url("/logo.svg")});
        lines.push_str(&format!("{record}\n"));
    }
    std::fs::write(&directory, lines).unwrap();
    // acme: an operator's set, pinned.
    s3.put_object()
        .bucket("logos")
        .key("logos/acme/256.png")
        .body(b"the operator's logo".to_vec().into())
        .metadata("kind", "manual")
        .metadata("pinned", "true")
        .send()
        .await
        .unwrap();

    let runtime = FakeLambdaRuntime::start().await;
    let child = runtime
        .worker_command(
            &binaries::path("logofill-worker"),
            &moto.endpoint,
            &directory,
        )
        .env("LOGOFILL_CDN_DISTRIBUTION_ID", &distribution)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logofill-worker");
    let invoke = |bodies: Vec<String>| {
        let sqs = sqs.clone();
        let queue = queue.clone();
        let runtime = &runtime;
        async move {
            for body in bodies {
                sqs.send_message()
                    .queue_url(&queue)
                    .message_body(body)
                    .send()
                    .await
                    .unwrap();
            }
            let event = receive_as_lambda_event(&sqs, &queue).await;
            let id = runtime.invoke(event.to_string());
            let answer = runtime
                .answer(&id, Duration::from_secs(60))
                .await
                .expect("handler answered");
            assert_eq!(
                serde_json::from_str::<Value>(&answer).unwrap()["batchItemFailures"],
                serde_json::json!([])
            );
        }
    };
    let body = |id: &str, origin: &str| {
        format!(
            r#"{{"v":1,"company_id":"{id}","reported_at":"2026-12-02T10:00:00Z","origin":"{origin}"}}"#
        )
    };
    let before = objects_of(&s3).await;
    invoke(vec![body("acme", "report"), body("acme", "refresh")]).await;
    assert_eq!(objects_of(&s3).await, before, "the pinned set is untouched");

    // initech: stored by a report, then refreshed on its due day with the same source.
    invoke(vec![body("initech", "report")]).await;
    let key = "logos/initech/256.png";
    let stored = s3
        .head_object()
        .bucket("logos")
        .key(key)
        .send()
        .await
        .unwrap();
    let mut metadata = stored.metadata().cloned().unwrap_or_default();
    let filed = format!("refresh/due/{}/initech", metadata["refresh-due"]);
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    metadata.insert("refresh-due".into(), today);
    s3.copy_object()
        .bucket("logos")
        .key(key)
        .copy_source(format!("logos/{key}"))
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .set_metadata(Some(metadata))
        .content_type("image/png")
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket("logos")
        .key(&filed)
        .send()
        .await
        .unwrap();
    let etags = |all: &[(String, String)]| -> Vec<(String, String)> {
        all.iter()
            .filter(|(k, _)| k.starts_with("logos/initech/"))
            .cloned()
            .collect()
    };
    let listed_before = etags(&objects_of(&s3).await.0);
    invoke(vec![body("initech", "refresh")]).await;
    assert_eq!(
        etags(&objects_of(&s3).await.0),
        listed_before,
        "no image rewritten"
    );
    let after = s3
        .head_object()
        .bucket("logos")
        .key(key)
        .send()
        .await
        .unwrap();
    assert!(after.metadata().unwrap().contains_key("checked-at"));
    assert!(
        s3.head_object()
            .bucket("logos")
            .key(&filed)
            .send()
            .await
            .is_ok(),
        "filed again for its next look"
    );

    let (stdout, emf) = stop_and_read_metrics(child);
    let total = |name: &str| {
        emf.iter()
            .map(|m| m[name].as_f64().unwrap_or(0.0))
            .sum::<f64>()
    };
    assert_eq!(total("already_present"), 2.0, "{stdout}");
    assert_eq!(total("stored"), 1.0, "{stdout}");
    assert_eq!(total("unchanged"), 1.0, "{stdout}");
    let listed = cloudfront
        .list_invalidations()
        .distribution_id(&distribution)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.invalidation_list().map_or(0, |l| l.items().len()),
        0,
        "nothing replaced, nothing invalidated: {stdout}"
    );
    std::fs::remove_dir_all(dir).ok();
}
