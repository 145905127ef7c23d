//! `logofill logo refresh`, `reject`, `set` and `unpin` over a set's life, as the real binary,
//! against a fixture website on 127.0.0.1, on the dev runner's folder bucket and on moto (S3,
//! SQS, CloudFront): a refresh of an unchanged source writes nothing and invalidates nothing; a
//! rejected source is never picked again; a pinned set is left alone until it is unpinned.

use std::path::{Path, PathBuf};
use std::process::Output;

use logofill_testkit::aws::{create_bucket, create_distribution, create_queue, drain_queue};
use logofill_testkit::moto::{self, MotoServer};
use logofill_testkit::sites::{FixtureSite, Page};
use logofill_testkit::{binaries, free_port, workspace_root};

fn logofill(args: &[&str], endpoint: Option<&str>) -> Output {
    let mut command = binaries::command("logofill");
    command.args(args).env_remove("AWS_PROFILE");
    if let Some(endpoint) = endpoint {
        command.envs(moto::client_env(endpoint));
    }
    command.output().expect("run logofill")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "logofill-cli-{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const MARK: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 100 100"><rect width="100" height="100" rx="20" fill="#c03"/><circle cx="50" cy="50" r="28" fill="white"/></svg>"##;

fn touch_icon() -> Vec<u8> {
    std::fs::read(workspace_root().join(
        "tests/fixtures/discovery/wordpress-custom-logo/files/www.harrow-bakehouse.co.uk/wp-content/uploads/2022/03/harrow-bakehouse-logo.png",
    ))
    .unwrap()
}

/// A site whose best source is an SVG mark and whose next best is a PNG touch icon, and the
/// directory that names it.
async fn site(dir: &Path) -> (FixtureSite, String) {
    let site = FixtureSite::start().await;
    site.page(
        "/acme/",
        Page::ok(
            "text/html",
            r#"<html><head><link rel="icon" type="image/svg+xml" href="/acme/mark.svg"><link rel="apple-touch-icon" href="/acme/touch.png"></head></html>"#,
        ),
    )
    .page("/acme/mark.svg", Page::ok("image/svg+xml", MARK))
    .page("/acme/touch.png", Page::ok("image/png", touch_icon()));
    let companies = dir.join("companies.jsonl");
    std::fs::write(
        &companies,
        serde_json::json!({"id": "acme", "name": "Acme", "homepage": site.url("/acme/")})
            .to_string(),
    )
    .unwrap();
    (site, format!("file://{}", companies.display()))
}

fn objects(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut out = Vec::new();
    for size in ["64", "128", "256"] {
        for ext in ["png", "webp"] {
            let path = dir.join(format!("logos/acme/{size}.{ext}"));
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap();
            out.push((path, modified));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_folder_bucket_refresh_reject_set_and_unpin_do_what_they_say() {
    let dir = scratch("logo-life");
    let (site, directory) = site(&dir).await;
    let bucket = dir.join("bucket");
    let bucket_dir = bucket.to_str().unwrap();
    let show = || {
        json(&logofill(
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
        ))
    };
    let look = |command: &str| {
        json(&logofill(
            &[
                "logo",
                command,
                "--company",
                "acme",
                "--directory",
                &directory,
                "--bucket-dir",
                bucket_dir,
                "--allow-loopback-sources",
                "--json",
            ],
            None,
        ))
    };

    // First look: the SVG mark, filed for the refresh 30 days on.
    let first = look("refresh");
    assert_eq!(first["outcome"], "stored", "{first}");
    let view = show();
    assert!(
        view["source_url"]
            .as_str()
            .unwrap()
            .ends_with("/acme/mark.svg"),
        "{view}"
    );
    assert_eq!(view["source_format"], "svg");
    let due = view["refresh_due"].as_str().unwrap().to_string();
    assert!(bucket.join(format!("refresh/due/{due}/acme")).exists());

    // Refreshed again: the same bytes; no object written, nothing to invalidate.
    let before = objects(&bucket);
    let again = look("refresh");
    assert_eq!(again["outcome"], "unchanged", "{again}");
    assert_eq!(again["written"], serde_json::json!([]));
    assert_eq!(again["invalidated"], serde_json::json!([]));
    assert_eq!(objects(&bucket), before, "no image rewritten");

    // Rejected: the next best source, and never the mark again.
    let reject = look("reject");
    assert_eq!(reject["outcome"], "stored", "{reject}");
    let rejected = reject["rejected"].as_str().unwrap().to_string();
    assert_eq!(rejected, view["source_sha256"].as_str().unwrap());
    let view = show();
    assert!(
        view["source_url"]
            .as_str()
            .unwrap()
            .ends_with("/acme/touch.png"),
        "{view}"
    );
    assert_eq!(view["rejected"], serde_json::json!([&rejected[..16]]));
    let forced = json(&logofill(
        &[
            "process",
            "--company",
            "acme",
            "--directory",
            &directory,
            "--out",
            bucket_dir,
            "--allow-loopback-sources",
            "--json",
        ],
        None,
    ));
    assert!(
        forced["written"].as_array().unwrap().len() >= 6,
        "process --company looks again: {forced}"
    );
    assert!(show()["source_url"]
        .as_str()
        .unwrap()
        .ends_with("/acme/touch.png"));

    // An operator's set is pinned: a refresh leaves it as it is, and it leaves the index.
    let file = dir.join("manual.svg");
    std::fs::write(&file, MARK.replace("#c03", "#063")).unwrap();
    let set = json(&logofill(
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
    ));
    let manual_sha = set["source_sha256"].as_str().unwrap().to_string();
    assert!(
        !bucket.join("refresh/due").read_dir().unwrap().any(|d| d
            .unwrap()
            .path()
            .join("acme")
            .exists()),
        "pinned sets are not filed"
    );
    let kept = look("refresh");
    assert_eq!(kept["outcome"], "already_present", "{kept}");
    let view = show();
    assert_eq!(
        (view["kind"].as_str(), view["pinned"].as_bool()),
        (Some("manual"), Some(true))
    );
    assert_eq!(view["source_sha256"], manual_sha.as_str());
    assert_eq!(
        view["rejected"],
        serde_json::json!([&rejected[..16]]),
        "rejections outlive a manual set"
    );
    let refused = logofill(
        &[
            "logo",
            "reject",
            "--company",
            "acme",
            "--directory",
            &directory,
            "--bucket-dir",
            bucket_dir,
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("unpin"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Unpinned: filed for today; the next look finds the site's logo, still not the rejected one.
    let unpin = json(&logofill(
        &[
            "logo",
            "unpin",
            "--company",
            "acme",
            "--bucket-dir",
            bucket_dir,
            "--json",
        ],
        None,
    ));
    assert_eq!(unpin["unpinned"], true);
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(unpin["refresh_due"], today.as_str());
    assert!(bucket.join(format!("refresh/due/{today}/acme")).exists());
    let replaced = look("refresh");
    assert_eq!(replaced["outcome"], "stored", "{replaced}");
    let view = show();
    assert_eq!(view["kind"], "logo");
    assert!(
        view["source_url"]
            .as_str()
            .unwrap()
            .ends_with("/acme/touch.png"),
        "{view}"
    );
    assert!(
        !site.hits().is_empty(),
        "the fixture site answered every look"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_replaced_set_is_invalidated_an_unchanged_one_is_not_and_reject_can_enqueue() {
    let dir = scratch("logo-life-s3");
    let (_site, directory) = site(&dir).await;
    let moto = MotoServer::start();
    let endpoint = Some(moto.endpoint.as_str());
    let s3 = logofill_testkit::aws::s3_client(&moto.endpoint).await;
    create_bucket(&s3, "logos").await;
    let sqs = logofill_testkit::aws::sqs_client(&moto.endpoint).await;
    let queue = create_queue(&sqs, "work").await;
    let cloudfront =
        logofill_aws::cloudfront_client(&logofill_aws::local_sdk_config(&moto.endpoint).await);
    let distribution = create_distribution(&cloudfront).await;
    let invalidations = || async {
        cloudfront
            .list_invalidations()
            .distribution_id(&distribution)
            .send()
            .await
            .unwrap()
            .invalidation_list()
            .map_or(0, |l| l.items().len())
    };
    let look = |command: &str| {
        json(&logofill(
            &[
                "logo",
                command,
                "--company",
                "acme",
                "--directory",
                &directory,
                "--bucket",
                "logos",
                "--cdn-distribution",
                &distribution,
                "--allow-loopback-sources",
                "--json",
            ],
            endpoint,
        ))
    };

    // An operator's set first: a refresh leaves it untouched.
    let file = dir.join("manual.svg");
    std::fs::write(&file, MARK.replace("#c03", "#063")).unwrap();
    let set = json(&logofill(
        &[
            "logo",
            "set",
            "--company",
            "acme",
            file.to_str().unwrap(),
            "--bucket",
            "logos",
            "--json",
        ],
        endpoint,
    ));
    let kept = look("refresh");
    assert_eq!(kept["outcome"], "already_present", "{kept}");
    let view = json(&logofill(
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
    ));
    assert_eq!(view["source_sha256"], set["source_sha256"]);
    assert_eq!(invalidations().await, 0);

    // Unpinned and refreshed: the site's mark replaces it, and the CDN is told once.
    json(&logofill(
        &[
            "logo",
            "unpin",
            "--company",
            "acme",
            "--bucket",
            "logos",
            "--json",
        ],
        endpoint,
    ));
    let replaced = look("refresh");
    assert_eq!(replaced["outcome"], "stored", "{replaced}");
    assert_eq!(
        replaced["invalidated"],
        serde_json::json!(["/logos/acme/*"])
    );
    assert_eq!(invalidations().await, 1);

    // Unchanged: metadata only, no invalidation.
    let listed = s3
        .list_objects_v2()
        .bucket("logos")
        .prefix("logos/")
        .send()
        .await
        .unwrap();
    let etags: Vec<_> = listed
        .contents()
        .iter()
        .filter(|o| o.key() != Some("logos/acme/256.png"))
        .map(|o| o.e_tag().map(str::to_string))
        .collect();
    let again = look("refresh");
    assert_eq!(again["outcome"], "unchanged", "{again}");
    assert_eq!(again["invalidated"], serde_json::json!([]));
    assert_eq!(invalidations().await, 1);
    let listed = s3
        .list_objects_v2()
        .bucket("logos")
        .prefix("logos/")
        .send()
        .await
        .unwrap();
    let after: Vec<_> = listed
        .contents()
        .iter()
        .filter(|o| o.key() != Some("logos/acme/256.png"))
        .map(|o| o.e_tag().map(str::to_string))
        .collect();
    assert_eq!(etags, after, "no image rewritten");

    // Rejected through the queue: recorded now, looked at by the worker (origin operator).
    let enqueued = json(&logofill(
        &[
            "logo",
            "reject",
            "--company",
            "acme",
            "--queue-url",
            &queue,
            "--bucket",
            "logos",
            "--json",
        ],
        endpoint,
    ));
    assert_eq!(enqueued["enqueued"], true);
    let bodies = drain_queue(&sqs, &queue).await;
    assert_eq!(bodies.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(
        (body["company_id"].as_str(), body["origin"].as_str()),
        (Some("acme"), Some("operator"))
    );

    // And inline: the next best source, invalidated.
    let inline = look("reject");
    assert_eq!(inline["outcome"], "stored", "{inline}");
    assert_eq!(inline["invalidated"], serde_json::json!(["/logos/acme/*"]));
    let view = json(&logofill(
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
    ));
    assert!(
        view["source_url"]
            .as_str()
            .unwrap()
            .ends_with("/acme/touch.png"),
        "{view}"
    );
    assert_eq!(view["rejected"].as_array().unwrap().len(), 1, "{view}");
    std::fs::remove_dir_all(dir).ok();
}
