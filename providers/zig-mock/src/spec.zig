//! The provider's own Zig model of the WIT records it reasons about.
//!
//! The C bindings (see `abi.zig`) describe the canonical-ABI layout: `[*c]`
//! pointers, `is_some` flags and `ptr`/`len` pairs. Working on those directly
//! is painful, so every call first *lifts* its arguments into these plain Zig
//! types (slices and optionals that point into the argument memory, no
//! copies) and the logic in `main.zig`, `checks.zig` and `diff.zig` only ever
//! sees these.
//!
//! The same types are the stored record: `std.json` serialises them with the
//! field names below (the spec's JSON names, snake_case), enums as their tag
//! name (`"tcp"`), optionals as `null` and string pairs as `["key", "value"]`.

const std = @import("std");

/// One entry of a WIT `string-map` (`list<tuple<string, string>>`):
/// `pair[0]` is the key, `pair[1]` the value. JSON: `["key", "value"]`.
pub const Pair = [2][]const u8;

pub const Protocol = enum { tcp, udp };

pub const PortMapping = struct {
    container_port: u16,
    host_port: ?u16,
    protocol: Protocol,
    name: ?[]const u8,
};

pub const HealthCheckType = enum { http, tcp, exec };

pub const HealthCheck = struct {
    check_type: HealthCheckType,
    http_path: ?[]const u8,
    port: ?u16,
    command: []const []const u8,
    interval_seconds: u32,
    timeout_seconds: u32,
    healthy_threshold: ?u32,
    unhealthy_threshold: ?u32,
};

pub const Resources = struct {
    cpu_millicores: u32,
    memory_mib: u32,
    storage_mib: ?u32,
};

pub const Dns = struct {
    hostname: ?[]const u8,
    domain: ?[]const u8,
};

pub const Network = struct {
    public_ip: bool,
    security_groups: []const []const u8,
    subnets: []const []const u8,
    dns: ?Dns,
};

pub const Secret = struct {
    name: []const u8,
    source: []const u8,
    key: []const u8,
    env_var: ?[]const u8,
};

pub const Container = struct {
    name: []const u8,
    image: []const u8,
    command: []const []const u8,
    args: []const []const u8,
    env: []const Pair,
    ports: []const PortMapping,
    health_check: ?HealthCheck,
    resources: ?Resources,
};

/// WIT `tenant-compute-spec`.
pub const Spec = struct {
    tenant_id: []const u8,
    provider_type: []const u8,
    containers: []const Container,
    resources: Resources,
    networking: Network,
    secrets: []const Secret,
    labels: []const Pair,
    /// A JSON document, checked by `checks.zig`.
    provider_config: ?[]const u8,
};

/// For unit tests: a container "web" running nginx:1.27, nothing else set.
pub const test_container: Container = .{ .name = "web", .image = "nginx:1.27", .command = &.{}, .args = &.{}, .env = &.{}, .ports = &.{}, .health_check = null, .resources = null };

/// For unit tests: a small valid spec for tenant "acme" with `test_container`
/// (the Rust mock's `test_support::spec`).
pub const test_spec: Spec = .{
    .tenant_id = "acme",
    .provider_type = "zig-mock",
    .containers = &.{test_container},
    .resources = .{ .cpu_millicores = 500, .memory_mib = 512, .storage_mib = null },
    .networking = .{ .public_ip = false, .security_groups = &.{}, .subnets = &.{}, .dns = null },
    .secrets = &.{},
    .labels = &.{},
    .provider_config = null,
};

/// WIT `field-error`: one problem with a spec.
pub const FieldError = struct {
    path: []const u8,
    message: []const u8,
};

/// WIT `provider-error`. Zig errors cannot carry a payload, so operations
/// return `error.ProviderFailed` and leave one of these in their `Call`
/// (see `main.zig`), the same "diagnostics" pattern `std.json` uses.
pub const ProviderError = union(enum) {
    invalid_spec: []const FieldError,
    provision_failed: []const u8,
    update_failed: []const u8,
    tenant_not_found: []const u8,
    operation_failed: []const u8,
};

pub const Endpoint = struct {
    endpoint_type: []const u8,
    address: []const u8,
    port: u16,
    url: ?[]const u8,
};

pub const ProvisionStatus = enum { success, in_progress, failed };

pub const ProvisionResult = struct {
    tenant_id: []const u8,
    provider_type: []const u8,
    status: ProvisionStatus,
    resource_ids: []const Pair,
    endpoints: []const Endpoint,
    message: ?[]const u8,
};

pub const UpdateStatus = enum { success, no_changes, in_progress, failed };

pub const UpdateResult = struct {
    tenant_id: []const u8,
    provider_type: []const u8,
    status: UpdateStatus,
    changes: []const []const u8,
    message: ?[]const u8,
};

pub const ComputeState = enum { running, stopped, starting, stopping, failed, unknown };
pub const HealthStatus = enum { healthy, unhealthy, unknown };

pub const ContainerStatus = struct {
    name: []const u8,
    state: []const u8,
    ready: bool,
    restart_count: u32,
    message: ?[]const u8,
};

pub const ComputeStatus = struct {
    tenant_id: []const u8,
    provider_type: []const u8,
    state: ComputeState,
    containers: []const ContainerStatus,
    health: HealthStatus,
    metadata: []const Pair,
};

/// Deep structural equality of two values of any type above: every field,
/// slices element by element and in order (what Rust's derived `PartialEq`
/// does). `std.meta.eql` is not enough: it compares slices by pointer.
/// The type switch runs at compile time, so each use becomes plain code.
pub fn eql(a: anytype, b: @TypeOf(a)) bool {
    const T = @TypeOf(a);
    switch (@typeInfo(T)) {
        .@"struct" => |info| {
            inline for (info.field_names) |field| {
                if (!eql(@field(a, field), @field(b, field))) return false;
            }
            return true;
        },
        .optional => {
            if (a) |x| {
                if (b) |y| return eql(x, y);
                return false;
            }
            return b == null;
        },
        .pointer => |info| {
            if (info.size != .slice) @compileError("eql: only slices, not " ++ @typeName(T));
            if (info.child == u8) return std.mem.eql(u8, a, b);
            if (a.len != b.len) return false;
            for (a, b) |x, y| {
                if (!eql(x, y)) return false;
            }
            return true;
        },
        .array => {
            for (a, b) |x, y| {
                if (!eql(x, y)) return false;
            }
            return true;
        },
        .int, .bool, .@"enum" => return a == b,
        else => @compileError("eql: unsupported type " ++ @typeName(T)),
    }
}

test eql {
    const a: Pair = .{ "k", "v" };
    const b: Pair = .{ "k", "w" };
    try std.testing.expect(eql(a, a));
    try std.testing.expect(!eql(a, b));
    const ports_a = [_]PortMapping{.{ .container_port = 80, .host_port = null, .protocol = .tcp, .name = null }};
    var ports_b = ports_a;
    try std.testing.expect(eql(@as([]const PortMapping, &ports_a), &ports_b));
    ports_b[0].host_port = 8080;
    try std.testing.expect(!eql(@as([]const PortMapping, &ports_a), &ports_b));
}
