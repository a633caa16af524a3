"""`GET /search/repositories`: GitHub's repository search over the repos the viewer can see."""

from __future__ import annotations

import re
import shlex

from .models import Repo
from .store import Store

#: Qualifiers that filter; any other `key:value` word is a plain term, as on GitHub.
QUALIFIERS = {"user", "org", "repo", "is", "in", "fork", "archived", "topic", "language", "stars", "forks"}
RANGE = re.compile(r"^(>=|<=|>|<)?(\d+)$")


def search_repos(store: Store, query: str, viewer: str | None) -> list[Repo]:
    """Repos matching every qualifier and term, best match (most stars) first."""
    filters: dict[str, list[str]] = {}
    terms: list[str] = []
    try:
        words = shlex.split(query)
    except ValueError:
        words = query.split()
    for word in words:
        key, sep, value = word.partition(":")
        if sep and key.lower() in QUALIFIERS and value:
            filters.setdefault(key.lower(), []).append(value.lower())
        else:
            terms.append(word.lower())
    with store.lock:
        hits = [r for r in store.visible_repos(viewer) if matches(r, filters, terms)]
    return sorted(hits, key=lambda r: (r.stars, r.id), reverse=True)


def matches(repo: Repo, filters: dict[str, list[str]], terms: list[str]) -> bool:
    owners = filters.get("user", []) + filters.get("org", [])
    if owners and repo.owner.lower() not in owners:
        return False
    if "repo" in filters and repo.full_name.lower() not in filters["repo"]:
        return False
    visibility = "private" if repo.private else "public"
    if any(v in ("public", "private") and v != visibility for v in filters.get("is", [])):
        return False
    if any(v == "true" for v in filters.get("fork", []) + filters.get("archived", [])):
        return False  # fakehub has neither forks nor archived repos
    if any(t not in (x.lower() for x in repo.topics) for t in filters.get("topic", [])):
        return False
    if filters.get("language"):
        return False  # no languages are recorded
    if not all(in_range(repo.stars, v) for v in filters.get("stars", [])):
        return False
    if not all(in_range(repo.forks, v) for v in filters.get("forks", [])):
        return False
    fields = {",".join(filters.get("in", [])) or "name,description,topics"}
    wanted = {f for spec in fields for f in spec.split(",")}
    text = " ".join(
        [
            repo.name if "name" in wanted else "",
            (repo.description or "") if "description" in wanted else "",
            " ".join(repo.topics) if "topics" in wanted else "",
            (repo.readme or "") if "readme" in wanted else "",
        ]
    ).lower()
    return all(term in text for term in terms)


def in_range(value: int, spec: str) -> bool:
    found = RANGE.match(spec)
    if found is None:
        low, _, high = spec.partition("..")
        return low.isdigit() and high.isdigit() and int(low) <= value <= int(high)
    op, number = found[1] or "=", int(found[2])
    return {"=": value == number, ">": value > number, "<": value < number, ">=": value >= number}.get(
        op, value <= number
    )
