//! The real `logofill-worker` binary, run as Lambda runs it: SQS events from a real queue
//! (moto_server) handed over the Runtime API, S3 through `AWS_ENDPOINT_URL`, logo sources on a
//! loopback fixture site (opted in with LOGOFILL_ALLOW_LOOPBACK_SOURCES=1).

use std::process::{Command, Stdio};
use std::time::Duration;

use logofill_tests::*;
use serde_json::Value;

const SVG_LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#c33"/></svg>"##;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_turns_a_batch_into_objects_and_a_partial_failure() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let s3 = s3_client(&moto.endpoint).await;
    create_bucket(&s3, "logos").await;
    let (queue, _) = create_queue_with_dlq(&sqs, "logofill-worker-e2e", 5, 30).await;
    let site = FixtureSite::start().await;
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
    let mut child = Command::new(workspace_binary("logofill-worker"))
        .env_clear()
        .envs(runtime.lambda_env("logofill-worker"))
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("LOGOFILL_BUCKET", "logos")
        .env(
            "LOGOFILL_DIRECTORY",
            format!("file://{}", directory.display()),
        )
        .env("LOGOFILL_ALLOW_LOOPBACK_SOURCES", "1")
        .stdin(Stdio::null())
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

    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let emf: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect();
    assert_eq!(emf.len(), 1, "{stdout}");
    assert_eq!(emf[0]["stored"], 1.0);
    assert_eq!(emf[0]["unknown_company"], 1.0);
    assert_eq!(emf[0]["poison"], 1.0);
    assert!(
        stdout.contains("\"company_id\":\"acme\""),
        "logs carry the company id: {stdout}"
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
            "logos/acme/64.webp"
        ]
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_variable() {
    let output = Command::new(workspace_binary("logofill-worker"))
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
