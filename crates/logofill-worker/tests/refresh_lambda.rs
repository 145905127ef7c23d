//! The real `logofill-refresh` binary, run as Lambda runs it: a captured scheduled EventBridge
//! event handed over the Runtime API, the refresh index in S3 and the work queue on
//! moto_server, reached through `AWS_ENDPOINT_URL` as the SDK's standard chain reads it.

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use logofill_aws::S3Store;
use logofill_core::refresh::{refile, DUE_PREFIX};
use logofill_core::store::{LogoStore, StoredObject};
use logofill_core::CompanyId;
use logofill_testkit::aws::{create_bucket, create_queue, drain_queue, s3_client, sqs_client};
use logofill_testkit::lambda_runtime::FakeLambdaRuntime;
use logofill_testkit::moto::{self, MotoServer};
use logofill_testkit::{binaries, fixture};
use serde_json::Value;

fn start_refresh(runtime: &FakeLambdaRuntime, endpoint: &str, bucket: &str, queue: &str) -> Child {
    std::process::Command::new(binaries::path("logofill-refresh"))
        .env_clear()
        .envs(runtime.lambda_env("logofill-refresh"))
        .envs(moto::client_env(endpoint))
        .env("LOGOFILL_BUCKET", bucket)
        .env("LOGOFILL_QUEUE_URL", queue)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logofill-refresh")
}

/// Stops the function and returns its stdout lines that are JSON.
fn stop_and_read_lines(mut child: Child) -> (String, Vec<Value>) {
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let lines = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    (stdout, lines)
}

fn company(id: &str) -> CompanyId {
    CompanyId::parse(id).unwrap()
}

