//! The `jamf_exporter` binary: parse flags, set up logging, build the config, run.

use std::process::ExitCode;

use jamf_exporter::config::{self, Config, ProcessEnv};

fn main() -> ExitCode {
    // `check` comes first on the command line: `jamf_exporter check --demo`.
    if std::env::args_os().nth(1).is_some_and(|arg| arg == "check") {
        return ExitCode::from(jamf_exporter::check::main(std::env::args_os().skip(1)));
    }
    let parsed = config::parse_args();
    let config = match Config::from_raw(parsed, &ProcessEnv) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("jamf_exporter: error: {error}");
            return ExitCode::from(2);
        }
    };
    jamf_exporter::logging::init(config.log_level, config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("jamf_exporter: error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(jamf_exporter::run(config, shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Logging is set up and writes to stderr: one line, in the chosen format.
            tracing::error!(error = format!("{error:#}"), "jamf_exporter stopped");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
