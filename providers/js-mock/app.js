// The mock compute provider in JavaScript: the same behaviour as the Rust
// reference mock (providers/mock), built as a WebAssembly component with
// componentize-qjs (QuickJS). It provisions nothing real; it keeps each
// tenant's spec in host state (the `state` import) and answers as a real
// provider would. An operator can make any operation fail through the
// `config` import: `fail.<operation>` = the message to fail with (for
// example `fail.provision = "quota exceeded"`).
//
// How the WIT world `compute-provider` (../../wit) maps to JavaScript:
//
// - Each imported interface is an ES module named by its full WIT name,
//   `landlord:compute/state@0.1.0`; its functions are the module's exports,
//   with kebab-case names in camelCase (`list-keys` -> `listKeys`).
// - The exported interface `provider` is an object exported under the
//   interface's camelCase name, holding one function per WIT function
//   (`get-status` -> `getStatus`).
// - Records are plain objects with camelCase keys (`tenant-id` -> `tenantId`),
//   lists and tuples are arrays, enums are their case name as a string
//   (`"tcp"`, `"no-changes"`), variants are `{ tag: "case-name", val }`, and
//   `option<T>` is the value or `null` (see values.js#isNone).
// - `result<T, E>` returned by an export: return `T`, or throw to return the
//   error. What you throw becomes `E`: we throw a ProviderError whose
//   `payload` is the `provider-error` variant (a plain `{ tag, val }` object
//   may be thrown too). Any other exception traps the call.
// - `result<T, E>` returned by an import: you get `T`, or the call throws an
//   Error whose `payload` is `E` (here a `state-error` variant).
// - Every call runs in a fresh instance: nothing kept in module variables
//   survives from one call to the next. Remember things through `state`.

import * as config from "landlord:compute/config@0.1.0";
import * as hostLog from "landlord:compute/log@0.1.0";
import * as state from "landlord:compute/state@0.1.0";

import * as checks from "./checks.js";
import * as diff from "./diff.js";
import { comparePairs, equal, isNone, rustDebugString, utf8Decode, utf8Encode } from "./values.js";

/** The provider's registry name. */
const NAME = "js-mock";

/** Domain of endpoint addresses when the spec names none. */
const DEFAULT_DOMAIN = "mock.internal";

/**
 * An error the host receives as a WIT `provider-error`. The bindings look
 * for a `payload` property on what an export throws; the Error around it
 * gives a message and a stack when it surfaces in a test.
 */
class ProviderError extends Error {
  constructor(tag, val) {
    super(`${tag}: ${typeof val === "string" ? val : JSON.stringify(val)}`);
    this.payload = { tag, val };
  }
}

const invalidSpec = (fieldErrors) => new ProviderError("invalid-spec", fieldErrors);
const provisionFailed = (message) => new ProviderError("provision-failed", message);
const updateFailed = (message) => new ProviderError("update-failed", message);
const tenantNotFound = (tenantId) => new ProviderError("tenant-not-found", tenantId);
const operationFailed = (message) => new ProviderError("operation-failed", message);

/** Logs through the host (`log` import); `level` is an enum case name. */
function log(level, message) {
  hostLog.log(level, message);
}

