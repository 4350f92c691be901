"""What the mock remembers about a tenant, and how it is kept.

Each tenant is stored as UTF-8 JSON under the state key `tenant/<id>`:

    {"generation": 2, "spec": {"tenant_id": "acme", "containers": [...], ...}}

Field names are the binding dataclasses' (the spec's snake_case JSON names);
enums are stored by their WIT name ("tcp", "http"); `option` is null or the
value; string maps are lists of [key, value] pairs.

componentize-py's bindings are plain dataclasses and Enums whose field
annotations are real types, so one small generic codec covers every record
the WIT defines: `to_plain` walks a value, `from_plain` walks a type.
"""

import dataclasses
import json
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

from componentize_py_types import Err
from wit_world.imports import state
from wit_world.imports.types import ProviderError_OperationFailed, TenantComputeSpec


@dataclass
class TenantRecord:
    spec: TenantComputeSpec
    # 1 after provisioning, +1 per applied update.
    generation: int


def tenant_key(tenant_id: str) -> str:
    return f"tenant/{tenant_id}"


def state_failure(err: Err) -> Err:
    """A `state` import error as the provider error to raise.

    Imports that return `result<T, E>` raise `Err(E)`; E here is one of the
    `StateError_*` case classes. The text follows the Rust mock's `{err:?}`,
    e.g. `state: ValueTooLarge(65536)` or `state: Unavailable("disk full")`.
    """
    case = err.value
    kind = type(case).__name__.split("_", 1)[-1]
    if isinstance(case.value, str):
        payload = json.dumps(case.value, ensure_ascii=False)
    else:
        payload = str(case.value)
    return Err(ProviderError_OperationFailed(f"state: StateError::{kind}({payload})"))


def load(tenant_id: str) -> Optional[TenantRecord]:
    """The stored record of `tenant_id`, or None; raises Err(provider-error)."""
    try:
        data = state.get(tenant_key(tenant_id))
    except Err as err:
        raise state_failure(err) from None
    if data is None:
        return None
    try:
        return from_plain(TenantRecord, json.loads(data.decode("utf-8")))
    except (ValueError, TypeError) as err:
        raise Err(
            ProviderError_OperationFailed(f"stored record of {tenant_id} is corrupt: {err}")
        ) from None


def save(record: TenantRecord) -> None:
    """Store `record` under its tenant's key; raises Err(provider-error)."""
    data = json.dumps(to_plain(record), separators=(",", ":")).encode("utf-8")
    try:
        state.set(tenant_key(record.spec.tenant_id), data)
    except Err as err:
        raise state_failure(err) from None


def delete(tenant_id: str) -> None:
    """Forget `tenant_id`; deleting a missing key is not an error."""
    try:
        state.delete(tenant_key(tenant_id))
    except Err as err:
        raise state_failure(err) from None


def to_plain(value: Any) -> Any:
    """A binding value as JSON-ready dicts, lists, strings, numbers, None."""
    if dataclasses.is_dataclass(value):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.name.lower().replace("_", "-")
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    return value  # str, int, bool or None


def from_plain(kind: Any, data: Any) -> Any:
    """The value of type `kind` that `to_plain` turned into `data`.

    Rebuilding the exact types matters: a dataclass compares its fields with
    `==`, and ("a", "b") != ["a", "b"], so a string map read back as lists
    would never equal the spec the host sends.
    """
    origin = typing.get_origin(kind)
    if origin is typing.Union:  # Optional[T] is Union[T, None]
        if data is None:
            return None
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return from_plain(inner, data)
    if origin is list:
        (item,) = typing.get_args(kind)
        return [from_plain(item, element) for element in _expect(list, data)]
    if origin is tuple:
        items = typing.get_args(kind)
        if len(_expect(list, data)) != len(items):
            raise ValueError(f"expected {len(items)} items, found {len(data)}")
        return tuple(from_plain(item, element) for item, element in zip(items, data))
    if dataclasses.is_dataclass(kind):
        fields = _expect(dict, data)
        values = {}
        for field in dataclasses.fields(kind):
            if field.name not in fields:
                raise ValueError(f"missing field `{field.name}` in {kind.__name__}")
            values[field.name] = from_plain(field.type, fields[field.name])
        return kind(**values)
    if isinstance(kind, type) and issubclass(kind, Enum):
        name = _expect(str, data).upper().replace("-", "_")
        if name not in kind.__members__:
            raise ValueError(f"unknown {kind.__name__} {data!r}")
        return kind[name]
    return _expect(kind, data)  # str, int, bool


def _expect(kind: type, data: Any) -> Any:
    # `type(...) is` rather than isinstance: True must not pass for an int.
    if type(data) is not kind:
        raise TypeError(f"expected {kind.__name__}, found {type(data).__name__}")
    return data
