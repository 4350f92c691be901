//! Exit codes, and printing an error as `error:` plus its causes.

use std::process::ExitCode;

use landlord::compute::{ComputeError, ErrorKind, SpecInputError};
use landlord::config::ConfigError;
use landlord::server::ServeError;

use super::remote::{RemoteProblem, UsageError};
use super::spec::SpecFileError;

/// A usage or configuration error.
pub(crate) const USAGE: u8 = 2;

/// An invalid spec: unparseable, past an input limit, or refused by validation.
pub(crate) const INVALID_SPEC: u8 = 3;

/// The exit code for `err` (see the `--help` text for the table).
pub(crate) fn code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(err) = cause.downcast_ref::<ComputeError>() {
            return kind_code(err.kind());
        }
        if let Some(problem) = cause.downcast_ref::<RemoteProblem>() {
            return match problem.kind() {
                Some(kind) => kind_code(kind),
                None if problem.0.kind == "payload_too_large" => INVALID_SPEC,
                // HTTP-level problems: a bad or unauthorized request is a
                // usage error; the rest (unreachable, shutting down) 1.
                None if (400..500).contains(&problem.0.status) => USAGE,
                None => 1,
            };
        }
        if cause.downcast_ref::<UsageError>().is_some() {
            return USAGE;
        }
        if let Some(err) = cause.downcast_ref::<SpecFileError>() {
            return spec_input_code(err.error());
        }
        if let Some(err) = cause.downcast_ref::<SpecInputError>() {
            return spec_input_code(err);
        }
        if cause.downcast_ref::<ConfigError>().is_some() {
            return USAGE;
        }
        if let Some(ServeError::Refused(_)) = cause.downcast_ref::<ServeError>() {
            return USAGE;
        }
    }
    1
}

/// The exit code for an error of `kind`: the one map (`--help` has the
/// table; `docs/cli.md` too).
pub(crate) fn kind_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::ProvisionFailed
        | ErrorKind::UpdateFailed
        | ErrorKind::OperationFailed
        | ErrorKind::State => 1,
        ErrorKind::InvalidSpec => INVALID_SPEC,
        ErrorKind::ProviderNotFound => 4,
        ErrorKind::TenantNotFound => 5,
        ErrorKind::TenantExists => 7,
        ErrorKind::Trap
        | ErrorKind::Timeout
        | ErrorKind::MemoryLimit
        | ErrorKind::FuelExhausted
        | ErrorKind::StackOverflow
        | ErrorKind::OutputLimit
        | ErrorKind::StateQuota
        | ErrorKind::OutboundLimit
        | ErrorKind::OutboundDenied
        | ErrorKind::InvalidResult => 6,
        ErrorKind::Quarantined => 8,
        ErrorKind::Load | ErrorKind::ProviderConflict | ErrorKind::InvalidProviderName => USAGE,
    }
}

/// A spec that cannot be read (missing, unreadable, not a regular file) is
/// a usage error; one that was read but refused is an invalid spec.
fn spec_input_code(err: &SpecInputError) -> u8 {
    match err {
        SpecInputError::Io(_) | SpecInputError::NotRegularFile { .. } => USAGE,
        SpecInputError::TooLarge { .. }
        | SpecInputError::NotUtf8 { .. }
        | SpecInputError::TooDeep { .. }
        | SpecInputError::TooManyValues { .. }
        | SpecInputError::TooMuchText { .. }
        | SpecInputError::Malformed { .. } => INVALID_SPEC,
    }
}

/// Print `err` to stderr and return its exit code. A closed stdout (a
/// pipe into `head`) is not an error worth a message.
pub(crate) fn report(err: &anyhow::Error) -> ExitCode {
    let broken_pipe = err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    let mut text = format!("error: {err}");
    let causes: Vec<String> = err.chain().skip(1).map(ToString::to_string).collect();
    if !causes.is_empty() {
        text.push_str("\n\nCaused by:");
        for (i, cause) in causes.iter().enumerate() {
            text.push_str(&format!("\n  {i}: {cause}"));
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{text}");
    }
    ExitCode::from(code(err))
}
