// Package export_landlord_compute_provider is the go-mock compute provider:
// the Rust mock (providers/mock) rewritten in Go, as an example for Go
// provider authors. It provisions nothing real; it keeps each tenant's spec
// in host state (the `state` import) and answers as a real provider would.
// An operator can make any operation fail through the `config` import:
// `fail.<operation>` = the message to fail with (for example
// `fail.provision = "quota exceeded"`).
//
// How the Go bindings fit together (see README.md):
//   - `wit-bindgen go` generates a module named `wit_component`: one package
//     per WIT interface (`wit_component/landlord_compute_types`, `..._state`,
//     `..._config`, `..._log`) and a `main` package (wit_exports.go) whose
//     `//go:wasmexport` functions call into THIS package.
//   - The package name and folder are fixed by the generator:
//     `export_<namespace>_<package>_<interface>`. It must define the exported
//     WIT functions as plain Go functions with exactly the generated
//     signatures: Name, Provision, Update, Destroy, GetStatus, Validate.
//   - build.sh generates the bindings into a temporary folder and copies this
//     folder into it; nothing generated is kept in the source tree.
//
// Every call runs in a fresh instance (fresh Go runtime, fresh heap): package
// variables do not survive between calls, so all memory goes through `state`.
package export_landlord_compute_provider

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sort"

	witTypes "go.bytecodealliance.org/pkg/wit/types"

	config "wit_component/landlord_compute_config"
	hostlog "wit_component/landlord_compute_log"
	types "wit_component/landlord_compute_types"
)

// providerName is the provider's registry name; it is also what a spec's
// provider_type must say.
const providerName = "go-mock"

// defaultDomain is the domain of endpoint addresses when the spec names none.
const defaultDomain = "mock.internal"

// init turns Go's automatic garbage collection off, for the whole (short)
// life of the instance. This is not an optimisation: it prevents a trap.
//
// The host passes every string and list (the spec, a stored record) into the
// guest by calling the bindings' `cabi_realloc`, which allocates on the Go
// heap. If that allocation starts a GC cycle, the Go runtime calls WASI
// imports (clock_time_get for its timings, poll_oneoff from netpoll when it
// restarts the world), and the component model forbids calling any import
// from inside cabi_realloc: wasmtime traps with "cannot leave component
// instance". The bindings pause the monotonic clock around the allocation,
// which is not enough. With the default GOGC a spec of about 2 MB of JSON
// hit it; with GC off, nothing can.
//
// That is safe here because the host runs every call in a fresh instance:
// the heap only ever holds one call's garbage (a few times the size of the
// spec), far below the host's 64 MiB per-call memory limit. A provider that
// allocates much more per call can call runtime.GC() itself from an export
// body (never from code the host reaches through cabi_realloc), where
// calling imports is allowed. Do not set debug.SetMemoryLimit: it turns
// automatic collection back on.
func init() {
	debug.SetGCPercent(-1)
}

// ---------------------------------------------------------------------------
// The six exports. Each one is a thin adapter: the work happens in an
// ordinary Go function returning (value, error), and toResult turns that
// into the WIT `result<T, provider-error>` the bindings expect.
// ---------------------------------------------------------------------------

// Name returns the provider's registry name.
func Name() string {
	return providerName
}

// Provision creates the tenant (idempotently).
func Provision(spec types.TenantComputeSpec) witTypes.Result[types.ProvisionResult, types.ProviderError] {
	return toResult(provision(spec))
}

// Update brings an existing tenant to spec, listing each change.
func Update(tenantID string, spec types.TenantComputeSpec) witTypes.Result[types.UpdateResult, types.ProviderError] {
	return toResult(update(tenantID, spec))
}

// Destroy removes the tenant; a missing tenant is not an error.
func Destroy(tenantID string) witTypes.Result[witTypes.Unit, types.ProviderError] {
	return toResult(witTypes.Unit{}, destroy(tenantID))
}

// GetStatus reports the tenant's current state.
func GetStatus(tenantID string) witTypes.Result[types.ComputeStatus, types.ProviderError] {
	return toResult(getStatus(tenantID))
}

// Validate checks spec against the provider's own rules, changing nothing.
func Validate(spec types.TenantComputeSpec) witTypes.Result[witTypes.Unit, types.ProviderError] {
	return toResult(witTypes.Unit{}, validate(spec))
}

// ---------------------------------------------------------------------------
// The operations, in idiomatic Go.
// ---------------------------------------------------------------------------

