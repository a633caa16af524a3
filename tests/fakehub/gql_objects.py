"""GraphQL views of the stored records, named and shaped like GitHub's schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .calls import Call
from .gql_exec import Connection, GqlError, Obj
from .models import Comment, Commit, Issue, Job, Label, Release, Repo, User, WorkflowRun

ORDER_KEYS: dict[str, Callable[[Any], Any]] = {
    "CREATED_AT": lambda r: r.created_at,
    "UPDATED_AT": lambda r: r.updated_at,
    "COMMENTS": lambda r: len(r.comments),
    "NAME": lambda r: r.name.lower(),
}


def ordered(items: list[Any], order: dict[str, Any] | None, default: str = "CREATED_AT") -> list[Any]:
    """Apply an `orderBy: {field, direction}` argument (GitHub's default is ascending)."""
    order = order or {}
    key = ORDER_KEYS.get(order.get("field") or default, ORDER_KEYS[default])
    return sorted(items, key=lambda r: (key(r), getattr(r, "id", 0)), reverse=order.get("direction") == "DESC")


def enum_states(item: Issue) -> str:
    if item.pull and item.pull.merged_at:
        return "MERGED"
    return item.state.upper()


class Actor(Obj):
    def __init__(self, call: Call, user: User) -> None:
        super().__init__(
            login=user.login,
            name=user.name or None,
            id=user.node_id,
            databaseId=user.id,
            url=f"{call.web_base}/{user.login}",
            avatarUrl=f"{call.web_base}/avatars/{user.login}",
            isViewer=user.login == call.viewer,
            email="",
            company=None,
            bio=None,
            location=None,
            isSiteAdmin=False,
        )
        self.typename = user.type if user.type in ("User", "Bot", "Organization") else "User"
        self.call, self.user = call, user

    def f_repositories(self, **args: Any) -> Connection:
        owner = self.user.login.lower()
        repos = [r for r in self.call.store.visible_repos(self.call.viewer) if r.owner.lower() == owner]
        return Connection([RepoObj(self.call, r) for r in repos], args, "RepositoryConnection")

    def f_organizations(self, **args: Any) -> Connection:
        return Connection([], args, "OrganizationConnection")


def actor(call: Call, login: str | None) -> Actor | None:
    return Actor(call, call.store.user(login)) if login else None


class LabelObj(Obj):
    typename = "Label"

    def __init__(self, call: Call, repo: Repo, label: Label) -> None:
        super().__init__(
            id=label.node_id,
            name=label.name,
            color=label.color,
            description=label.description,
            createdAt=label.created_at,
            updatedAt=label.created_at,
            isDefault=False,
            url=f"{call.web_base}/{repo.full_name}/labels/{label.name}",
        )


class CommentObj(Obj):
    typename = "IssueComment"

    def __init__(self, call: Call, repo: Repo, comment: Comment) -> None:
        super().__init__(
            id=comment.node_id,
            databaseId=comment.id,
            body=comment.body,
            bodyText=comment.body,
            author=actor(call, comment.author),
            authorAssociation="OWNER" if comment.author == repo.owner else "NONE",
            createdAt=comment.created_at,
            updatedAt=comment.updated_at,
            lastEditedAt=None,
            includesCreatedEdit=False,
            isMinimized=False,
            minimizedReason=None,
            reactionGroups=[],
            viewerDidAuthor=comment.author == call.viewer,
            viewerCanUpdate=True,
            viewerCanDelete=True,
            url=f"{call.web_base}/{repo.full_name}/issues/{comment.issue_number}#issuecomment-{comment.id}",
        )


class IssueObj(Obj):
    """An issue or a pull request (the typename follows the record)."""

    def __init__(self, call: Call, repo: Repo, issue: Issue) -> None:
        kind = "pull" if issue.pull else "issues"
        super().__init__(
            id=issue.node_id,
            databaseId=issue.id,
            number=issue.number,
            title=issue.title,
            body=issue.body,
            bodyText=issue.body,
            bodyHTML=issue.body,
            state=enum_states(issue),
            closed=issue.state == "closed",
            stateReason=issue.state_reason.upper() if issue.state_reason and not issue.pull else None,
            closedAt=issue.closed_at,
            createdAt=issue.created_at,
            updatedAt=issue.updated_at,
            url=f"{call.web_base}/{repo.full_name}/{kind}/{issue.number}",
            locked=issue.locked,
            activeLockReason=None,
            isPinned=False,
            milestone=None,
            reactionGroups=[],
            viewerCanUpdate=True,
            viewerDidAuthor=issue.author == call.viewer,
            authorAssociation="OWNER",
            author=actor(call, issue.author),
            trackedIssues=None,
            parent=None,
            issueType=None,
            subIssuesSummary={"__typename": "SubIssuesSummary", "total": 0, "completed": 0, "percentCompleted": 0},
        )
        self.typename = "PullRequest" if issue.pull else "Issue"
        self.call, self.repo, self.issue = call, repo, issue
        if issue.pull:
            self.values.update(pull_values(call, repo, issue))

    def f_repository(self) -> RepoObj:
        return RepoObj(self.call, self.repo)

    def f_labels(self, **args: Any) -> Connection:
        labels = [LabelObj(self.call, self.repo, self.repo.labels[n.lower()]) for n in self.issue.labels]
        return Connection(labels, args, "LabelConnection")

    def f_assignees(self, **args: Any) -> Connection:
        return Connection([actor(self.call, login) for login in self.issue.assignees], args, "UserConnection")

    def f_comments(self, **args: Any) -> Connection:
        items = [CommentObj(self.call, self.repo, c) for c in self.issue.comments]
        return Connection(items, args, "IssueCommentConnection")

    def f_assignedActors(self, **args: Any) -> Connection:
        return Connection([actor(self.call, login) for login in self.issue.assignees], args, "AssigneeConnection")

    def f_participants(self, **args: Any) -> Connection:
        logins = dict.fromkeys([self.issue.author, *(c.author for c in self.issue.comments)])
        return Connection([actor(self.call, login) for login in logins], args, "UserConnection")

    def f_projectCards(self, **args: Any) -> Connection:
        return Connection([], args, "ProjectCardConnection")

    def f_projectItems(self, **args: Any) -> Connection:
        return Connection([], args, "ProjectV2ItemConnection")

    def f_timelineItems(self, **args: Any) -> Connection:
        return Connection([], args, "TimelineItemsConnection")

    def f_subIssues(self, **args: Any) -> Connection:
        return Connection([], args, "IssueConnection")

    def f_blockedBy(self, **args: Any) -> Connection:
        return Connection([], args, "IssueConnection")

    def f_blocking(self, **args: Any) -> Connection:
        return Connection([], args, "IssueConnection")

    def f_closedByPullRequestsReferences(self, **args: Any) -> Connection:
        return Connection([], args, "PullRequestConnection")

    def f_reviewRequests(self, **args: Any) -> Connection:
        return Connection([], args, "ReviewRequestConnection")

    def f_reviews(self, **args: Any) -> Connection:
        return Connection([], args, "PullRequestReviewConnection")

    def f_latestReviews(self, **args: Any) -> Connection:
        return Connection([], args, "PullRequestReviewConnection")

    def f_files(self, **args: Any) -> Connection:
        return Connection([], args, "PullRequestChangedFileConnection")

    def f_commits(self, **args: Any) -> Connection:
        head = {"__typename": "PullRequestCommit", "commit": CommitObj(self.call, self.repo, self.head_commit())}
        return Connection([head], args, "PullRequestCommitConnection")

    def f_closingIssuesReferences(self, **args: Any) -> Connection:
        return Connection([], args, "IssueConnection")

    def head_commit(self) -> Commit:
        info = self.issue.pull
        assert info is not None
        return Commit(
            sha=info.head_sha,
            message=self.issue.title,
            author_name=self.issue.author,
            author_email=f"{self.issue.author}@users.noreply.github.com",
            author_login=self.issue.author,
            date=self.issue.updated_at,
        )


def pull_values(call: Call, repo: Repo, issue: Issue) -> dict[str, Any]:
    info = issue.pull
    assert info is not None
    owner = actor(call, repo.owner)
    head_repo = {
        "__typename": "Repository",
        "id": repo.node_id,
        "name": repo.name,
        "nameWithOwner": repo.full_name,
        "owner": owner,
        "url": f"{call.web_base}/{repo.full_name}",
    }
    return {
        "headRefName": info.head_ref,
        "baseRefName": info.base_ref,
        "headRefOid": info.head_sha,
        "baseRefOid": info.base_sha,
        "isDraft": info.draft,
        "merged": info.merged_at is not None,
        "mergedAt": info.merged_at,
        "mergedBy": owner if info.merged_at else None,
        "mergeable": "MERGEABLE",
        "mergeStateStatus": "CLEAN",
        "additions": info.additions,
        "deletions": info.deletions,
        "changedFiles": info.changed_files,
        "headRepository": head_repo,
        "headRepositoryOwner": owner,
        "isCrossRepository": False,
        "maintainerCanModify": True,
        "reviewDecision": None,
        "autoMergeRequest": None,
        "mergeCommit": None,
        "potentialMergeCommit": None,
        "permalink": f"{call.web_base}/{repo.full_name}/pull/{issue.number}",
        "baseRef": {"__typename": "Ref", "name": info.base_ref, "branchProtectionRule": None},
        "headRef": {"__typename": "Ref", "name": info.head_ref},
        "statusCheckRollup": rollup(call, repo, info.head_sha),
    }


class ReleaseObj(Obj):
    typename = "Release"

    def __init__(self, call: Call, repo: Repo, release: Release, latest: bool) -> None:
        super().__init__(
            id=release.node_id,
            databaseId=release.id,
            name=release.name,
            tagName=release.tag_name,
            description=release.body,
            isDraft=release.draft,
            isPrerelease=release.prerelease,
            isLatest=latest,
            immutable=False,
            createdAt=release.created_at,
            publishedAt=release.published_at,
            author=actor(call, release.author),
            url=f"{call.web_base}/{repo.full_name}/releases/tag/{release.tag_name}",
            tag={"__typename": "Ref", "name": release.tag_name},
            tagCommit=CommitObj(call, repo, repo.commits[0]) if repo.commits else None,
        )

    def f_releaseAssets(self, **args: Any) -> Connection:
        return Connection([], args, "ReleaseAssetConnection")


class CheckRunObj(Obj):
    """One job of a workflow run, as the check run GitHub Actions reports on the run's head commit."""

    typename = "CheckRun"

    def __init__(self, call: Call, repo: Repo, run: WorkflowRun, job: Job) -> None:
        super().__init__(
            id=f"CR_{job.id}",
            databaseId=job.id,
            name=job.name,
            status=job.status.upper(),
            conclusion=job.conclusion.upper() if job.conclusion else None,
            startedAt=job.started_at,
            completedAt=job.completed_at,
            detailsUrl=f"{call.web_base}/{repo.full_name}/actions/runs/{run.id}/job/{job.id}",
            url=f"{call.web_base}/{repo.full_name}/runs/{job.id}",
            title=None,
            summary=None,
            text=None,
            checkSuite={
                "__typename": "CheckSuite",
                "workflowRun": {
                    "__typename": "WorkflowRun",
                    "databaseId": run.id,
                    "event": run.event,
                    "runNumber": run.run_number,
                    "url": f"{call.web_base}/{repo.full_name}/actions/runs/{run.id}",
                    "workflow": {"__typename": "Workflow", "name": run.name},
                },
            },
        )

    def f_isRequired(self, **_: Any) -> bool:
        return False


class RollupObj(Obj):
    """A commit's statusCheckRollup: the check runs of the workflow runs on it (no commit statuses)."""

    typename = "StatusCheckRollup"

    def __init__(self, checks: list[CheckRunObj]) -> None:
        conclusions = [c.values["conclusion"] for c in checks]
        state = (
            "PENDING"
            if None in conclusions
            else "FAILURE"
            if any(c in ("FAILURE", "TIMED_OUT", "CANCELLED", "STARTUP_FAILURE") for c in conclusions)
            else "SUCCESS"
        )
        super().__init__(state=state)
        self.checks = checks

    def f_contexts(self, **args: Any) -> Connection:
        counts: dict[str, int] = {}
        for check in self.checks:
            key = check.values["conclusion"] or check.values["status"]
            counts[key] = counts.get(key, 0) + 1
        by_state = [{"__typename": "CheckRunStateCount", "state": k, "count": v} for k, v in sorted(counts.items())]
        return Connection(
            list(self.checks),
            args,
            "StatusCheckRollupContextConnection",
            checkRunCount=len(self.checks),
            checkRunCountsByState=by_state,
            statusContextCount=0,
            statusContextCountsByState=[],
        )


def rollup(call: Call, repo: Repo, sha: str) -> RollupObj | None:
    """None when no workflow ran on the commit (GitHub's answer for a commit without checks)."""
    checks = [CheckRunObj(call, repo, run, job) for run in repo.runs if run.head_sha == sha for job in run.jobs]
    return RollupObj(checks) if checks else None


class CommitObj(Obj):
    typename = "Commit"

    def __init__(self, call: Call, repo: Repo, commit: Commit) -> None:
        person = {
            "__typename": "GitActor",
            "name": commit.author_name,
            "email": commit.author_email,
            "date": commit.date,
            "user": actor(call, commit.author_login),
        }
        super().__init__(
            id=commit.node_id,
            oid=commit.sha,
            abbreviatedOid=commit.sha[:7],
            message=commit.message,
            messageHeadline=commit.message.splitlines()[0] if commit.message else "",
            messageBody="",
            committedDate=commit.date,
            authoredDate=commit.date,
            author=person,
            committer=person,
            url=f"{call.web_base}/{repo.full_name}/commit/{commit.sha}",
            statusCheckRollup=rollup(call, repo, commit.sha),
        )

    def f_authors(self, **args: Any) -> Connection:
        return Connection([self.values["author"]], args, "GitActorConnection")


class RepoObj(Obj):
    typename = "Repository"

    def __init__(self, call: Call, repo: Repo) -> None:
        url = f"{call.web_base}/{repo.full_name}"
        super().__init__(
            id=repo.node_id,
            databaseId=repo.id,
            name=repo.name,
            nameWithOwner=repo.full_name,
            owner=actor(call, repo.owner),
            description=repo.description,
            url=url,
            homepageUrl=repo.homepage,
            sshUrl=f"git@localhost:{repo.full_name}.git",
            isPrivate=repo.private,
            visibility="PRIVATE" if repo.private else "PUBLIC",
            isArchived=False,
            isFork=False,
            isTemplate=False,
            isMirror=False,
            isEmpty=not repo.commits,
            isInOrganization=False,
            isLocked=False,
            isDisabled=False,
            isSecurityPolicyEnabled=False,
            hasIssuesEnabled=True,
            hasWikiEnabled=True,
            hasProjectsEnabled=True,
            hasDiscussionsEnabled=False,
            viewerPermission="ADMIN",
            viewerCanAdminister=True,
            viewerHasStarred=False,
            viewerSubscription="SUBSCRIBED",
            viewerDefaultMergeMethod="MERGE",
            viewerPossibleCommitEmails=[],
            viewerDefaultCommitEmail=None,
            stargazerCount=repo.stars,
            forkCount=repo.forks,
            watchers={"__typename": "UserConnection", "totalCount": repo.stars},
            stargazers={"__typename": "StargazerConnection", "totalCount": repo.stars},
            createdAt=repo.created_at,
            updatedAt=repo.updated_at,
            pushedAt=repo.commits[0].date if repo.commits else repo.created_at,
            primaryLanguage=None,
            licenseInfo=None,
            parent=None,
            templateRepository=None,
            codeOfConduct=None,
            fundingLinks=[],
            mergeCommitAllowed=True,
            rebaseMergeAllowed=True,
            squashMergeAllowed=True,
            deleteBranchOnMerge=False,
            securityPolicyUrl=None,
            contactLinks=[],
            issueTemplates=[],
            pullRequestTemplates=[],
            diskUsage=100,
            openGraphImageUrl=f"{url}/og.png",
            usesCustomOpenGraphImage=False,
            isUserConfigurationRepository=False,
            autoMergeAllowed=False,
        )
        self.call, self.repo = call, repo

    def issue_objs(self, pulls: bool) -> list[IssueObj]:
        return [IssueObj(self.call, self.repo, i) for i in self.repo.issues.values() if bool(i.pull) == pulls]

    def f_defaultBranchRef(self) -> dict[str, Any]:
        target = CommitObj(self.call, self.repo, self.repo.commits[0]) if self.repo.commits else None
        return {"__typename": "Ref", "name": self.repo.default_branch, "target": target}

    def f_issues(self, **args: Any) -> Connection:
        filters = args.get("filterBy") or {}
        items = [i for i in self.repo.issues.values() if not i.pull]
        states = args.get("states") or filters.get("states")
        items = [i for i in items if not states or i.state.upper() in states]
        items = [i for i in items if issue_filter_ok(i, args.get("labels") or filters.get("labels"), filters)]
        objs = [IssueObj(self.call, self.repo, i) for i in ordered(items, args.get("orderBy"))]
        return Connection(objs, args, "IssueConnection")

    def f_pullRequests(self, **args: Any) -> Connection:
        items = [i for i in self.repo.issues.values() if i.pull]
        states = args.get("states")
        items = [i for i in items if not states or enum_states(i) in states]
        for key, attr in (("headRefName", "head_ref"), ("baseRefName", "base_ref")):
            if args.get(key):
                items = [i for i in items if getattr(i.pull, attr) == args[key]]
        items = [i for i in items if issue_filter_ok(i, args.get("labels"), {})]
        objs = [IssueObj(self.call, self.repo, i) for i in ordered(items, args.get("orderBy"))]
        return Connection(objs, args, "PullRequestConnection")

    def f_issue(self, number: int) -> IssueObj:
        return self.numbered(number, "Issue", lambda i: not i.pull)

    def f_pullRequest(self, number: int) -> IssueObj:
        return self.numbered(number, "PullRequest", lambda i: bool(i.pull))

    def f_issueOrPullRequest(self, number: int) -> IssueObj:
        return self.numbered(number, "issue or pull request", lambda i: True)

    def numbered(self, number: int, what: str, wanted: Callable[[Issue], bool]) -> IssueObj:
        issue = self.repo.issues.get(int(number))
        if issue is None or not wanted(issue):
            raise GqlError(f"Could not resolve to an {what} with the number of {number}.", "NOT_FOUND")
        return IssueObj(self.call, self.repo, issue)

    def f_labels(self, **args: Any) -> Connection:
        labels = list(self.repo.labels.values())
        if args.get("query"):
            labels = [lb for lb in labels if args["query"].lower() in lb.name.lower()]
        objs = [LabelObj(self.call, self.repo, lb) for lb in ordered(labels, args.get("orderBy"), "CREATED_AT")]
        return Connection(objs, args, "LabelConnection")

    def f_label(self, name: str) -> LabelObj | None:
        label = self.repo.labels.get(name.lower())
        return LabelObj(self.call, self.repo, label) if label else None

    def latest(self) -> Release | None:
        return next((r for r in self.repo.releases if not r.draft and not r.prerelease), None)

    def f_releases(self, **args: Any) -> Connection:
        latest = self.latest()
        order = args.get("orderBy") or {"field": "CREATED_AT", "direction": "DESC"}
        objs = [ReleaseObj(self.call, self.repo, r, r is latest) for r in ordered(self.repo.releases, order)]
        return Connection(objs, args, "ReleaseConnection")

    def f_release(self, tagName: str) -> ReleaseObj | None:
        found = next((r for r in self.repo.releases if r.tag_name == tagName), None)
        return ReleaseObj(self.call, self.repo, found, found is self.latest()) if found else None

    def f_latestRelease(self) -> ReleaseObj | None:
        latest = self.latest()
        return ReleaseObj(self.call, self.repo, latest, True) if latest else None

    def users(self, args: dict[str, Any], typename: str) -> Connection:
        logins = dict.fromkeys(
            [
                self.repo.owner,
                *sorted(self.repo.collaborators),
                *(login for i in self.repo.issues.values() for login in i.assignees),
            ]
        )
        query = (args.get("query") or "").lower()
        return Connection([actor(self.call, lg) for lg in logins if query in lg.lower()], args, typename)

    def f_assignableUsers(self, **args: Any) -> Connection:
        return self.users(args, "UserConnection")

    def f_mentionableUsers(self, **args: Any) -> Connection:
        return self.users(args, "UserConnection")

    def f_collaborators(self, **args: Any) -> Connection:
        return self.users(args, "RepositoryCollaboratorConnection")

    def f_suggestedActors(self, **args: Any) -> Connection:
        return self.users(args, "SuggestedActorConnection")

    def f_repositoryTopics(self, **args: Any) -> Connection:
        topics = [
            {"__typename": "RepositoryTopic", "topic": {"__typename": "Topic", "name": t}} for t in self.repo.topics
        ]
        return Connection(topics, args, "RepositoryTopicConnection")

    def f_languages(self, **args: Any) -> Connection:
        return Connection([], args, "LanguageConnection")

    def f_milestones(self, **args: Any) -> Connection:
        return Connection([], args, "MilestoneConnection")

    def f_projects(self, **args: Any) -> Connection:
        return Connection([], args, "ProjectConnection")

    def f_projectsV2(self, **args: Any) -> Connection:
        return Connection([], args, "ProjectV2Connection")

    def f_refs(self, **args: Any) -> Connection:
        return Connection([{"__typename": "Ref", "name": self.repo.default_branch}], args, "RefConnection")

    def f_ref(self, qualifiedName: str) -> dict[str, Any] | None:
        name = qualifiedName.removeprefix("refs/heads/")
        return self.f_defaultBranchRef() if name == self.repo.default_branch else None

    def f_object(self, expression: str = "", oid: str = "") -> CommitObj | None:
        wanted = (oid or expression).lower()
        if wanted in ("head", self.repo.default_branch) and self.repo.commits:
            return CommitObj(self.call, self.repo, self.repo.commits[0])
        found = next((c for c in self.repo.commits if wanted and c.sha.startswith(wanted)), None)
        return CommitObj(self.call, self.repo, found) if found else None


def issue_filter_ok(issue: Issue, labels: list[str] | None, filters: dict[str, Any]) -> bool:
    """The `labels` / `filterBy` arguments of issue and pull-request connections."""
    have = {n.lower() for n in issue.labels}
    if labels and not all(n.lower() in have for n in labels):
        return False
    if filters.get("createdBy") and filters["createdBy"].lower() != issue.author.lower():
        return False
    assignee = filters.get("assignee")
    if assignee and assignee.lower() not in (a.lower() for a in issue.assignees):
        return False
    if filters.get("mentioned") and f"@{filters['mentioned']}".lower() not in issue.body.lower():
        return False
    return not filters.get("milestone")
