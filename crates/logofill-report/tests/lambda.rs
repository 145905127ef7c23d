//! The real `logofill-report` binary, run as Lambda runs it: the Runtime API (a local
//! stand-in) hands it captured events, and it talks to SQS (moto_server) through the standard
//! SDK chain with `AWS_ENDPOINT_URL`.

use std::process::{Command, Stdio};
use std::time::Duration;

use logofill_testkit::aws::{create_queue, drain_queue, sqs_client};
use logofill_testkit::lambda_runtime::FakeLambdaRuntime;
use logofill_testkit::moto::MotoServer;
use logofill_testkit::{binaries, fixture};
use serde_json::Value;

fn report_command(runtime: &FakeLambdaRuntime, moto: &MotoServer, queue_url: &str) -> Command {
    let mut cmd = binaries::command("logofill-report");
    cmd.env_clear()
        .envs(runtime.lambda_env("logofill-report"))
        .envs(moto.client_env())
        .env("LOGOFILL_QUEUE_URL", queue_url)
        .env("LOGOFILL_ALLOWED_ORIGINS", "https://jobs.example.com")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_captured_events_into_sqs() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let url = create_queue(&sqs, "logofill-e2e").await;
    let runtime = FakeLambdaRuntime::start().await;
    let mut child = report_command(&runtime, &moto, &url)
        .spawn()
        .expect("start logofill-report");

    let text = runtime.invoke(fixture("apigw-v2-post-text.json"));
    let base64 = runtime.invoke(fixture("apigw-v2-post-base64.json"));
    let preflight = runtime.invoke(fixture("apigw-v2-preflight.json"));
    let bad = runtime.invoke(fixture("function-url-post.json"));
    let repeat = runtime.invoke(fixture("apigw-v2-post-text.json"));

    let answer = |id: String| {
        let runtime = runtime.clone();
        async move {
            let body = runtime
                .answer(&id, Duration::from_secs(30))
                .await
                .expect("handler answered");
            serde_json::from_str::<Value>(&body).unwrap()
        }
    };
    let r = answer(text).await;
    assert_eq!(r["statusCode"], 202, "{r}");
    assert_eq!(r["body"], r#"{"duplicates":1,"enqueued":2}"#);
    assert_eq!(answer(base64).await["statusCode"], 202);
    assert_eq!(answer(preflight).await["statusCode"], 204);
    assert_eq!(answer(bad).await["statusCode"], 400);
    let r = answer(repeat).await;
    assert_eq!(
        r["body"], r#"{"duplicates":3,"enqueued":0}"#,
        "the instance remembers acme and globex"
    );

    let mut ids: Vec<String> = drain_queue(&sqs, &url)
        .await
        .iter()
        .map(|b| {
            serde_json::from_str::<Value>(b).unwrap()["company_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["acme", "globex", "initech", "umbrella"]);

    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let emf: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect();
    assert_eq!(emf.len(), 5, "one EMF line per invocation:\n{stdout}");
    assert_eq!(emf[0]["enqueued"], 2.0);
    assert_eq!(emf[3]["rejected"], 1.0);
    let log_with_request_id = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .any(|v| {
            v["span"]["request_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("req-"))
        });
    assert!(
        log_with_request_id,
        "JSON logs carry the request id:\n{stdout}"
    );
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_variable() {
    let output = binaries::command("logofill-report")
        .env_clear()
        .env("LOGOFILL_QUEUE_URL", "logofill-reports")
        .env("LOGOFILL_ALLOWED_ORIGINS", "*")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("LOGOFILL_QUEUE_URL=\"logofill-reports\" is not valid"),
        "{stderr}"
    );

    let output = binaries::command("logofill-report")
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("LOGOFILL_QUEUE_URL is not set"));
}
