//! opsbench: an offline telemetry analytics pipeline for a live game's online services.
//!
//! The library holds every stage; `main.rs` only parses arguments, sets up logging and maps
//! errors to exit codes. Stages are ordered only in [`commands`]; [`ingest`] reads and
//! validates exports and writes nothing; [`lake`] owns every byte written under the lake.

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod forecast;
pub mod gate;
pub mod generate;
#[cfg(target_os = "linux")]
pub mod huge_pages;
pub mod ingest;
pub mod knobs;
pub mod lake;
pub mod metrics;
pub mod report;
pub mod schema;
#[cfg(test)]
pub(crate) mod test_util;
