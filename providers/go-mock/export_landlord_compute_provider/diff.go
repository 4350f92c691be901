package export_landlord_compute_provider

// What changed between a tenant's stored spec and a new one, one line per
// change, for update. Values that may be secret (env, secret references,
// provider config) are never echoed: only that they changed. Same lines, in
// the same order, as the Rust mock's diff.rs.
//
// The generated WIT types are plain Go structs, but `option<T>` is the
// generic witTypes.Option[T] and lists are slices, so equality is spelled out
// below: `==` works for structs without slices (Option included, since its
// fields are comparable), slices.Equal for slices of comparable elements, and
// small functions for the rest.

import (
	"fmt"
	"slices"
	"sort"

	witTypes "go.bytecodealliance.org/pkg/wit/types"

	types "wit_component/landlord_compute_types"
)

// changes lists the changes from old to new; empty when they are equivalent.
func changes(old, new types.TenantComputeSpec) []string {
	out := []string{}
	oldContainers := byName(old.Containers)
	newContainers := byName(new.Containers)
	for _, name := range sortedNames(newContainers) {
		container := newContainers[name]
		before, found := oldContainers[name]
		if !found {
			out = append(out, fmt.Sprintf("container %s: added (image %s)", name, container.Image))
			continue
		}
		out = append(out, containerChanges(name, before, container)...)
	}
	for _, name := range sortedNames(oldContainers) {
		if _, found := newContainers[name]; !found {
			out = append(out, fmt.Sprintf("container %s: removed", name))
		}
	}
	if old.Resources != new.Resources {
		out = append(out, fmt.Sprintf("resources: %s -> %s", describe(old.Resources), describe(new.Resources)))
	}
	changed := func(what string, differs bool) {
		if differs {
			out = append(out, what+": changed")
		}
	}
	changed("networking", !networkingEqual(old.Networking, new.Networking))
	changed("secrets", !slices.Equal(old.Secrets, new.Secrets))
	changed("labels", !slices.Equal(old.Labels, new.Labels))
	changed("provider_config", old.ProviderConfig != new.ProviderConfig)
	return out
}

func containerChanges(name string, old, new types.ContainerSpec) []string {
	var out []string
	if old.Image != new.Image {
		out = append(out, fmt.Sprintf("container %s: image %s -> %s", name, old.Image, new.Image))
	}
	if old.Resources != new.Resources {
		show := func(r witTypes.Option[types.ResourceRequirements]) string {
			if r.IsNone() {
				return "tenant share"
			}
			return describe(r.Some())
		}
		out = append(out, fmt.Sprintf("container %s: resources %s -> %s",
			name, show(old.Resources), show(new.Resources)))
	}
	for _, field := range []struct {
		what    string
		differs bool
	}{
		{"command", !slices.Equal(old.Command, new.Command)},
		{"args", !slices.Equal(old.Args, new.Args)},
		{"env", !slices.Equal(old.Env, new.Env)},
		{"ports", !slices.Equal(old.Ports, new.Ports)},
		{"health_check", !healthCheckEqual(old.HealthCheck, new.HealthCheck)},
	} {
		if field.differs {
			out = append(out, fmt.Sprintf("container %s: %s changed", name, field.what))
		}
	}
	return out
}

func describe(resources types.ResourceRequirements) string {
	text := fmt.Sprintf("cpu %dm, memory %d MiB", resources.CpuMillicores, resources.MemoryMib)
	if resources.StorageMib.IsSome() {
		text += fmt.Sprintf(", storage %d MiB", resources.StorageMib.Some())
	}
	return text
}

// byName indexes containers by name (a later duplicate wins, as when Rust
// collects into a BTreeMap; validation rejects duplicates anyway).
func byName(containers []types.ContainerSpec) map[string]types.ContainerSpec {
	index := make(map[string]types.ContainerSpec, len(containers))
	for _, container := range containers {
		index[container.Name] = container
	}
	return index
}

// sortedNames is the keys of index in byte order (BTreeMap order in Rust).
func sortedNames(index map[string]types.ContainerSpec) []string {
	names := make([]string, 0, len(index))
	for name := range index {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ---------------------------------------------------------------------------
// Equality of whole specs: every field, lists in order.
// ---------------------------------------------------------------------------

// specsEqual reports whether a and b are the same spec.
func specsEqual(a, b types.TenantComputeSpec) bool {
	return a.TenantId == b.TenantId &&
		a.ProviderType == b.ProviderType &&
		slices.EqualFunc(a.Containers, b.Containers, containerEqual) &&
		a.Resources == b.Resources &&
		networkingEqual(a.Networking, b.Networking) &&
		slices.Equal(a.Secrets, b.Secrets) &&
		slices.Equal(a.Labels, b.Labels) &&
		a.ProviderConfig == b.ProviderConfig
}

func containerEqual(a, b types.ContainerSpec) bool {
	return a.Name == b.Name &&
		a.Image == b.Image &&
		slices.Equal(a.Command, b.Command) &&
		slices.Equal(a.Args, b.Args) &&
		slices.Equal(a.Env, b.Env) &&
		slices.Equal(a.Ports, b.Ports) &&
		healthCheckEqual(a.HealthCheck, b.HealthCheck) &&
		a.Resources == b.Resources
}

func networkingEqual(a, b types.NetworkConfig) bool {
	return a.PublicIp == b.PublicIp &&
		slices.Equal(a.SecurityGroups, b.SecurityGroups) &&
		slices.Equal(a.Subnets, b.Subnets) &&
		a.Dns == b.Dns
}

// healthCheckEqual compares two optional health checks (not comparable with
// `==` because HealthCheckConfig holds a slice).
func healthCheckEqual(a, b witTypes.Option[types.HealthCheckConfig]) bool {
	if a.IsNone() || b.IsNone() {
		return a.IsNone() == b.IsNone()
	}
	x, y := a.Some(), b.Some()
	return x.CheckType == y.CheckType &&
		x.HttpPath == y.HttpPath &&
		x.Port == y.Port &&
		slices.Equal(x.Command, y.Command) &&
		x.IntervalSeconds == y.IntervalSeconds &&
		x.TimeoutSeconds == y.TimeoutSeconds &&
		x.HealthyThreshold == y.HealthyThreshold &&
		x.UnhealthyThreshold == y.UnhealthyThreshold
}
