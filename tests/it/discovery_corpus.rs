//! The labelled discovery corpus (tests/fixtures/discovery), every case through the worker
//! service: each must end in its expected outcome with an accepted pick, and no case may ever
//! store another company's logo. `make bench` prints the same run as a share.

use crate::corpus_run::{run_corpus, summary};
use logofill_testkit::sites::corpus::{corpus_dir, CorpusServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_of_the_corpus_is_picked_as_labelled() {
    let server = CorpusServer::start(&corpus_dir()).await;
    assert!(
        server.cases().len() >= 40,
        "the corpus has {} cases",
        server.cases().len()
    );
    let results = run_corpus(&server).await;
    let text = summary(&results);
    eprintln!("{text}");
    assert!(
        results.iter().all(|r| !r.wrong_brand),
        "a wrong-brand pick:\n{text}"
    );
    assert!(results.iter().all(|r| r.right), "{text}");
}
