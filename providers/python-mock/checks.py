"""The mock's own validation: what a real provider would check beyond the
host's structural rules. Every problem is reported with its field path.

A Python port of ``providers/mock/src/checks.rs``: same rules, same paths,
same messages, same order.
"""

import json
import math
from typing import Any, List, Optional

from wit_world.imports.types import FieldError, TenantComputeSpec

# Keys the mock accepts in `provider_config`, with what each must be.
CONFIG_KEYS = [("zone", 'a zone name such as "eu-1"')]


def problems(spec: TenantComputeSpec, name: str) -> List[FieldError]:
    """Every problem the mock finds in `spec`; empty when it is acceptable."""
    out: List[FieldError] = []

    def problem(path: str, message: str) -> None:
        out.append(FieldError(path=path, message=message))

    if spec.provider_type != name:
        problem(
            "provider_type",
            f"is '{spec.provider_type}', but this is the '{name}' provider",
        )
    if not spec.containers:
        problem("containers", "must list at least one container")
    seen = set()
    for i, container in enumerate(spec.containers):
        if container.name in seen:
            problem(
                f"containers[{i}].name",
                f"duplicate container name '{container.name}'",
            )
        seen.add(container.name)

    if spec.provider_config is not None:
        try:
            config = parse_json(spec.provider_config)
        except ValueError as err:
            problem("provider_config", f"is not valid JSON: {err}")
        else:
            if not isinstance(config, dict):
                problem(
                    "provider_config",
                    'must be a JSON object such as {"zone": "eu-1"}',
                )
            else:
                # serde_json's map iterates in key order; do the same so the
                # problems come out in the Rust mock's order.
                for key in sorted(config):
                    value = config[key]
                    path = f"provider_config.{key}"
                    if key == "zone":
                        if not (isinstance(value, str) and is_identifier(value)):
                            problem(
                                path,
                                "must be a zone name: lowercase letters, digits and '-'",
                            )
                    else:
                        accepted = ", ".join(f"{k} ({what})" for k, what in CONFIG_KEYS)
                        problem(path, f"unknown setting; the mock accepts: {accepted}")
    return out


def zone(spec: TenantComputeSpec) -> Optional[str]:
    """The zone named by `provider_config`, if any."""
    if spec.provider_config is None:
        return None
    try:
        config = parse_json(spec.provider_config)
    except ValueError:
        return None
    if isinstance(config, dict) and isinstance(config.get("zone"), str):
        return config["zone"]
    return None


def parse_json(text: str) -> Any:
    """Parse `text` as strict JSON (RFC 8259), as serde_json does.

    Python's json module is lenient in ways serde_json is not; each of these
    raises ValueError here, so a spec is valid or invalid in both providers:
    - NaN, Infinity and -Infinity are not JSON;
    - a number too large for a double (1e400) is "out of range", not inf;
    - a lone surrogate escape ("\\ud800") is not a Unicode string: letting it
      through would also make the key unsendable back over WIT (a trap);
    - nesting 128 or more levels deep (serde_json's recursion limit).
    """
    if _nesting_depth(text) >= 128:
        raise ValueError("recursion limit exceeded")
    value = json.loads(
        text,
        parse_constant=_reject_constant,
        parse_float=_finite_float,
        parse_int=_finite_int,
    )
    try:
        # Cheap whole-document check for lone surrogates (keys and values).
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("lone surrogate in string escape") from None
    return value


def is_identifier(text: str) -> bool:
    """Lowercase ASCII letters, digits and '-', at least one.

    (Not str.islower()/str.isdigit(): those accept non-ASCII letters and digits.)
    """
    return bool(text) and all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"number out of range: {text}")
    return number


def _finite_int(text: str) -> int:
    # serde_json keeps integers beyond 64 bits as doubles: same range rule.
    # (Checking the float first also keeps int() under its 4300-digit limit.)
    if math.isinf(float(text)):
        raise ValueError(f"number out of range: {text}")
    return int(text)


def _nesting_depth(text: str) -> int:
    """The deepest [ / { nesting in `text`, ignoring brackets inside strings.

    Python's parser recurses once per level; checking first keeps a hostile
    `[[[[...` from exhausting the (small) WebAssembly stack.
    """
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest
