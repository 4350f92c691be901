// The mock's own validation: what a real provider would check beyond the
// host's structural rules. Every problem is reported with its field path
// (the spec's JSON names, snake_case, as the host and people see them).
//
// A spec here is a `tenant-compute-spec` as the bindings give it: a plain
// object with camelCase field names (`providerType`, `providerConfig`, ...).

import { compareStrings, isNone } from "./values.js";

/** Keys the mock accepts in `provider_config`, with what each must be. */
const CONFIG_KEYS = [["zone", 'a zone name such as "eu-1"']];

/**
 * Every problem the mock finds in `spec`, as a list of WIT `field-error`
 * records (`{ path, message }`); empty when the spec is acceptable.
 * `name` is this provider's registry name.
 */
export function problems(spec, name) {
  const out = [];
  const problem = (path, message) => out.push({ path, message });

  if (spec.providerType !== name) {
    problem("provider_type", `is '${spec.providerType}', but this is the '${name}' provider`);
  }
  if (spec.containers.length === 0) {
    problem("containers", "must list at least one container");
  }
  const seen = new Set();
  spec.containers.forEach((container, i) => {
    if (seen.has(container.name)) {
      problem(`containers[${i}].name`, `duplicate container name '${container.name}'`);
    }
    seen.add(container.name);
  });
  // `provider-config` is `option<string>`: the JSON text of the spec's
  // `provider_config`, for the provider to parse and check itself.
  if (!isNone(spec.providerConfig)) {
    let config;
    try {
      config = JSON.parse(spec.providerConfig);
    } catch (err) {
      problem("provider_config", `is not valid JSON: ${err.message}`);
      return out;
    }
    if (!isPlainObject(config)) {
      problem("provider_config", 'must be a JSON object such as {"zone": "eu-1"}');
      return out;
    }
    // Report keys in sorted order, as the Rust mock (a serde_json map) does.
    for (const key of Object.keys(config).sort(compareStrings)) {
      const path = `provider_config.${key}`;
      const value = config[key];
      if (key === "zone") {
        if (typeof value !== "string" || !isIdentifier(value)) {
          problem(path, "must be a zone name: lowercase letters, digits and '-'");
        }
      } else {
        const accepted = CONFIG_KEYS.map(([k, what]) => `${k} (${what})`).join(", ");
        problem(path, `unknown setting; the mock accepts: ${accepted}`);
      }
    }
  }
  return out;
}

/** The zone named by `provider_config`, if any (else `null`). */
export function zone(spec) {
  if (isNone(spec.providerConfig)) return null;
  let config;
  try {
    config = JSON.parse(spec.providerConfig);
  } catch {
    return null;
  }
  return isPlainObject(config) && typeof config.zone === "string" ? config.zone : null;
}

/** A JSON object: not an array, not `null`, not a string/number/boolean. */
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Non-empty and only lowercase ASCII letters, digits and '-'. */
function isIdentifier(text) {
  return /^[a-z0-9-]+$/.test(text);
}
