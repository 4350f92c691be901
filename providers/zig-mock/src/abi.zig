//! The boundary between the C bindings (`wit`, made at build time by
//! `wit-bindgen c` + `zig translate-c`) and the Zig model in `spec.zig`.
//!
//! Ownership rules of the wit-bindgen C ABI, which everything here follows:
//! - Arguments of an export belong to the callee. We *lift* them into Zig
//!   views without copying, and the export frees them (with the generated
//!   `*_free` helpers) when it returns.
//! - Results of an export are freed by the generated `cabi_post_*` function
//!   with libc `free()` after the host has copied them. So every string and
//!   list we *lower* into a result must be a fresh `malloc` allocation: we
//!   allocate them with `std.heap.c_allocator` (which is `malloc`), never
//!   point at static data or at the arguments (that would be a double free).
//! - Zero-length strings and lists are never freed, so they need no memory.

const std = @import("std");
const wit = @import("wit");
const spec = @import("spec.zig");

const Allocator = std.mem.Allocator;

/// The allocator for everything handed back to the host (see above).
const gpa = std.heap.c_allocator;

// ---------------------------------------------------------------- lifting

/// The elements of any generated `{ ptr, len }` list as a Zig slice.
/// (A `[*c]` pointer may be null or dangling when `len` is 0.)
pub fn items(list: anytype) []const @typeInfo(@TypeOf(list.ptr)).pointer.child {
    if (list.len == 0) return &.{};
    return list.ptr[0..list.len];
}

/// A WIT string (`{ ptr, len }`, UTF-8) as a Zig slice.
pub fn str(s: wit.compute_provider_string_t) []const u8 {
    if (s.len == 0) return "";
    return s.ptr[0..s.len];
}

fn optStr(o: wit.compute_provider_option_string_t) ?[]const u8 {
    return if (o.is_some) str(o.val) else null;
}

/// Any generated `{ is_some, val }` option of a plain value.
fn opt(o: anytype) ?@TypeOf(o.val) {
    return if (o.is_some) o.val else null;
}

fn strings(arena: Allocator, list: wit.compute_provider_list_string_t) ![]const []const u8 {
    const out = try arena.alloc([]const u8, list.len);
    for (items(list), out) |s, *o| o.* = str(s);
    return out;
}

fn pairs(arena: Allocator, list: anytype) ![]const spec.Pair {
    const out = try arena.alloc(spec.Pair, list.len);
    for (items(list), out) |p, *o| o.* = .{ str(p.f0), str(p.f1) };
    return out;
}

fn resources(r: wit.landlord_compute_types_resource_requirements_t) spec.Resources {
    return .{
        .cpu_millicores = r.cpu_millicores,
        .memory_mib = r.memory_mib,
        .storage_mib = opt(r.storage_mib),
    };
}

fn healthCheck(arena: Allocator, h: wit.landlord_compute_types_health_check_config_t) !spec.HealthCheck {
    return .{
        // WIT enums are numbered in declaration order, as are ours.
        .check_type = @fromBackingInt(@intCast(h.check_type)),
        .http_path = optStr(h.http_path),
        .port = opt(h.port),
        .command = try strings(arena, h.command),
        .interval_seconds = h.interval_seconds,
        .timeout_seconds = h.timeout_seconds,
        .healthy_threshold = opt(h.healthy_threshold),
        .unhealthy_threshold = opt(h.unhealthy_threshold),
    };
}

fn container(arena: Allocator, c: wit.landlord_compute_types_container_spec_t) !spec.Container {
    const ports = try arena.alloc(spec.PortMapping, c.ports.len);
    for (items(c.ports), ports) |p, *o| o.* = .{
        .container_port = p.container_port,
        .host_port = opt(p.host_port),
        .protocol = @fromBackingInt(@intCast(p.protocol)),
        .name = optStr(p.name),
    };
    return .{
        .name = str(c.name),
        .image = str(c.image),
        .command = try strings(arena, c.command),
        .args = try strings(arena, c.args),
        .env = try pairs(arena, c.env),
        .ports = ports,
        .health_check = if (c.health_check.is_some) try healthCheck(arena, c.health_check.val) else null,
        .resources = if (c.resources.is_some) resources(c.resources.val) else null,
    };
}

/// Lift a `tenant-compute-spec` argument. The result points into `c`'s
/// memory, so it lives only as long as the argument does.
pub fn liftSpec(arena: Allocator, c: *const wit.exports_landlord_compute_provider_tenant_compute_spec_t) !spec.Spec {
    const containers = try arena.alloc(spec.Container, c.containers.len);
    for (items(c.containers), containers) |x, *o| o.* = try container(arena, x);
    const secrets = try arena.alloc(spec.Secret, c.secrets.len);
    for (items(c.secrets), secrets) |s, *o| o.* = .{
        .name = str(s.name),
        .source = str(s.source),
        .key = str(s.key),
        .env_var = optStr(s.env_var),
    };
    const net = c.networking;
    return .{
        .tenant_id = str(c.tenant_id),
        .provider_type = str(c.provider_type),
        .containers = containers,
        .resources = resources(c.resources),
        .networking = .{
            .public_ip = net.public_ip,
            .security_groups = try strings(arena, net.security_groups),
            .subnets = try strings(arena, net.subnets),
            .dns = if (net.dns.is_some) .{
                .hostname = optStr(net.dns.val.hostname),
                .domain = optStr(net.dns.val.domain),
            } else null,
        },
        .secrets = secrets,
        .labels = try pairs(arena, c.labels),
        .provider_config = optStr(c.provider_config),
    };
}

// ---------------------------------------------------------------- lowering
// Everything below allocates with `gpa` (malloc): the post-return frees it.

