//! The scheduled refresh at its worst case, measured against moto_server, then priced at a
//! million companies.
//!
//! 10,000 sets are filed in the refresh index, all due (`LOGOFILL_BENCH_COMPANIES`), plus 2,000
//! due later (`LOGOFILL_BENCH_LATER`), and `logofill_core::refresh::run_due` runs once with the
//! real `S3Store` and `SqsQueue` and the default concurrency (16 batches at once), as the
//! `logofill-refresh` Lambda runs it, on a single-threaded runtime like the Lambda's (with an
//! hour's time limit instead of 780 s: moto is slower than AWS). A consumer on its own thread
//! samples and purges the queue meanwhile, as the worker keeps it short: moto counts a queue's
//! messages on every SendMessage, so a send there costs O(messages waiting). Each store and
//! queue call is timed on its way through. Printed: the requests by kind (from the
//! `RunReport`), the latency of each kind, wall time, the CPU time of the run's thread, the
//! peak RSS of this process during the run (VmHWM, reset before the run where the kernel
//! allows it).
//!
//! Then a model of one run (each page of 1,000 due keys: one LIST, its 100 sends in rounds of
//! 16, one DeleteObjects), checked against the measured run, extrapolates to 1,000,000
//! companies: (a) the steady state, a thirtieth due per day, and (b) all due at once; the
//! requests, their price (S3 LIST and DeleteObjects $0.005 per 1,000; SQS $0.40 per million
//! requests, one per SendMessageBatch of ten) and the time per run at moto's latency and at
//! two AWS assumptions, against the 780 s a run gives itself inside Lambda's 900 s.
//!
//! Run with `make bench-refresh`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use logofill_aws::{S3Store, Sqs, SqsQueue};
use logofill_core::queue::{EntryFailure, MessageQueue, OutgoingMessage, QueueError};
use logofill_core::refresh::{refile, run_due, RunOptions, RunReport, DUE_PREFIX};
use logofill_core::store::{ListPage, LogoStore, ObjectHead, StoreError, StoredObject};
use logofill_core::CompanyId;
use logofill_testkit::aws::{create_bucket, create_queue, s3_client, sqs_client};
use logofill_testkit::moto::MotoServer;
use logofill_testkit::process;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Durations of each call of one kind.
#[derive(Default, Clone)]
struct Calls(Arc<Mutex<Vec<Duration>>>);

impl Calls {
    fn record(&self, took: Duration) {
        self.0.lock().unwrap().push(took);
    }

    /// (count, mean, p50, p95, max) in ms.
    fn summary(&self) -> (usize, f64, f64, f64, f64) {
        let mut all: Vec<f64> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect();
        if all.is_empty() {
            return (0, 0.0, 0.0, 0.0, 0.0);
        }
        all.sort_by(f64::total_cmp);
        let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize];
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        (all.len(), mean, at(0.5), at(0.95), all[all.len() - 1])
    }

    fn mean_secs(&self) -> f64 {
        self.summary().1 / 1000.0
    }
}

/// The S3 store with its LIST and DeleteObjects calls timed.
struct TimedStore {
    inner: S3Store,
    lists: Calls,
    deletes: Calls,
}

