//! `logofill review` run as a real process: the review page of a folder bucket and of a bucket
//! on a real S3 protocol server (moto_server), with a set for every flag.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Output;

use logofill_core::store::{LogoStore, StoredObject};
use logofill_image::{Pipeline, PipelineOptions, RenderedSet};
use logofill_testkit::moto::{self, MotoServer};
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

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "logofill-review-{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Real PNG and WebP variants (a placeholder's), for every set of the fixture.
fn variants() -> RenderedSet {
    Pipeline::new(PipelineOptions::default())
        .unwrap()
        .placeholder("review", "Review")
        .unwrap()
}

/// A whole set for `company`, the sentinel last, with `metadata` on the sentinel.
async fn put_set<S: LogoStore>(
    store: &S,
    set: &RenderedSet,
    company: &str,
    metadata: &[(&str, &str)],
) {
    let largest = set.variants.iter().map(|v| v.size).max().unwrap();
    let mut variants: Vec<_> = set.variants.iter().collect();
    variants.sort_by_key(|v| (v.size == largest && v.format.extension() == "png", v.size));
    for variant in variants {
        let sentinel = variant.size == largest && variant.format.extension() == "png";
        let metadata: BTreeMap<String, String> = if sentinel {
            metadata
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        } else {
            BTreeMap::new()
        };
        store
            .put(StoredObject {
                key: format!(
                    "logos/{company}/{}.{}",
                    variant.size,
                    variant.format.extension()
                ),
                bytes: variant.bytes.clone(),
                content_type: variant.format.content_type().into(),
                cache_control: "public, max-age=86400".into(),
                metadata,
            })
            .await
            .unwrap();
    }
}

/// One set for every flag, one without any, and an incomplete one: 10 companies.
async fn fill<S: LogoStore>(store: &S) {
    let set = variants();
    let logo = |sha: &'static str, extra: &[(&'static str, &'static str)]| {
        let mut m = vec![
            ("kind", "logo"),
            ("source-url", "https://example.com/logo.svg"),
            ("source-sha256", sha),
            ("source-format", "svg"),
            ("source-width", "100"),
            ("source-height", "100"),
            ("content-aspect", "1.00"),
            ("pipeline-version", "3"),
        ];
        for (k, v) in extra {
            m.retain(|(name, _)| name != k);
            m.push((k, v));
        }
        m
    };
    put_set(store, &set, "acme", &logo("a1", &[])).await;
    put_set(
        store,
        &set,
        "globex",
        &[("kind", "placeholder"), ("reason", "no-logo")],
    )
    .await;
    put_set(
        store,
        &set,
        "initech",
        &[("kind", "placeholder"), ("reason", "blocked")],
    )
    .await;
    put_set(
        store,
        &set,
        "tiny",
        &logo(
            "a2",
            &[
                ("source-format", "png"),
                ("source-width", "32"),
                ("source-height", "32"),
            ],
        ),
    )
    .await;
    put_set(store, &set, "twin-a", &logo("cafe", &[])).await;
    put_set(store, &set, "twin-b", &logo("cafe", &[])).await;
    put_set(
        store,
        &set,
        "wide",
        &logo("a3", &[("content-aspect", "4.20")]),
    )
    .await;
    put_set(
        store,
        &set,
        "pinned",
        &logo("a4", &[("kind", "manual"), ("pinned", "true")]),
    )
    .await;
    put_set(
        store,
        &set,
        "hostile",
        &logo(
            "a5",
            &[(
                "source-url",
                "https://evil.example/\"><script>alert(1)</script>",
            )],
        ),
    )
    .await;
    // Half a set: the 64 px PNG and nothing else.
    let small = set.variants.iter().find(|v| v.size == 64).unwrap();
    store
        .put(StoredObject {
            key: "logos/half/64.png".into(),
            bytes: small.bytes.clone(),
            content_type: "image/png".into(),
            cache_control: String::new(),
            metadata: BTreeMap::new(),
        })
        .await
        .unwrap();
}

const SUMMARY: &str =
    "10 sets (1 placeholder, 1 blocked, 1 upscaled, 2 shared-source, 1 squeezed, 1 manual, 1 incomplete)";

