//! Text for people, JSON for scripts.

use std::io::Write;

use serde::Serialize;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned, short text.
    Text,
    /// One JSON document, with the seed's snake_case field names.
    Json,
}

/// Print `value` as pretty JSON on stdout.
pub(crate) fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    Ok(())
}

/// Print text lines on stdout.
pub(crate) fn lines(lines: &[String]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    for line in lines {
        writeln!(stdout, "{line}")?;
    }
    Ok(())
}

/// Rows as aligned columns (every column but the last padded).
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> Vec<String> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let render = |cells: Vec<&str>| {
        let last = cells.len() - 1;
        cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i == last {
                    cell.to_string()
                } else {
                    format!("{cell:<width$}", width = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = vec![render(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|row| render(row.iter().map(String::as_str).collect())),
    );
    out
}

/// A unit enum's serde name (`UpdateStatus::NoChanges` → `no_changes`).
pub(crate) fn name<T: Serialize>(value: &T) -> String {
    landlord::compute::wire_name(value).unwrap_or_else(|| String::from("?"))
}

/// `text` for a table cell: control characters escaped, at most `max`
/// bytes (with a marker when cut).
pub(crate) fn bounded(text: &str, max: usize) -> String {
    landlord::text::escape_bounded(text, max).into_owned()
}
