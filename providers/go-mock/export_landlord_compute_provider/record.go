package export_landlord_compute_provider

// What the provider remembers about a tenant, and how it is stored.
//
// Each tenant is one JSON document under the state key `tenant/<id>`:
//
//	{"spec": {"tenant_id": "acme", "provider_type": "go-mock", ...}, "generation": 1}
//
// The generated WIT types cannot go through encoding/json directly: their
// option<T> is witTypes.Option[T], whose fields are unexported (it would
// encode as `{}`), and enums are bare uint8 constants. So the stored form is
// a small mirror of the spec with JSON tags: options become pointers (null
// when absent), enums their WIT names, string maps lists of [key, value]
// pairs (order kept exactly).

import (
	"encoding/json"
	"fmt"

	witTypes "go.bytecodealliance.org/pkg/wit/types"

	state "wit_component/landlord_compute_state"
	types "wit_component/landlord_compute_types"
)

// tenantRecord is a stored tenant.
type tenantRecord struct {
	Spec types.TenantComputeSpec
	// Generation is 1 after provisioning, +1 per applied update.
	Generation uint64
}

func tenantKey(tenantID string) string {
	return "tenant/" + tenantID
}

// load reads the tenant's record; nil (and no error) when there is none.
func load(tenantID string) (*tenantRecord, error) {
	got := state.Get(tenantKey(tenantID))
	if got.IsErr() {
		return nil, stateFailure(got.Err())
	}
	value := got.Ok()
	if value.IsNone() {
		return nil, nil
	}
	var stored storedRecord
	err := json.Unmarshal(value.Some(), &stored)
	var spec types.TenantComputeSpec
	if err == nil {
		spec, err = stored.Spec.toWIT()
	}
	if err != nil {
		return nil, fail(types.MakeProviderErrorOperationFailed(
			fmt.Sprintf("stored record of %s is corrupt: %v", tenantID, err)))
	}
	return &tenantRecord{Spec: spec, Generation: stored.Generation}, nil
}

// save writes record under its tenant's key.
func save(record tenantRecord) error {
	bytes, err := json.Marshal(storedRecord{Spec: specToJSON(record.Spec), Generation: record.Generation})
	if err != nil {
		return fail(types.MakeProviderErrorOperationFailed("cannot encode record: " + err.Error()))
	}
	if set := state.Set(tenantKey(record.Spec.TenantId), bytes); set.IsErr() {
		return stateFailure(set.Err())
	}
	return nil
}

// remove deletes the tenant's key; a missing key is not an error.
func remove(tenantID string) error {
	if deleted := state.Delete(tenantKey(tenantID)); deleted.IsErr() {
		return stateFailure(deleted.Err())
	}
	return nil
}

// stateFailure reports a refused state operation as operation-failed, worded
// like the Rust mock's `state: {err:?}`.
func stateFailure(err state.StateError) error {
	var text string
	switch err.Tag() {
	case state.StateError_KeyTooLarge:
		text = fmt.Sprintf("StateError::KeyTooLarge(%d)", err.KeyTooLarge())
	case state.StateError_ValueTooLarge:
		text = fmt.Sprintf("StateError::ValueTooLarge(%d)", err.ValueTooLarge())
	default:
		text = fmt.Sprintf("StateError::Unavailable(%q)", err.Unavailable())
	}
	return fail(types.MakeProviderErrorOperationFailed("state: " + text))
}

// ---------------------------------------------------------------------------
// The stored (JSON) form of a spec, and conversions to and from WIT types.
// ---------------------------------------------------------------------------

type storedRecord struct {
	Spec       specJSON `json:"spec"`
	Generation uint64   `json:"generation"`
}

type specJSON struct {
	TenantID       string          `json:"tenant_id"`
	ProviderType   string          `json:"provider_type"`
	Containers     []containerJSON `json:"containers"`
	Resources      resourcesJSON   `json:"resources"`
	Networking     networkJSON     `json:"networking"`
	Secrets        []secretJSON    `json:"secrets"`
	Labels         [][2]string     `json:"labels"`
	ProviderConfig *string         `json:"provider_config"`
}

type containerJSON struct {
	Name        string           `json:"name"`
	Image       string           `json:"image"`
	Command     []string         `json:"command"`
	Args        []string         `json:"args"`
	Env         [][2]string      `json:"env"`
	Ports       []portJSON       `json:"ports"`
	HealthCheck *healthCheckJSON `json:"health_check"`
	Resources   *resourcesJSON   `json:"resources"`
}

type portJSON struct {
	ContainerPort uint16  `json:"container_port"`
	HostPort      *uint16 `json:"host_port"`
	Protocol      string  `json:"protocol"`
	Name          *string `json:"name"`
}

