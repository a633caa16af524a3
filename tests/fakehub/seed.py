"""The default world: a busy public `octo/hello` and a small private `octo/secret` owned by octocat."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .models import Issue, iso
from .store import Store

EPOCH = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)

LABELS = [
    ("bug", "d73a4a", "Something isn't working"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("question", "d876e3", "Further information is requested"),
]

ISSUE_TITLES = [
    "Crash when config file is empty",
    "Support XDG config directory",
    "Typo in README install section",
    "Add --verbose flag",
    "Greeting is not localized",
    "Exit code is 0 on failure",
    "Document environment variables",
    "Slow startup on large repos",
    "Unicode names are mangled",
    "Add shell completions",
    "Deprecate --old flag",
    "Memory leak in watcher",
    "Windows paths are not normalized",
    "Improve error for missing token",
    "Add JSON output",
    "Tests fail on Python 3.13",
    "Color output ignores NO_COLOR",
    "Add man page",
    "Retry on 502 from API",
    "Cache responses on disk",
    "Support proxies",
    "Flaky test in test_greet",
    "Log file grows without bound",
    "Add --quiet flag",
    "Broken link in CONTRIBUTING",
    "Hello prints twice",
    "Support custom greetings",
    "Timezone handling is wrong",
    "Add Dockerfile",
    "Panic on SIGPIPE",
]

PULL_TITLES = [
    "Fix crash on empty config",
    "Add XDG support",
    "Fix README typo",
    "Add --verbose",
    "Localize greeting",
    "Return non-zero on failure",
    "Speed up startup",
    "Add completions",
    "Add JSON output",
    "Retry on 5xx",
]

COMMIT_MESSAGES = [
    "Initial commit",
    "Add greeting",
    "Add CLI entry point",
    "Add tests",
    "Add CI workflow",
    "Fix typo",
    "Refactor config loading",
    "Add --name option",
    "Handle empty config",
    "Bump version to 1.0.0",
    "Add XDG support",
    "Update README",
    "Add JSON output",
    "Fix Windows paths",
    "Bump version to 1.1.0",
    "Add retry on 5xx",
    "Add completions",
    "Drop Python 3.8",
    "Speed up startup",
    "Bump version to 2.0.0",
]


def at(step: int) -> str:
    """Seeded timestamps, half a day apart, so ordering is deterministic."""
    return iso(EPOCH + timedelta(hours=12 * step))


def seed(store: Store) -> None:
    """Populate the default repos. PRs are #1, #5, ..., #37; the other 30 numbers up to #40 are issues."""
    store.add_user("octocat", name="The Octocat")
    seed_hello(store)
    seed_secret(store)


def seed_hello(store: Store) -> None:
    repo = "octo/hello"
    store.add_repo(
        repo,
        description="My first repository on GitHub!",
        homepage="https://example.com/hello",
        topics=["hello", "example"],
        collaborators={"octocat"},
        stars=42,
        forks=7,
        readme="# hello\n\nSays hello to the world.\n",
    )
    for name, color, description in LABELS:
        store.ensure_label(repo, name, color, description)
    for i, message in enumerate(COMMIT_MESSAGES):
        store.add_commit(repo, message, author_login="octocat" if i % 3 else "hubot", date=at(i))
    seed_issues(store, repo)
    for i, (tag, pre) in enumerate((("v1.0.0", False), ("v1.1.0", False), ("v2.0.0", False))):
        store.add_release(
            repo,
            tag,
            name=f"hello {tag}",
            body=f"Release notes for {tag}.",
            prerelease=pre,
            created_at=at(10 + 5 * i),
            published_at=at(10 + 5 * i),
        )
    for i in range(15):
        failed = i % 4 == 3
        commit = store.get_repo(repo).commits[i % 20]
        store.add_run(
            repo,
            name=("CI", "Lint", "Release")[i % 3],
            conclusion="failure" if failed else "success",
            head_sha=commit.sha,
            event="push" if i % 2 else "pull_request",
            created_at=at(20 + i),
            display_title=commit.message,
        )


def seed_issues(store: Store, repo: str) -> None:
    issue_titles, pull_titles = iter(ISSUE_TITLES), iter(PULL_TITLES)
    label_names = [name for name, _, _ in LABELS]
    for number in range(1, 41):
        author = ("octocat", "hubot", "monalisa")[number % 3]
        if number % 4 == 1:
            title = next(pull_titles)
            branch = title.lower().replace(" ", "-").replace("--", "")
            store.add_pull(
                repo,
                title,
                head=branch,
                body=f"This PR: {title.lower()}.",
                author=author,
                draft=number == 9,
                created_at=at(number),
                updated_at=at(number + 1),
            )
            if number in (29, 33):
                store.set_issue_state(store.get_issue(repo, number), "merged")
            restamp(store.get_issue(repo, number), at(number + 1))
            continue
        title = next(issue_titles)
        store.add_issue(
            repo,
            title,
            body=f"Steps to reproduce:\n\n1. run hello\n2. {title.lower()}\n",
            author=author,
            labels=[label_names[number % len(label_names)]],
            assignees=["octocat"] if number % 5 == 0 else [],
            state="closed" if number % 6 == 0 else "open",
            created_at=at(number),
            updated_at=at(number + 1),
        )
        if number % 7 == 0:
            store.add_comment(repo, number, "I can reproduce this.", author="hubot")
        restamp(store.get_issue(repo, number), at(number + 1))


def restamp(issue: Issue, stamp: str) -> None:
    """Give seeded state changes and comments seeded (not wall-clock) times."""
    issue.updated_at = stamp
    if issue.closed_at:
        issue.closed_at = stamp
    if issue.pull and issue.pull.merged_at:
        issue.pull.merged_at = stamp
    for comment in issue.comments:
        comment.created_at = comment.updated_at = stamp


def seed_secret(store: Store) -> None:
    repo = "octo/secret"
    store.add_repo(repo, private=True, description="Top secret plans", collaborators={"octocat"})
    store.ensure_label(repo, "bug", "d73a4a", "Something isn't working")
    for i in range(3):
        store.add_commit(repo, f"Secret commit {i + 1}", date=at(i))
    for i in range(3):
        store.add_issue(repo, f"Secret issue {i + 1}", body="Classified.", labels=["bug"], created_at=at(i))
    store.add_release(repo, "v0.1.0", body="First secret release.", created_at=at(5), published_at=at(5))