/// The page of `fill`'s sets (and `heavy` more without a thumbnail), its commands naming
/// `bucket_args`.
fn assert_page(page: &str, bucket_args: &str, heavy: usize) {
    assert_eq!(page.matches("<article ").count(), 10 + heavy);
    assert_eq!(
        page.matches("<img src=\"data:image/png;base64,").count(),
        10,
        "every thumbnail embedded"
    );
    for (company, flags) in [
        ("acme", ""),
        ("globex", "placeholder"),
        ("initech", "blocked"),
        ("tiny", "upscaled"),
        ("twin-a", "shared-source"),
        ("wide", "squeezed"),
        ("pinned", "manual"),
        ("half", "incomplete"),
    ] {
        let card = &page[page.find(&format!("id=\"set-{company}\"")).unwrap()..];
        let card = &card[..card.find("</article>").unwrap()];
        assert!(
            card.contains(&format!("data-flags=\"{flags}\"")),
            "{company}: {card}"
        );
    }
    // Each word of a command is a span of its own.
    let words = page.replace("<span>", "").replace("</span>", "");
    for command in [
        format!("logofill logo refresh --company globex {bucket_args}"),
        format!("logofill logo set --company initech --url URL {bucket_args}"),
        format!("logofill logo reject --company tiny {bucket_args}"),
        format!("logofill logo unpin --company pinned {bucket_args}"),
    ] {
        assert!(
            words.contains(&format!("<code>{command}</code>")),
            "{command}"
        );
    }
    assert!(page.contains("https://evil.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(page.matches("<script").count(), 1, "only the page's own");
}

#[test]
fn review_writes_the_page_of_a_folder_bucket_and_says_when_the_limit_cut_it() {
    let dir = scratch("folder");
    let bucket = dir.join("bucket");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(fill(&logofill_dev::FolderStore::new(&bucket)));
    let page = dir.join("review.html");
    let (bucket_dir, page_arg) = (bucket.to_str().unwrap(), page.to_str().unwrap());

    let out = logofill(
        &["review", "--bucket-dir", bucket_dir, "--out", page_arg],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{page_arg}: {SUMMARY}\n"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_page(&html, &format!("--bucket-dir {bucket_dir}"), 0);
    assert!(!html.contains("id=\"limit-note\""));

    let out = logofill(
        &[
            "review",
            "--bucket-dir",
            bucket_dir,
            "--out",
            page_arg,
            "--limit",
            "3",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.ends_with("; --limit 3 reached, more companies are stored\n"),
        "{summary}"
    );
    let cut = std::fs::read_to_string(&page).unwrap();
    assert_eq!(cut.matches("<article ").count(), 3);
    assert!(cut.contains("id=\"limit-note\""));

    // Other sizes: the thumbnail is the smallest, and the commands carry --sizes.
    let out = logofill(
        &[
            "review",
            "--bucket-dir",
            bucket_dir,
            "--out",
            page_arg,
            "--sizes",
            "128,64",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let other = std::fs::read_to_string(&page).unwrap();
    assert!(other
        .replace("<span>", "")
        .replace("</span>", "")
        .contains(&format!(
        "<code>logofill logo refresh --company half --bucket-dir {bucket_dir} --sizes 64,128</code>"
    )));
    assert_eq!(
        other.matches("<img src=\"data:image/png;base64,").count(),
        10
    );

    for bad in [
        &["--limit", "0"][..],
        &["--limit", "10001"],
        &["--sizes", "0,64"],
    ] {
        let mut args = vec!["review", "--bucket-dir", bucket_dir, "--out", page_arg];
        args.extend_from_slice(bad);
        let out = logofill(&args, None);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let out = logofill(&["review", "--bucket-dir", bucket_dir], None);
    assert_eq!(out.status.code(), Some(2), "--out is required");
    let unwritable = dir.join("no-such-dir/review.html");
    let out = logofill(
        &[
            "review",
            "--bucket-dir",
            bucket_dir,
            "--out",
            unwritable.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("writing"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_writes_the_page_of_an_s3_bucket() {
    let moto = MotoServer::start();
    let s3 = logofill_testkit::aws::s3_client(&moto.endpoint).await;
    logofill_testkit::aws::create_bucket(&s3, "logos").await;
    let store = logofill_aws::S3Store::new(s3, "logos");
    fill(&store).await;
    // A "thumbnail" over the 64 KiB cap is not embedded.
    put_set(
        &store,
        &RenderedSet {
            variants: variants()
                .variants
                .into_iter()
                .map(|mut v| {
                    if v.size == 64 {
                        v.bytes.resize(65 * 1024, 0);
                    }
                    v
                })
                .collect(),
            ..variants()
        },
        "zz-heavy",
        &[("kind", "logo")],
    )
    .await;
    let dir = scratch("s3");
    let page = dir.join("review.html");
    let page_arg = page.to_str().unwrap();
    let endpoint = Some(moto.endpoint.as_str());

    let out = logofill(
        &["review", "--bucket", "logos", "--out", page_arg],
        endpoint,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{page_arg}: {}\n", SUMMARY.replace("10 sets", "11 sets"))
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("no thumbnail: logos/zz-heavy/64.png is over the 64 KiB cap"));
    assert!(html.contains("<title>logofill review: s3://logos</title>"));
    assert_page(&html, "--bucket logos", 1);

    let missing = dir.join("missing.html");
    let out = logofill(
        &[
            "review",
            "--bucket",
            "no-such-bucket",
            "--out",
            missing.to_str().unwrap(),
        ],
        endpoint,
    );
    assert_eq!(out.status.code(), Some(2));
    let why = text(&out.stderr);
    assert!(
        why.contains("s3://no-such-bucket") && why.contains("NoSuchBucket"),
        "{why}"
    );
    assert!(!missing.exists(), "no page on an error");
    std::fs::remove_dir_all(dir).ok();
}
