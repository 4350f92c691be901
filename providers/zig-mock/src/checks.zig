//! The provider's own validation: what a real provider would check beyond
//! the host's structural rules. Every problem is reported with its field
//! path, in the same order as the Rust mock (providers/mock/src/checks.rs).

const std = @import("std");
const spec = @import("spec.zig");

const Allocator = std.mem.Allocator;
const json = std.json;

/// Keys accepted in `provider_config`, with what each must be.
const config_keys = [_][2][]const u8{.{ "zone", "a zone name such as \"eu-1\"" }};

/// "zone (a zone name such as "eu-1")", built at compile time.
const accepted = blk: {
    var text: []const u8 = "";
    for (config_keys, 0..) |entry, i| {
        text = text ++ (if (i > 0) ", " else "") ++ entry[0] ++ " (" ++ entry[1] ++ ")";
    }
    break :blk text;
};

/// Every problem in `spec_`, for a provider called `name`; empty when the
/// spec is acceptable. Allocates from `arena`.
pub fn problems(arena: Allocator, s: spec.Spec, name: []const u8) ![]const spec.FieldError {
    var out: std.ArrayList(spec.FieldError) = .empty;

    if (!std.mem.eql(u8, s.provider_type, name)) {
        try out.append(arena, .{
            .path = "provider_type",
            .message = try std.fmt.allocPrint(arena, "is '{s}', but this is the '{s}' provider", .{ s.provider_type, name }),
        });
    }
    if (s.containers.len == 0) {
        try out.append(arena, .{ .path = "containers", .message = "must list at least one container" });
    }
    for (s.containers, 0..) |container, i| {
        // Every repeat of a name is reported, at the index of the repeat.
        for (s.containers[0..i]) |earlier| {
            if (std.mem.eql(u8, earlier.name, container.name)) {
                try out.append(arena, .{
                    .path = try std.fmt.allocPrint(arena, "containers[{d}].name", .{i}),
                    .message = try std.fmt.allocPrint(arena, "duplicate container name '{s}'", .{container.name}),
                });
                break;
            }
        }
    }
    if (s.provider_config) |text| {
        switch (try parse(arena, text)) {
            .invalid => |reason| try out.append(arena, .{
                .path = "provider_config",
                .message = try std.fmt.allocPrint(arena, "is not valid JSON: {s}", .{reason}),
            }),
            .value => |value| switch (value) {
                .object => |fields| try checkConfigObject(arena, &out, fields),
                else => try out.append(arena, .{
                    .path = "provider_config",
                    .message = "must be a JSON object such as {\"zone\": \"eu-1\"}",
                }),
            },
        }
    }
    return out.items;
}

fn checkConfigObject(arena: Allocator, out: *std.ArrayList(spec.FieldError), fields: json.ObjectMap) !void {
    // `std.json.ObjectMap` keeps insertion order; the Rust mock's serde_json
    // map iterates keys sorted, so problems come out in key order.
    const keys = try arena.dupe([]const u8, fields.keys());
    std.sort.insertion([]const u8, keys, {}, lessThan);
    for (keys) |key| {
        const path = try std.fmt.allocPrint(arena, "provider_config.{s}", .{key});
        if (std.mem.eql(u8, key, "zone")) {
            const ok = switch (fields.get(key).?) {
                .string => |zone_| isIdentifier(zone_),
                else => false,
            };
            if (!ok) try out.append(arena, .{
                .path = path,
                .message = "must be a zone name: lowercase letters, digits and '-'",
            });
        } else {
            try out.append(arena, .{ .path = path, .message = "unknown setting; the mock accepts: " ++ accepted });
        }
    }
}

/// The zone named by `provider_config`, if any.
pub fn zone(arena: Allocator, s: spec.Spec) !?[]const u8 {
    const text = s.provider_config orelse return null;
    const value = switch (try parse(arena, text)) {
        .value => |v| v,
        .invalid => return null,
    };
    if (value != .object) return null;
    const field = value.object.get("zone") orelse return null;
    return if (field == .string) field.string else null;
}

fn lessThan(_: void, a: []const u8, b: []const u8) bool {
    return std.mem.lessThan(u8, a, b);
}

