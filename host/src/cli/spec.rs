//! Reading a spec file: JSON or YAML, or `-` for stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use landlord::compute::TenantComputeSpec;

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
