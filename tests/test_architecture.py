"""The import contracts place every module: a new module must be given a layer on purpose."""

from __future__ import annotations

import pkgutil
import sys
from pathlib import Path
from typing import Any

import wa_outbound

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _contracts() -> dict[str, dict[str, Any]]:
    """The import-linter contracts of pyproject.toml, by type."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    by_type: dict[str, dict[str, Any]] = {}
    for contract in contracts:
        if contract["type"] == "forbidden" and "wa_outbound._rules" in contract["source_modules"]:
            by_type["core_forbidden"] = contract
        else:
            by_type.setdefault(contract["type"], contract)
    return by_type


def _top_level_modules() -> tuple[set[str], set[str]]:
    """The package's direct children: (private core modules, public modules and packages)."""
    children = {
        f"wa_outbound.{info.name}"
        for info in pkgutil.iter_modules(wa_outbound.__path__)
        if info.name != "__main__"
    }
    core = {name for name in children if name.rsplit(".", 1)[1].startswith("_")}
    return core, children - core


def _layered(layers: list[str]) -> set[str]:
    """Every module named in a layers contract (siblings split on `|` and `:`)."""
    return {
        part.strip()
        for layer in layers
        for part in layer.replace("|", ":").split(":")
        if part.strip()
    }


def test_every_module_has_a_layer() -> None:
    """Each module and package of `wa_outbound` is placed in the layers contract, and only once."""
    core, public = _top_level_modules()
    layers = _contracts()["layers"]["layers"]
    named = [part for layer in layers for part in layer.replace("|", ":").split(":")]
    assert len(named) == len(set(named)), "a module is in two layers"
    assert core | public == _layered(layers)


def test_every_core_module_is_checked_for_io() -> None:
    """The I/O-free contract covers every core module and public family: all below the rim."""
    core, public = _top_level_modules()
    layers = _contracts()["layers"]["layers"]
    families = next(i for i, layer in enumerate(layers) if "wa_outbound.templates" in layer)
    rim = _layered(layers[:families])  # the layers above the public families
    sources = set(_contracts()["core_forbidden"]["source_modules"])
    assert core | (public - rim) == sources


def test_cycles_are_checked_across_the_whole_package() -> None:
    """The acyclic contract looks at every sibling under `wa_outbound`."""
    assert ["wa_outbound"] == _contracts()["acyclic_siblings"]["ancestors"]
