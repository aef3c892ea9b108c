//! The one integration-test binary: it runs the real `opsbench` binary on the fixtures in
//! `fixtures/` and reads the lake back through the library.

mod browser;
mod catalog;
mod cli;
mod evolve;
mod force;
mod forecast;
mod freshness;
mod gate;
mod ingest;
mod lake;
mod metrics;
mod nightly;
mod replay;
mod util;
