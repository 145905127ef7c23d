//! The guarantees of `move`, `export` and `import` against the in-memory twin, where faults
//! land exactly where SQS servers will not put them: one refused entry, a lost send, a lost
//! delete, an interrupted run. After every run, each message is in the DLQ, the target, or
//! both; never in neither.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use logofill_core::queue::MemoryQueues;
use logofill_replay::archive::{self, ExportOptions, ImportOptions};
use logofill_replay::{inspect, run_move, MoveOptions, Operation, StopReason};

const DLQ: &str = "https://sqs.us-east-1.amazonaws.com/1/logofill-dlq";
const SRC: &str = "https://sqs.us-east-1.amazonaws.com/1/logofill";
const DLQ_FIFO: &str = "https://sqs.us-east-1.amazonaws.com/1/logofill-dlq.fifo";
const SRC_FIFO: &str = "https://sqs.us-east-1.amazonaws.com/1/logofill.fifo";

fn body(company: &str) -> String {
    format!(
        r#"{{"v":1,"company_id":"{company}","reported_at":"2026-01-02T03:04:05Z","origin":"report"}}"#
    )
}

fn setup(n: usize) -> (MemoryQueues, Vec<String>) {
    let q = MemoryQueues::new();
    q.create(SRC);
    q.create(DLQ);
    q.set_redrive(SRC, DLQ, 3);
    let bodies: Vec<String> = (0..n).map(|i| body(&format!("c{i}"))).collect();
    for b in &bodies {
        q.put(DLQ, b, None, Duration::from_secs(3600));
    }
    (q, bodies)
}

fn bodies_in(q: &MemoryQueues, url: &str) -> Vec<String> {
    q.messages(url).into_iter().map(|m| m.body).collect()
}

/// Every original body is in the DLQ or the target.
fn assert_none_lost(q: &MemoryQueues, bodies: &[String], target: &str, dlq: &str) {
    let mut present: BTreeSet<String> = bodies_in(q, dlq).into_iter().collect();
    present.extend(bodies_in(q, target));
    for b in bodies {
        assert!(present.contains(b), "lost: {b}");
    }
}

fn opts() -> MoveOptions {
    let mut o = MoveOptions::new(DLQ);
    o.wait = Duration::ZERO;
    o
}

