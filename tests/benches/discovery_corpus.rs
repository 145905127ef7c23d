//! `make bench`: the share of the labelled discovery corpus picked right, every miss with its
//! cause, and the time and renders per company. Numbers for docs/benchmarks, not pass/fail
//! (the test `discovery_corpus` is the pass/fail).

#[path = "../it/corpus_run.rs"]
mod corpus_run;

use corpus_run::{run_corpus, summary};
use logofill_testkit::sites::corpus::{corpus_dir, CorpusServer};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = CorpusServer::start(&corpus_dir()).await;
        let started = std::time::Instant::now();
        let results = run_corpus(&server).await;
        let elapsed = started.elapsed();
        print!("{}", summary(&results));
        let mut times: Vec<f64> = results
            .iter()
            .map(|r| r.elapsed.as_secs_f64() * 1000.0)
            .collect();
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "time per company: median {:.1} ms, p90 {:.1} ms, max {:.1} ms; whole corpus {:.2} s ({} companies, release build, one process, 127.0.0.1)",
            pct(0.5),
            pct(0.9),
            pct(1.0),
            elapsed.as_secs_f64(),
            results.len()
        );
    });
}
