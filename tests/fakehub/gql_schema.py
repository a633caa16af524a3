"""Just enough introspection for gh's feature detection on enterprise hosts: it asks `__type(name:)` for the
fields, enum values or input fields of a few types and turns features on when the names it wants exist."""

from __future__ import annotations

from typing import Any

#: Type name -> (kind, member names). Names gh probes for are what matter; the rest is for realism.
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Issue": (
        "OBJECT",
        (
            "id",
            "number",
            "title",
            "body",
            "state",
            "stateReason",
            "closed",
            "closedAt",
            "createdAt",
            "updatedAt",
            "author",
            "labels",
            "assignees",
            "assignedActors",
            "comments",
            "milestone",
            "projectCards",
            "projectItems",
            "reactionGroups",
            "url",
            "suggestedActors",
        ),
    ),
    "PullRequest": (
        "OBJECT",
        (
            "id",
            "number",
            "title",
            "body",
            "state",
            "isDraft",
            "headRefName",
            "baseRefName",
            "reviewDecision",
            "statusCheckRollup",
            "mergeQueueEntry",
            "isInMergeQueue",
            "isMergeQueueEnabled",
            "autoMergeRequest",
            "closingIssuesReferences",
            "assignedActors",
            "suggestedActors",
        ),
    ),
    "Repository": (
        "OBJECT",
        (
            "id",
            "name",
            "nameWithOwner",
            "visibility",
            "issueTemplates",
            "pullRequestTemplates",
            "autoMergeAllowed",
            "viewerDefaultMergeMethod",
            "squashMergeAllowed",
            "mergeCommitAllowed",
            "rebaseMergeAllowed",
            "deleteBranchOnMerge",
            "suggestedActors",
            "projectsV2",
            "projects",
            "hasDiscussionsEnabled",
        ),
    ),
    "Commit": ("OBJECT", ("oid", "message", "statusCheckRollup", "authors")),
    "StatusCheckRollupContextConnection": (
        "OBJECT",
        (
            "nodes",
            "totalCount",
            "checkRunCount",
            "checkRunCountsByState",
            "statusContextCount",
            "statusContextCountsByState",
        ),
    ),
    "Release": (
        "OBJECT",
        (
            "id",
            "name",
            "tagName",
            "description",
            "isDraft",
            "isPrerelease",
            "isLatest",
            "immutable",
            "createdAt",
            "publishedAt",
            "url",
            "author",
            "releaseAssets",
        ),
    ),
    "WorkflowRun": ("OBJECT", ("id", "databaseId", "event", "runNumber", "url", "workflow", "checkSuite")),
    "Ref": ("OBJECT", ("name", "target", "branchProtectionRule")),
    "IssueClosedStateReason": ("ENUM", ("COMPLETED", "NOT_PLANNED", "DUPLICATE")),
    "IssueStateReason": ("ENUM", ("COMPLETED", "NOT_PLANNED", "REOPENED", "DUPLICATE")),
    "CreateIssueInput": (
        "INPUT_OBJECT",
        (
            "repositoryId",
            "title",
            "body",
            "assigneeIds",
            "labelIds",
            "milestoneId",
            "projectIds",
            "issueTemplate",
            "clientMutationId",
            "agentAssignment",
        ),
    ),
    "CreatePullRequestInput": (
        "INPUT_OBJECT",
        (
            "repositoryId",
            "baseRefName",
            "headRefName",
            "headRepositoryId",
            "title",
            "body",
            "draft",
            "maintainerCanModify",
            "clientMutationId",
        ),
    ),
}


def type_info(name: str) -> dict[str, Any] | None:
    """A `__Type` for the known names; unknown types do not exist (null), like on a real server."""
    if name not in TYPES:
        return None
    kind, members = TYPES[name]
    named: list[dict[str, Any]] = [
        {
            "__typename": "__Field",
            "name": m,
            "isDeprecated": False,
            "deprecationReason": None,
            "args": [],
            "description": None,
        }
        for m in members
    ]
    return {
        "__typename": "__Type",
        "name": name,
        "kind": kind,
        "description": None,
        "fields": named if kind == "OBJECT" else None,
        "enumValues": named if kind == "ENUM" else None,
        "inputFields": named if kind == "INPUT_OBJECT" else None,
        "interfaces": [],
        "possibleTypes": None,
    }
