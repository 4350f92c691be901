"""The mock compute provider in Python: the Rust mock (providers/mock) ported
to componentize-py, as an example for provider authors who write Python.

It provisions nothing real; it keeps each tenant's spec in host state (the
`state` import, see record.py) and answers as a real provider would. An
operator can make any operation fail through the `config` import:
`fail.<operation>` = the message to fail with (for example
`fail.provision = "quota exceeded"`).

How componentize-py maps the contract (world `compute-provider`):
- `componentize-py ... componentize app` loads this module and looks for a
  class named after the exported interface: `Provider` for `export provider`.
  The host calls each export on a fresh instance, so nothing kept in Python
  objects survives between calls: whatever must be remembered goes through
  `state`.
- Imports are modules under `wit_world.imports`: `log`, `state`, `config`
  and `types` (the records, enums and variants of types.wit).
- A WIT record is a dataclass, an enum an `Enum` (`Protocol.TCP`), an
  `option<T>` is `T` or None, a `list<tuple<string, string>>` a list of
  tuples, and a variant one dataclass per case (`ProviderError_TenantNotFound`
  with a `.value`).
- A function returning `result<T, provider-error>` returns T for `ok`, and
  for `err` raises `componentize_py_types.Err(<provider-error case>)`.
  Imported functions work the same way: `state.get` raises `Err(StateError_*)`.
  Any other exception escaping an export traps the call (the host reports
  that the sandbox contained the provider).
"""

from typing import List, Tuple

import checks
import diff
import record
from componentize_py_types import Err
from record import TenantRecord
from wit_world import exports
from wit_world.imports import config, log
from wit_world.imports.types import (
    ComputeState,
    ComputeStatus,
    ContainerStatus,
    Endpoint,
    FieldError,
    HealthStatus,
    Protocol,
    ProviderError_InvalidSpec,
    ProviderError_OperationFailed,
    ProviderError_ProvisionFailed,
    ProviderError_TenantNotFound,
    ProviderError_UpdateFailed,
    ProvisionResult,
    ProvisionStatus,
    TenantComputeSpec,
    UpdateResult,
    UpdateStatus,
)

# The provider's registry name.
NAME = "python-mock"

# Domain of endpoint addresses when the spec names none.
DEFAULT_DOMAIN = "mock.internal"


class Provider(exports.Provider):
    """The provider; its methods are the six exports."""

    def name(self) -> str:
        return NAME

    def provision(self, spec: TenantComputeSpec) -> ProvisionResult:
        message = configured_failure("provision")
        if message is not None:
            raise Err(ProviderError_ProvisionFailed(message))
        reject_invalid(spec)
        existing = record.load(spec.tenant_id)
        if existing is None:
            record.save(TenantRecord(spec=spec, generation=1))
            message = "provisioned"
        elif existing.spec == spec:
            message = "already provisioned with this spec"
        else:
            raise Err(
                ProviderError_ProvisionFailed(
                    f"tenant '{spec.tenant_id}' already exists with a different spec; "
                    "use update to change it"
                )
            )
        log.log(log.Level.INFO, f"{message}: {spec.tenant_id}")
        return ProvisionResult(
            tenant_id=spec.tenant_id,
            provider_type=NAME,
            status=ProvisionStatus.SUCCESS,
            resource_ids=resource_ids(spec),
            endpoints=endpoints(spec),
            message=message,
        )

    def update(self, tenant_id: str, spec: TenantComputeSpec) -> UpdateResult:
        message = configured_failure("update")
        if message is not None:
            raise Err(ProviderError_UpdateFailed(message))
        reject_invalid(spec)
        stored = record.load(tenant_id)
        if stored is None:
            raise Err(ProviderError_TenantNotFound(tenant_id))
        changes = diff.changes(stored.spec, spec)
        if not changes:
            status = UpdateStatus.NO_CHANGES
        else:
            record.save(TenantRecord(spec=spec, generation=stored.generation + 1))
            log.log(log.Level.INFO, f"updated {tenant_id}: {len(changes)} change(s)")
            status = UpdateStatus.SUCCESS
        return UpdateResult(
            tenant_id=tenant_id,
            provider_type=NAME,
            status=status,
            changes=changes,
            message=None,
        )

    def destroy(self, tenant_id: str) -> None:
        message = configured_failure("destroy")
        if message is not None:
            raise Err(ProviderError_OperationFailed(message))
        # Idempotent: deleting a missing key is not an error.
        record.delete(tenant_id)
        log.log(log.Level.INFO, f"destroyed {tenant_id}")

    def get_status(self, tenant_id: str) -> ComputeStatus:
        message = configured_failure("get-status")
        if message is not None:
            raise Err(ProviderError_OperationFailed(message))
        stored = record.load(tenant_id)
        if stored is None:
            raise Err(ProviderError_TenantNotFound(tenant_id))
        containers = stored.spec.containers
        checked = any(c.health_check is not None for c in containers)
        zone = checks.zone(stored.spec)
        return ComputeStatus(
            tenant_id=tenant_id,
            provider_type=NAME,
            state=ComputeState.RUNNING,
            containers=[
                ContainerStatus(
                    name=c.name,
                    state="running",
                    ready=True,
                    restart_count=0,
                    message=f"image {c.image}",
                )
                for c in containers
            ],
            health=HealthStatus.HEALTHY if checked else HealthStatus.UNKNOWN,
            metadata=[
                ("generation", str(stored.generation)),
                ("zone", zone if zone is not None else "default"),
            ],
        )

    def validate(self, spec: TenantComputeSpec) -> None:
        message = configured_failure("validate")
        if message is not None:
            raise Err(ProviderError_InvalidSpec([FieldError(path="", message=message)]))
        reject_invalid(spec)


def configured_failure(operation: str):
    """The operator's failure switch for `operation` (a str), if set, else None."""
    return config.get(f"fail.{operation}")


def reject_invalid(spec: TenantComputeSpec) -> None:
    """The mock's own rules, on top of the host's structural validation."""
    problems = checks.problems(spec, NAME)
    if problems:
        raise Err(ProviderError_InvalidSpec(problems))


def resource_ids(spec: TenantComputeSpec) -> List[Tuple[str, str]]:
    # The ids keep the Rust mock's `mock` prefix: they name pretend resources.
    tenant = spec.tenant_id
    ids = [("network", f"mock-net-{tenant}")]
    ids += [(f"container/{c.name}", f"mock-{tenant}-{c.name}") for c in spec.containers]
    return sorted(ids)


def endpoints(spec: TenantComputeSpec) -> List[Endpoint]:
    dns = spec.networking.dns
    domain = dns.domain if dns is not None and dns.domain is not None else DEFAULT_DOMAIN
    out = []
    for container in spec.containers:
        address = f"{container.name}.{spec.tenant_id}.{domain}"
        for port in container.ports:
            scheme = "udp" if port.protocol == Protocol.UDP else "tcp"
            number = port.host_port if port.host_port is not None else port.container_port
            out.append(
                Endpoint(
                    endpoint_type=scheme,
                    address=address,
                    port=number,
                    url=f"{scheme}://{address}:{number}",
                )
            )
    return out
