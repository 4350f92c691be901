//! Reading a spec file: JSON or YAML, or `-` for stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use landlord::compute::TenantComputeSpec;

use super::GlobalOpts;
use super::context::Context;

/// A spec file and a provider override, as `provision`, `update` and
/// `validate` take them.
#[derive(Debug, clap::Args)]
pub(crate) struct SpecArgs {
    /// The spec file (JSON or YAML), or `-` for stdin
    spec: PathBuf,
    /// Use this provider instead of the spec's provider_type
    #[arg(long)]
    provider: Option<String>,
}

impl SpecArgs {
    /// Read the spec, then open the context (a bad file never touches the
    /// state directory), and apply `--provider` or the default provider.
    pub(crate) fn open(&self, global: &GlobalOpts) -> anyhow::Result<(Context, TenantComputeSpec)> {
        let mut spec = read(&self.spec)?;
        let ctx = Context::open(global)?;
        ctx.choose_provider(&mut spec, self.provider.as_deref());
        Ok((ctx, spec))
    }
}

/// A spec file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SpecFileError {
    /// The file is missing or unreadable (a usage error).
    #[error("cannot read the spec file {}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid spec (an invalid spec).
    #[error("invalid spec in {}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parser's message: the field, line and column where it knows them.
        message: String,
    },
}

impl SpecFileError {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            SpecFileError::Unreadable { .. } => super::exit::USAGE,
            SpecFileError::Malformed { .. } => 3,
        }
    }
}

/// Read the spec at `path` (`-` is stdin). `.yaml`/`.yml` files are YAML,
/// `.json` files JSON; anything else (stdin too) is JSON when it starts with
/// `{`, YAML otherwise.
pub(crate) fn read(path: &Path) -> Result<TenantComputeSpec, SpecFileError> {
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|source| SpecFileError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let yaml = match extension {
        "yaml" | "yml" => true,
        "json" => false,
        _ => !text.trim_start().starts_with('{'),
    };
    let parsed = if yaml {
        serde_norway::from_str(&text).map_err(|err| err.to_string())
    } else {
        serde_json::from_str(&text).map_err(|err| err.to_string())
    };
    parsed.map_err(|message| SpecFileError::Malformed {
        path: path.to_owned(),
        message,
    })
}
