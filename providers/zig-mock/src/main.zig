//! zig-mock: the mock compute provider written in Zig, behaving exactly like
//! the Rust reference (providers/mock). It provisions nothing real; it keeps
//! each tenant's spec in host state (the `state` import) and answers as a
//! real provider would. An operator can make any operation fail through the
//! `config` import: `fail.<operation>` = the message to fail with (for
//! example `fail.provision = "quota exceeded"`).
//!
//! How the pieces fit:
//! - `wit` is the C binding, generated at build time: `wit-bindgen c` writes
//!   a header and a .c file (the canonical-ABI glue), and `zig translate-c`
//!   turns the header into Zig declarations. The .c file calls functions
//!   named `exports_landlord_compute_provider_<op>`; we define them below
//!   with `export fn`, using the C calling convention and the C types.
//! - `abi.zig` lifts arguments into the Zig types of `spec.zig` and lowers
//!   results back; `host.zig` wraps the imports; `checks.zig` and `diff.zig`
//!   are the provider's own rules.
//!
//! The host calls each operation in a fresh instance, so nothing may be kept
//! in globals between calls: whatever must be remembered goes to `state`.

const std = @import("std");
const wit = @import("wit");
const abi = @import("abi.zig");
const host = @import("host.zig");
const spec = @import("spec.zig");
const checks = @import("checks.zig");
const diff = @import("diff.zig");

const Allocator = std.mem.Allocator;

/// The provider's registry name.
const name = "zig-mock";

/// Domain of endpoint addresses when the spec names none.
const default_domain = "mock.internal";

/// What the provider remembers about a tenant, stored as JSON under
/// `tenant/<id>`.
const TenantRecord = struct {
    spec: spec.Spec,
    /// 1 after provisioning, +1 per applied update.
    generation: u64,
};

/// A panic (only out-of-memory can cause one: ReleaseSmall has no safety
/// checks) logs its message, then traps. The host reports the trap and
/// discards the call's state writes. Without this, Zig's default handler
/// would pull in stderr printing, which the sandbox does not allow anyway.
pub const panic = std.debug.FullPanic(struct {
    fn call(message: []const u8, _: ?usize) noreturn {
        @branchHint(.cold);
        var m: wit.compute_provider_string_t = .{ .ptr = @constCast(message.ptr), .len = message.len };
        wit.landlord_compute_log_log(@backingInt(host.Level.@"error"), &m);
        @trap();
    }
}.call);

// ---------------------------------------------------------------- the call

/// One export call: its scratch memory and, after `error.ProviderFailed`,
/// why it failed.
const Call = struct {
    arena_state: std.heap.ArenaAllocator,
    failure: spec.ProviderError = undefined,

    /// Every error an operation can return. `ProviderFailed` carries its
    /// payload in `Call.failure`.
    const Error = error{ ProviderFailed, OutOfMemory };

    fn init() Call {
        return .{ .arena_state = .init(std.heap.c_allocator) };
    }

    fn deinit(self: *Call) void {
        self.arena_state.deinit();
    }

    fn arena(self: *Call) Allocator {
        return self.arena_state.allocator();
    }

    fn fail(self: *Call, err: spec.ProviderError) error{ProviderFailed} {
        self.failure = err;
        return error.ProviderFailed;
    }

    fn failf(self: *Call, comptime tag: std.meta.Tag(spec.ProviderError), comptime fmt: []const u8, args: anytype) Error {
        const message = try std.fmt.allocPrint(self.arena(), fmt, args);
        return self.fail(@unionInit(spec.ProviderError, @tagName(tag), message));
    }

    /// The value of a state call, or the call fails with
    /// `operation-failed("state: ...")`.
    fn state(self: *Call, result: anytype) Error!@FieldType(@TypeOf(result), "ok") {
        return switch (result) {
            .ok => |value| value,
            .err => |err| self.failf(.operation_failed, "state: {f}", .{err}),
        };
    }
};

/// Finish an export: lower the operation's outcome into the C result
/// (`ret`) or error (`err`) and return the C binding's "is ok" flag.
fn finish(call: *Call, outcome: anytype, ret: anytype, err: *wit.exports_landlord_compute_provider_provider_error_t, comptime lower: anytype) bool {
    defer call.deinit();
    const value = outcome catch |e| switch (e) {
        error.ProviderFailed => {
            err.* = abi.lowerError(call.failure) catch oom();
            return false;
        },
        error.OutOfMemory => oom(),
    };
    if (@TypeOf(lower) != @TypeOf(null)) ret.* = lower(value) catch oom();
    return true;
}

fn oom() noreturn {
    @panic("zig-mock: out of memory");
}

// ---------------------------------------------------------------- exports
// The signatures are those the generated header declares. Arguments are
// ours to free; results are freed by the generated post-return functions.

export fn exports_landlord_compute_provider_name(ret: *wit.compute_provider_string_t) void {
    ret.* = abi.dupe(name) catch oom();
}

