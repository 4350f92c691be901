// Small value helpers the provider needs and that a WebAssembly JavaScript
// engine does not give you for free. Pure functions: no WIT imports, so this
// module also loads in plain Node (see provider.test.js).

/**
 * Whether a WIT `option<T>` is `none`. componentize-qjs (QuickJS) hands
 * `none` to JavaScript as `null`; jco and componentize-js use `undefined`;
 * a value read back from stored JSON may have dropped the field entirely.
 * `== null` covers all three, so use it instead of `=== null` or truthiness
 * (`0`, `""` and `false` are real values of an option).
 */
export function isNone(value) {
  return value == null;
}

/**
 * Structural equality of two values as the bindings give them (records are
 * plain objects, lists and tuples are arrays, enums are strings, options are
 * `null`/`undefined` when absent). Lists compare in order, like Rust's
 * `#[derive(PartialEq)]` on the generated types.
 */
export function equal(a, b) {
  if (isNone(a) || isNone(b)) return isNone(a) && isNone(b);
  if (Array.isArray(a) || Array.isArray(b) || ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (a.length !== b.length || Array.isArray(a) !== Array.isArray(b)) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (typeof a === "object" && typeof b === "object") {
    // A field that is absent on one side and `null`/`undefined` on the
    // other is equal (both are `none`), so compare over the union of keys.
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!equal(a[key], b[key])) return false;
    return true;
  }
  return a === b;
}

/**
 * Orders two strings by Unicode code point, which is the byte order of
 * their UTF-8 encoding: the order Rust's `str`, `BTreeMap` and serde_json's
 * map use. JavaScript's own `<` and `Array.prototype.sort()` compare UTF-16
 * code units instead, which disagrees for characters above U+FFFF.
 */
export function compareStrings(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++; // skip the low half of a surrogate pair
  }
  return a.length - b.length;
}

/** Orders `[key, value]` pairs by key, then by value (like Rust tuples). */
export function comparePairs([k1, v1], [k2, v2]) {
  return compareStrings(k1, k2) || compareStrings(v1, v2);
}

/**
 * UTF-8 encoding of a string, for the `list<u8>` values of the `state`
 * import. QuickJS has no `TextEncoder`, so this is done by hand (a lone
 * surrogate becomes U+FFFD, as `TextEncoder` would make it). It writes into
 * one preallocated `Uint8Array`: pushing a million numbers onto an array is
 * slow in QuickJS and takes far more memory.
 */
export function utf8Encode(text) {
  const out = new Uint8Array(text.length * 3); // at most 3 bytes per UTF-16 unit
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 0x3f);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return out.slice(0, n);
}

/**
 * Decodes UTF-8 bytes (a `Uint8Array`) to a string; throws a `URIError` on
 * malformed input. There is no `TextDecoder` in QuickJS, and a byte-by-byte
 * loop in JavaScript is slow there (over a second per MiB), so this leaves
 * the work to built-in functions: each byte becomes one character of a
 * "binary string", `escape` turns that into `%XX` escapes, and
 * `decodeURIComponent` decodes those as UTF-8 (ten times faster).
 */
export function utf8Decode(bytes) {
  const chunks = [];
  for (let i = 0; i < bytes.length; i += 8192) {
    // At most 8192 arguments per call: engines limit the argument count.
    chunks.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 8192)));
  }
  return decodeURIComponent(escape(chunks.join("")));
}

/**
 * Formats a string the way Rust's `{:?}` does (`"a\"b\n"`), so that messages
 * built from the bindings' Debug output read the same as the Rust mock's.
 * Covers the escapes Rust uses for ASCII; other non-printable characters
 * are written as `\u{..}` only when they are control characters.
 */
export function rustDebugString(text) {
  let out = '"';
  for (const char of text) {
    const c = char.codePointAt(0);
    if (char === '"' || char === "\\") out += "\\" + char;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (c === 0) out += "\\0";
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += `\\u{${c.toString(16)}}`;
    else out += char;
  }
  return out + '"';
}