// The six exports of interface `provider`. A tenant is stored as the JSON
// text (UTF-8) of `{ "spec": <the spec object as the bindings give it>,
// "generation": <n> }` under the state key `tenant/<id>`.
export const provider = {
  name() {
    return NAME;
  },

  provision(spec) {
    const failure = configuredFailure("provision");
    if (failure !== null) throw provisionFailed(failure);
    rejectInvalid(spec);
    const existing = load(spec.tenantId);
    let message;
    if (existing === null) {
      save({ spec, generation: 1 });
      message = "provisioned";
    } else if (equal(existing.spec, spec)) {
      message = "already provisioned with this spec";
    } else {
      throw provisionFailed(
        `tenant '${spec.tenantId}' already exists with a different spec; use update to change it`,
      );
    }
    log("info", `${message}: ${spec.tenantId}`);
    return {
      tenantId: spec.tenantId,
      providerType: NAME,
      status: "success",
      resourceIds: resourceIds(spec),
      endpoints: endpoints(spec),
      message,
    };
  },

  update(tenantId, spec) {
    const failure = configuredFailure("update");
    if (failure !== null) throw updateFailed(failure);
    rejectInvalid(spec);
    const record = load(tenantId);
    if (record === null) throw tenantNotFound(tenantId);
    const changes = diff.changes(record.spec, spec);
    let status = "no-changes";
    if (changes.length > 0) {
      save({ spec, generation: record.generation + 1 });
      log("info", `updated ${tenantId}: ${changes.length} change(s)`);
      status = "success";
    }
    return { tenantId, providerType: NAME, status, changes, message: null };
  },

  destroy(tenantId) {
    const failure = configuredFailure("destroy");
    if (failure !== null) throw operationFailed(failure);
    // Idempotent: deleting a missing key is not an error.
    withState(() => state.delete(tenantKey(tenantId)));
    log("info", `destroyed ${tenantId}`);
    // `result<_, provider-error>`: returning nothing is `ok`.
  },

  getStatus(tenantId) {
    const failure = configuredFailure("get-status");
    if (failure !== null) throw operationFailed(failure);
    const record = load(tenantId);
    if (record === null) throw tenantNotFound(tenantId);
    const containers = record.spec.containers;
    const checked = containers.some((c) => !isNone(c.healthCheck));
    return {
      tenantId,
      providerType: NAME,
      state: "running",
      containers: containers.map((c) => ({
        name: c.name,
        state: "running",
        ready: true,
        restartCount: 0,
        message: `image ${c.image}`,
      })),
      health: checked ? "healthy" : "unknown",
      metadata: [
        ["generation", String(record.generation)],
        ["zone", checks.zone(record.spec) ?? "default"],
      ],
    };
  },

  validate(spec) {
    const failure = configuredFailure("validate");
    if (failure !== null) throw invalidSpec([{ path: "", message: failure }]);
    rejectInvalid(spec);
  },
};

/**
 * The operator's failure switch for `operation`, if set (else `null`).
 * `config.get` returns `option<string>`: an empty string is a set switch.
 */
function configuredFailure(operation) {
  const message = config.get(`fail.${operation}`);
  return isNone(message) ? null : message;
}

function tenantKey(tenantId) {
  return `tenant/${tenantId}`;
}

/**
 * Runs a `state` call; a `state-error` it throws becomes
 * `operation-failed("state: ...")`, worded like the Rust mock's Debug output
 * of the error (`state: StateError::KeyTooLarge(1024)`).
 */
function withState(call) {
  try {
    return call();
  } catch (err) {
    const e = err?.payload;
    if (e === undefined) throw err; // not a state-error: a bug, let it trap
    const cases = {
      "key-too-large": "KeyTooLarge",
      "value-too-large": "ValueTooLarge",
      unavailable: "Unavailable",
    };
    const name = cases[e.tag] ?? e.tag;
    const val = typeof e.val === "string" ? rustDebugString(e.val) : String(e.val);
    throw operationFailed(`state: StateError::${name}(${val})`);
  }
}

/** The stored record of `tenantId`, or `null` if there is none. */
function load(tenantId) {
  const bytes = withState(() => state.get(tenantKey(tenantId)));
  if (isNone(bytes)) return null;
  try {
    return JSON.parse(utf8Decode(bytes));
  } catch (err) {
    throw operationFailed(`stored record of ${tenantId} is corrupt: ${err.message}`);
  }
}

function save(record) {
  const bytes = utf8Encode(JSON.stringify(record));
  withState(() => state.set(tenantKey(record.spec.tenantId), bytes));
}

/** The mock's own rules, on top of the host's structural validation. */
function rejectInvalid(spec) {
  const found = checks.problems(spec, NAME);
  if (found.length > 0) throw invalidSpec(found);
}

/** `network` and one `container/<name>` per container, sorted by key. */
function resourceIds(spec) {
  const tenant = spec.tenantId;
  const ids = [["network", `mock-net-${tenant}`]];
  for (const c of spec.containers) ids.push([`container/${c.name}`, `mock-${tenant}-${c.name}`]);
  return ids.sort(comparePairs);
}

/** One endpoint per container port, in container then port order. */
function endpoints(spec) {
  const domain = spec.networking.dns?.domain ?? DEFAULT_DOMAIN;
  return spec.containers.flatMap((c) => {
    const address = `${c.name}.${spec.tenantId}.${domain}`;
    return c.ports.map((port) => {
      const scheme = port.protocol; // the enum's case name: "tcp" or "udp"
      const number = port.hostPort ?? port.containerPort;
      return {
        endpointType: scheme,
        address,
        port: number,
        url: `${scheme}://${address}:${number}`,
      };
    });
  });
}
