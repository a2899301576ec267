"""Operator files in `mappings/`: one module per file, and the loader of all of them at once.

`plm.yaml` (required), `sharing.yaml`, `switches.yaml`, `addons.yaml` and `pricing.yaml`
(optional) are read
and validated together; `load_rules` gives them as one value with one fingerprint,
`cached_rules` keeps that value for a worker process until a file's content changes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from plm_sync.domain.operator_rules import OperatorRules
from plm_sync.mappings.addons import ADDONS_FILE, load_addon_rules
from plm_sync.mappings.plm import PLM_FILE, load_plm_rules
from plm_sync.mappings.pricing import PRICING_FILE, load_pricing_rules
from plm_sync.mappings.sharing import SHARING_FILE, load_sharing_rules
from plm_sync.mappings.switches import SWITCHES_FILE, load_switch_rules

__all__ = [
    "cached_rules",
    "load_addon_rules",
    "load_plm_rules",
    "load_pricing_rules",
    "load_rules",
    "load_sharing_rules",
    "load_switch_rules",
]

_FILES = (PLM_FILE, SHARING_FILE, SWITCHES_FILE, ADDONS_FILE, PRICING_FILE)
_cache: dict[Path, tuple[str, OperatorRules]] = {}


def load_rules(folder: Path) -> OperatorRules:
    """Read and validate every operator file of `folder`: MappingsError lists every problem."""
    return OperatorRules(
        load_plm_rules(folder),
        load_sharing_rules(folder),
        load_switch_rules(folder),
        load_addon_rules(folder),
        load_pricing_rules(folder),
    )


def _files_digest(folder: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for name in _FILES:
        path = folder / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"\0missing")
    return digest.hexdigest()


def cached_rules(folder: Path) -> OperatorRules:
    """`load_rules`, kept per process while the files' contents stay the same.

    Worker processes run many product tasks: the files are read (a few kB) for each, but
    parsed and validated only when one of them changed.
    """
    if not folder.is_dir():
        return load_rules(folder)  # the loader names the missing folder
    key = folder.resolve()
    digest = _files_digest(folder)
    hit = _cache.get(key)
    if hit is not None and hit[0] == digest:
        return hit[1]
    rules = load_rules(folder)
    _cache[key] = (digest, rules)
    return rules