func provision(spec types.TenantComputeSpec) (types.ProvisionResult, error) {
	if message, ok := configuredFailure("provision"); ok {
		return types.ProvisionResult{}, fail(types.MakeProviderErrorProvisionFailed(message))
	}
	if err := rejectInvalid(spec); err != nil {
		return types.ProvisionResult{}, err
	}
	existing, err := load(spec.TenantId)
	if err != nil {
		return types.ProvisionResult{}, err
	}
	var message string
	switch {
	case existing == nil:
		if err := save(tenantRecord{Spec: spec, Generation: 1}); err != nil {
			return types.ProvisionResult{}, err
		}
		message = "provisioned"
	case specsEqual(existing.Spec, spec):
		message = "already provisioned with this spec"
	default:
		return types.ProvisionResult{}, fail(types.MakeProviderErrorProvisionFailed(fmt.Sprintf(
			"tenant '%s' already exists with a different spec; use update to change it",
			spec.TenantId)))
	}
	logf(hostlog.Level_Info, "%s: %s", message, spec.TenantId)
	return types.ProvisionResult{
		TenantId:     spec.TenantId,
		ProviderType: providerName,
		Status:       types.ProvisionStatus_Success,
		ResourceIds:  resourceIDs(spec),
		Endpoints:    endpoints(spec),
		Message:      witTypes.Some(message),
	}, nil
}

func update(tenantID string, spec types.TenantComputeSpec) (types.UpdateResult, error) {
	if message, ok := configuredFailure("update"); ok {
		return types.UpdateResult{}, fail(types.MakeProviderErrorUpdateFailed(message))
	}
	if err := rejectInvalid(spec); err != nil {
		return types.UpdateResult{}, err
	}
	record, err := load(tenantID)
	if err != nil {
		return types.UpdateResult{}, err
	}
	if record == nil {
		return types.UpdateResult{}, fail(types.MakeProviderErrorTenantNotFound(tenantID))
	}
	lines := changes(record.Spec, spec)
	status := types.UpdateStatus_NoChanges
	if len(lines) > 0 {
		record.Spec = spec
		record.Generation++
		if err := save(*record); err != nil {
			return types.UpdateResult{}, err
		}
		logf(hostlog.Level_Info, "updated %s: %d change(s)", tenantID, len(lines))
		status = types.UpdateStatus_Success
	}
	return types.UpdateResult{
		TenantId:     tenantID,
		ProviderType: providerName,
		Status:       status,
		Changes:      lines,
		Message:      witTypes.None[string](),
	}, nil
}

func destroy(tenantID string) error {
	if message, ok := configuredFailure("destroy"); ok {
		return fail(types.MakeProviderErrorOperationFailed(message))
	}
	// Idempotent: deleting a missing key is not an error.
	if err := remove(tenantID); err != nil {
		return err
	}
	logf(hostlog.Level_Info, "destroyed %s", tenantID)
	return nil
}

func getStatus(tenantID string) (types.ComputeStatus, error) {
	if message, ok := configuredFailure("get-status"); ok {
		return types.ComputeStatus{}, fail(types.MakeProviderErrorOperationFailed(message))
	}
	record, err := load(tenantID)
	if err != nil {
		return types.ComputeStatus{}, err
	}
	if record == nil {
		return types.ComputeStatus{}, fail(types.MakeProviderErrorTenantNotFound(tenantID))
	}
	health := types.HealthStatus_Unknown
	containers := make([]types.ContainerStatus, 0, len(record.Spec.Containers))
	for _, container := range record.Spec.Containers {
		if container.HealthCheck.IsSome() {
			health = types.HealthStatus_Healthy
		}
		containers = append(containers, types.ContainerStatus{
			Name:         container.Name,
			State:        "running",
			Ready:        true,
			RestartCount: 0,
			Message:      witTypes.Some("image " + container.Image),
		})
	}
	zone, ok := configuredZone(record.Spec)
	if !ok {
		zone = "default"
	}
	return types.ComputeStatus{
		TenantId:     tenantID,
		ProviderType: providerName,
		State:        types.ComputeState_Running,
		Containers:   containers,
		Health:       health,
		Metadata: []witTypes.Tuple2[string, string]{
			{F0: "generation", F1: fmt.Sprint(record.Generation)},
			{F0: "zone", F1: zone},
		},
	}, nil
}

