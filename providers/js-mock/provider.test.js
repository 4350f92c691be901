// Unit tests of the pure modules (checks.js, diff.js, values.js), run in
// plain Node with `node --test` (or `npm test`): they import nothing from
// WIT, so they need no component. The component itself is tested through
// the host: `landlord providers test <wasm>` (see README.md).

import assert from "node:assert/strict";
import { test } from "node:test";

import { problems, zone } from "./checks.js";
import { changes } from "./diff.js";
import { compareStrings, equal, rustDebugString, utf8Decode, utf8Encode } from "./values.js";

/** A small valid spec, shaped as componentize-qjs hands it over. */
function spec() {
  return {
    tenantId: "acme",
    providerType: "js-mock",
    containers: [
      {
        name: "web",
        image: "nginx:1.27",
        command: [],
        args: [],
        env: [],
        ports: [{ containerPort: 80, hostPort: null, protocol: "tcp", name: null }],
        healthCheck: null,
        resources: null,
      },
    ],
    resources: { cpuMillicores: 500, memoryMib: 512, storageMib: null },
    networking: { publicIp: false, securityGroups: [], subnets: [], dns: null },
    secrets: [],
    labels: [],
    providerConfig: null,
  };
}

const paths = (s) => problems(s, "js-mock").map((p) => p.path);

test("a plain spec is acceptable", () => {
  assert.deepEqual(paths(spec()), []);
});

test("provider_config must be an object of known settings", () => {
  const s = spec();
  s.providerConfig = '{"zone":"eu-1"}';
  assert.deepEqual(paths(s), []);
  assert.equal(zone(s), "eu-1");
  s.providerConfig = '{"zone":"EU 1","replicas":3}';
  assert.deepEqual(paths(s), ["provider_config.replicas", "provider_config.zone"]);
  s.providerConfig = "[1]";
  assert.deepEqual(problems(s, "js-mock"), [
    { path: "provider_config", message: 'must be a JSON object such as {"zone": "eu-1"}' },
  ]);
  s.providerConfig = "{";
  assert.deepEqual(paths(s), ["provider_config"]);
  assert.match(problems(s, "js-mock")[0].message, /^is not valid JSON: /);
  assert.equal(zone(s), null);
});

test("the spec must name this provider and unique containers", () => {
  const s = spec();
  s.providerType = "ecs";
  s.containers.push(structuredClone(s.containers[0]));
  assert.deepEqual(problems(s, "js-mock"), [
    { path: "provider_type", message: "is 'ecs', but this is the 'js-mock' provider" },
    { path: "containers[1].name", message: "duplicate container name 'web'" },
  ]);
  s.containers = [];
  assert.deepEqual(paths(s), ["provider_type", "containers"]);
});

test("identical specs have no changes, whatever form none takes", () => {
  assert.deepEqual(changes(spec(), spec()), []);
  // A spec read back from stored JSON keeps nulls; another engine may use
  // undefined or leave the field out. All three are `none`.
  const other = spec();
  delete other.providerConfig;
  other.containers[0].healthCheck = undefined;
  assert.deepEqual(changes(spec(), other), []);
  assert.ok(equal(spec(), JSON.parse(JSON.stringify(other))));
});

test("each difference is one line", () => {
  const old = spec();
  const next = spec();
  next.containers[0].image = "nginx:1.28";
  next.containers[0].env.push(["TOKEN", "s3cret"]);
  next.resources.cpuMillicores = 1000;
  next.labels.push(["team", "core"]);
  const api = structuredClone(next.containers[0]);
  api.name = "api";
  next.containers.push(api);
  const lines = changes(old, next);
  assert.deepEqual(lines, [
    "container api: added (image nginx:1.28)",
    "container web: image nginx:1.27 -> nginx:1.28",
    "container web: env changed",
    "resources: cpu 500m, memory 512 MiB -> cpu 1000m, memory 512 MiB",
    "labels: changed",
  ]);
  assert.ok(lines.every((line) => !line.includes("s3cret")));
  assert.equal(changes(next, old)[0], "container web: image nginx:1.28 -> nginx:1.27");
  assert.ok(changes(next, old).includes("container api: removed"));
});

test("strings order by code point, as in Rust", () => {
  // UTF-16 order would put U+1F600 (a surrogate pair) before U+FF5A.
  assert.deepEqual(["\u{1F600}", "\uff5a", "z", "Z"].sort(compareStrings), [
    "Z",
    "z",
    "\uff5a",
    "\u{1F600}",
  ]);
});

test("UTF-8 round trip", () => {
  for (const text of ["", "plain", "é€", "emoji \u{1F600}", "\u{10FFFF}"]) {
    const bytes = utf8Encode(text);
    assert.deepEqual(bytes, new TextEncoder().encode(text));
    assert.equal(utf8Decode(bytes), text);
  }
  assert.deepEqual(utf8Encode("\ud800"), new Uint8Array([0xef, 0xbf, 0xbd]));
  assert.throws(() => utf8Decode(new Uint8Array([0xc3])));
});

test("Rust Debug formatting of strings", () => {
  assert.equal(rustDebugString('disk "full"\n'), '"disk \\"full\\"\\n"');
  assert.equal(rustDebugString("it's \u001b"), "\"it's \\u{1b}\"");
});
