//! The host's imports (`log`, `state`, `config` in wit/host.wit) wrapped as
//! Zig functions over slices.
//!
//! Strings we pass *to* an import stay ours (the host copies them), so a
//! slice can be passed as is. Strings and lists an import *returns* were
//! allocated in our memory with `cabi_realloc` (malloc): we copy what we keep
//! into the call's arena and `free` the original at once.

const std = @import("std");
const wit = @import("wit");
const abi = @import("abi.zig");

const Allocator = std.mem.Allocator;

/// A borrowed Zig slice as a WIT string argument (the host only reads it).
fn arg(s: []const u8) wit.compute_provider_string_t {
    return .{ .ptr = @constCast(s.ptr), .len = s.len };
}

/// Copy a string the host gave us into `arena` and free the original.
fn take(arena: Allocator, s: *wit.compute_provider_string_t) ![]const u8 {
    defer wit.compute_provider_string_free(s);
    return arena.dupe(u8, abi.str(s.*));
}

// ---------------------------------------------------------------- log

pub const Level = enum(u8) { trace, debug, info, warn, @"error" };

/// Record a message in the host's log (tagged by the host with provider,
/// operation and tenant).
pub fn log(arena: Allocator, level: Level, comptime fmt: []const u8, args: anytype) !void {
    var message = arg(try std.fmt.allocPrint(arena, fmt, args));
    wit.landlord_compute_log_log(@backingInt(level), &message);
}

// ---------------------------------------------------------------- config

/// The operator's setting `key`, if any.
pub fn config(arena: Allocator, key: []const u8) !?[]const u8 {
    var k = arg(key);
    var value: wit.compute_provider_string_t = .{};
    if (!wit.landlord_compute_config_get(&k, &value)) return null;
    return try take(arena, &value);
}

// ---------------------------------------------------------------- state

/// WIT `state-error`.
pub const StateError = union(enum) {
    key_too_large: u32,
    value_too_large: u32,
    unavailable: []const u8,

    /// Formats like the Rust mock's `{:?}` of the wit-bindgen type, for
    /// example `StateError::KeyTooLarge(256)`. Used as `{f}`.
    pub fn format(self: StateError, w: *std.Io.Writer) std.Io.Writer.Error!void {
        switch (self) {
            .key_too_large => |n| try w.print("StateError::KeyTooLarge({d})", .{n}),
            .value_too_large => |n| try w.print("StateError::ValueTooLarge({d})", .{n}),
            .unavailable => |m| {
                try w.writeAll("StateError::Unavailable(\"");
                for (m) |ch| switch (ch) {
                    '"' => try w.writeAll("\\\""),
                    '\\' => try w.writeAll("\\\\"),
                    '\n' => try w.writeAll("\\n"),
                    '\r' => try w.writeAll("\\r"),
                    '\t' => try w.writeAll("\\t"),
                    0 => try w.writeAll("\\0"),
                    1...8, 11, 12, 14...0x1f, 0x7f => try w.print("\\u{{{x}}}", .{ch}),
                    else => try w.writeByte(ch),
                };
                try w.writeAll("\")");
            },
        }
    }
};

/// What a state call gives back: a value, or the host's reason for refusing.
pub fn Result(comptime T: type) type {
    return union(enum) { ok: T, err: StateError };
}

fn lift(arena: Allocator, e: *wit.landlord_compute_state_state_error_t) !StateError {
    return switch (e.tag) {
        wit.LANDLORD_COMPUTE_STATE_STATE_ERROR_KEY_TOO_LARGE => .{ .key_too_large = e.val.key_too_large },
        wit.LANDLORD_COMPUTE_STATE_STATE_ERROR_VALUE_TOO_LARGE => .{ .value_too_large = e.val.value_too_large },
        else => .{ .unavailable = try take(arena, &e.val.unavailable) },
    };
}

/// The value stored under `key`, copied into `arena`; null when absent.
pub fn get(arena: Allocator, key: []const u8) !Result(?[]const u8) {
    var k = arg(key);
    var value: wit.compute_provider_option_list_u8_t = .{};
    var err: wit.landlord_compute_state_state_error_t = .{};
    if (!wit.landlord_compute_state_get(&k, &value, &err)) return .{ .err = try lift(arena, &err) };
    if (!value.is_some) return .{ .ok = null };
    defer wit.compute_provider_list_u8_free(&value.val);
    return .{ .ok = try arena.dupe(u8, abi.items(value.val)) };
}

/// Store `value` under `key`.
pub fn set(arena: Allocator, key: []const u8, value: []const u8) !Result(void) {
    var k = arg(key);
    var v: wit.compute_provider_list_u8_t = .{ .ptr = @constCast(value.ptr), .len = value.len };
    var err: wit.landlord_compute_state_state_error_t = .{};
    if (!wit.landlord_compute_state_set(&k, &v, &err)) return .{ .err = try lift(arena, &err) };
    return .{ .ok = {} };
}

/// Remove `key`; a missing key is not an error.
pub fn delete(arena: Allocator, key: []const u8) !Result(void) {
    var k = arg(key);
    var err: wit.landlord_compute_state_state_error_t = .{};
    if (!wit.landlord_compute_state_delete(&k, &err)) return .{ .err = try lift(arena, &err) };
    return .{ .ok = {} };
}