fn isIdentifier(text: []const u8) bool {
    if (text.len == 0) return false;
    for (text) |b| switch (b) {
        'a'...'z', '0'...'9', '-' => {},
        else => return false,
    };
    return true;
}

// ---------------------------------------------------------------- JSON

/// The Rust mock parses with serde_json, which refuses nesting of 128 levels
/// or deeper and numbers too large for an f64; std.json accepts both, so we
/// check them ourselves to accept exactly the same documents.
const max_depth = 128;

const Parsed = union(enum) {
    value: json.Value,
    /// Why the text is not JSON, for people.
    invalid: []const u8,
};

/// Parse `text` as a JSON document. Two passes: the token scanner (with
/// line/column diagnostics) decides whether the text is valid, then
/// `std.json` builds the dynamic `Value`. Duplicate keys keep the last
/// value, as serde_json does.
fn parse(arena: Allocator, text: []const u8) error{OutOfMemory}!Parsed {
    var scanner = json.Scanner.initCompleteInput(arena, text);
    defer scanner.deinit();
    var diagnostics: json.Diagnostics = .{};
    scanner.enableDiagnostics(&diagnostics);

    var depth: usize = 0;
    while (true) {
        const token = scanner.next() catch |err| {
            const what = switch (err) {
                error.OutOfMemory => return error.OutOfMemory,
                error.SyntaxError => "syntax error",
                error.UnexpectedEndOfInput, error.BufferUnderrun => "unexpected end of input",
            };
            return invalid(arena, what, &diagnostics);
        };
        switch (token) {
            .object_begin, .array_begin => {
                depth += 1;
                if (depth >= max_depth) return invalid(arena, "recursion limit exceeded", &diagnostics);
            },
            .object_end, .array_end => depth -= 1,
            .number => |number| {
                if (tooLargeForF64(number)) return invalid(arena, "number out of range", &diagnostics);
            },
            .end_of_document => break,
            else => {},
        }
    }

    const value = json.parseFromSliceLeaky(json.Value, arena, text, .{
        .duplicate_field_behavior = .use_last,
        // Numbers stay text: only their validity matters here.
        .parse_numbers = false,
    }) catch |err| switch (err) {
        error.OutOfMemory => return error.OutOfMemory,
        // The first pass accepted the text, so this does not happen.
        else => return .{ .invalid = @errorName(err) },
    };
    return .{ .value = value };
}

/// The smallest magnitude that rounds to infinity as an f64: 2^1024 - 2^970
/// (the largest f64 plus half an ulp), about 1.797e308. Its significant
/// decimal digits; the value is 1.797... * 10^308.
const f64_overflow_digits = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// Whether a JSON number (the scanner has checked its syntax) is too large
/// for an f64, which serde_json refuses. Decided on the decimal digits: far
/// less code than `std.fmt.parseFloat` and its tables (about 17 KB here).
fn tooLargeForF64(number: []const u8) bool {
    const mantissa_end = std.mem.indexOfAny(u8, number, "eE") orelse number.len;
    const mantissa = number[@intFromBool(number[0] == '-')..mantissa_end];
    const int_digits: i64 = @intCast(std.mem.indexOfScalar(u8, mantissa, '.') orelse mantissa.len);

    var walked: i64 = 0; // digits seen, leading zeros included
    var first: ?i64 = null; // index of the first non-zero digit
    var significant: usize = 0; // digits from the first non-zero one on
    var order: std.math.Order = .eq; // of those digits against the threshold's
    for (mantissa) |c| {
        if (c == '.') continue;
        if (first == null) {
            if (c == '0') {
                walked += 1;
                continue;
            }
            first = walked;
        }
        walked += 1;
        if (order == .eq and significant < f64_overflow_digits.len) order = std.math.order(c, f64_overflow_digits[significant]);
        significant += 1;
    }
    const lead = first orelse return false; // zero, whatever its exponent

    var exponent: i64 = 0;
    if (mantissa_end < number.len) {
        var rest = number[mantissa_end + 1 ..];
        const negative = rest[0] == '-';
        if (rest[0] == '-' or rest[0] == '+') rest = rest[1..];
        for (rest) |c| exponent = @min(exponent * 10 + (c - '0'), 1_000_000_000);
        if (negative) exponent = -exponent;
    }
    // The number is d.ddd * 10^magnitude.
    const magnitude = int_digits - 1 - lead + exponent;
    if (magnitude != 308) return magnitude > 308;
    return switch (order) {
        .gt => true,
        .lt => false,
        // Equal as far as the number goes: at least the threshold only if it
        // has all of the threshold's digits (or more).
        .eq => significant >= f64_overflow_digits.len,
    };
}

