//! `logofill refresh` run as a real process: `seed` and `due` on a folder bucket, `run`, `due`
//! and `seed` on a bucket and a queue on a real S3/SQS protocol server (moto_server).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::{NaiveDate, Utc};
use logofill_aws::S3Store;
use logofill_core::refresh::{refile, DUE_PREFIX};
use logofill_core::store::{LogoStore, StoredObject};
use logofill_core::CompanyId;
use logofill_dev::FolderStore;
use logofill_testkit::aws::{create_bucket, create_queue, drain_queue, s3_client, sqs_client};
use logofill_testkit::moto::{self, MotoServer};
use logofill_testkit::{binaries, free_port};
use serde_json::Value;

fn logofill(args: &[&str], endpoint: Option<&str>) -> Output {
    let mut command = binaries::command("logofill");
    command.args(args).env_remove("AWS_PROFILE");
    if let Some(endpoint) = endpoint {
        command.envs(moto::client_env(endpoint));
    }
    command.output().expect("run logofill")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "logofill-refresh-{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn company(id: &str) -> CompanyId {
    CompanyId::parse(id).unwrap()
}

/// A set of four objects for `id`, the sentinel (256.png) last with `metadata`.
async fn put_set<S: LogoStore>(store: &S, id: &str, metadata: &[(&str, &str)]) {
    for (file, sentinel) in [
        ("64.png", false),
        ("64.webp", false),
        ("256.webp", false),
        ("256.png", true),
    ] {
        store
            .put(StoredObject {
                key: format!("logos/{id}/{file}"),
                bytes: b"img".to_vec(),
                content_type: "image/png".into(),
                cache_control: "public, max-age=86400".into(),
                metadata: if sentinel {
                    metadata
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect()
                } else {
                    Default::default()
                },
            })
            .await
            .unwrap();
    }
}

