//! The error type of the library and its mapping to exit codes.
//!
//! Messages are lowercase, name the file (and line and column where there is one), put values
//! in backticks, and end with a `hint:` when there is an obvious fix. This module only
//! describes errors; it never prints them (that is `main.rs`'s job).

use std::path::PathBuf;

/// Exit codes of the `opsbench` binary (see the README).
pub mod exit {
    /// Done.
    pub const OK: u8 = 0;
    /// Done, with data problems beyond what was allowed.
    pub const DATA_PROBLEMS: u8 = 1;
    /// Usage, config, I/O or internal error.
    pub const ERROR: u8 = 2;
    /// Another live run holds the lake's lock.
    pub const LOCKED: u8 = 3;
    /// The deploy gate says no.
    pub const GATE_FAIL: u8 = 4;
}

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file-system error; `fs_err` already names the path in the message.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The configuration is wrong: the file (or `environment`/`flag`), the key, what was expected.
    #[error("{origin}: key `{key}`: {message}")]
    Config {
        origin: String,
        key: String,
        message: String,
    },
    /// A usage error caught after argument parsing (for example an unknown dataset).
    #[error("{0}")]
    Usage(String),
    /// An input file refused whole.
    #[error("{path}: {message}")]
    Refused { path: PathBuf, message: String },
    /// Another run holds the lake's lock.
    #[error("{0}")]
    Locked(String),
    /// The lake is damaged or was written by something else.
    #[error("lake {path}: {message}")]
    Lake { path: PathBuf, message: String },
    /// An error from polars, with what we were doing.
    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },
    /// The report template could not be rendered.
    #[error("rendering the report: {0}")]
    Template(#[from] askama::Error),
    /// A chart could not be drawn.
    #[error("drawing a chart: {0}")]
    Chart(String),
    /// JSON (de)serialisation of our own files.
    #[error("{context}: {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// The exit code this error maps to.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Locked(_) => exit::LOCKED,
            _ => exit::ERROR,
        }
    }

    /// A config error.
    pub fn config(
        origin: impl Into<String>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Config {
            origin: origin.into(),
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Attach context to a polars result.
pub trait PolarsContext<T> {
    /// Wrap a polars error with what we were doing (lowercase, no trailing period).
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> PolarsContext<T> for std::result::Result<T, polars::error::PolarsError> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Polars {
            context: context(),
            source,
        })
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
