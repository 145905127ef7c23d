//! The CloudFront adapter against moto_server's CloudFront, on a free 127.0.0.1 port.
//!
//! moto answers CloudFront's REST-XML API on the same port as everything else and tells the
//! service from the request's SigV4 scope, so the shared [`local_sdk_config`] (its endpoint
//! URL, dummy credentials, `us-east-1`) is all the client needs. moto keeps every
//! invalidation it is sent (it does not fold a repeated caller reference into one, as
//! CloudFront does; the `MemoryCdn` twin's tests cover that), and never completes them.

use aws_sdk_cloudfront::Client;
use logofill_aws::{cloudfront_client, local_sdk_config, CloudFrontInvalidator};
use logofill_core::cdn::{CdnError, CdnInvalidator, InvalidationBatch};
use logofill_core::CompanyId;
use logofill_testkit::aws::create_distribution;
use logofill_testkit::moto::MotoServer as Moto;

async fn client(moto: &Moto) -> Client {
    cloudfront_client(&local_sdk_config(&moto.endpoint).await)
}

fn batch(invocation: &str, ids: &[&str]) -> InvalidationBatch {
    let batch = InvalidationBatch::new(invocation);
    for id in ids {
        batch.add(&CompanyId::parse(id).unwrap());
    }
    batch
}

#[tokio::test(flavor = "current_thread")]
async fn a_batch_becomes_one_invalidation_of_each_company_set() {
    let moto = Moto::start();
    let client = client(&moto).await;
    let distribution = create_distribution(&client).await;
    let cdn = CloudFrontInvalidator::new(client.clone(), &distribution);
    assert_eq!(cdn.distribution_id(), distribution);

    let batch = batch("req-7", &["zeta", "acme", "zeta", "acme_2"]);
    let sent = batch.flush(&cdn).await.unwrap().expect("a call was made");
    assert_eq!(
        sent.paths(),
        ["/logos/acme/*", "/logos/acme_2/*", "/logos/zeta/*"]
    );

    let listed = client
        .list_invalidations()
        .distribution_id(&distribution)
        .send()
        .await
        .unwrap();
    let summaries = listed.invalidation_list().unwrap().items();
    assert_eq!(summaries.len(), 1, "one call, one invalidation");
    let got = client
        .get_invalidation()
        .distribution_id(&distribution)
        .id(summaries[0].id())
        .send()
        .await
        .unwrap();
    let batch_read_back = got.invalidation().unwrap().invalidation_batch().unwrap();
    assert_eq!(batch_read_back.caller_reference(), sent.caller_reference());
    assert!(sent.caller_reference().starts_with("logofill-req-7-"));
    let mut paths = batch_read_back.paths().unwrap().items().to_vec();
    paths.sort();
    assert_eq!(paths, sent.paths());
    assert_eq!(batch_read_back.paths().unwrap().quantity(), 3);
}

#[tokio::test(flavor = "current_thread")]
async fn an_unknown_distribution_is_a_refusal_that_names_it() {
    let moto = Moto::start();
    let client = client(&moto).await;
    create_distribution(&client).await;
    let cdn = CloudFrontInvalidator::new(client, "E000NOSUCHDIST");

    let err = batch("req-8", &["acme", "globex"])
        .flush(&cdn)
        .await
        .unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(
        matches!(&err, CdnError::Refused { code, paths: 2, .. } if code == "NoSuchDistribution"),
        "{err:?}"
    );
    let text = err.to_string();
    for part in [
        "E000NOSUCHDIST",
        "2 path(s)",
        "cloudfront:CreateInvalidation",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text:?}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_answer_is_retryable() {
    let moto = Moto::start();
    let endpoint = moto.endpoint.clone();
    drop(moto);
    let cdn = CloudFrontInvalidator::from_sdk_config(&local_sdk_config(&endpoint).await, "E1");
    let invalidation = batch("req-9", &["acme"]).invalidation().unwrap();
    let err = cdn.invalidate(&invalidation).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("E1"), "{err}");
}
