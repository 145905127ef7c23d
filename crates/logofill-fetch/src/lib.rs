//! The outgoing side of the worker: the SSRF-guarded fetcher ([`GuardedFetcher`], the
//! production adapter of `logofill_core::Fetcher`).
//!
//! Every URL the worker fetches comes from outside (a company directory, a homepage someone
//! else controls, a manifest, a redirect), so every fetch is treated as hostile: see
//! [`guard`] for the address rules and [`fetcher`] for how they are enforced at connect time.
//! What is fetched, and why, is `logofill-discover`'s business. The company directory over
//! HTTP ([`HttpDirectory`]) lives here, beside the fetcher it goes through.

pub mod directory;
pub mod fetcher;
pub mod guard;
pub mod resolve;

pub use directory::HttpDirectory;
pub use fetcher::{FetchOptions, GuardedFetcher, LoopbackAccess};
pub use guard::{check_ip, is_globally_routable};
pub use resolve::{LookupError, NameResolver, StaticResolver, SystemResolver};
