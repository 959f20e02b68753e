"""GB/T 2260 division codes: levels and subtrees. Pure."""

from __future__ import annotations

import re

from emc.auth.models import RegionLevel

NATIONAL = "000000"
_CODE = re.compile(r"^\d{6}$")


def is_valid_code(code: str) -> bool:
    return bool(_CODE.match(code or ""))


def level_of(code: str) -> RegionLevel:
    """000000 national; xx0000 province; xxxx00 city (prefecture); anything else county."""
    if code == NATIONAL:
        return RegionLevel.NATIONAL
    if code.endswith("0000"):
        return RegionLevel.PROVINCE
    if code.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.COUNTY


def subtree_prefix(code: str) -> str:
    """The prefix shared by every code in the subtree rooted at ``code`` ('' for national)."""
    level = level_of(code)
    if level is RegionLevel.NATIONAL:
        return ""
    if level is RegionLevel.PROVINCE:
        return code[:2]
    if level is RegionLevel.CITY:
        return code[:4]
    return code


def in_subtree(code: str, root: str) -> bool:
    """Whether division ``code`` lies in the subtree rooted at ``root`` (inclusive)."""
    return code.startswith(subtree_prefix(root))


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level is RegionLevel.NATIONAL:
        return None
    if level is RegionLevel.PROVINCE:
        return NATIONAL
    if level is RegionLevel.CITY:
        return code[:2] + "0000"
    return code[:4] + "00"
