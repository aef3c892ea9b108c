//! The `opsbench` binary: parse arguments, set up logging, call the library, map errors to
//! exit codes. Nothing else lives here.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use opsbench::cli::{Cli, LogFormat};
use opsbench::error::exit;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: opsbench::huge_pages::LargeOnHugePages = opsbench::huge_pages::LargeOnHugePages;

fn init_logging(format: LogFormat, quiet: bool) {
    let default = if quiet { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("OPSBENCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
    let _ = result;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.log_format, cli.global.quiet);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        opsbench::commands::run_cli(cli)
    }));
    match outcome {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(err)) => {
            if is_broken_pipe(&err) {
                return ExitCode::from(exit::OK);
            }
            eprintln!("opsbench: error: {err}");
            ExitCode::from(err.exit_code())
        }
        Err(_) => {
            eprintln!(
                "opsbench: internal error (a bug): please report it with the command that caused it"
            );
            ExitCode::from(exit::ERROR)
        }
    }
}

fn is_broken_pipe(err: &opsbench::error::Error) -> bool {
    matches!(err, opsbench::error::Error::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
}