async fn mv(q: &MemoryQueues, o: &MoveOptions) -> logofill_replay::MoveSummary {
    run_move(q, o, &AtomicBool::new(false), &mut |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn moves_everything_to_the_only_source_queue() {
    let (q, bodies) = setup(25);
    let r = mv(&q, &opts()).await;
    assert_eq!(r.target, SRC);
    assert_eq!((r.moved, r.failed, r.skipped), (25, 0, 0));
    assert_eq!(r.stopped, Some(StopReason::Drained));
    assert!(r.is_clean());
    assert!(q.messages(DLQ).is_empty());
    assert_eq!(bodies_in(&q, SRC), bodies);
}

#[tokio::test]
async fn a_refused_entry_stays_in_the_dlq_and_only_the_others_are_deleted() {
    let (q, bodies) = setup(12);
    q.refuse_bodies_containing("\"c3\"", "KMS.AccessDenied");
    let r = mv(&q, &opts()).await;
    assert_eq!((r.moved, r.failed), (11, 1));
    assert!(!r.is_clean());
    assert_eq!(r.failures[0].code, "KMS.AccessDenied");
    assert_eq!(r.failures[0].company, "c3");
    assert_eq!(bodies_in(&q, DLQ), vec![body("c3")]);
    assert_none_lost(&q, &bodies, SRC, DLQ);
    // and it is visible again for the next run
    assert_eq!(
        inspect::peek(&q, DLQ, 10, Duration::ZERO)
            .await
            .unwrap()
            .messages
            .len(),
        1
    );
}

#[tokio::test]
async fn a_failed_send_keeps_the_batch_and_stops_the_run() {
    let (q, bodies) = setup(30);
    q.fail_next_calls(Operation::SendMessage, 0);
    // the first batch goes (progress call 2), the second send fails
    let stop = AtomicBool::new(false);
    let mut batches = 0;
    let r = run_move(&q, &opts(), &stop, &mut |_| {
        batches += 1;
        if batches == 2 {
            q.fail_next_calls(Operation::SendMessage, 1);
        }
    })
    .await
    .unwrap();
    assert_eq!(r.stopped, Some(StopReason::Error));
    assert_eq!((r.moved, r.failed), (10, 10));
    assert!(r.error.as_deref().unwrap().contains("sqs:SendMessage"));
    assert_eq!(q.messages(DLQ).len(), 20);
    assert_none_lost(&q, &bodies, SRC, DLQ);
}

#[tokio::test]
async fn a_lost_delete_leaves_a_duplicate_never_a_loss() {
    let (q, bodies) = setup(10);
    q.fail_next_calls(Operation::DeleteMessage, 1);
    let r = mv(&q, &opts()).await;
    assert_eq!((r.moved, r.not_deleted), (10, 10));
    assert!(!r.is_clean());
    assert_eq!(q.messages(DLQ).len(), 10);
    assert_eq!(q.messages(SRC).len(), 10);
    assert_none_lost(&q, &bodies, SRC, DLQ);
}

#[tokio::test]
async fn filters_leave_the_rest_untouched_and_visible() {
    let q = MemoryQueues::new();
    q.create(SRC);
    q.create(DLQ);
    q.set_redrive(SRC, DLQ, 3);
    q.put(DLQ, &body("acme"), None, Duration::from_secs(7200));
    q.put(DLQ, &body("acme"), None, Duration::from_secs(60));
    q.put(DLQ, &body("globex"), None, Duration::from_secs(7200));
    q.put(DLQ, "not json", None, Duration::from_secs(7200));
    let mut o = opts();
    o.filter.companies = ["acme".to_string()].into();
    o.filter.older_than = Some(Duration::from_secs(3600));
    let r = mv(&q, &o).await;
    assert_eq!((r.moved, r.skipped), (1, 3));
    assert_eq!(r.skip_reasons["too new"], 1);
    assert_eq!(r.skip_reasons["other company"], 1);
    assert_eq!(r.skip_reasons["unreadable body"], 1);
    assert_eq!(bodies_in(&q, SRC), vec![body("acme")]);
    let left = inspect::peek(&q, DLQ, 10, Duration::ZERO).await.unwrap();
    assert_eq!(left.messages.len(), 3, "skipped messages are visible again");
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let (q, _) = setup(15);
    let mut o = opts();
    o.dry_run = true;
    let r = mv(&q, &o).await;
    assert_eq!((r.would_move, r.moved), (15, 0));
    assert_eq!(r.planned.len(), 15);
    assert_eq!(q.messages(DLQ).len(), 15);
    assert!(q.messages(SRC).is_empty());
    assert_eq!(
        inspect::peek(&q, DLQ, 100, Duration::ZERO)
            .await
            .unwrap()
            .messages
            .len(),
        15
    );
}

#[tokio::test]
async fn max_and_interrupt() {
    let (q, _) = setup(25);
    let mut o = opts();
    o.max = Some(13);
    let r = mv(&q, &o).await;
    assert_eq!(r.moved, 13);
    assert_eq!(r.stopped, Some(StopReason::MaxReached));
    assert_eq!(q.messages(DLQ).len(), 12);

    let stop = AtomicBool::new(true);
    let r = run_move(&q, &opts(), &stop, &mut |_| {}).await.unwrap();
    assert_eq!(r.stopped, Some(StopReason::Interrupted));
    assert_eq!(r.moved, 0);
}

#[tokio::test]
async fn the_target_must_be_clear() {
    let q = MemoryQueues::new();
    q.create(SRC);
    q.create("https://sqs.us-east-1.amazonaws.com/1/other");
    q.create(DLQ);
    q.set_redrive(SRC, DLQ, 3);
    q.set_redrive("https://sqs.us-east-1.amazonaws.com/1/other", DLQ, 3);
    let e = run_move(&q, &opts(), &AtomicBool::new(false), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        e.is_usage() && e.to_string().contains("choose one with --to"),
        "{e}"
    );
    let mut o = opts();
    o.to = Some(DLQ.into());
    let e = run_move(&q, &o, &AtomicBool::new(false), &mut |_| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("dead-letter queue itself"), "{e}");
    assert!(!q.calls().contains(&Operation::ReceiveMessage));
}

#[tokio::test]
async fn fifo_keeps_groups_and_a_rerun_after_a_crash_sends_no_duplicates() {
    let q = MemoryQueues::new();
    q.create(SRC_FIFO);
    q.create(DLQ_FIFO);
    q.set_redrive(SRC_FIFO, DLQ_FIFO, 3);
    for i in 0..6 {
        q.put(
            DLQ_FIFO,
            &body(&format!("c{i}")),
            Some(&format!("g{}", i % 2)),
            Duration::ZERO,
        );
    }
    let ids: Vec<String> = q
        .messages(DLQ_FIFO)
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    let mut o = MoveOptions::new(DLQ_FIFO);
    o.wait = Duration::ZERO;
    // The delete is lost: as if the process died between send and delete.
    q.fail_next_calls(Operation::DeleteMessage, 1);
    let r = mv(&q, &o).await;
    assert_eq!((r.moved, r.not_deleted), (6, 6));
    q.expire_visibility(DLQ_FIFO);
    let again = mv(&q, &o).await;
    assert_eq!(again.moved, 6);
    assert!(q.messages(DLQ_FIFO).is_empty());
    let target = q.messages(SRC_FIFO);
    assert_eq!(target.len(), 6, "the re-run was deduplicated");
    for (m, id) in target.iter().zip(&ids) {
        assert_eq!(
            m.dedup_id.as_deref(),
            Some(format!("{}-{id}", r.run_id).as_str())
        );
    }
    let groups: BTreeSet<_> = target.iter().filter_map(|m| m.group_id.clone()).collect();
    assert_eq!(groups, ["g0".to_string(), "g1".to_string()].into());
}

#[tokio::test]
async fn export_delete_then_import_round_trip() {
    let (q, bodies) = setup(23);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dlq.jsonl");
    let e = ExportOptions {
        dlq: DLQ.into(),
        out: file.clone(),
        delete: true,
        max: None,
        wait: Duration::ZERO,
        visibility: Duration::from_secs(60),
    };
    let r = archive::export(&q, &e, &AtomicBool::new(false), &mut |_| {})
        .await
        .unwrap();
    assert_eq!((r.exported, r.deleted), (23, 23));
    assert!(q.messages(DLQ).is_empty());
    // never overwritten
    let again = archive::export(&q, &e, &AtomicBool::new(false), &mut |_| {}).await;
    assert!(again.unwrap_err().is_usage());

    let i = ImportOptions {
        file: file.clone(),
        to: SRC.into(),
        rate: None,
        run_id: None,
        dry_run: false,
    };
    let r = archive::import(&q, &i, &AtomicBool::new(false), &mut |_| {})
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed, r.not_sent), (23, 0, 0));
    assert_eq!(bodies_in(&q, SRC), bodies);
}