impl LogoStore for TimedStore {
    async fn head(&self, key: &str) -> Result<Option<ObjectHead>, StoreError> {
        self.inner.head(key).await
    }
    async fn put(&self, object: StoredObject) -> Result<(), StoreError> {
        self.inner.put(object).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
    async fn get(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> Result<Option<(Vec<u8>, ObjectHead)>, StoreError> {
        self.inner.get(key, max_bytes).await
    }
    async fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ListPage, StoreError> {
        let started = Instant::now();
        let page = self.inner.list(prefix, after, limit).await;
        self.lists.record(started.elapsed());
        page
    }
    async fn replace_metadata(
        &self,
        key: &str,
        metadata: std::collections::BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        self.inner.replace_metadata(key, metadata).await
    }
    async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        let started = Instant::now();
        let done = self.inner.delete_many(keys).await;
        self.deletes.record(started.elapsed());
        done
    }
}

/// The SQS queue with its SendMessageBatch calls timed.
struct TimedQueue {
    inner: SqsQueue,
    sends: Calls,
}

impl MessageQueue for TimedQueue {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn is_fifo(&self) -> bool {
        self.inner.is_fifo()
    }
    async fn send_batch(&self, batch: &[OutgoingMessage]) -> Result<Vec<EntryFailure>, QueueError> {
        let started = Instant::now();
        let result = self.inner.send_batch(batch).await;
        self.sends.record(started.elapsed());
        result
    }
}

/// Requests one run makes for `due` due sets with later ones filed after them.
struct RunShape {
    lists: u64,
    deletes: u64,
    sends: u64,
    /// Rounds of `concurrency` sends, summed over the pages.
    send_rounds: u64,
}

fn shape(due: u64, later_filed: bool, concurrency: u64) -> RunShape {
    let full_pages = due / 1000;
    let last = due % 1000;
    let pages_with_due = full_pages + u64::from(last > 0);
    // A full last page of due keys has a next page when later days are filed, whose first key
    // ends the run: one more LIST. A partial one holds that key itself.
    let lists = if last == 0 && (later_filed || full_pages == 0) {
        full_pages + 1
    } else {
        pages_with_due
    };
    let rounds_of = |keys: u64| keys.div_ceil(10).div_ceil(concurrency);
    RunShape {
        lists,
        deletes: pages_with_due,
        sends: full_pages * 100 + last.div_ceil(10),
        send_rounds: full_pages * rounds_of(1000) + rounds_of(last),
    }
}

/// Seconds of one run of this shape at these per-request latencies (seconds).
fn run_secs(s: &RunShape, list: f64, send: f64, delete: f64) -> f64 {
    s.lists as f64 * list + s.send_rounds as f64 * send + s.deletes as f64 * delete
}

/// Dollars of one run's requests at AWS list prices.
fn run_cost(s: &RunShape) -> f64 {
    (s.lists + s.deletes) as f64 * 0.005 / 1000.0 + s.sends as f64 * 0.40 / 1_000_000.0
}

/// Lambda compute of one run at 128 MB on x86_64 ($0.0000166667 per GB-second).
fn lambda_cost(secs: f64) -> f64 {
    secs * 0.125 * 0.000_016_666_7
}

/// Forget this process's peak RSS so far (Linux: `5` in clear_refs resets VmHWM).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// CPU time (user + system) of the calling thread, from `/proc/thread-self/stat`.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10)) // USER_HZ is 100 on Linux
}

