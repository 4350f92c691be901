//! Untrusted text — what a guest hands the host, or a value from a spec
//! quoted in a message — made safe to put in a log line, on a terminal or
//! in an error message: every control character escaped (so a
//! guest cannot start a line that looks like the host's own, move the
//! cursor, or recolour the terminal) and the length bounded (so a guest
//! cannot make one message megabytes long). Every guest string that reaches
//! a log, an error or a result passes through [`escape`] or
//! [`escape_bounded`] once, where it crosses into the host.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Longest guest text, in bytes after escaping, that the host puts into
/// one error message or log field (a provider-error's message, a field
/// path, a name it returned, its stderr tail).
pub const MAX_GUEST_TEXT_IN_MESSAGE: usize = 1 << 10;

/// Whether `c` must not reach a terminal or a log line as it is: C0 and C1
/// controls and DEL (newlines, carriage returns, escape sequences), and the
/// Unicode bidirectional overrides and isolates, which reorder what a
/// terminal shows.
fn must_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character escaped as Rust writes it in a
/// string literal (`\n`, `\r`, `\t`, `\u{1b}`), and the backslash kept as
/// it is. Borrowed when nothing needed escaping.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(must_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if must_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// [`escape`] for an owned string: the same string back when nothing needed
/// escaping, so clean text is not copied.
pub fn escape_owned(text: String) -> String {
    match escape(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => escaped,
    }
}

/// [`escape`], keeping at most `max` bytes of the escaped text; when text
/// is cut, a marker says how many bytes of the original were left out
/// (`… [+10485696 bytes]`). Reads at most about `max` bytes of `text`.
pub fn escape_bounded(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max && !text.chars().any(must_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(max.min(text.len()) + 32);
    let mut consumed = 0;
    for c in text.chars() {
        let before = out.len();
        push_escaped(&mut out, c);
        if out.len() > max {
            out.truncate(before);
            break;
        }
        consumed += c.len_utf8();
    }
    if consumed < text.len() {
        let _ = write!(out, "… [+{} bytes]", text.len() - consumed);
    }
    Cow::Owned(out)
}

/// [`escape_bounded`] to [`MAX_GUEST_TEXT_IN_MESSAGE`], owned: for guest
/// text that becomes part of a host error.
pub(crate) fn for_message(text: &str) -> String {
    escape_bounded(text, MAX_GUEST_TEXT_IN_MESSAGE).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(escape("web is up"), Cow::Borrowed("web is up")));
        let owned = String::from("web is up");
        let pointer = owned.as_ptr();
        let back = escape_owned(owned);
        assert_eq!(back.as_ptr(), pointer, "not copied");
        assert_eq!(escape_owned("a\nb".into()), "a\\nb");
        assert!(matches!(
            escape_bounded("a path\\with backslash", 64),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn line_breaks_escapes_and_bidi_overrides_are_escaped() {
        let forged =
            "ok\n2026-12-01T00:00:00Z ERROR landlord: forged\r\u{1b}[2K\u{7f}\u{9b}\u{202e}";
        let safe = escape(forged);
        assert_eq!(
            safe,
            "ok\\n2026-12-01T00:00:00Z ERROR landlord: forged\\r\\u{1b}[2K\\u{7f}\\u{9b}\\u{202e}"
        );
        assert!(!safe.chars().any(must_escape), "{safe}");
        assert_eq!(escape("tab\there"), "tab\\there");
    }

    #[test]
    fn long_text_is_cut_with_a_marker_that_counts_what_was_left_out() {
        let name = "a".repeat(10 << 20);
        let short = escape_bounded(&name, 64);
        assert_eq!(
            short,
            format!("{}… [+{} bytes]", "a".repeat(64), (10 << 20) - 64)
        );
        // Escapes count against the bound, and a cut never splits one.
        let lines = "\n".repeat(100);
        let short = escape_bounded(&lines, 9);
        assert_eq!(short, "\\n\\n\\n\\n… [+96 bytes]");
        // Multi-byte characters are never split either.
        let short = escape_bounded("ééé", 3);
        assert_eq!(short, "é… [+4 bytes]");
    }

    #[test]
    fn for_message_bounds_to_the_message_limit() {
        let text = for_message(&"x".repeat(1 << 20));
        assert!(
            text.len() < MAX_GUEST_TEXT_IN_MESSAGE + 32,
            "{}",
            text.len()
        );
        assert!(text.ends_with(" bytes]"), "{text}");
    }
}
