"""What changed between a tenant's stored spec and a new one, one line per
change, for `update`. Values that may be secret (env, secret references,
provider config) are never echoed: only that they changed.

A Python port of ``providers/mock/src/diff.rs``: same lines, same order.
The binding types are dataclasses, so `==` compares every field (lists in
order), like the derived `PartialEq` of the Rust bindings.
"""

from typing import List, Optional

from wit_world.imports.types import ContainerSpec, ResourceRequirements, TenantComputeSpec


def changes(old: TenantComputeSpec, new: TenantComputeSpec) -> List[str]:
    """The changes from `old` to `new`; empty when they are equivalent."""
    out: List[str] = []
    # Containers by name, visited in name order (the Rust mock's BTreeMap).
    old_containers = {c.name: c for c in old.containers}
    new_containers = {c.name: c for c in new.containers}
    for name in sorted(new_containers):
        container = new_containers[name]
        before = old_containers.get(name)
        if before is None:
            out.append(f"container {name}: added (image {container.image})")
        else:
            _container_changes(out, name, before, container)
    for name in sorted(old_containers):
        if name not in new_containers:
            out.append(f"container {name}: removed")
    if old.resources != new.resources:
        out.append(f"resources: {_describe(old.resources)} -> {_describe(new.resources)}")
    for what, differs in [
        ("networking", old.networking != new.networking),
        ("secrets", old.secrets != new.secrets),
        ("labels", old.labels != new.labels),
        ("provider_config", old.provider_config != new.provider_config),
    ]:
        if differs:
            out.append(f"{what}: changed")
    return out


def _container_changes(out: List[str], name: str, old: ContainerSpec, new: ContainerSpec) -> None:
    if old.image != new.image:
        out.append(f"container {name}: image {old.image} -> {new.image}")
    if old.resources != new.resources:

        def show(resources: Optional[ResourceRequirements]) -> str:
            return "tenant share" if resources is None else _describe(resources)

        out.append(
            f"container {name}: resources {show(old.resources)} -> {show(new.resources)}"
        )
    for what, differs in [
        ("command", old.command != new.command),
        ("args", old.args != new.args),
        ("env", old.env != new.env),
        ("ports", old.ports != new.ports),
        ("health_check", old.health_check != new.health_check),
    ]:
        if differs:
            out.append(f"container {name}: {what} changed")


def _describe(resources: ResourceRequirements) -> str:
    text = f"cpu {resources.cpu_millicores}m, memory {resources.memory_mib} MiB"
    if resources.storage_mib is not None:
        text += f", storage {resources.storage_mib} MiB"
    return text