test tooLargeForF64 {
    const t = std.testing;
    const zeros308: [308]u8 = @splat('0');
    try t.expect(!tooLargeForF64("0"));
    try t.expect(!tooLargeForF64("-0.0e99999999999"));
    try t.expect(!tooLargeForF64("123.5e-7"));
    try t.expect(!tooLargeForF64("1e308"));
    try t.expect(!tooLargeForF64("1.7976931348623157e308"));
    try t.expect(!tooLargeForF64("0.017976931348623157E310"));
    try t.expect(tooLargeForF64("1.7976931348623159e308"));
    try t.expect(tooLargeForF64("-1e309"));
    try t.expect(tooLargeForF64("1e400"));
    try t.expect(tooLargeForF64("2" ++ zeros308));
    try t.expect(!tooLargeForF64("1" ++ zeros308));
    try t.expect(tooLargeForF64(f64_overflow_digits));
    try t.expect(!tooLargeForF64(f64_overflow_digits[0..308] ++ "1"));
    try t.expect(!tooLargeForF64("1e-400"));
}

fn invalid(arena: Allocator, what: []const u8, d: *const json.Diagnostics) !Parsed {
    return .{ .invalid = try std.fmt.allocPrint(arena, "{s} at line {d} column {d}", .{ what, d.getLine(), d.getColumn() }) };
}

test problems {
    var arena_state = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena_state.deinit();
    const arena = arena_state.allocator();
    const web = spec.test_container;
    var s = spec.test_spec;
    try std.testing.expectEqual(0, (try problems(arena, s, "zig-mock")).len);

    s.provider_config = "{\"zone\":\"EU 1\",\"replicas\":3}";
    const found = try problems(arena, s, "zig-mock");
    try std.testing.expectEqual(2, found.len);
    try std.testing.expectEqualStrings("provider_config.replicas", found[0].path);
    try std.testing.expectEqualStrings("provider_config.zone", found[1].path);

    s.provider_config = "{\"zone\":\"eu-1\"}";
    try std.testing.expectEqualStrings("eu-1", (try zone(arena, s)).?);

    s.provider_config = "{";
    try std.testing.expectEqualStrings("provider_config", (try problems(arena, s, "zig-mock"))[0].path);

    s.provider_type = "ecs";
    s.provider_config = null;
    s.containers = &.{ web, web };
    const twice = try problems(arena, s, "zig-mock");
    try std.testing.expectEqualStrings("provider_type", twice[0].path);
    try std.testing.expectEqualStrings("containers[1].name", twice[1].path);
}

test "parse accepts exactly what serde_json accepts" {
    var arena_state = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena_state.deinit();
    const arena = arena_state.allocator();
    const valid = [_][]const u8{ "{}", " {\"a\": [1, -0, 1E+2, 1.5e-400]} ", "{\"a\":\"\\ud83d\\ude00\"}", "1e308" };
    const invalid_ = [_][]const u8{
        "",           "{",                   "[1,]",                "{\"a\":1,}", "01",     "1.", "\"\t\"", "{} x",
        "\u{feff}{}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "1e309",      "-1e400",
    };
    for (valid) |text| try std.testing.expect(try parse(arena, text) == .value);
    for (invalid_) |text| try std.testing.expect(try parse(arena, text) == .invalid);

    // serde_json's recursion limit: 127 nested arrays are fine, 128 are not.
    const open: [128]u8 = @splat('[');
    const close: [128]u8 = @splat(']');
    try std.testing.expect(try parse(arena, &(open[1..].* ++ close[1..].*)) == .value);
    const deep = try parse(arena, &(open ++ close));
    try std.testing.expect(std.mem.startsWith(u8, deep.invalid, "recursion limit exceeded at line 1"));

    // Duplicate keys: the last one wins.
    const value = (try parse(arena, "{\"zone\":\"EU\",\"zone\":\"eu-2\"}")).value;
    try std.testing.expectEqualStrings("eu-2", value.object.get("zone").?.string);
}
