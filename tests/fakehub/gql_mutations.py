"""GraphQL mutations gh uses, each changing the store and returning GitHub's payload shape."""

from __future__ import annotations

import sys
from typing import Any

from .calls import Call
from .gql_exec import GqlError, Obj
from .gql_objects import CommentObj, IssueObj, LabelObj, RepoObj
from .models import Comment, Issue, Label, Repo, User, now
from .store import NotFound


class MutationRoot(Obj):
    typename = "Mutation"

    def __init__(self, call: Call) -> None:
        super().__init__()
        self.call = call
        self.store = call.store
        self.viewer = call.viewer or "ghost"  # mutations are refused earlier without a viewer

    def resolve(self, name: str, args: dict[str, Any]) -> Any:
        """Unlike queries, a mutation nobody emulates must fail: a silent null would fake success."""
        if getattr(self, f"f_{name}", None) is None:
            print(f"fakehub: graphql mutation {name} not emulated", file=sys.stderr)
            raise GqlError(f"fakehub does not emulate the mutation '{name}'", "NOT_IMPLEMENTED")
        return super().resolve(name, args)

    # -- lookups ---------------------------------------------------------------
    def record(self, ident: str, kind: type) -> tuple[Repo | None, Any]:
        """Resolve a global id the viewer can see, of the expected record type."""
        try:
            repo, found = self.store.by_node_id(ident)
        except NotFound:
            found, repo = None, None
        if not isinstance(found, kind) or (repo is not None and not self.store.can_see(repo, self.call.viewer)):
            raise GqlError(f"Could not resolve to a node with the global id of '{ident}'", "NOT_FOUND")
        return repo, found

    def in_repo(self, ident: str, kind: type) -> tuple[Repo, Any]:
        """Like record(), for records that live in a repository."""
        repo, found = self.record(ident, kind)
        assert repo is not None
        return repo, found

    def issue(self, ident: str) -> tuple[Repo, Issue]:
        return self.in_repo(ident, Issue)

    def labels(self, ids: list[str] | None) -> list[str]:
        return [self.record(i, Label)[1].name for i in ids or ()]

    def logins(self, ids: list[str] | None) -> list[str]:
        return [self.record(i, User)[1].login for i in ids or ()]

    def payload(self, repo: Repo, issue: Issue, key: str, input: dict[str, Any]) -> dict[str, Any]:
        view = IssueObj(self.call, repo, issue)
        return {
            "__typename": "Payload",
            key: view,
            "issue": view,
            "pullRequest": view,
            "clientMutationId": input.get("clientMutationId"),
        }

    # -- issues ------------------------------------------------------------------
    def f_createIssue(self, input: dict[str, Any]) -> dict[str, Any]:
        repo = self.record(input["repositoryId"], Repo)[1]
        issue = self.store.add_issue(
            repo.full_name,
            input["title"],
            input.get("body") or "",
            author=self.viewer,
            labels=self.labels(input.get("labelIds")),
            assignees=self.logins(input.get("assigneeIds")),
        )
        return self.payload(repo, issue, "issue", input)

    def f_updateIssue(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["id"])
        self.edit(issue, input)
        return self.payload(repo, issue, "issue", input)

    def f_updatePullRequest(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["pullRequestId"])
        self.edit(issue, input)
        return self.payload(repo, issue, "pullRequest", input)

    def edit(self, issue: Issue, input: dict[str, Any]) -> None:
        for key in ("title", "body"):
            if input.get(key) is not None:
                setattr(issue, key, input[key])
        if input.get("labelIds") is not None:
            issue.labels = self.labels(input["labelIds"])
        if input.get("assigneeIds") is not None:
            issue.assignees = self.logins(input["assigneeIds"])
        if input.get("state"):
            self.store.set_issue_state(issue, input["state"].lower())
        issue.updated_at = now()

    def f_closeIssue(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["issueId"])
        self.store.set_issue_state(issue, "closed", (input.get("stateReason") or "COMPLETED").lower())
        return self.payload(repo, issue, "issue", input)

    def f_reopenIssue(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["issueId"])
        self.store.set_issue_state(issue, "open")
        return self.payload(repo, issue, "issue", input)

    def f_deleteIssue(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["issueId"])
        del repo.issues[issue.number]
        return {"__typename": "DeleteIssuePayload", "repository": RepoObj(self.call, repo)}

    def f_addComment(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["subjectId"])
        comment = self.store.add_comment(repo.full_name, issue.number, input["body"], author=self.viewer)
        view = CommentObj(self.call, repo, comment)
        edge = {"__typename": "IssueCommentEdge", "node": view, "cursor": comment.node_id}
        return {
            "__typename": "AddCommentPayload",
            "commentEdge": edge,
            "subject": IssueObj(self.call, repo, issue),
            "timelineEdge": edge,
            "clientMutationId": input.get("clientMutationId"),
        }

    def f_updateIssueComment(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, comment = self.in_repo(input["id"], Comment)
        comment.body, comment.updated_at = input["body"], now()
        return {"__typename": "UpdateIssueCommentPayload", "issueComment": CommentObj(self.call, repo, comment)}

    def f_addLabelsToLabelable(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["labelableId"])
        issue.labels += [n for n in self.labels(input.get("labelIds")) if n not in issue.labels]
        return {"__typename": "AddLabelsToLabelablePayload", "labelable": IssueObj(self.call, repo, issue)}

    def f_removeLabelsFromLabelable(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["labelableId"])
        gone = set(self.labels(input.get("labelIds")))
        issue.labels = [n for n in issue.labels if n not in gone]
        return {"__typename": "RemoveLabelsFromLabelablePayload", "labelable": IssueObj(self.call, repo, issue)}

    def f_addAssigneesToAssignable(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["assignableId"])
        self.store.assign(repo.full_name, issue.number, self.logins(input.get("assigneeIds")))
        return {"__typename": "AddAssigneesToAssignablePayload", "assignable": IssueObj(self.call, repo, issue)}

    def f_replaceActorsForAssignable(self, input: dict[str, Any]) -> dict[str, Any]:
        """gh's assignee path when the server supports actors (github.com-style hosts)."""
        repo, issue = self.issue(input["assignableId"])
        issue.assignees = []
        logins = [*(input.get("actorLogins") or ()), *self.logins(input.get("actorIds"))]
        self.store.assign(repo.full_name, issue.number, logins)
        return {"__typename": "ReplaceActorsForAssignablePayload", "assignable": IssueObj(self.call, repo, issue)}

    def f_createLabel(self, input: dict[str, Any]) -> dict[str, Any]:
        repo = self.record(input["repositoryId"], Repo)[1]
        try:
            label = self.store.add_label(
                repo.full_name, input["name"], input.get("color") or "ededed", input.get("description") or ""
            )
        except ValueError as exc:
            raise GqlError(str(exc)) from exc
        return {"__typename": "CreateLabelPayload", "label": LabelObj(self.call, repo, label)}

    # -- pull requests -------------------------------------------------------------
    def f_createPullRequest(self, input: dict[str, Any]) -> dict[str, Any]:
        repo = self.record(input["repositoryId"], Repo)[1]
        head = input["headRefName"].split(":")[-1]
        if any(i.pull and i.state == "open" and i.pull.head_ref == head for i in repo.issues.values()):
            raise GqlError(f"A pull request already exists for {repo.owner}:{head}.")
        issue = self.store.add_pull(
            repo.full_name,
            input["title"],
            head=head,
            base=input.get("baseRefName"),
            body=input.get("body") or "",
            draft=bool(input.get("draft")),
            author=self.viewer,
        )
        return self.payload(repo, issue, "pullRequest", input)

    def f_closePullRequest(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["pullRequestId"])
        self.store.set_issue_state(issue, "closed")
        return self.payload(repo, issue, "pullRequest", input)

    def f_reopenPullRequest(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["pullRequestId"])
        self.store.set_issue_state(issue, "open")
        return self.payload(repo, issue, "pullRequest", input)

    def f_markPullRequestReadyForReview(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["pullRequestId"])
        assert issue.pull is not None
        issue.pull.draft = False
        return self.payload(repo, issue, "pullRequest", input)

    def f_requestReviews(self, input: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self.issue(input["pullRequestId"])
        return self.payload(repo, issue, "pullRequest", input)
