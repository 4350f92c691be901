//! Reading files and streams nobody vouched for, within a size bound: a
//! spec a user names, a component file an operator configures. A path must
//! name a regular file — checked before opening it (opening a FIFO with no
//! writer blocks; a device such as `/dev/zero` never ends) and again on the
//! open file — and at most `max + 1` bytes are ever read.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// What a path that is not a regular file names instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A directory.
    Directory,
    /// A named pipe: opening it blocks until something writes to it.
    Fifo,
    /// A character or block device (`/dev/zero`, a disk).
    Device,
    /// A Unix domain socket.
    Socket,
    /// Anything else that is not a regular file.
    Other,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a named pipe (FIFO)",
            FileKind::Device => "a device",
            FileKind::Socket => "a socket",
            FileKind::Other => "a special file",
        })
    }
}

/// Why a bounded read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file or stream could not be read (missing, no permission).
    #[error("cannot read it")]
    Io(#[source] std::io::Error),
    /// The path names something other than a regular file.
    #[error("it is {kind}, not a regular file")]
    NotRegularFile {
        /// What it is instead.
        kind: FileKind,
    },
    /// There are more than `limit` bytes.
    #[error("it is larger than {limit} bytes")]
    TooLarge {
        /// The bound.
        limit: u64,
    },
}

/// Everything `reader` yields, if it is at most `max` bytes; `TooLarge` as
/// soon as there is one byte more (so an endless stream stops there).
pub fn read_bounded(reader: impl Read, max: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { limit: max });
    }
    Ok(bytes)
}

/// The regular file at `path`, if it has at most `max` bytes; what is not a
/// regular file, or is larger, is refused without being read.
pub fn read_regular_file(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let metadata = std::fs::metadata(path).map_err(ReadError::Io)?;
    regular_file(&metadata)?;
    if metadata.len() > max {
        return Err(ReadError::TooLarge { limit: max });
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    // The path may name another file by now: check what was opened.
    regular_file(&file.metadata().map_err(ReadError::Io)?)?;
    read_bounded(file, max)
}

fn regular_file(metadata: &std::fs::Metadata) -> Result<(), ReadError> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return Ok(());
    }
    let kind = if file_type.is_dir() {
        FileKind::Directory
    } else {
        special_file_kind(file_type)
    };
    Err(ReadError::NotRegularFile { kind })
}

#[cfg(unix)]
fn special_file_kind(file_type: std::fs::FileType) -> FileKind {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        FileKind::Fifo
    } else if file_type.is_char_device() || file_type.is_block_device() {
        FileKind::Device
    } else if file_type.is_socket() {
        FileKind::Socket
    } else {
        FileKind::Other
    }
}

#[cfg(not(unix))]
fn special_file_kind(_: std::fs::FileType) -> FileKind {
    FileKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_directories_and_large_files_are_refused_without_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let kind = |path: &Path| match read_regular_file(path, 1 << 20) {
            Err(ReadError::NotRegularFile { kind }) => Some(kind),
            _ => None,
        };
        assert_eq!(kind(Path::new("/dev/zero")), Some(FileKind::Device));
        assert_eq!(kind(dir.path()), Some(FileKind::Directory));
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils) runs");
        assert!(made.success());
        // Opening a FIFO for reading would block until a writer comes.
        assert_eq!(kind(&fifo), Some(FileKind::Fifo));
        let big = dir.path().join("big");
        std::fs::File::create(&big).unwrap().set_len(11).unwrap();
        assert!(matches!(
            read_regular_file(&big, 10),
            Err(ReadError::TooLarge { limit: 10 })
        ));
        assert_eq!(read_regular_file(&big, 11).unwrap().len(), 11);
        assert!(matches!(
            read_regular_file(&dir.path().join("missing"), 10),
            Err(ReadError::Io(_))
        ));
    }

    #[test]
    fn an_endless_stream_stops_one_byte_past_the_bound() {
        let endless = std::io::repeat(b'x');
        assert!(matches!(
            read_bounded(endless, 1 << 20),
            Err(ReadError::TooLarge { .. })
        ));
        assert_eq!(read_bounded(&b"abc"[..], 3).unwrap(), b"abc");
    }
}
