//! The company directory port's contract: one suite for the JSON Lines directory (the dev
//! runner's and the tests') and the S3 directory against moto_server.
//!
//! The caller seeds [`RECORDS`] (one JSON object each, as the directory contract writes them)
//! however its directory stores records; the suite then checks that each comes back exactly,
//! that an id nobody seeded is `Ok(None)` (not an error), and that a lookup is repeatable.

use super::{CompanyDirectory, CompanyRecord};
use crate::company::CompanyId;

/// The records to seed, by id.
pub const RECORDS: [(&str, &str); 2] = [
    (
        "acme",
        r#"{"id":"acme","name":"Acme Corp","homepage":"https://acme.example/","logo_url":"https://cdn.acme.example/logo.svg"}"#,
    ),
    ("globex", r#"{"id":"globex","name":"Globex"}"#),
];

fn id(raw: &str) -> CompanyId {
    CompanyId::parse(raw).expect("a valid id")
}

/// Run the contract against `directory`, seeded with [`RECORDS`].
pub async fn run<D: CompanyDirectory>(directory: &D) {
    let acme = directory.lookup(&id("acme")).await.expect("lookup acme");
    assert_eq!(
        acme,
        Some(CompanyRecord {
            id: id("acme"),
            name: "Acme Corp".into(),
            homepage: Some("https://acme.example/".into()),
            logo_url: Some("https://cdn.acme.example/logo.svg".into()),
        }),
        "a seeded record comes back whole"
    );
    let globex = directory
        .lookup(&id("globex"))
        .await
        .expect("lookup globex");
    assert_eq!(
        globex,
        Some(CompanyRecord {
            id: id("globex"),
            name: "Globex".into(),
            homepage: None,
            logo_url: None,
        }),
        "absent optional fields are None"
    );
    assert_eq!(
        directory
            .lookup(&id("initech"))
            .await
            .expect("lookup initech"),
        None,
        "an unknown company is Ok(None)"
    );
    assert_eq!(
        directory.lookup(&id("acme")).await.expect("lookup again"),
        acme,
        "a lookup is repeatable"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::JsonlDirectory;

    #[tokio::test]
    async fn the_jsonl_directory_keeps_the_contract() {
        let text: Vec<&str> = RECORDS.iter().map(|(_, json)| *json).collect();
        run(&JsonlDirectory::parse("contract", &text.join("\n"))).await;
    }
}