export fn exports_landlord_compute_provider_provision(
    spec_arg: *wit.exports_landlord_compute_provider_tenant_compute_spec_t,
    ret: *wit.exports_landlord_compute_provider_provision_result_t,
    err: *wit.exports_landlord_compute_provider_provider_error_t,
) bool {
    defer wit.exports_landlord_compute_provider_tenant_compute_spec_free(spec_arg);
    var call: Call = .init();
    const s = abi.liftSpec(call.arena(), spec_arg) catch oom();
    return finish(&call, provision(&call, s), ret, err, abi.lowerProvisionResult);
}

export fn exports_landlord_compute_provider_update(
    tenant_id_arg: *wit.compute_provider_string_t,
    spec_arg: *wit.exports_landlord_compute_provider_tenant_compute_spec_t,
    ret: *wit.exports_landlord_compute_provider_update_result_t,
    err: *wit.exports_landlord_compute_provider_provider_error_t,
) bool {
    defer wit.compute_provider_string_free(tenant_id_arg);
    defer wit.exports_landlord_compute_provider_tenant_compute_spec_free(spec_arg);
    var call: Call = .init();
    const s = abi.liftSpec(call.arena(), spec_arg) catch oom();
    return finish(&call, update(&call, abi.str(tenant_id_arg.*), s), ret, err, abi.lowerUpdateResult);
}

export fn exports_landlord_compute_provider_destroy(
    tenant_id_arg: *wit.compute_provider_string_t,
    err: *wit.exports_landlord_compute_provider_provider_error_t,
) bool {
    defer wit.compute_provider_string_free(tenant_id_arg);
    var call: Call = .init();
    return finish(&call, destroy(&call, abi.str(tenant_id_arg.*)), {}, err, null);
}

export fn exports_landlord_compute_provider_get_status(
    tenant_id_arg: *wit.compute_provider_string_t,
    ret: *wit.exports_landlord_compute_provider_compute_status_t,
    err: *wit.exports_landlord_compute_provider_provider_error_t,
) bool {
    defer wit.compute_provider_string_free(tenant_id_arg);
    var call: Call = .init();
    return finish(&call, getStatus(&call, abi.str(tenant_id_arg.*)), ret, err, abi.lowerComputeStatus);
}

export fn exports_landlord_compute_provider_validate(
    spec_arg: *wit.exports_landlord_compute_provider_tenant_compute_spec_t,
    err: *wit.exports_landlord_compute_provider_provider_error_t,
) bool {
    defer wit.exports_landlord_compute_provider_tenant_compute_spec_free(spec_arg);
    var call: Call = .init();
    const s = abi.liftSpec(call.arena(), spec_arg) catch oom();
    return finish(&call, validate(&call, s), {}, err, null);
}

// ---------------------------------------------------------------- operations

fn provision(call: *Call, s: spec.Spec) Call.Error!spec.ProvisionResult {
    if (try configuredFailure(call, "provision")) |message| return call.fail(.{ .provision_failed = message });
    try rejectInvalid(call, s);
    const message = if (try load(call, s.tenant_id)) |existing| blk: {
        if (!spec.eql(existing.spec, s)) return call.failf(
            .provision_failed,
            "tenant '{s}' already exists with a different spec; use update to change it",
            .{s.tenant_id},
        );
        break :blk "already provisioned with this spec";
    } else blk: {
        try save(call, .{ .spec = s, .generation = 1 });
        break :blk "provisioned";
    };
    try host.log(call.arena(), .info, "{s}: {s}", .{ message, s.tenant_id });
    return .{
        .tenant_id = s.tenant_id,
        .provider_type = name,
        .status = .success,
        .resource_ids = try resourceIds(call.arena(), s),
        .endpoints = try endpoints(call.arena(), s),
        .message = message,
    };
}

fn update(call: *Call, tenant_id: []const u8, s: spec.Spec) Call.Error!spec.UpdateResult {
    if (try configuredFailure(call, "update")) |message| return call.fail(.{ .update_failed = message });
    try rejectInvalid(call, s);
    var record = try load(call, tenant_id) orelse return call.fail(.{ .tenant_not_found = tenant_id });
    const changes = try diff.changes(call.arena(), record.spec, s);
    if (changes.len > 0) {
        record.spec = s;
        record.generation += 1;
        try save(call, record);
        try host.log(call.arena(), .info, "updated {s}: {d} change(s)", .{ tenant_id, changes.len });
    }
    return .{
        .tenant_id = tenant_id,
        .provider_type = name,
        .status = if (changes.len == 0) .no_changes else .success,
        .changes = changes,
        .message = null,
    };
}

fn destroy(call: *Call, tenant_id: []const u8) Call.Error!void {
    if (try configuredFailure(call, "destroy")) |message| return call.fail(.{ .operation_failed = message });
    // Idempotent: deleting a missing key is not an error.
    try call.state(try host.delete(call.arena(), try tenantKey(call, tenant_id)));
    try host.log(call.arena(), .info, "destroyed {s}", .{tenant_id});
}