/// A fresh malloc'd copy of `s` as a WIT string.
pub fn dupe(s: []const u8) !wit.compute_provider_string_t {
    if (s.len == 0) return .{ .ptr = null, .len = 0 };
    const copy = try gpa.dupe(u8, s);
    return .{ .ptr = copy.ptr, .len = copy.len };
}

fn dupeOpt(s: ?[]const u8) !wit.compute_provider_option_string_t {
    const value = s orelse return .{ .is_some = false };
    return .{ .is_some = true, .val = try dupe(value) };
}

/// A malloc'd C array of `n` elements of type `T`, as a `[*c]` pointer.
fn array(comptime T: type, n: usize) ![*c]T {
    if (n == 0) return null;
    return (try gpa.alloc(T, n)).ptr;
}

fn lowerStrings(list: []const []const u8) !wit.compute_provider_list_string_t {
    const out = try array(wit.compute_provider_string_t, list.len);
    for (list, 0..) |s, i| out[i] = try dupe(s);
    return .{ .ptr = out, .len = list.len };
}

fn lowerPairs(list: []const spec.Pair) !wit.landlord_compute_types_string_map_t {
    const out = try array(wit.compute_provider_tuple2_string_string_t, list.len);
    for (list, 0..) |p, i| out[i] = .{ .f0 = try dupe(p[0]), .f1 = try dupe(p[1]) };
    return .{ .ptr = out, .len = list.len };
}

pub fn lowerProvisionResult(r: spec.ProvisionResult) !wit.exports_landlord_compute_provider_provision_result_t {
    const endpoints = try array(wit.landlord_compute_types_endpoint_t, r.endpoints.len);
    for (r.endpoints, 0..) |e, i| endpoints[i] = .{
        .endpoint_type = try dupe(e.endpoint_type),
        .address = try dupe(e.address),
        .port = e.port,
        .url = try dupeOpt(e.url),
    };
    return .{
        .tenant_id = try dupe(r.tenant_id),
        .provider_type = try dupe(r.provider_type),
        .status = @backingInt(r.status),
        .resource_ids = try lowerPairs(r.resource_ids),
        .endpoints = .{ .ptr = endpoints, .len = r.endpoints.len },
        .message = try dupeOpt(r.message),
    };
}

pub fn lowerUpdateResult(r: spec.UpdateResult) !wit.exports_landlord_compute_provider_update_result_t {
    return .{
        .tenant_id = try dupe(r.tenant_id),
        .provider_type = try dupe(r.provider_type),
        .status = @backingInt(r.status),
        .changes = try lowerStrings(r.changes),
        .message = try dupeOpt(r.message),
    };
}

pub fn lowerComputeStatus(s: spec.ComputeStatus) !wit.exports_landlord_compute_provider_compute_status_t {
    const containers = try array(wit.landlord_compute_types_container_status_t, s.containers.len);
    for (s.containers, 0..) |c, i| containers[i] = .{
        .name = try dupe(c.name),
        .state = try dupe(c.state),
        .ready = c.ready,
        .restart_count = c.restart_count,
        .message = try dupeOpt(c.message),
    };
    return .{
        .tenant_id = try dupe(s.tenant_id),
        .provider_type = try dupe(s.provider_type),
        .state = @backingInt(s.state),
        .containers = .{ .ptr = containers, .len = s.containers.len },
        .health = @backingInt(s.health),
        .metadata = try lowerPairs(s.metadata),
    };
}

pub fn lowerError(e: spec.ProviderError) !wit.exports_landlord_compute_provider_provider_error_t {
    var out: wit.exports_landlord_compute_provider_provider_error_t = .{};
    // The C variant is a tag plus an untagged union; the tag numbers are the
    // WIT case order, the same order as `spec.ProviderError`.
    out.tag = @backingInt(e);
    switch (e) {
        .invalid_spec => |problems| {
            const list = try array(wit.landlord_compute_types_field_error_t, problems.len);
            for (problems, 0..) |p, i| list[i] = .{ .path = try dupe(p.path), .message = try dupe(p.message) };
            out.val.invalid_spec = .{ .ptr = list, .len = problems.len };
        },
        .provision_failed => |m| out.val.provision_failed = try dupe(m),
        .update_failed => |m| out.val.update_failed = try dupe(m),
        .tenant_not_found => |m| out.val.tenant_not_found = try dupe(m),
        .operation_failed => |m| out.val.operation_failed = try dupe(m),
    }
    return out;
}

comptime {
    // The enum orders above are relied on; check them against the header.
    std.debug.assert(@backingInt(std.meta.Tag(spec.ProviderError).operation_failed) == wit.LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_OPERATION_FAILED);
    std.debug.assert(@backingInt(std.meta.Tag(spec.ProviderError).invalid_spec) == wit.LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_INVALID_SPEC);
    std.debug.assert(@backingInt(spec.UpdateStatus.no_changes) == wit.LANDLORD_COMPUTE_TYPES_UPDATE_STATUS_NO_CHANGES);
    std.debug.assert(@backingInt(spec.HealthStatus.unknown) == wit.LANDLORD_COMPUTE_TYPES_HEALTH_STATUS_UNKNOWN);
    std.debug.assert(@backingInt(spec.ComputeState.running) == wit.LANDLORD_COMPUTE_TYPES_COMPUTE_STATE_RUNNING);
    std.debug.assert(@backingInt(spec.Protocol.udp) == wit.LANDLORD_COMPUTE_TYPES_PROTOCOL_UDP);
    std.debug.assert(@backingInt(spec.HealthCheckType.exec) == wit.LANDLORD_COMPUTE_TYPES_HEALTH_CHECK_TYPE_EXEC);
}
