//! What changed between a tenant's stored spec and a new one, one line per
//! change, for `update`. Same lines, same order as the Rust mock
//! (providers/mock/src/diff.rs). Values that may be secret (env, secret
//! references, provider config) are never echoed: only that they changed.

const std = @import("std");
const spec = @import("spec.zig");

const Allocator = std.mem.Allocator;
const eql = spec.eql;

/// The changes from `old` to `new`; empty when they are equivalent.
pub fn changes(arena: Allocator, old: spec.Spec, new: spec.Spec) ![]const []const u8 {
    var lines: Lines = .{ .arena = arena };
    const before = try byName(arena, old.containers);
    const after = try byName(arena, new.containers);

    for (after) |container| {
        if (find(before, container.name)) |earlier| {
            try containerChanges(&lines, earlier, container);
        } else {
            try lines.add("container {s}: added (image {s})", .{ container.name, container.image });
        }
    }
    for (before) |container| {
        if (find(after, container.name) == null) try lines.add("container {s}: removed", .{container.name});
    }
    if (!eql(old.resources, new.resources)) {
        try lines.add("resources: {f} -> {f}", .{ describe(old.resources), describe(new.resources) });
    }
    if (!eql(old.networking, new.networking)) try lines.add("networking: changed", .{});
    if (!eql(old.secrets, new.secrets)) try lines.add("secrets: changed", .{});
    if (!eql(old.labels, new.labels)) try lines.add("labels: changed", .{});
    if (!eql(old.provider_config, new.provider_config)) try lines.add("provider_config: changed", .{});
    return lines.list.items;
}

const Lines = struct {
    arena: Allocator,
    list: std.ArrayList([]const u8) = .empty,

    fn add(self: *Lines, comptime fmt: []const u8, args: anytype) !void {
        try self.list.append(self.arena, try std.fmt.allocPrint(self.arena, fmt, args));
    }
};

fn containerChanges(lines: *Lines, old: spec.Container, new: spec.Container) !void {
    const name = new.name;
    if (!std.mem.eql(u8, old.image, new.image)) {
        try lines.add("container {s}: image {s} -> {s}", .{ name, old.image, new.image });
    }
    if (!eql(old.resources, new.resources)) {
        try lines.add("container {s}: resources {f} -> {f}", .{ name, share(old.resources), share(new.resources) });
    }
    // `inline for` unrolls at compile time, so each field keeps its own type.
    inline for (.{ "command", "args", "env", "ports", "health_check" }) |field| {
        if (!eql(@field(old, field), @field(new, field))) {
            try lines.add("container {s}: " ++ field ++ " changed", .{name});
        }
    }
}

/// The containers sorted by name, a later duplicate replacing an earlier
/// one: the Rust mock collects them into a `BTreeMap` by name.
fn byName(arena: Allocator, containers: []const spec.Container) ![]const spec.Container {
    const sorted = try arena.dupe(spec.Container, containers);
    // Insertion sort is stable, so equal names keep their spec order...
    // (and, unlike `std.mem.sort`, tiny in code: lists here are short).
    std.sort.insertion(spec.Container, sorted, {}, nameLessThan);
    // ...and keeping the last of each run of equal names is "last wins".
    var kept: usize = 0;
    for (sorted, 0..) |container, i| {
        if (i + 1 < sorted.len and std.mem.eql(u8, sorted[i + 1].name, container.name)) continue;
        sorted[kept] = container;
        kept += 1;
    }
    return sorted[0..kept];
}

fn nameLessThan(_: void, a: spec.Container, b: spec.Container) bool {
    return std.mem.lessThan(u8, a.name, b.name);
}

fn find(containers: []const spec.Container, name: []const u8) ?spec.Container {
    for (containers) |container| {
        if (std.mem.eql(u8, container.name, name)) return container;
    }
    return null;
}

/// Formats resources as "cpu 500m, memory 512 MiB[, storage 1024 MiB]".
/// A type with a `format` method is printed with `{f}`, without allocating.
const Described = struct {
    resources: ?spec.Resources,

    pub fn format(self: Described, w: *std.Io.Writer) std.Io.Writer.Error!void {
        const r = self.resources orelse return w.writeAll("tenant share");
        try w.print("cpu {d}m, memory {d} MiB", .{ r.cpu_millicores, r.memory_mib });
        if (r.storage_mib) |storage| try w.print(", storage {d} MiB", .{storage});
    }
};

fn describe(r: spec.Resources) Described {
    return .{ .resources = r };
}

/// A container's own resources, or "tenant share" when it has none.
fn share(r: ?spec.Resources) Described {
    return .{ .resources = r };
}

test changes {
    var arena_state = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena_state.deinit();
    const arena = arena_state.allocator();
    const web = spec.test_container;
    const old = spec.test_spec;
    try std.testing.expectEqual(0, (try changes(arena, old, old)).len);

    var web2 = web;
    web2.image = "nginx:1.28";
    web2.env = &.{.{ "TOKEN", "s3cret" }};
    var api = web2;
    api.name = "api";
    var new = old;
    new.containers = &.{ web2, api };
    new.resources.cpu_millicores = 1000;
    new.labels = &.{.{ "team", "core" }};
    const lines = try changes(arena, old, new);
    const expected = [_][]const u8{
        "container api: added (image nginx:1.28)",
        "container web: image nginx:1.27 -> nginx:1.28",
        "container web: env changed",
        "resources: cpu 500m, memory 512 MiB -> cpu 1000m, memory 512 MiB",
        "labels: changed",
    };
    try std.testing.expectEqual(expected.len, lines.len);
    for (expected, lines) |want, got| try std.testing.expectEqualStrings(want, got);
}