fn getStatus(call: *Call, tenant_id: []const u8) Call.Error!spec.ComputeStatus {
    if (try configuredFailure(call, "get-status")) |message| return call.fail(.{ .operation_failed = message });
    const record = try load(call, tenant_id) orelse return call.fail(.{ .tenant_not_found = tenant_id });
    const arena = call.arena();
    const containers = try arena.alloc(spec.ContainerStatus, record.spec.containers.len);
    var checked = false;
    for (record.spec.containers, containers) |container, *status| {
        if (container.health_check != null) checked = true;
        status.* = .{
            .name = container.name,
            .state = "running",
            .ready = true,
            .restart_count = 0,
            .message = try std.fmt.allocPrint(arena, "image {s}", .{container.image}),
        };
    }
    const metadata = try arena.dupe(spec.Pair, &.{
        .{ "generation", try std.fmt.allocPrint(arena, "{d}", .{record.generation}) },
        .{ "zone", try checks.zone(arena, record.spec) orelse "default" },
    });
    return .{
        .tenant_id = tenant_id,
        .provider_type = name,
        .state = .running,
        .containers = containers,
        .health = if (checked) .healthy else .unknown,
        .metadata = metadata,
    };
}

fn validate(call: *Call, s: spec.Spec) Call.Error!void {
    if (try configuredFailure(call, "validate")) |message| {
        return call.fail(.{ .invalid_spec = try call.arena().dupe(spec.FieldError, &.{.{ .path = "", .message = message }}) });
    }
    try rejectInvalid(call, s);
}

// ---------------------------------------------------------------- helpers

/// The operator's failure switch for `operation`, if set.
fn configuredFailure(call: *Call, comptime operation: []const u8) !?[]const u8 {
    return host.config(call.arena(), "fail." ++ operation);
}

fn tenantKey(call: *Call, tenant_id: []const u8) ![]const u8 {
    return std.fmt.allocPrint(call.arena(), "tenant/{s}", .{tenant_id});
}

fn load(call: *Call, tenant_id: []const u8) Call.Error!?TenantRecord {
    const bytes = try call.state(try host.get(call.arena(), try tenantKey(call, tenant_id))) orelse return null;
    return std.json.parseFromSliceLeaky(TenantRecord, call.arena(), bytes, .{ .ignore_unknown_fields = true }) catch |err| switch (err) {
        error.OutOfMemory => error.OutOfMemory,
        else => call.failf(.operation_failed, "stored record of {s} is corrupt: {s}", .{ tenant_id, @errorName(err) }),
    };
}

fn save(call: *Call, record: TenantRecord) Call.Error!void {
    const bytes = try std.json.Stringify.valueAlloc(call.arena(), record, .{});
    try call.state(try host.set(call.arena(), try tenantKey(call, record.spec.tenant_id), bytes));
}

/// The provider's own rules, on top of the host's structural validation.
fn rejectInvalid(call: *Call, s: spec.Spec) Call.Error!void {
    const problems = try checks.problems(call.arena(), s, name);
    if (problems.len > 0) return call.fail(.{ .invalid_spec = problems });
}

fn resourceIds(arena: Allocator, s: spec.Spec) ![]const spec.Pair {
    const ids = try arena.alloc(spec.Pair, s.containers.len + 1);
    ids[0] = .{ "network", try std.fmt.allocPrint(arena, "mock-net-{s}", .{s.tenant_id}) };
    for (s.containers, ids[1..]) |container, *id| id.* = .{
        try std.fmt.allocPrint(arena, "container/{s}", .{container.name}),
        try std.fmt.allocPrint(arena, "mock-{s}-{s}", .{ s.tenant_id, container.name }),
    };
    std.sort.insertion(spec.Pair, ids, {}, pairLessThan);
    return ids;
}

fn pairLessThan(_: void, a: spec.Pair, b: spec.Pair) bool {
    return switch (std.mem.order(u8, a[0], b[0])) {
        .lt => true,
        .gt => false,
        .eq => std.mem.lessThan(u8, a[1], b[1]),
    };
}

fn endpoints(arena: Allocator, s: spec.Spec) ![]const spec.Endpoint {
    const domain = if (s.networking.dns) |dns| dns.domain orelse default_domain else default_domain;
    var out: std.ArrayList(spec.Endpoint) = .empty;
    for (s.containers) |container| {
        const address = try std.fmt.allocPrint(arena, "{s}.{s}.{s}", .{ container.name, s.tenant_id, domain });
        for (container.ports) |port| {
            const scheme = @tagName(port.protocol); // "tcp" or "udp"
            const number = port.host_port orelse port.container_port;
            try out.append(arena, .{
                .endpoint_type = scheme,
                .address = address,
                .port = number,
                .url = try std.fmt.allocPrint(arena, "{s}://{s}:{d}", .{ scheme, address, number }),
            });
        }
    }
    return out.items;
}
