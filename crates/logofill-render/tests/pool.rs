//! The render pool against a real helper process: every way a render can end, and that the
//! pool recovers from each (the next render gets a fresh helper and succeeds).

use std::sync::Arc;
use std::time::{Duration, Instant};

use logofill_render::{
    BudgetLimit, HelperCommand, Pipeline, PipelineOptions, RenderBudget, RenderError, RenderPool,
    Renderer,
};
use logofill_testkit::binaries;

const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="#2a6"/><circle cx="30" cy="30" r="20" fill="#fff"/></svg>"##;

fn pool(timeout_ms: u64, memory_mb: u64, slots: usize) -> RenderPool {
    let command = HelperCommand::program(binaries::path("logofill-render-helper"))
        .env("LOGOFILL_RENDER_FAULT", "1");
    RenderPool::new(
        command,
        &PipelineOptions::default(),
        RenderBudget {
            timeout: Duration::from_millis(timeout_ms),
            memory_bytes: memory_mb << 20,
        },
        slots,
    )
}

fn budget_limit(result: Result<logofill_render::RenderedSet, RenderError>) -> BudgetLimit {
    match result {
        Err(RenderError::BudgetExceeded { limit, .. }) => limit,
        other => panic!("expected a budget refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_in_a_helper_equals_the_in_process_render() {
    let pool = pool(5000, 128, 1);
    let in_helper = pool.render("logo.svg", LOGO.into()).await.unwrap();
    let pipeline = Pipeline::new(PipelineOptions::default()).unwrap();
    assert_eq!(
        in_helper,
        pipeline.render("logo.svg", LOGO.as_bytes()).unwrap()
    );
    // The same helper serves the next render.
    pool.render("logo.svg", LOGO.into()).await.unwrap();
    assert_eq!(pool.stats().helpers_started, 1);
    assert_eq!(pool.stats().renders, 2);
    // Shutting down reaps the helper; a later render starts a new one.
    pool.shutdown().await;
    pool.render("logo.svg", LOGO.into()).await.unwrap();
    assert_eq!(pool.stats().helpers_started, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_keeps_the_image_error_and_the_helper() {
    let pool = pool(5000, 128, 1);
    let err = pool
        .render("https://acme.example/x.png", b"hello, world".to_vec())
        .await
        .unwrap_err();
    match &err {
        RenderError::Refused {
            code, permanent, ..
        } => {
            assert_eq!(code, "not_an_image");
            assert!(*permanent);
        }
        other => panic!("{other:?}"),
    }
    assert!(err
        .to_string()
        .starts_with("https://acme.example/x.png is not an image"));
    assert!(!err.is_retryable());
    pool.render("logo.svg", LOGO.into()).await.unwrap();
    assert_eq!(pool.stats().helpers_started, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spinning_render_is_killed_at_the_deadline() {
    let pool = pool(400, 128, 1);
    let started = Instant::now();
    let result = pool.render("fault:spin", LOGO.into()).await;
    let took = started.elapsed();
    assert_eq!(
        budget_limit(result),
        BudgetLimit::Time(Duration::from_millis(400))
    );
    // Killed at the deadline, not after the render: generous for a loaded machine.
    assert!(took < Duration::from_millis(400 + 5000), "took {took:?}");
    // A fresh helper renders the next input.
    pool.render("logo.svg", LOGO.into()).await.unwrap();
    assert_eq!(pool.stats().helpers_started, 2);
    assert_eq!(pool.stats().helpers_lost, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allocation_past_the_ceiling_ends_the_render_not_the_process() {
    let pool = pool(10_000, 64, 1);
    let err = pool.render("fault:alloc", LOGO.into()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "rendering fault:alloc needed more than the 64 MiB render memory limit \
         (LOGOFILL_RENDER_MEMORY_MB)"
    );
    assert_eq!(err.code(), "budget_exceeded");
    pool.render("logo.svg", LOGO.into()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_overflow_and_an_abort_are_named() {
    let pool = pool(10_000, 128, 1);
    assert_eq!(
        budget_limit(pool.render("fault:stack", LOGO.into()).await),
        BudgetLimit::Stack
    );
    assert_eq!(
        budget_limit(pool.render("fault:abort", LOGO.into()).await),
        BudgetLimit::Crash(format!("signal {}", libc_sigabrt()))
    );
    assert_eq!(
        budget_limit(pool.render("fault:exit", LOGO.into()).await),
        BudgetLimit::Crash("exit status 3".into())
    );
    pool.render("logo.svg", LOGO.into()).await.unwrap();
    assert_eq!(pool.stats().helpers_lost, 3);
}

fn libc_sigabrt() -> i32 {
    6
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_helper_gets_an_empty_environment() {
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "not-for-decoders");
    let pool = pool(5000, 128, 1);
    let err = pool.render("fault:env", LOGO.into()).await.unwrap_err();
    assert!(
        err.to_string().ends_with("(LOGOFILL_RENDER_FAULT)"),
        "the helper saw: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renders_run_in_parallel_up_to_the_slots_and_one_overrun_spares_the_others() {
    let pool = Arc::new(pool(1500, 128, 2));
    pool.warm_up().await.unwrap();
    assert_eq!(pool.stats().helpers_started, 2);
    let mut tasks = Vec::new();
    for i in 0..6 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let name = if i == 2 { "fault:spin" } else { "logo.svg" };
            pool.render(name, LOGO.into()).await
        }));
    }
    let mut ok = 0;
    let mut over = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(RenderError::BudgetExceeded { .. }) => over += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((ok, over), (5, 1));
    assert!(pool.stats().helpers_started <= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_over_the_byte_limit_is_refused_before_the_helper_sees_it() {
    let mut options = PipelineOptions::default();
    options.limits.max_input_bytes = 1000;
    let pool = RenderPool::new(
        HelperCommand::program(binaries::path("logofill-render-helper")),
        &options,
        RenderBudget {
            timeout: Duration::from_secs(5),
            memory_bytes: 64 << 20,
        },
        1,
    );
    let err = pool.render("big.png", vec![0u8; 1001]).await.unwrap_err();
    assert_eq!(err.code(), "input_too_large");
    assert_eq!(pool.stats().helpers_started, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_helper_binary_is_retryable() {
    let pool = RenderPool::new(
        HelperCommand::program("/nonexistent/logofill"),
        &PipelineOptions::default(),
        RenderBudget {
            timeout: Duration::from_secs(1),
            memory_bytes: 64 << 20,
        },
        1,
    );
    let err = pool.render("logo.svg", LOGO.into()).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err
        .to_string()
        .contains("cannot start /nonexistent/logofill"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_process_twin_renders_the_same() {
    let pipeline = Arc::new(Pipeline::new(PipelineOptions::default()).unwrap());
    let renderer = Renderer::in_process(pipeline.clone());
    let set = renderer.render("logo.svg", LOGO.into()).await.unwrap();
    assert_eq!(set, pipeline.render("logo.svg", LOGO.as_bytes()).unwrap());
    let err = renderer.render("x", b"nope".to_vec()).await.unwrap_err();
    assert_eq!(err.code(), "not_an_image");
}