type healthCheckJSON struct {
	CheckType          string   `json:"check_type"`
	HTTPPath           *string  `json:"http_path"`
	Port               *uint16  `json:"port"`
	Command            []string `json:"command"`
	IntervalSeconds    uint32   `json:"interval_seconds"`
	TimeoutSeconds     uint32   `json:"timeout_seconds"`
	HealthyThreshold   *uint32  `json:"healthy_threshold"`
	UnhealthyThreshold *uint32  `json:"unhealthy_threshold"`
}

type resourcesJSON struct {
	CPUMillicores uint32  `json:"cpu_millicores"`
	MemoryMiB     uint32  `json:"memory_mib"`
	StorageMiB    *uint32 `json:"storage_mib"`
}

type networkJSON struct {
	PublicIP       bool     `json:"public_ip"`
	SecurityGroups []string `json:"security_groups"`
	Subnets        []string `json:"subnets"`
	DNS            *dnsJSON `json:"dns"`
}

type dnsJSON struct {
	Hostname *string `json:"hostname"`
	Domain   *string `json:"domain"`
}

type secretJSON struct {
	Name   string  `json:"name"`
	Source string  `json:"source"`
	Key    string  `json:"key"`
	EnvVar *string `json:"env_var"`
}

// WIT enum names, indexed by the generated uint8 constants.
var (
	protocolNames  = []string{types.Protocol_Tcp: "tcp", types.Protocol_Udp: "udp"}
	checkTypeNames = []string{
		types.HealthCheckType_Http: "http",
		types.HealthCheckType_Tcp:  "tcp",
		types.HealthCheckType_Exec: "exec",
	}
)

func specToJSON(spec types.TenantComputeSpec) specJSON {
	containers := make([]containerJSON, 0, len(spec.Containers))
	for _, c := range spec.Containers {
		ports := make([]portJSON, 0, len(c.Ports))
		for _, p := range c.Ports {
			ports = append(ports, portJSON{
				ContainerPort: p.ContainerPort,
				HostPort:      toPointer(p.HostPort),
				Protocol:      protocolNames[p.Protocol],
				Name:          toPointer(p.Name),
			})
		}
		var check *healthCheckJSON
		if c.HealthCheck.IsSome() {
			h := c.HealthCheck.Some()
			check = &healthCheckJSON{
				CheckType:          checkTypeNames[h.CheckType],
				HTTPPath:           toPointer(h.HttpPath),
				Port:               toPointer(h.Port),
				Command:            nonNil(h.Command),
				IntervalSeconds:    h.IntervalSeconds,
				TimeoutSeconds:     h.TimeoutSeconds,
				HealthyThreshold:   toPointer(h.HealthyThreshold),
				UnhealthyThreshold: toPointer(h.UnhealthyThreshold),
			}
		}
		var resources *resourcesJSON
		if c.Resources.IsSome() {
			r := resourcesToJSON(c.Resources.Some())
			resources = &r
		}
		containers = append(containers, containerJSON{
			Name:        c.Name,
			Image:       c.Image,
			Command:     nonNil(c.Command),
			Args:        nonNil(c.Args),
			Env:         pairsToJSON(c.Env),
			Ports:       ports,
			HealthCheck: check,
			Resources:   resources,
		})
	}
	var dns *dnsJSON
	if spec.Networking.Dns.IsSome() {
		d := spec.Networking.Dns.Some()
		dns = &dnsJSON{Hostname: toPointer(d.Hostname), Domain: toPointer(d.Domain)}
	}
	secrets := make([]secretJSON, 0, len(spec.Secrets))
	for _, s := range spec.Secrets {
		secrets = append(secrets, secretJSON{Name: s.Name, Source: s.Source, Key: s.Key, EnvVar: toPointer(s.EnvVar)})
	}
	return specJSON{
		TenantID:     spec.TenantId,
		ProviderType: spec.ProviderType,
		Containers:   containers,
		Resources:    resourcesToJSON(spec.Resources),
		Networking: networkJSON{
			PublicIP:       spec.Networking.PublicIp,
			SecurityGroups: nonNil(spec.Networking.SecurityGroups),
			Subnets:        nonNil(spec.Networking.Subnets),
			DNS:            dns,
		},
		Secrets:        secrets,
		Labels:         pairsToJSON(spec.Labels),
		ProviderConfig: toPointer(spec.ProviderConfig),
	}
}