/// Until told to stop: every 250 ms, read up to ten messages (a sample, checked by the caller)
/// and purge the queue, so it never holds more than a quarter second of sends.
fn drain(endpoint: &str, url: &str, draining: &AtomicBool) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sqs = sqs_client(endpoint).await;
        let mut sample = Vec::new();
        loop {
            let running = draining.load(Ordering::SeqCst);
            let out = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive");
            sample.extend(
                out.messages()
                    .iter()
                    .filter_map(|m| m.body().map(str::to_string)),
            );
            sqs.purge_queue()
                .queue_url(url)
                .send()
                .await
                .expect("purge");
            if !running {
                return sample;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
}

fn main() {
    // Read by the moto_server this process starts: the consumer purges more often than once a
    // minute. Set before any thread exists.
    std::env::set_var("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false");
    let companies = env_or("LOGOFILL_BENCH_COMPANIES", 10_000);
    let later = env_or("LOGOFILL_BENCH_LATER", 2_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(companies, later));
}

async fn bench(companies: u64, later: u64) {
    let moto = MotoServer::start();
    let sdk = logofill_aws::local_sdk_config(&moto.endpoint).await;
    let s3 = s3_client(&moto.endpoint).await;
    let sqs_admin = sqs_client(&moto.endpoint).await;
    create_bucket(&s3, "logos").await;
    let queue_url = create_queue(&sqs_admin, "logofill-refresh-bench").await;
    let store = S3Store::new(logofill_aws::s3_client(&sdk), "logos");

    // The index: the due sets over the last three days, the later ones over the next 29.
    let today = Utc::now().date_naive();
    let filled = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let entries: Vec<(String, chrono::NaiveDate)> = (0..companies)
        .map(|n| {
            (
                format!("company-{n:07}"),
                today.checked_sub_days(Days::new(n % 3)).unwrap(),
            )
        })
        .chain((0..later).map(|n| {
            (
                format!("later-{n:07}"),
                today.checked_add_days(Days::new(1 + n % 29)).unwrap(),
            )
        }))
        .collect();
    let entries = Arc::new(entries);
    for part in 0..16usize {
        let store = store.clone();
        let entries = entries.clone();
        tasks.spawn(async move {
            for (id, day) in entries.iter().skip(part).step_by(16) {
                let company = CompanyId::parse(id).unwrap();
                refile(&store, &company, None, Some(*day))
                    .await
                    .expect("filing an index key");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let fill_secs = filled.elapsed().as_secs_f64();
    println!(
        "refresh_index: filed {} index keys ({companies} due, {later} later) on moto in {fill_secs:.1} s ({:.0} PUT/s, 16 at once)",
        companies + later,
        (companies + later) as f64 / fill_secs
    );

    let timed_store = TimedStore {
        inner: store.clone(),
        lists: Calls::default(),
        deletes: Calls::default(),
    };
    let timed_queue = TimedQueue {
        inner: Sqs::new(aws_sdk_sqs::Client::new(&sdk)).queue(queue_url.clone()),
        sends: Calls::default(),
    };
    // The worker's side, on a thread of its own: moto counts a queue's messages on every
    // SendMessage and ReceiveMessage, so a call there costs O(messages waiting) and 10,000
    // waiting messages would make moto, not the run, the measurement. A consumer samples and
    // purges the queue every 250 ms, as the worker keeps it short in production.
    let draining = Arc::new(AtomicBool::new(true));
    let drainer = {
        let draining = draining.clone();
        let endpoint = moto.endpoint.clone();
        let url = queue_url.clone();
        std::thread::spawn(move || drain(&endpoint, &url, &draining))
    };

    // The Lambda's time limit is for AWS's latencies; moto is slower, so the run here gets an
    // hour to finish the worst case in one go. Concurrency is the default.
    let options = RunOptions {
        time_limit: Duration::from_secs(3600),
        ..RunOptions::default()
    };
    let peak_reset = reset_peak();
    let pid = std::process::id();
    let cpu_before = thread_cpu();
    let started = Instant::now();
    let now = Utc::now();
    let report: RunReport = run_due(&timed_store, &timed_queue, today, now, options)
        .await
        .expect("the run");
    let wall = started.elapsed().as_secs_f64();
    let cpu = thread_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let usage = process::usage(pid);
    draining.store(false, Ordering::SeqCst);
    let sample = drainer.join().expect("the consumer");
    let left = {
        let mut n = 0;
        let mut after = None;
        loop {
            let page = store
                .list(DUE_PREFIX, after.as_deref(), 1000)
                .await
                .unwrap();
            n += page.keys.len() as u64;
            after = page.keys.last().cloned();
            if page.next.is_none() {
                break n;
            }
        }
    };
    println!(
        "refresh_index: run_due over {companies} due sets: sent {}, failed {}, removed {}, stopped_early {}; {} messages sampled by the consumer, all origin refresh; {left} later keys left",
        report.sent, report.failed, report.removed, report.stopped_early, sample.len()
    );
    println!(
        "  requests: {} LIST, {} DeleteObjects, {} SendMessageBatch",
        report.list_requests, report.delete_requests, report.send_requests
    );
    for (kind, calls) in [
        ("LIST (1,000 keys)", &timed_store.lists),
        ("DeleteObjects (1,000 keys)", &timed_store.deletes),
        ("SendMessageBatch (10, 16 at once)", &timed_queue.sends),
    ] {
        let (n, mean, p50, p95, max) = calls.summary();
        println!(
            "  moto latency, {kind}: {n} calls, mean {mean:.1} ms, p50 {p50:.1}, p95 {p95:.1}, max {max:.1}"
        );
    }
    println!(
        "  wall time {wall:.2} s ({:.0} sets/s); CPU of the run's thread {}; peak RSS {}",
        companies as f64 / wall,
        cpu.map(|c| format!("{:.2} s", c.as_secs_f64()))
            .unwrap_or_else(|| "not measured".into()),
        match usage {
            Some((hwm, _)) => format!(
                "{:.1} MiB ({})",
                hwm as f64 / 1048576.0,
                if peak_reset {
                    "this process during the run"
                } else {
                    "this process since start: the kernel did not reset VmHWM"
                }
            ),
            None => "not measured".into(),
        }
    );

    // What the run did, before anything is priced from it.
    assert_eq!(
        (report.sent, report.failed, report.removed),
        (companies, 0, companies),
        "{report:?}"
    );
    assert!(!report.stopped_early, "{report:?}");
    assert_eq!(left, later, "only the later sets stay filed");
    assert!(!sample.is_empty(), "the consumer saw messages");
    for body in &sample {
        let message: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(message["origin"], "refresh", "{body}");
        let id = message["company_id"].as_str().unwrap();
        assert!(id.starts_with("company-"), "only due sets are sent: {body}");
    }

    // The model, checked against this run at moto's own latencies.
    let concurrency = RunOptions::default().concurrency as u64;
    let measured = shape(companies, later > 0, concurrency);
    assert_eq!(
        (measured.lists, measured.deletes, measured.sends),
        (
            report.list_requests,
            report.delete_requests,
            report.send_requests
        ),
        "the model counts the requests the run made"
    );
    let (l, s, d) = (
        timed_store.lists.mean_secs(),
        timed_queue.sends.mean_secs(),
        timed_store.deletes.mean_secs(),
    );
    println!(
        "  model at moto's mean latencies: {:.2} s for this run (measured {wall:.2} s)",
        run_secs(&measured, l, s, d)
    );

    // CPU: a 128 MB Lambda has 128/1769 of a vCPU; its CPU alone sets a floor on wall time.
    let share = 128.0 / 1769.0;
    let cpu_per_set = cpu.map(|c| c.as_secs_f64() / companies as f64);
    if let Some(per_set) = cpu_per_set {
        println!(
            "  CPU {:.1} ms per 1,000 sets on this machine; at 128 MB ({share:.3} of a vCPU) that alone is {:.1} s per 1,000 sets",
            per_set * 1e6,
            per_set * 1000.0 / share
        );
    }

    let limit = RunOptions::default().time_limit.as_secs_f64();
    println!("refresh_index: extrapolated to 1,000,000 companies (RunOptions::default(): {concurrency} batches at once, {limit:.0} s per run)");
    let assumptions = [
        ("moto as measured", l, s, d),
        (
            "AWS, 30 ms a request, DeleteObjects 100 ms",
            0.030,
            0.030,
            0.100,
        ),
        (
            "AWS, 50 ms a request, DeleteObjects 250 ms",
            0.050,
            0.050,
            0.250,
        ),
    ];
    for (label, due) in [
        (
            "(a) steady state, 1/30 due per day",
            1_000_000u64.div_ceil(30),
        ),
        ("(b) all 1,000,000 due at once", 1_000_000),
    ] {
        let run = shape(due, true, concurrency);
        println!(
            "  {label}: {due} due: {} LIST, {} DeleteObjects, {} SendMessageBatch = ${:.4} a run",
            run.lists,
            run.deletes,
            run.sends,
            run_cost(&run)
        );
        // At 128 MB the run's own CPU can outlast its waits: a run takes at least the
        // longer of the two (they overlap at best).
        let cpu_secs = cpu_per_set.map(|per_set| per_set * due as f64 / share);
        if let Some(cpu_secs) = cpu_secs {
            println!("    its CPU at 128 MB: at least {cpu_secs:.0} s of wall time");
        }
        for (name, l, s, d) in assumptions {
            let waits = run_secs(&run, l, s, d);
            let secs = waits.max(cpu_secs.unwrap_or(0.0));
            let runs = (secs / limit).ceil().max(1.0);
            println!(
                "    {name}: requests {waits:.0} s; at 128 MB {secs:.0} s a run{}, Lambda ${:.5}",
                if secs <= limit {
                    " (fits one invocation)".to_string()
                } else {
                    format!(" (does not fit: {runs:.0} runs of {limit:.0} s)")
                },
                lambda_cost(secs)
            );
        }
    }
    let steady = shape(1_000_000u64.div_ceil(30), true, concurrency);
    println!(
        "  steady state for 30 days: ${:.3} of requests; a HEAD of every sentinel each day instead would be 1,000,000 HEADs = $0.40 a day (at $0.0004 per 1,000 GETs), ${:.2} for 30 days",
        run_cost(&steady) * 30.0,
        0.40 * 30.0
    );
}
