"""Helpers for the list-page tests: read the count and the rows a list page shows."""

from __future__ import annotations

import re


def total(page: str) -> int:
    """The whole selection's count that the list page states."""
    return int(re.search(r'data-testid="list-count" data-total="(\d+)"', page).group(1))


def walk(client, url: str, pattern: str) -> list[str]:
    """Every page of a list, following the pager's numbered pages: the matched row keys."""
    seen: list[str] = []
    first = client.get(url).get_data(as_text=True)
    pages = max([1] + [int(n) for n in re.findall(r"[?&;]page=(\d+)", first)])
    sep = "&" if "?" in url else "?"
    for n in range(1, pages + 1):
        response = client.get(f"{url}{sep}page={n}")
        assert response.status_code == 200
        seen += re.findall(pattern, response.get_data(as_text=True))
    return seen