#[tokio::test]
async fn import_checks_the_whole_file_first() {
    let (q, _) = setup(0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    let line = archive_line("m1", &body("acme"));
    std::fs::write(&file, format!("{line}\n{{broken\n")).unwrap();
    let i = ImportOptions {
        file,
        to: SRC.into(),
        rate: None,
        run_id: None,
        dry_run: false,
    };
    let e = archive::import(&q, &i, &AtomicBool::new(false), &mut |_| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
    assert!(q.messages(SRC).is_empty());
}

fn archive_line(message_id: &str, body: &str) -> String {
    serde_json::json!({"v":1,"message_id":message_id,"source_queue":DLQ,"body":body,"exported_at":"2026-01-01T00:00:00Z"})
        .to_string()
}

fn import_options(file: &std::path::Path) -> ImportOptions {
    ImportOptions {
        file: file.to_path_buf(),
        to: SRC.into(),
        rate: None,
        run_id: None,
        dry_run: false,
    }
}

async fn import_error(q: &MemoryQueues, file: &std::path::Path) -> String {
    let e = archive::import(
        q,
        &import_options(file),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(e.is_usage(), "{e}");
    assert!(q.messages(SRC).is_empty(), "nothing is sent: {e}");
    e.to_string()
}

#[tokio::test]
async fn import_refuses_an_archive_over_the_size_limit_before_reading_it() {
    let (q, _) = setup(0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.jsonl");
    // Sparse: the size is refused from the metadata, no byte of it is read.
    std::fs::File::create(&file)
        .unwrap()
        .set_len(archive::MAX_ARCHIVE_BYTES + 1)
        .unwrap();
    let e = import_error(&q, &file).await;
    assert!(e.contains(&file.display().to_string()), "{e}");
    assert!(e.contains("over the 256 MiB archive limit"), "{e}");
    assert!(e.contains("268435457 bytes"), "{e}");

    std::fs::File::create(&file)
        .unwrap()
        .set_len(archive::MAX_ARCHIVE_BYTES)
        .unwrap();
    let e = import_error(&q, &file).await;
    assert!(
        !e.contains("archive limit"),
        "at the limit the size passes: {e}"
    );
}

/// An archive line of exactly `len` bytes: a valid message padded with an unknown field.
fn line_of_len(message_id: &str, len: usize) -> String {
    let bare = archive_line(message_id, &body("acme"));
    let mut v: serde_json::Value = serde_json::from_str(&bare).unwrap();
    let overhead = serde_json::to_string(&{
        v["pad"] = "".into();
        v.clone()
    })
    .unwrap()
    .len();
    v["pad"] = "p".repeat(len - overhead).into();
    let line = v.to_string();
    assert_eq!(line.len(), len);
    line
}

#[tokio::test]
async fn import_takes_a_line_at_the_line_limit_and_refuses_one_byte_more() {
    let (q, _) = setup(0);
    let dir = tempfile::tempdir().unwrap();
    let limit = archive::MAX_ARCHIVE_LINE_BYTES;
    let file = dir.path().join("long.jsonl");
    std::fs::write(
        &file,
        format!(
            "{}\n{}\r\n",
            line_of_len("m1", limit),
            line_of_len("m2", limit)
        ),
    )
    .unwrap();
    let r = archive::import(
        &q,
        &import_options(&file),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(r.sent, 2, "two lines of exactly the limit (LF and CRLF)");

    let (q, _) = setup(0);
    let file = dir.path().join("longer.jsonl");
    std::fs::write(
        &file,
        format!(
            "{}\n{}\n",
            archive_line("m1", &body("acme")),
            line_of_len("m2", limit + 1)
        ),
    )
    .unwrap();
    let e = import_error(&q, &file).await;
    assert!(e.contains(&format!("{} line 2:", file.display())), "{e}");
    assert!(e.contains("2 MiB (2097152 bytes) line limit"), "{e}");

    // The same at the end of a file without a final newline.
    std::fs::write(&file, "x".repeat(limit + 1)).unwrap();
    let e = import_error(&q, &file).await;
    assert!(e.contains("line 1: the line is longer"), "{e}");
}

#[tokio::test]
async fn import_refuses_a_body_the_worker_cannot_read_naming_its_line() {
    let (q, _) = setup(0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("poison.jsonl");
    let lines = [
        archive_line("m1", &body("acme")),
        String::new(),
        archive_line("m3", &body("globex")),
        archive_line(
            "m4",
            r#"{"v":1,"company_id":"../etc","reported_at":"2026-01-02T03:04:05Z","origin":"report"}"#,
        ),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let e = import_error(&q, &file).await;
    assert!(
        e.contains("line 4: message \"m4\" has a body the worker cannot read"),
        "{e}"
    );
    assert!(e.contains("company id"), "the parser's reason: {e}");

    for (bad, why) in [("not json", "not JSON"), (r#"{"v":2}"#, "version")] {
        std::fs::write(&file, format!("{}\n", archive_line("m1", bad))).unwrap();
        let e = import_error(&q, &file).await;
        assert!(e.contains("line 1:") && e.contains(why), "{e}");
    }
}

#[tokio::test]
async fn import_failures_name_the_line_of_the_file() {
    let (q, _) = setup(0);
    q.refuse_bodies_containing("\"globex\"", "KMS.AccessDenied");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gaps.jsonl");
    // Blank lines are skipped but counted, as an editor counts them.
    let text = format!(
        "\n{}\n\n\n{}\r\n{}\n",
        archive_line("m1", &body("acme")),
        archive_line("m2", &body("globex")),
        archive_line("m3", &body("initech")),
    );
    std::fs::write(&file, text).unwrap();
    let r = archive::import(
        &q,
        &import_options(&file),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!((r.sent, r.failed), (2, 1));
    assert_eq!(r.failures[0].line, 5);
    assert_eq!(r.failures[0].message_id, "m2");
    let read = archive::read_archive(&file).unwrap();
    let lines: Vec<usize> = read.iter().map(|l| l.line).collect();
    assert_eq!(lines, [2, 5, 6]);
}