async fn index_keys(store: &S3Store) -> Vec<String> {
    store.list(DUE_PREFIX, None, 1000).await.unwrap().keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_run_sends_the_due_sets_and_keeps_the_later_ones() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let s3 = s3_client(&moto.endpoint).await;
    create_bucket(&s3, "logos").await;
    let queue = create_queue(&sqs, "logofill-refresh-e2e").await;
    let store = S3Store::new(s3.clone(), "logos");

    // 25 sets due (two days ago, yesterday, today) and 5 later (in two days, in a month). A
    // run that starts after midnight has a later today, and the later sets stay later.
    let today = Utc::now().date_naive();
    let ago = |n: u64| today.checked_sub_days(Days::new(n)).unwrap();
    let ahead = |n: u64| today.checked_add_days(Days::new(n)).unwrap();
    let mut due = BTreeSet::new();
    for n in 0..25 {
        let day: NaiveDate = [ago(2), ago(1), today][n % 3];
        let id = format!("due-{n:02}");
        refile(&store, &company(&id), None, Some(day))
            .await
            .unwrap();
        due.insert(id);
    }
    let mut later = Vec::new();
    for n in 0..5 {
        let day = if n < 3 { ahead(2) } else { ahead(30) };
        let id = format!("later-{n}");
        refile(&store, &company(&id), None, Some(day))
            .await
            .unwrap();
        later.push(format!("{DUE_PREFIX}{}/{id}", day.format("%Y-%m-%d")));
    }
    later.sort();
    store
        .put(StoredObject {
            key: "logos/due-00/256.png".into(),
            bytes: b"png".to_vec(),
            content_type: "image/png".into(),
            cache_control: "public, max-age=86400".into(),
            metadata: Default::default(),
        })
        .await
        .unwrap();
    assert_eq!(index_keys(&store).await.len(), 30);

    let runtime = FakeLambdaRuntime::start().await;
    let child = start_refresh(&runtime, &moto.endpoint, "logos", &queue);
    let event = fixture("eventbridge-scheduled.json");
    let id = runtime.invoke(event);
    let answer = runtime
        .answer(&id, Duration::from_secs(60))
        .await
        .expect("the run answered");
    let report: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(report["sent"], 25, "{report}");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["removed"], 25);
    assert_eq!(report["list_requests"], 1);
    assert_eq!(report["delete_requests"], 1);
    assert_eq!(report["send_requests"], 3, "25 sets: batches of 10, 10, 5");
    assert_eq!(report["stopped_early"], false);
    assert_eq!(report["oldest_due"], ago(2).to_string());

    let bodies = drain_queue(&sqs, &queue).await;
    assert_eq!(bodies.len(), 25);
    let mut sent = BTreeSet::new();
    for body in &bodies {
        let message: Value = serde_json::from_str(body).unwrap();
        assert_eq!(message["v"], 1);
        assert_eq!(message["origin"], "refresh", "{body}");
        sent.insert(message["company_id"].as_str().unwrap().to_string());
    }
    assert_eq!(sent, due, "each due set once, no later one");
    assert_eq!(index_keys(&store).await, later, "the due keys are gone");
    assert!(
        store.head("logos/due-00/256.png").await.unwrap().is_some(),
        "the logos are not the job's to touch"
    );

    // The same day again: nothing is due twice. Then an event that is no object fails.
    let again = runtime.invoke("{}".into());
    let again: Value = serde_json::from_str(
        &runtime
            .answer(&again, Duration::from_secs(60))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (again["sent"].as_u64(), again["list_requests"].as_u64()),
        (Some(0), Some(1))
    );
    let bad = runtime.invoke("[1, 2]".into());
    let err = runtime
        .answer(&bad, Duration::from_secs(60))
        .await
        .expect_err("a non-object event fails the invocation");
    assert!(err.contains("takes a JSON object"), "{err}");
    assert_eq!(index_keys(&store).await, later);

    let (stdout, lines) = stop_and_read_lines(child);
    let emf: Vec<&Value> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
    assert_eq!(emf.len(), 2, "one metrics line per run: {stdout}");
    assert_eq!(emf[0]["function"], "refresh");
    assert_eq!(
        emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "logofill"
    );
    assert_eq!(emf[0]["sent"], 25.0);
    assert_eq!(emf[0]["removed"], 25.0);
    assert_eq!(emf[0]["list_requests"], 1.0);
    assert_eq!(emf[0]["delete_requests"], 1.0);
    assert_eq!(emf[0]["send_requests"], 3.0);
    assert_eq!(emf[1]["sent"], 0.0);
    let started = lines
        .iter()
        .find(|l| l["fields"]["message"] == "refresh run started")
        .unwrap_or_else(|| panic!("a start line: {stdout}"));
    assert_eq!(
        started["fields"]["event_id"],
        "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"
    );
    assert_eq!(started["fields"]["event_time"], "2026-12-02T03:00:00Z");
    assert!(
        started["span"]["request_id"]
            .as_str()
            .is_some_and(|r| r.starts_with("req-")),
        "the request id is on every line of the run: {started}"
    );
    let done = lines
        .iter()
        .find(|l| l["fields"]["message"] == "refresh run done")
        .unwrap_or_else(|| panic!("a report line: {stdout}"));
    assert_eq!(done["level"], "INFO");
    assert_eq!(done["fields"]["sent"], 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_cannot_read_the_index_fails_the_invocation() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let queue = create_queue(&sqs, "logofill-refresh-nobucket").await;
    let runtime = FakeLambdaRuntime::start().await;
    let child = start_refresh(&runtime, &moto.endpoint, "no-such-bucket", &queue);
    let id = runtime.invoke(fixture("eventbridge-scheduled.json"));
    let err = runtime
        .answer(&id, Duration::from_secs(60))
        .await
        .expect_err("the run fails, so the error alarm counts it");
    let err: Value = serde_json::from_str(&err).unwrap();
    assert_eq!(err["errorType"], "RefreshRunFailed", "{err}");
    let message = err["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("s3://no-such-bucket/refresh/due/"),
        "{message}"
    );
    assert!(message.contains("NoSuchBucket"), "{message}");
    let (stdout, _) = stop_and_read_lines(child);
    assert!(stdout.contains("refresh run failed"), "{stdout}");
    assert!(drain_queue(&sqs, &queue).await.is_empty());
}

#[test]
fn start_up_without_a_variable_fails_naming_it() {
    let output = binaries::command("logofill-refresh")
        .env_clear()
        .env("LOGOFILL_BUCKET", "logos")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("logofill-refresh: configuration error: LOGOFILL_QUEUE_URL is not set"),
        "{stderr}"
    );

    let output = binaries::command("logofill-refresh")
        .env_clear()
        .env("LOGOFILL_BUCKET", "s3://logos")
        .env(
            "LOGOFILL_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/1/q",
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("LOGOFILL_BUCKET=\"s3://logos\" is not valid"),
        "{stderr}"
    );
}
