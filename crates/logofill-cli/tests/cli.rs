//! The `logofill` binary as a user runs it: arguments, files written, JSON lines, exit status.

use std::path::{Path, PathBuf};
use std::process::Output;

use logofill_testkit::binaries;

fn logofill(args: &[&str]) -> Output {
    binaries::command("logofill")
        .args(args)
        .output()
        .expect("runs logofill")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../logofill-image/tests/fixtures")
        .join(name)
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[test]
fn process_json_lines_outputs_and_exit_status() {
    let tmp = tempfile::tempdir().unwrap();
    let svg = tmp.path().join("mark.svg");
    std::fs::write(&svg, r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 1"><rect width="2" height="1"/></svg>"#).unwrap();
    let bad = tmp.path().join("page.png");
    std::fs::write(&bad, "<html>not found</html>").unwrap();
    let out_dir = tmp.path().join("out");
    let jpg = fixture("progressive.jpg");
    let args = [
        "process",
        jpg.to_str().unwrap(),
        bad.to_str().unwrap(),
        svg.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--json",
    ];
    let out = logofill(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one input failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["in"], jpg.to_str().unwrap(), "the path as given");
    assert_eq!(lines[0]["ok"], true);
    assert!(lines[0]["ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(lines[1]["in"], bad.to_str().unwrap());
    assert_eq!(lines[1]["ok"], false);
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("is not an image (it is an HTML page)"),
        "{}",
        lines[1]
    );
    assert!(lines[1].get("ms").is_none());
    assert_eq!(lines[2]["ok"], true);

    let mut want: Vec<String> = ["progressive", "mark"]
        .iter()
        .flat_map(|stem| {
            [64, 128, 256]
                .iter()
                .flat_map(move |s| ["png", "webp"].map(|e| format!("{stem}_{s}.{e}")))
        })
        .collect();
    want.sort();
    assert_eq!(names_in(&out_dir), want);
    let png = std::fs::read(out_dir.join("mark_256.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

#[test]
fn process_list_file_and_sizes_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("inputs.txt");
    std::fs::write(
        &list,
        format!(
            "# inputs\n{}\n\n{}\n",
            fixture("cmyk.jpg").display(),
            fixture("animated.webp").display()
        ),
    )
    .unwrap();
    let out_dir = tmp.path().join("o");
    let out = logofill(&[
        "process",
        "--list",
        list.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--sizes",
        "32,16",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        names_in(&out_dir),
        [
            "animated_16.png",
            "animated_16.webp",
            "animated_32.png",
            "animated_32.webp",
            "cmyk_16.png",
            "cmyk_16.webp",
            "cmyk_32.png",
            "cmyk_32.webp"
        ]
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().all(|l| l.starts_with("ok ")), "{stdout}");
}

#[test]
fn process_refuses_missing_inputs_and_clashing_names() {
    let tmp = tempfile::tempdir().unwrap();
    let out = logofill(&["process", "--out", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no input files"));

    let missing = tmp.path().join("nope.png");
    let out = logofill(&[
        "process",
        missing.to_str().unwrap(),
        "--out",
        tmp.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out)[0]["ok"], false);

    // Two inputs with the same stem would overwrite each other: the second is refused.
    let dir2 = tmp.path().join("b");
    std::fs::create_dir(&dir2).unwrap();
    std::fs::copy(fixture("cmyk.jpg"), dir2.join("progressive.jpg")).unwrap();
    let out = logofill(&[
        "process",
        fixture("progressive.jpg").to_str().unwrap(),
        dir2.join("progressive.jpg").to_str().unwrap(),
        "--out",
        tmp.path().join("o").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["ok"], true);
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("would overwrite"),
        "{}",
        lines[1]
    );
}

#[test]
fn placeholder_writes_a_deterministic_set() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    for dir in [&a, &b] {
        let out = logofill(&[
            "placeholder",
            "--id",
            "kakao-1",
            "--name",
            "카카오",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 6);
    }
    let names = names_in(&a);
    assert_eq!(
        names,
        [
            "kakao-1_128.png",
            "kakao-1_128.webp",
            "kakao-1_256.png",
            "kakao-1_256.webp",
            "kakao-1_64.png",
            "kakao-1_64.webp"
        ]
    );
    for n in &names {
        assert_eq!(
            std::fs::read(a.join(n)).unwrap(),
            std::fs::read(b.join(n)).unwrap(),
            "{n} differs between runs"
        );
    }

    let out = logofill(&[
        "placeholder",
        "--id",
        "../etc",
        "--name",
        "x",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a company id"));
}

#[test]
fn help_comes_from_doc_comments() {
    let out = logofill(&["process", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Render logo files into square PNG + WebP variants"),
        "{help}"
    );
    assert!(help.contains("--sizes"));
}

/// Characters a terminal acts on instead of showing (the CLI's `terminal::is_unsafe`).
fn has_terminal_controls(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    })
}

#[test]
fn directory_records_and_file_names_are_printed_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let companies = tmp.path().join("companies.jsonl");
    // No homepage and no logo URL: a placeholder, and nothing is fetched.
    std::fs::write(
        &companies,
        serde_json::json!({"id": "acme", "name": "Acme\u{1b}[2J\u{1b}]0;owned\u{7}\r\u{9b}31m\u{202e}dlrow\0"})
            .to_string(),
    )
    .unwrap();
    let out_dir = tmp.path().join("out");
    let out = logofill(&[
        "process",
        "--company",
        "acme",
        "--directory",
        &format!("file://{}", companies.display()),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!has_terminal_controls(&stdout), "{stdout:?}");
    assert!(
        stdout.contains(r"Acme\u{1b}[2J\u{1b}]0;owned\u{7}\r\u{9b}31m\u{202e}dlrow\0"),
        "{stdout}"
    );

    // A file name is outside text too, in the text and the JSON lines.
    let hostile = tmp.path().join("logo\u{1b}[8m\u{202e}.png");
    std::fs::write(&hostile, "<html>not found</html>").unwrap();
    for json in [false, true] {
        let mut args = vec![
            "process",
            hostile.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ];
        if json {
            args.push("--json");
        }
        let out = logofill(&args);
        assert_eq!(out.status.code(), Some(1));
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8(stream.clone()).unwrap();
            assert!(!has_terminal_controls(&text), "{text:?}");
        }
        if json {
            let lines = json_lines(&out);
            assert_eq!(lines[0]["in"], hostile.to_str().unwrap(), "same value");
        } else {
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert!(stderr.contains(r"logo\u{1b}[8m\u{202e}.png"), "{stderr}");
        }
    }
}