// toWIT converts a stored spec back; it fails only on an unknown enum name.
func (s specJSON) toWIT() (types.TenantComputeSpec, error) {
	containers := make([]types.ContainerSpec, 0, len(s.Containers))
	for _, c := range s.Containers {
		ports := make([]types.PortMapping, 0, len(c.Ports))
		for _, p := range c.Ports {
			protocol, err := enumValue(protocolNames, p.Protocol, "protocol")
			if err != nil {
				return types.TenantComputeSpec{}, err
			}
			ports = append(ports, types.PortMapping{
				ContainerPort: p.ContainerPort,
				HostPort:      fromPointer(p.HostPort),
				Protocol:      protocol,
				Name:          fromPointer(p.Name),
			})
		}
		check := witTypes.None[types.HealthCheckConfig]()
		if h := c.HealthCheck; h != nil {
			checkType, err := enumValue(checkTypeNames, h.CheckType, "health check type")
			if err != nil {
				return types.TenantComputeSpec{}, err
			}
			check = witTypes.Some(types.HealthCheckConfig{
				CheckType:          checkType,
				HttpPath:           fromPointer(h.HTTPPath),
				Port:               fromPointer(h.Port),
				Command:            nonNil(h.Command),
				IntervalSeconds:    h.IntervalSeconds,
				TimeoutSeconds:     h.TimeoutSeconds,
				HealthyThreshold:   fromPointer(h.HealthyThreshold),
				UnhealthyThreshold: fromPointer(h.UnhealthyThreshold),
			})
		}
		resources := witTypes.None[types.ResourceRequirements]()
		if c.Resources != nil {
			resources = witTypes.Some(c.Resources.toWIT())
		}
		containers = append(containers, types.ContainerSpec{
			Name:        c.Name,
			Image:       c.Image,
			Command:     nonNil(c.Command),
			Args:        nonNil(c.Args),
			Env:         pairsFromJSON(c.Env),
			Ports:       ports,
			HealthCheck: check,
			Resources:   resources,
		})
	}
	dns := witTypes.None[types.DnsConfig]()
	if d := s.Networking.DNS; d != nil {
		dns = witTypes.Some(types.DnsConfig{Hostname: fromPointer(d.Hostname), Domain: fromPointer(d.Domain)})
	}
	secrets := make([]types.SecretReference, 0, len(s.Secrets))
	for _, r := range s.Secrets {
		secrets = append(secrets, types.SecretReference{Name: r.Name, Source: r.Source, Key: r.Key, EnvVar: fromPointer(r.EnvVar)})
	}
	return types.TenantComputeSpec{
		TenantId:     s.TenantID,
		ProviderType: s.ProviderType,
		Containers:   containers,
		Resources:    s.Resources.toWIT(),
		Networking: types.NetworkConfig{
			PublicIp:       s.Networking.PublicIP,
			SecurityGroups: nonNil(s.Networking.SecurityGroups),
			Subnets:        nonNil(s.Networking.Subnets),
			Dns:            dns,
		},
		Secrets:        secrets,
		Labels:         pairsFromJSON(s.Labels),
		ProviderConfig: fromPointer(s.ProviderConfig),
	}, nil
}

func resourcesToJSON(r types.ResourceRequirements) resourcesJSON {
	return resourcesJSON{CPUMillicores: r.CpuMillicores, MemoryMiB: r.MemoryMib, StorageMiB: toPointer(r.StorageMib)}
}

func (r resourcesJSON) toWIT() types.ResourceRequirements {
	return types.ResourceRequirements{CpuMillicores: r.CPUMillicores, MemoryMib: r.MemoryMiB, StorageMib: fromPointer(r.StorageMiB)}
}

func pairsToJSON(pairs []witTypes.Tuple2[string, string]) [][2]string {
	out := make([][2]string, 0, len(pairs))
	for _, pair := range pairs {
		out = append(out, [2]string{pair.F0, pair.F1})
	}
	return out
}

func pairsFromJSON(pairs [][2]string) []witTypes.Tuple2[string, string] {
	out := make([]witTypes.Tuple2[string, string], 0, len(pairs))
	for _, pair := range pairs {
		out = append(out, witTypes.Tuple2[string, string]{F0: pair[0], F1: pair[1]})
	}
	return out
}

// enumValue finds name among an enum's WIT names.
func enumValue(names []string, name, what string) (uint8, error) {
	for value, known := range names {
		if known == name {
			return uint8(value), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q", what, name)
}

// toPointer turns an option into a pointer (nil when absent), which
// encoding/json writes as the value or null.
func toPointer[T any](option witTypes.Option[T]) *T {
	if option.IsNone() {
		return nil
	}
	value := option.Some()
	return &value
}

// fromPointer is the inverse of toPointer.
func fromPointer[T any](pointer *T) witTypes.Option[T] {
	if pointer == nil {
		return witTypes.None[T]()
	}
	return witTypes.Some(*pointer)
}

// nonNil makes a nil slice empty, so that it is stored as [] (not null).
func nonNil[T any](slice []T) []T {
	if slice == nil {
		return []T{}
	}
	return slice
}
