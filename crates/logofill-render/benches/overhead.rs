//! What the render budget costs: the same inputs rendered one at a time in-process and through
//! a warm helper (pipe out, render, pipe back), interleaved, median of many rounds. The
//! difference is the budget's overhead on a render; `make bench-image` prints it.
//!
//!   cargo bench -p logofill-render --bench overhead        (BENCH_ROUNDS, default 40)

use std::sync::Arc;
use std::time::{Duration, Instant};

use logofill_render::{
    HelperCommand, Pipeline, PipelineOptions, RenderBudget, RenderPool, Renderer,
};

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let pipeline = Pipeline::new(PipelineOptions::default()).unwrap();
    // A real PNG logo of 256 px and a typical SVG mark with text-free paths.
    let png = pipeline
        .placeholder("bench", "Bench")
        .unwrap()
        .variants
        .into_iter()
        .find(|v| v.size == 256 && v.format.extension() == "png")
        .unwrap()
        .bytes;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 200"><rect width="600" height="200" rx="24" fill="#1d4ed8"/><path d="M60 150 L120 50 L180 150 Z" fill="#fff"/><circle cx="300" cy="100" r="60" fill="#f59e0b"/><path d="M420 50 h120 v100 h-120 z" fill="none" stroke="#fff" stroke-width="12"/></svg>"##.to_vec();
    vec![("png-256", png), ("svg-mark", svg)]
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(40);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pipeline = Arc::new(Pipeline::new(PipelineOptions::default()).unwrap());
    let in_process = Renderer::in_process(pipeline.clone());
    let pool = RenderPool::new(
        HelperCommand::program(logofill_testkit::binaries::path("logofill-render-helper")),
        pipeline.options(),
        RenderBudget {
            timeout: Duration::from_secs(10),
            memory_bytes: 160 << 20,
        },
        1,
    );
    let sandboxed = Renderer::sandboxed(pipeline, pool.clone());
    runtime.block_on(async {
        pool.warm_up().await.unwrap();
        println!("render budget overhead, one render at a time, median of {rounds} rounds");
        println!(
            "{:10} {:>14} {:>14} {:>10}",
            "input", "in-process ms", "helper ms", "overhead"
        );
        for (name, bytes) in inputs() {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let t = Instant::now();
                in_process.render(name, bytes.clone()).await.unwrap();
                a.push(t.elapsed());
                let t = Instant::now();
                sandboxed.render(name, bytes.clone()).await.unwrap();
                b.push(t.elapsed());
            }
            let (a, b) = (median(a), median(b));
            println!(
                "{:10} {:>14.3} {:>14.3} {:>+9.1}%",
                name,
                a.as_secs_f64() * 1e3,
                b.as_secs_f64() * 1e3,
                (b.as_secs_f64() / a.as_secs_f64() - 1.0) * 100.0
            );
        }
        pool.shutdown().await;
    });
}
