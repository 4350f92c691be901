"""Native unit tests of the logic that does not touch the imports (checks,
diff, the record codec), mirroring the Rust mock's unit tests. They run in
ordinary CPython against the generated bindings (see README.md):

    componentize-py -d ../../wit -w compute-provider bindings /tmp/python-mock-bindings
    PYTHONPATH=/tmp/python-mock-bindings python3 -m unittest test_mock

build.sh does not put this file into the component.
"""

import copy
import json
import unittest

import checks
import diff
from record import TenantRecord, from_plain, to_plain
from wit_world.imports.types import (
    ContainerSpec,
    NetworkConfig,
    PortMapping,
    Protocol,
    ResourceRequirements,
    TenantComputeSpec,
)

NAME = "python-mock"


def spec() -> TenantComputeSpec:
    """A small valid spec (the Rust mock's `test_support::spec`)."""
    return TenantComputeSpec(
        tenant_id="acme",
        provider_type=NAME,
        containers=[
            ContainerSpec(
                name="web",
                image="nginx:1.27",
                command=[],
                args=[],
                env=[],
                ports=[PortMapping(container_port=80, host_port=None, protocol=Protocol.TCP, name=None)],
                health_check=None,
                resources=None,
            )
        ],
        resources=ResourceRequirements(cpu_millicores=500, memory_mib=512, storage_mib=None),
        networking=NetworkConfig(public_ip=False, security_groups=[], subnets=[], dns=None),
        secrets=[],
        labels=[],
        provider_config=None,
    )


def paths(s: TenantComputeSpec):
    return [p.path for p in checks.problems(s, NAME)]


class Checks(unittest.TestCase):
    def test_a_plain_spec_is_acceptable(self):
        self.assertEqual(paths(spec()), [])

    def test_provider_config_must_be_an_object_of_known_settings(self):
        s = spec()
        s.provider_config = '{"zone":"eu-1"}'
        self.assertEqual(paths(s), [])
        self.assertEqual(checks.zone(s), "eu-1")
        s.provider_config = '{"zone":"EU 1","replicas":3}'
        self.assertEqual(paths(s), ["provider_config.replicas", "provider_config.zone"])
        s.provider_config = "[1]"
        self.assertEqual(paths(s), ["provider_config"])
        s.provider_config = "{"
        self.assertEqual(paths(s), ["provider_config"])

    def test_json_that_serde_json_refuses_is_invalid(self):
        s = spec()
        for text in ["NaN", '{"zone": Infinity}', "1e400", "1" * 400, '{"\\ud800": 1}', "[" * 128 + "]" * 128]:
            s.provider_config = text
            (problem,) = checks.problems(s, NAME)
            self.assertTrue(problem.message.startswith("is not valid JSON: "), (text, problem))
        s.provider_config = "[" * 127 + "]" * 127  # just inside serde_json's limit
        self.assertEqual([p.message for p in checks.problems(s, NAME)],
                         ['must be a JSON object such as {"zone": "eu-1"}'])

    def test_zone_must_be_lowercase_ascii(self):
        s = spec()
        for zone in ["", "Eu-1", "eu_1", "éu", "٣"]:
            s.provider_config = json.dumps({"zone": zone})
            self.assertEqual(paths(s), ["provider_config.zone"], zone)

    def test_the_spec_must_name_this_provider_and_unique_containers(self):
        s = spec()
        s.provider_type = "ecs"
        s.containers.append(copy.deepcopy(s.containers[0]))
        self.assertEqual(paths(s), ["provider_type", "containers[1].name"])


class Diff(unittest.TestCase):
    def test_identical_specs_have_no_changes(self):
        self.assertEqual(diff.changes(spec(), spec()), [])

    def test_each_difference_is_one_line(self):
        old = spec()
        new = spec()
        new.containers[0].image = "nginx:1.28"
        new.containers[0].env.append(("TOKEN", "s3cret"))
        new.resources.cpu_millicores = 1000
        new.labels.append(("team", "core"))
        api = copy.deepcopy(new.containers[0])
        api.name = "api"
        new.containers.append(api)
        lines = diff.changes(old, new)
        self.assertEqual(
            lines,
            [
                "container api: added (image nginx:1.28)",
                "container web: image nginx:1.27 -> nginx:1.28",
                "container web: env changed",
                "resources: cpu 500m, memory 512 MiB -> cpu 1000m, memory 512 MiB",
                "labels: changed",
            ],
        )
        self.assertFalse(any("s3cret" in line for line in lines))
        self.assertEqual(diff.changes(new, old)[0], "container web: image nginx:1.28 -> nginx:1.27")
        self.assertIn("container api: removed", diff.changes(new, old))


class Codec(unittest.TestCase):
    def test_a_record_reads_back_equal(self):
        s = spec()
        s.labels = [("team", "core")]
        s.containers[0].env = [("MODE", "production")]
        s.containers[0].ports[0].protocol = Protocol.UDP
        s.containers[0].resources = ResourceRequirements(cpu_millicores=250, memory_mib=256, storage_mib=10)
        text = json.dumps(to_plain(TenantRecord(spec=s, generation=3)))
        back = from_plain(TenantRecord, json.loads(text))
        self.assertEqual(back, TenantRecord(spec=s, generation=3))
        self.assertIsInstance(back.spec.labels[0], tuple)

    def test_a_corrupt_record_is_refused(self):
        plain = to_plain(TenantRecord(spec=spec(), generation=1))
        for corrupt in [
            dict(plain, generation="1"),
            dict(plain, generation=True),
            {"generation": 1},
            dict(plain, spec=dict(plain["spec"], labels=[["a"]])),
            dict(plain, spec=dict(plain["spec"], containers=[dict(plain["spec"]["containers"][0], ports=[
                dict(plain["spec"]["containers"][0]["ports"][0], protocol="sctp")])])),
        ]:
            with self.assertRaises((ValueError, TypeError)):
                from_plain(TenantRecord, corrupt)


if __name__ == "__main__":
    unittest.main()