fn index_files(root: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    let due = root.join("refresh/due");
    let Ok(days) = std::fs::read_dir(&due) else {
        return keys;
    };
    for day in days {
        let day = day.unwrap();
        for entry in std::fs::read_dir(day.path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !name.ends_with(".meta.json") {
                keys.push(format!(
                    "refresh/due/{}/{name}",
                    day.file_name().to_string_lossy()
                ));
            }
        }
    }
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_files_the_legacy_sets_of_a_folder_bucket_and_due_counts_them() {
    let dir = scratch("folder");
    let store = FolderStore::new(&dir);
    let today = Utc::now().date_naive();
    let recent = (Utc::now() - chrono::Duration::days(10)).to_rfc3339();
    put_set(&store, "acme", &[("kind", "logo"), ("stored-at", &recent)]).await;
    put_set(
        &store,
        "kakao",
        &[
            ("kind", "placeholder"),
            ("reason", "blocked"),
            ("stored-at", "2025-01-01T00:00:00Z"),
        ],
    )
    .await;
    put_set(&store, "wayne", &[("kind", "manual"), ("pinned", "true")]).await;
    let root = dir.to_str().unwrap();

    let before = json_of(&logofill(
        &["refresh", "due", "--bucket-dir", root, "--json"],
        None,
    ));
    assert_eq!(
        (before["due"].as_u64(), before["upcoming"].as_u64()),
        (Some(0), Some(0))
    );

    let seeded = json_of(&logofill(
        &["refresh", "seed", "--bucket-dir", root, "--json"],
        None,
    ));
    assert_eq!(seeded["filed"], 2, "{seeded}");
    assert_eq!(seeded["pinned"], 1);
    assert_eq!(seeded["sets"], 3);
    assert_eq!(seeded["keys_listed"], 12);
    assert_eq!(seeded["stopped_early"], false);
    // The logo stored 10 days ago is due 20 days from now; the overdue blocked placeholder's
    // period is one day: today.
    let logo_due = today + chrono::Days::new(20);
    assert_eq!(
        index_files(&dir),
        [
            format!("{DUE_PREFIX}{today}/kakao"),
            format!("{DUE_PREFIX}{logo_due}/acme"),
        ]
    );
    let acme = store.head("logos/acme/256.png").await.unwrap().unwrap();
    assert_eq!(acme.metadata["refresh-due"], logo_due.to_string());
    assert_eq!(acme.metadata["stored-at"], recent, "the rest is kept");
    let wayne = store.head("logos/wayne/256.png").await.unwrap().unwrap();
    assert!(
        !wayne.metadata.contains_key("refresh-due"),
        "pinned: never filed"
    );

    let again = logofill(&["refresh", "seed", "--bucket-dir", root], None);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let line = text(&again.stdout);
    assert!(
        line.contains(": 0 sets filed, 2 already filed, 1 pinned"),
        "{line}"
    );

    let counts = json_of(&logofill(
        &[
            "refresh",
            "due",
            "--bucket-dir",
            root,
            "--days",
            "30",
            "--json",
        ],
        None,
    ));
    assert_eq!(counts["due"], 1, "{counts}");
    assert_eq!(counts["upcoming"], 1);
    assert_eq!(counts["days"][today.to_string()], 1);
    assert_eq!(counts["days"][logo_due.to_string()], 1);
    let shown = logofill(
        &["refresh", "due", "--bucket-dir", root, "--days", "3"],
        None,
    );
    let shown = text(&shown.stdout);
    assert!(
        shown.contains(&format!("1 sets due up to {today}")),
        "{shown}"
    );
    assert!(
        shown.contains("0 more by"),
        "the logo is past the window: {shown}"
    );
    assert!(shown.contains("today"), "{shown}");

    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_input_is_refused_before_anything_is_read() {
    for (args, wanted) in [
        (
            &[
                "refresh",
                "due",
                "--bucket-dir",
                "/tmp",
                "--today",
                "2026-13-01",
            ][..],
            "is not a day",
        ),
        (
            &["refresh", "due", "--bucket-dir", "/tmp", "--days", "400"][..],
            "--days",
        ),
        (
            &[
                "refresh",
                "seed",
                "--bucket-dir",
                "/tmp",
                "--start-after",
                "../etc",
            ][..],
            "a key under logos/",
        ),
        (
            &[
                "refresh",
                "run",
                "--bucket",
                "s3://logos",
                "--queue-url",
                "https://q/1",
            ][..],
            "not a URI or ARN",
        ),
        (
            &[
                "refresh",
                "run",
                "--bucket",
                "logos",
                "--queue-url",
                "logofill-queue",
            ][..],
            "not a name or ARN",
        ),
        (
            &[
                "refresh",
                "due",
                "--bucket",
                "logos",
                "--bucket-dir",
                "/tmp",
            ][..],
            "cannot be used with",
        ),
    ] {
        let out = logofill(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(wanted), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sends_what_is_due_on_s3_and_sqs_and_names_what_to_grant() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let s3 = s3_client(&moto.endpoint).await;
    create_bucket(&s3, "logos").await;
    let queue = create_queue(&sqs, "logofill-refresh-cli").await;
    let store = S3Store::new(s3.clone(), "logos");
    let mut due = BTreeSet::new();
    for n in 0..12 {
        let d = ["2026-11-30", "2026-12-01", "2026-12-02"][n % 3];
        let id = format!("due-{n:02}");
        refile(&store, &company(&id), None, Some(day(d)))
            .await
            .unwrap();
        due.insert(id);
    }
    for n in 0..3 {
        refile(
            &store,
            &company(&format!("later-{n}")),
            None,
            Some(day("2026-12-05")),
        )
        .await
        .unwrap();
    }
    let endpoint = Some(moto.endpoint.as_str());

    let counts = json_of(&logofill(
        &[
            "refresh",
            "due",
            "--bucket",
            "logos",
            "--today",
            "2026-12-02",
            "--json",
        ],
        endpoint,
    ));
    assert_eq!(
        (counts["due"].as_u64(), counts["upcoming"].as_u64()),
        (Some(12), Some(3))
    );
    assert_eq!(counts["oldest"], "2026-11-30");

    // A queue that does not exist: nothing is sent, every key stays, exit status 1.
    let missing = queue.replace("logofill-refresh-cli", "no-such-queue");
    let out = logofill(
        &[
            "refresh",
            "run",
            "--bucket",
            "logos",
            "--queue-url",
            &missing,
            "--today",
            "2026-12-02",
        ],
        endpoint,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("sqs:SendMessage"), "{err}");
    assert!(err.contains(&missing), "{err}");
    assert!(
        text(&out.stdout).contains("12 not sent"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        store.list(DUE_PREFIX, None, 100).await.unwrap().keys.len(),
        15
    );

    let report = json_of(&logofill(
        &[
            "refresh",
            "run",
            "--bucket",
            "logos",
            "--queue-url",
            &queue,
            "--today",
            "2026-12-02",
            "--json",
        ],
        endpoint,
    ));
    assert_eq!(report["sent"], 12, "{report}");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["removed"], 12);
    assert_eq!(report["list_requests"], 1);
    assert_eq!(report["send_requests"], 2);
    assert_eq!(report["delete_requests"], 1);
    assert_eq!(report["today"], "2026-12-02");
    let mut sent = BTreeSet::new();
    for body in drain_queue(&sqs, &queue).await {
        let message: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(message["origin"], "refresh");
        sent.insert(message["company_id"].as_str().unwrap().to_string());
    }
    assert_eq!(sent, due);
    assert_eq!(
        store.list(DUE_PREFIX, None, 100).await.unwrap().keys,
        [
            "refresh/due/2026-12-05/later-0",
            "refresh/due/2026-12-05/later-1",
            "refresh/due/2026-12-05/later-2"
        ]
    );

    // Seeding on S3: the sentinel's metadata is replaced by a copy onto itself.
    put_set(&store, "acme", &[("kind", "logo")]).await;
    let seeded = json_of(&logofill(
        &["refresh", "seed", "--bucket", "logos", "--json"],
        endpoint,
    ));
    assert_eq!(seeded["filed"], 1, "{seeded}");
    let acme = store.head("logos/acme/256.png").await.unwrap().unwrap();
    let filed = acme.metadata["refresh-due"].clone();
    assert_eq!(acme.content_type, "image/png", "kept by the copy");
    assert!(store
        .head(&format!("{DUE_PREFIX}{filed}/acme"))
        .await
        .unwrap()
        .is_some());

    // A bucket that is not there: the error names it, the prefix and what to grant.
    let out = logofill(
        &[
            "refresh",
            "run",
            "--bucket",
            "no-such-bucket",
            "--queue-url",
            &queue,
        ],
        endpoint,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("s3://no-such-bucket"), "{err}");
    assert!(err.contains("refresh/due/"), "{err}");
    assert!(err.contains("NoSuchBucket"), "{err}");
    assert!(err.contains("s3:ListBucket"), "{err}");
    assert!(drain_queue(&sqs, &queue).await.is_empty());
}
