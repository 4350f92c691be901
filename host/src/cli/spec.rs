//! Reading a spec file: JSON or YAML, or `-` for stdin, within the limits of
//! `landlord::compute::spec_input`.

use std::path::{Path, PathBuf};

use landlord::compute::{
    SpecFormat, SpecInputError, SpecInputLimits, TenantComputeSpec, parse_spec, read_spec,
    read_spec_file,
};
use landlord::input::FileKind;

use super::GlobalOpts;
use super::context::Backend;

/// A spec file and a provider override, as `provision`, `update` and
/// `validate` take them.
#[derive(Debug, clap::Args)]
pub(crate) struct SpecArgs {
    /// The spec file (JSON or YAML, at most 1 MiB), or `-` for stdin
    spec: PathBuf,
    /// Use this provider instead of the spec's provider_type
    #[arg(long)]
    provider: Option<String>,
}

impl SpecArgs {
    /// Read the spec, then open the backend (a bad file never touches the
    /// state directory or the server), and apply `--provider`. A spec with
    /// no provider is left so: the service chooses (the same locally and on
    /// a server).
    pub(crate) fn open(&self, global: &GlobalOpts) -> anyhow::Result<(Backend, TenantComputeSpec)> {
        let mut spec = read(&self.spec)?;
        let backend = Backend::open(global)?;
        if let Some(provider) = &self.provider {
            spec.provider_type.clone_from(provider);
        }
        Ok((backend, spec))
    }
}

/// A spec file that could not be read or was refused: the library's error
/// with the path it came from. `exit::code` maps it to an exit status.
#[derive(Debug)]
pub(crate) struct SpecFileError {
    /// The file, or `-` for stdin.
    path: PathBuf,
    /// Why.
    error: SpecInputError,
}

impl SpecFileError {
    /// Why, as the library tells it.
    pub(crate) fn error(&self) -> &SpecInputError {
        &self.error
    }
}

impl std::fmt::Display for SpecFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        match &self.error {
            // The I/O error follows as the cause.
            SpecInputError::Io(_) => write!(f, "cannot read the spec file {path}"),
            SpecInputError::NotRegularFile {
                kind: kind @ FileKind::Directory,
            } => write!(
                f,
                "cannot read the spec file {path}: it is {kind}; give the path of a spec file"
            ),
            // A FIFO or a device: the shell can open it on stdin, where the
            // read is bounded.
            SpecInputError::NotRegularFile { kind } => write!(
                f,
                "cannot read the spec file {path}: it is {kind}, not a regular file; \
                 to read from it, give `-` and redirect it to stdin (`- < {path}`)"
            ),
            error => write!(f, "invalid spec in {path}: {error}"),
        }
    }
}

impl std::error::Error for SpecFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.error {
            SpecInputError::Io(io) => Some(io),
            _ => None,
        }
    }
}

/// Read the spec at `path` (`-` is stdin) within the default limits.
/// `.yaml`/`.yml` files are YAML, `.json` files JSON; anything else (stdin
/// too) is JSON when it starts with `{`, YAML otherwise.
pub(crate) fn read(path: &Path) -> Result<TenantComputeSpec, SpecFileError> {
    let limits = SpecInputLimits::default();
    let stdin = path == Path::new("-");
    let refused = |error| SpecFileError {
        path: path.to_owned(),
        error,
    };
    let bytes = if stdin {
        read_spec(std::io::stdin().lock(), &limits)
    } else {
        read_spec_file(path, &limits)
    }
    .map_err(refused)?;
    let format = SpecFormat::detect((!stdin).then_some(path), &bytes);
    parse_spec(&bytes, format, &limits).map_err(refused)
}
