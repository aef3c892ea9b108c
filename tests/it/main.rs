//! The one integration-test binary: it runs the real `opsbench` binary on the fixtures in
//! `fixtures/` and reads the lake back through the library.

mod browser;
mod catalog;
mod cli;
mod ingest;
mod lake;
mod metrics;
mod util;
