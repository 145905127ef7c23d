//! The outgoing side of the worker: the SSRF-guarded fetcher ([`GuardedFetcher`], the
//! production adapter of `logofill_core::Fetcher`) and the discovery of a company's logo
//! source ([`discover`]).
//!
//! Every URL the worker fetches comes from outside (a company directory, a homepage someone
//! else controls, a manifest, a redirect), so every fetch is treated as hostile: see
//! [`guard`] for the address rules and [`fetcher`] for how they are enforced at connect time.

pub mod discover;
pub mod fetcher;
pub mod guard;
pub mod resolve;

pub use discover::{
    find_source, Attempt, Candidate, CandidateKind, DiscoveryOptions, Rejection, SourceCheck,
    SourceOutcome,
};
pub use fetcher::{FetchOptions, GuardedFetcher, LoopbackAccess};
pub use guard::{check_ip, is_globally_routable};
pub use resolve::{LookupError, NameResolver, StaticResolver, SystemResolver};