func validate(spec types.TenantComputeSpec) error {
	if message, ok := configuredFailure("validate"); ok {
		return fail(types.MakeProviderErrorInvalidSpec([]types.FieldError{{Path: "", Message: message}}))
	}
	return rejectInvalid(spec)
}

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

// configuredFailure is the operator's failure switch for operation, if set
// (`fail.<operation>` in the provider's config).
func configuredFailure(operation string) (string, bool) {
	value := config.Get("fail." + operation)
	if value.IsNone() {
		return "", false
	}
	return value.Some(), true
}

// rejectInvalid turns the provider's own validation problems into an
// invalid-spec error.
func rejectInvalid(spec types.TenantComputeSpec) error {
	if found := problems(spec); len(found) > 0 {
		return fail(types.MakeProviderErrorInvalidSpec(found))
	}
	return nil
}

// resourceIDs names the (pretend) resources of the tenant, sorted by kind.
// The ids keep the Rust mock's `mock` prefix on purpose: both mocks describe
// the same pretend backend.
func resourceIDs(spec types.TenantComputeSpec) []witTypes.Tuple2[string, string] {
	tenant := spec.TenantId
	ids := []witTypes.Tuple2[string, string]{{F0: "network", F1: "mock-net-" + tenant}}
	for _, container := range spec.Containers {
		ids = append(ids, witTypes.Tuple2[string, string]{
			F0: "container/" + container.Name,
			F1: fmt.Sprintf("mock-%s-%s", tenant, container.Name),
		})
	}
	// string-map values must be sorted by key (Go compares strings bytewise,
	// like Rust).
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].F0 != ids[j].F0 {
			return ids[i].F0 < ids[j].F0
		}
		return ids[i].F1 < ids[j].F1
	})
	return ids
}

// endpoints lists one endpoint per container port, in container then port
// order.
func endpoints(spec types.TenantComputeSpec) []types.Endpoint {
	domain := defaultDomain
	if dns := spec.Networking.Dns; dns.IsSome() && dns.Some().Domain.IsSome() {
		domain = dns.Some().Domain.Some()
	}
	out := []types.Endpoint{}
	for _, container := range spec.Containers {
		address := fmt.Sprintf("%s.%s.%s", container.Name, spec.TenantId, domain)
		for _, port := range container.Ports {
			scheme := "tcp"
			if port.Protocol == types.Protocol_Udp {
				scheme = "udp"
			}
			number := port.HostPort.SomeOr(port.ContainerPort)
			out = append(out, types.Endpoint{
				EndpointType: scheme,
				Address:      address,
				Port:         number,
				Url:          witTypes.Some(fmt.Sprintf("%s://%s:%d", scheme, address, number)),
			})
		}
	}
	return out
}

// logf writes one line into the host's log (tagged by the host with the
// provider, operation and tenant).
func logf(level hostlog.Level, format string, args ...any) {
	hostlog.Log(level, fmt.Sprintf(format, args...))
}

// ---------------------------------------------------------------------------
// Errors: Go code returns `error`; the exports need a WIT provider-error.
// ---------------------------------------------------------------------------

// providerError carries a WIT provider-error through ordinary Go error
// returns, so helpers can use the usual `if err != nil { return err }`.
type providerError struct {
	wit types.ProviderError
}

func (e *providerError) Error() string {
	switch e.wit.Tag() {
	case types.ProviderError_InvalidSpec:
		return fmt.Sprintf("invalid spec: %d problem(s)", len(e.wit.InvalidSpec()))
	case types.ProviderError_ProvisionFailed:
		return "provision failed: " + e.wit.ProvisionFailed()
	case types.ProviderError_UpdateFailed:
		return "update failed: " + e.wit.UpdateFailed()
	case types.ProviderError_TenantNotFound:
		return "tenant not found: " + e.wit.TenantNotFound()
	default:
		return e.wit.OperationFailed()
	}
}

// fail wraps a WIT provider-error as a Go error.
func fail(err types.ProviderError) error {
	return &providerError{wit: err}
}

// toResult converts Go's (value, error) into the WIT result type. An error
// that is not a provider-error becomes operation-failed with its text.
func toResult[T any](value T, err error) witTypes.Result[T, types.ProviderError] {
	if err == nil {
		return witTypes.Ok[T, types.ProviderError](value)
	}
	var known *providerError
	if errors.As(err, &known) {
		return witTypes.Err[T](known.wit)
	}
	return witTypes.Err[T](types.MakeProviderErrorOperationFailed(err.Error()))
}
