package export_landlord_compute_provider

// The provider's own validation: what a real provider would check beyond the
// host's structural rules. Every problem is reported with its field path, in
// the same order as the Rust mock's checks.rs.

import (
	"encoding/json"
	"fmt"
	"sort"

	types "wit_component/landlord_compute_types"
)

// acceptedSettings says which provider_config keys are accepted, for the
// "unknown setting" message. The wording is the Rust mock's, on purpose.
const acceptedSettings = `unknown setting; the mock accepts: zone (a zone name such as "eu-1")`

// problems lists every problem found in spec; nil when it is acceptable.
func problems(spec types.TenantComputeSpec) []types.FieldError {
	var out []types.FieldError
	problem := func(path, message string) {
		out = append(out, types.FieldError{Path: path, Message: message})
	}

	if spec.ProviderType != providerName {
		problem("provider_type",
			fmt.Sprintf("is '%s', but this is the '%s' provider", spec.ProviderType, providerName))
	}
	if len(spec.Containers) == 0 {
		problem("containers", "must list at least one container")
	}
	seen := make(map[string]bool, len(spec.Containers))
	for i, container := range spec.Containers {
		if seen[container.Name] {
			problem(fmt.Sprintf("containers[%d].name", i),
				fmt.Sprintf("duplicate container name '%s'", container.Name))
		}
		seen[container.Name] = true
	}
	if spec.ProviderConfig.IsSome() {
		// provider_config arrives as JSON text: parse it with encoding/json
		// into `any`, which gives map[string]any for an object.
		var document any
		if err := json.Unmarshal([]byte(spec.ProviderConfig.Some()), &document); err != nil {
			problem("provider_config", "is not valid JSON: "+err.Error())
		} else if fields, ok := document.(map[string]any); !ok {
			problem("provider_config", `must be a JSON object such as {"zone": "eu-1"}`)
		} else {
			// Go maps iterate in random order: sort the keys so problems come
			// out in a stable order (the same as serde_json's sorted map).
			keys := make([]string, 0, len(fields))
			for key := range fields {
				keys = append(keys, key)
			}
			sort.Strings(keys)
			for _, key := range keys {
				path := "provider_config." + key
				switch key {
				case "zone":
					if zone, ok := fields[key].(string); !ok || !isIdentifier(zone) {
						problem(path, "must be a zone name: lowercase letters, digits and '-'")
					}
				default:
					problem(path, acceptedSettings)
				}
			}
		}
	}
	return out
}

// configuredZone is the zone named by provider_config, if any.
func configuredZone(spec types.TenantComputeSpec) (string, bool) {
	if spec.ProviderConfig.IsNone() {
		return "", false
	}
	var document map[string]any
	if err := json.Unmarshal([]byte(spec.ProviderConfig.Some()), &document); err != nil {
		return "", false
	}
	zone, ok := document["zone"].(string)
	return zone, ok
}

// isIdentifier reports whether text is non-empty and only [a-z0-9-].
func isIdentifier(text string) bool {
	if text == "" {
		return false
	}
	for i := 0; i < len(text); i++ {
		b := text[i]
		if !('a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}
