//! The ports' contract suites (`logofill_core::queue::contract`, `logofill_core::store::contract`)
//! against the AWS adapters on moto_server: the same suites the in-memory twins pass, so a
//! test written against a twin means the same against SQS and S3.

use logofill_aws::{local_sdk_config, s3_client, S3Directory, S3Store, Sqs};
use logofill_core::queue::contract::ContractQueues;
use logofill_testkit::aws::{create_bucket, create_queue, create_queue_with_dlq, sqs_client};
use logofill_testkit::moto::MotoServer;

#[tokio::test(flavor = "current_thread")]
async fn the_sqs_adapter_keeps_the_queue_contract() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let plain = create_queue(&sqs, "contract-plain").await;
    let fifo = create_queue(&sqs, "contract-ordered.fifo").await;
    let (redriven, dead_letter) = create_queue_with_dlq(&sqs, "contract-work", 1, 30).await;
    let missing = plain.replace("contract-plain", "contract-nope");
    let queues = ContractQueues {
        plain,
        fifo,
        redriven,
        dead_letter,
        missing,
    };
    logofill_core::queue::contract::run(&Sqs::new(sqs), &queues).await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_s3_store_keeps_the_store_contract() {
    let moto = MotoServer::start();
    let s3 = s3_client(&local_sdk_config(&moto.endpoint).await);
    create_bucket(&s3, "contract-logos").await;
    logofill_core::store::contract::run(&S3Store::new(s3, "contract-logos"), "").await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_s3_directory_keeps_the_directory_contract() {
    let moto = MotoServer::start();
    let s3 = s3_client(&local_sdk_config(&moto.endpoint).await);
    create_bucket(&s3, "contract-directory").await;
    for (id, json) in logofill_core::directory::contract::RECORDS {
        s3.put_object()
            .bucket("contract-directory")
            .key(format!("companies/{id}.json"))
            .body(json.as_bytes().to_vec().into())
            .send()
            .await
            .expect("seed a record");
    }
    let directory = S3Directory::from_uri(s3, "s3://contract-directory/companies/").unwrap();
    logofill_core::directory::contract::run(&directory).await;
}
