// What changed between a tenant's stored spec and a new one, one line per
// change, for `update`. Values that may be secret (env, secret references,
// provider config) are never echoed: only that they changed.

import { compareStrings, equal, isNone } from "./values.js";

/** The changes from `old` to `new` (lines of text); empty when equivalent. */
export function changes(old, next) {
  const out = [];
  // Containers are matched by name and visited in name order (the Rust mock
  // walks a BTreeMap), whatever their order in the spec.
  const oldContainers = byName(old.containers);
  const newContainers = byName(next.containers);
  for (const name of sortedKeys(newContainers)) {
    const container = newContainers.get(name);
    const before = oldContainers.get(name);
    if (before === undefined) {
      out.push(`container ${name}: added (image ${container.image})`);
    } else {
      containerChanges(out, name, before, container);
    }
  }
  for (const name of sortedKeys(oldContainers)) {
    if (!newContainers.has(name)) out.push(`container ${name}: removed`);
  }
  if (!equal(old.resources, next.resources)) {
    out.push(`resources: ${describe(old.resources)} -> ${describe(next.resources)}`);
  }
  const changed = (what, differs) => {
    if (differs) out.push(`${what}: changed`);
  };
  changed("networking", !equal(old.networking, next.networking));
  changed("secrets", !equal(old.secrets, next.secrets));
  changed("labels", !equal(old.labels, next.labels));
  changed("provider_config", !equal(old.providerConfig, next.providerConfig));
  return out;
}

function containerChanges(out, name, old, next) {
  if (old.image !== next.image) {
    out.push(`container ${name}: image ${old.image} -> ${next.image}`);
  }
  if (!equal(old.resources, next.resources)) {
    const show = (r) => (isNone(r) ? "tenant share" : describe(r));
    out.push(`container ${name}: resources ${show(old.resources)} -> ${show(next.resources)}`);
  }
  for (const [what, differs] of [
    ["command", !equal(old.command, next.command)],
    ["args", !equal(old.args, next.args)],
    ["env", !equal(old.env, next.env)],
    ["ports", !equal(old.ports, next.ports)],
    ["health_check", !equal(old.healthCheck, next.healthCheck)],
  ]) {
    if (differs) out.push(`container ${name}: ${what} changed`);
  }
}

/** `cpu 500m, memory 512 MiB[, storage 10 MiB]` for a resource-requirements. */
function describe(resources) {
  let text = `cpu ${resources.cpuMillicores}m, memory ${resources.memoryMib} MiB`;
  if (!isNone(resources.storageMib)) text += `, storage ${resources.storageMib} MiB`;
  return text;
}

/** Containers by name; a later duplicate replaces an earlier one. */
function byName(containers) {
  return new Map(containers.map((c) => [c.name, c]));
}

function sortedKeys(map) {
  return [...map.keys()].sort(compareStrings);
}
