//! The operator commands of the `logofill` CLI, run as a real process: `enqueue` against a
//! real SQS protocol server (moto_server), `process --company` against a fixture website.

use std::process::Output;

use logofill_testkit::aws::{create_queue, drain_queue, sqs_client};
use logofill_testkit::moto::{self, MotoServer};
use logofill_testkit::sites::{FixtureSite, Page};
use logofill_testkit::{binaries, free_port};

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

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "logofill-cli-{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_sends_backfill_messages_in_batches_and_refuses_a_bad_list_whole() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let queue = create_queue(&sqs, "logofill-backfill").await;
    let dir = scratch("enqueue");

    // 23 distinct ids plus a repeat and a comment: 23 messages, one duplicate.
    let mut lines: Vec<String> = (0..23).map(|i| format!("company-{i:02}")).collect();
    lines.push("company-00".into());
    lines.insert(0, "# new companies from the crawler".into());
    let ids_file = dir.join("ids.txt");
    std::fs::write(&ids_file, lines.join("\n")).unwrap();
    let out = logofill(
        &[
            "enqueue",
            "--queue",
            &queue,
            "--ids-file",
            ids_file.to_str().unwrap(),
            "--json",
        ],
        Some(&moto.endpoint),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["enqueued"], 23);
    assert_eq!(summary["duplicates"], 1);
    assert_eq!(summary["failed"].as_array().unwrap().len(), 0);
    let bodies = drain_queue(&sqs, &queue).await;
    assert_eq!(bodies.len(), 23);
    for body in &bodies {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["v"], 1);
        assert_eq!(v["origin"], "backfill");
        assert!(v["company_id"].as_str().unwrap().starts_with("company-"));
    }

    // One bad id on line 3: nothing at all is sent, the error names the line, exit status 2.
    std::fs::write(&ids_file, "good-1\ngood-2\n../etc/passwd\n").unwrap();
    let out = logofill(
        &[
            "enqueue",
            "--queue",
            &queue,
            "--ids-file",
            ids_file.to_str().unwrap(),
        ],
        Some(&moto.endpoint),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("ids.txt:3"), "{err}");
    assert!(err.contains("nothing was enqueued"), "{err}");
    assert!(drain_queue(&sqs, &queue).await.is_empty());

    // Ids as arguments; a queue that does not exist: the id is reported failed, exit status 1.
    let missing = queue.replace("logofill-backfill", "no-such-queue");
    let out = logofill(
        &["enqueue", "--queue", &missing, "acme", "--json"],
        Some(&moto.endpoint),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["enqueued"], 0);
    assert_eq!(summary["failed"][0]["company_id"], "acme");

    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_company_shows_which_candidate_won_and_writes_the_set() {
    let site = FixtureSite::start().await;
    site.page(
        "/initech/",
        Page::ok(
            "text/html",
            r#"<html><head><link rel="icon" href="gone.png" sizes="192x192"><link rel="icon" href="broken.png" sizes="128x128"><link rel="icon" type="image/svg+xml" href="/initech/mark.svg"></head></html>"#,
        ),
    )
    .page("/initech/gone.png", Page::status(404))
    .page("/initech/broken.png", Page::ok("image/png", b"not a png".to_vec()))
    .page(
        "/initech/mark.svg",
        Page::ok(
            "image/svg+xml",
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 20"><rect width="60" height="20" fill="#c33"/><circle cx="70" cy="10" r="8" fill="#36c"/></svg>"##,
        ),
    );
    let dir = scratch("process");
    let companies = dir.join("companies.jsonl");
    std::fs::write(
        &companies,
        serde_json::json!({"id": "initech", "name": "Initech", "homepage": site.url("/initech/")})
            .to_string(),
    )
    .unwrap();
    let directory = format!("file://{}", companies.display());
    let out_dir = dir.join("out");

    // `logofill process --company initech` into `out_dir`, with `extra` arguments.
    let process = |extra: &[&str]| {
        let mut args = vec![
            "process",
            "--company",
            "initech",
            "--directory",
            &directory,
            "--out",
            out_dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = logofill(&args, None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        out
    };
    let out = process(&["--allow-loopback-sources", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "stored", "{report}");
    let attempts = report["attempts"].as_array().unwrap();
    let winner = attempts.iter().find(|a| a["won"] == true).unwrap();
    assert_eq!(winner["kind"], "link rel=icon");
    assert_eq!(winner["declared"], "svg");
    assert!(
        winner["decoded"]
            .as_str()
            .unwrap()
            .starts_with("80x20 svg, colour, 3.9:1"),
        "{winner}"
    );
    assert!(winner["score"].as_i64().is_some(), "{winner}");
    assert!(winner["url"]
        .as_str()
        .unwrap()
        .ends_with("/initech/mark.svg"));
    // The losers say why they lost.
    for a in attempts.iter().filter(|a| a["won"] != true) {
        assert!(!a["result"].as_str().unwrap().is_empty(), "{a}");
    }
    for size in [64, 128, 256] {
        for ext in ["png", "webp"] {
            let path = out_dir.join(format!("logos/initech/{size}.{ext}"));
            assert!(path.exists(), "{} missing", path.display());
        }
    }

    // --explain: every candidate in one table, the winner starred.
    let out = process(&["--allow-loopback-sources", "--explain"]);
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("#  ") && l.contains("declared") && l.contains("score"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let rows = &lines[header + 1..header + 6];
    assert!(
        rows[0].starts_with("1*") && rows[0].contains("/initech/mark.svg"),
        "{stdout}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("broken.png") && r.contains("not an image")),
        "{stdout}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("gone.png") && r.contains("192x192") && r.contains("404")),
        "{stdout}"
    );

    // Without the loopback opt-in the guard refuses the site and a placeholder is written.
    let out = process(&[]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("outcome  placeholder"), "{stdout}");
    assert!(stdout.contains("loopback"), "{stdout}");

    // An unknown company fails with status 1 and says so.
    let out = logofill(
        &[
            "process",
            "--company",
            "nobody",
            "--directory",
            &directory,
            "--out",
            out_dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("unknown_company"));

    let _ = std::fs::remove_dir_all(dir);
}

/// `logofill dev` as a newcomer meets it: a bad `--companies` line is warned about by file and
/// line, the banner lists only what answers, logs to a pipe carry no colour codes, and a port in
/// use is named once with its cause once.
#[test]
fn dev_names_skipped_lines_and_a_busy_port_once() {
    use std::io::{BufRead, BufReader};
    let dir = scratch("dev");
    let companies = dir.join("companies.jsonl");
    std::fs::write(
        &companies,
        "{\"id\": \"acme\", \"name\": \"Acme\"}\n{\"id\": \"bad id\", \"name\": \"Bad\"}\n",
    )
    .unwrap();
    let port = free_port();
    let mut child = binaries::command("logofill")
        .args(["dev", "--port", &port.to_string(), "--companies"])
        .arg(&companies)
        .arg("--bucket-dir")
        .arg(dir.join("bucket"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut warned = None;
    for line in stderr.lines().map_while(Result::ok).take(50) {
        assert!(
            !line.contains('\u{1b}'),
            "no colour codes in a piped log: {line:?}"
        );
        if line.contains("company skipped") {
            warned = Some(line);
            break;
        }
    }
    // The banner, whole, before anything else.
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let banner: Vec<String> = stdout
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("Ctrl-C stops it"))
        .collect();
    let banner = banner.join("\n");
    // A second dev on the same port: the address once, the cause once.
    let second_bucket = dir.join("bucket2");
    let busy = logofill(
        &[
            "dev",
            "--port",
            &port.to_string(),
            "--bucket-dir",
            second_bucket.to_str().unwrap(),
        ],
        None,
    );
    child.kill().unwrap();
    assert!(!busy.status.success());
    let said = text(&busy.stderr);
    assert_eq!(said.matches("cannot listen on").count(), 1, "{said}");
    assert_eq!(said.matches("in use").count(), 1, "{said}");
    let _ = child.wait();
    let warned = warned.expect("a warning for the bad line");
    assert!(
        warned.contains(&format!("{} line 2", companies.display())),
        "{warned}"
    );
    assert!(banner.contains("logofill dev is running"), "{banner}");
    assert!(
        !banner.contains("sample-sites"),
        "no sample sites with --companies: {banner}"
    );
}

/// `logofill process ... | head -1`: once the reader is gone the CLI stops quietly (status 0),
/// never with a panic on the broken pipe.
#[test]
fn a_closed_stdout_ends_the_cli_quietly() {
    use std::io::{BufRead, BufReader};
    let dir = scratch("pipe");
    let input = dir.join("not-an-image.txt");
    std::fs::write(&input, "text").unwrap();
    let list = dir.join("list.txt");
    std::fs::write(&list, format!("{}\n", input.display()).repeat(2000)).unwrap();
    let mut child = binaries::command("logofill")
        .args(["process", "--json", "--no-sandbox", "--list"])
        .arg(&list)
        .arg("--out")
        .arg(dir.join("out"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with('{'), "{first}");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// A whole set for `acme` (every size and format, the sentinel last) in `store`.
async fn store_acme<S: logofill_core::store::LogoStore>(store: &S) {
    for size in [64, 128, 256] {
        for format in ["webp", "png"] {
            let mut metadata = std::collections::BTreeMap::new();
            if size == 256 && format == "png" {
                for (k, v) in [
                    ("kind", "logo"),
                    ("source-url", "https://acme.example/logo.svg"),
                    ("source-sha256", "ab12"),
                    ("pipeline-version", "3"),
                ] {
                    metadata.insert(k.to_string(), v.to_string());
                }
            }
            store
                .put(logofill_core::store::StoredObject {
                    key: format!("logos/acme/{size}.{format}"),
                    bytes: b"img".to_vec(),
                    content_type: format!("image/{format}"),
                    cache_control: "public, max-age=86400".into(),
                    metadata,
                })
                .await
                .unwrap();
        }
    }
}

fn assert_shows_acme(out: &Output) {
    assert!(out.status.success(), "{}", text(&out.stderr));
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(view["kind"], "logo");
    assert_eq!(view["complete"], true);
    assert_eq!(view["source_url"], "https://acme.example/logo.svg");
    assert_eq!(view["pipeline_version"], "3");
    assert_eq!(view["pinned"], false);
    assert_eq!(view["objects"].as_array().unwrap().len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logo_show_reads_a_set_from_the_folder_bucket_and_from_s3() {
    let dir = scratch("logo-show");
    store_acme(&logofill_dev::FolderStore::new(&dir)).await;
    let bucket_dir = dir.to_str().unwrap();
    let shown = logofill(
        &[
            "logo",
            "show",
            "--company",
            "acme",
            "--bucket-dir",
            bucket_dir,
            "--json",
        ],
        None,
    );
    assert_shows_acme(&shown);
    let shown = logofill(
        &[
            "logo",
            "show",
            "--company",
            "acme",
            "--bucket-dir",
            bucket_dir,
        ],
        None,
    );
    let listing = text(&shown.stdout);
    assert!(listing.starts_with("acme: logo\n"), "{listing}");
    assert!(
        listing.contains("sizes             64, 128, 256"),
        "{listing}"
    );
    let nobody = logofill(
        &[
            "logo",
            "show",
            "--company",
            "nobody",
            "--bucket-dir",
            bucket_dir,
        ],
        None,
    );
    assert_eq!(nobody.status.code(), Some(1));
    assert_eq!(text(&nobody.stdout), "nobody: no logo set stored\n");

    let moto = MotoServer::start();
    let s3 = logofill_testkit::aws::s3_client(&moto.endpoint).await;
    logofill_testkit::aws::create_bucket(&s3, "logos").await;
    store_acme(&logofill_aws::S3Store::new(s3, "logos")).await;
    let endpoint = Some(moto.endpoint.as_str());
    let shown = logofill(
        &[
            "logo",
            "show",
            "--company",
            "acme",
            "--bucket",
            "logos",
            "--json",
        ],
        endpoint,
    );
    assert_shows_acme(&shown);
    let missing = logofill(
        &[
            "logo",
            "show",
            "--company",
            "acme",
            "--bucket",
            "no-such-bucket",
        ],
        endpoint,
    );
    assert_eq!(missing.status.code(), Some(2));
    let why = text(&missing.stderr);
    assert!(
        why.contains("s3://no-such-bucket") && why.contains("NoSuchBucket"),
        "{why}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logo_delete_removes_the_set_sentinel_first_and_invalidates_the_cdn() {
    let json = |out: &Output| -> serde_json::Value {
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let dir = scratch("logo-delete");
    store_acme(&logofill_dev::FolderStore::new(&dir)).await;
    let bucket_dir = dir.to_str().unwrap();
    let args = [
        "logo",
        "delete",
        "--company",
        "acme",
        "--bucket-dir",
        bucket_dir,
        "--json",
    ];
    let done = json(&logofill(&args, None));
    assert_eq!(
        done["deleted"][0], "logos/acme/256.png",
        "the sentinel first"
    );
    assert_eq!(done["deleted"].as_array().unwrap().len(), 6);
    assert_eq!(done["invalidated"], serde_json::json!([]));
    let show = [
        "logo",
        "show",
        "--company",
        "acme",
        "--bucket-dir",
        bucket_dir,
    ];
    assert_eq!(logofill(&show, None).status.code(), Some(1), "nothing left");
    let again = json(&logofill(&args, None));
    assert_eq!(
        again["deleted"],
        serde_json::json!([]),
        "deleting twice is fine"
    );

    let moto = MotoServer::start();
    let s3 = logofill_testkit::aws::s3_client(&moto.endpoint).await;
    logofill_testkit::aws::create_bucket(&s3, "logos").await;
    store_acme(&logofill_aws::S3Store::new(s3, "logos")).await;
    let cloudfront =
        logofill_aws::cloudfront_client(&logofill_aws::local_sdk_config(&moto.endpoint).await);
    let distribution = logofill_testkit::aws::create_distribution(&cloudfront).await;
    let endpoint = Some(moto.endpoint.as_str());
    let done = json(&logofill(
        &[
            "logo",
            "delete",
            "--company",
            "acme",
            "--bucket",
            "logos",
            "--cdn-distribution",
            &distribution,
            "--json",
        ],
        endpoint,
    ));
    assert_eq!(done["deleted"].as_array().unwrap().len(), 6);
    assert_eq!(done["invalidated"], serde_json::json!(["/logos/acme/*"]));
    let listed = cloudfront
        .list_invalidations()
        .distribution_id(&distribution)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.invalidation_list().unwrap().items().len(), 1);
    let show = ["logo", "show", "--company", "acme", "--bucket", "logos"];
    assert_eq!(logofill(&show, endpoint).status.code(), Some(1));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logo_set_stores_a_pinned_manual_set_rendered_from_a_file() {
    let dir = scratch("logo-set");
    store_acme(&logofill_dev::FolderStore::new(&dir)).await;
    let bucket_dir = dir.to_str().unwrap();
    let file = logofill_testkit::workspace_root().join(
        "tests/fixtures/discovery/wordpress-custom-logo/files/www.harrow-bakehouse.co.uk/wp-content/uploads/2022/03/harrow-bakehouse-logo.png",
    );
    let out = logofill(
        &[
            "logo",
            "set",
            "--company",
            "acme",
            file.to_str().unwrap(),
            "--bucket-dir",
            bucket_dir,
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let done: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let written = done["written"].as_array().unwrap();
    assert_eq!(written.len(), 6);
    assert_eq!(written[5], "logos/acme/256.png", "the sentinel last");
    assert_eq!(done["source_sha256"].as_str().unwrap().len(), 64);

    let show = [
        "logo",
        "show",
        "--company",
        "acme",
        "--bucket-dir",
        bucket_dir,
        "--json",
    ];
    let view: serde_json::Value = serde_json::from_slice(&logofill(&show, None).stdout).unwrap();
    assert_eq!(view["kind"], "manual");
    assert_eq!(view["pinned"], true);
    assert_eq!(view["source_sha256"], done["source_sha256"]);

    let refused = logofill(
        &[
            "logo",
            "set",
            "--company",
            "acme",
            "/nonexistent.png",
            "--bucket-dir",
            bucket_dir,
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(2));

    // A URL goes through the worker's guarded fetcher: a loopback address is refused before
    // any byte is read, and the stored set is left as it was.
    let site = FixtureSite::start().await;
    site.page("/logo.png", Page::ok("image/png", "x".repeat(64 << 20)));
    let url = site.url("/logo.png");
    let fetched = logofill(
        &[
            "logo",
            "set",
            "--company",
            "acme",
            "--url",
            &url,
            "--bucket-dir",
            bucket_dir,
        ],
        None,
    );
    assert_eq!(fetched.status.code(), Some(2));
    let why = text(&fetched.stderr);
    assert!(why.contains(&url) && why.contains("blocked"), "{why}");
    let view: serde_json::Value = serde_json::from_slice(&logofill(&show, None).stdout).unwrap();
    assert_eq!(view["source_sha256"], done["source_sha256"], "unchanged");
    std::fs::remove_dir_all(dir).ok();
}
