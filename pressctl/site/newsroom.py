"""``pressctl publish`` and ``unpublish`` as one call each: load, check the embargo, write the site, deploy.

The public page of a release under embargo is refused (its unlisted preview is not): the rule is
``pressctl.embargo.check_publish_now``. "Published" means written to the site folder and, when ``[site] deploy`` is set, deployed; a
failed deploy is a ``DeployError`` (exit 1) after the folder is written, so running the command again
deploys it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pressctl.approvals.check import require_approval
from pressctl.clock import Clock
from pressctl.config import Workspace
from pressctl.embargo import check_publish_now
from pressctl.release.load import Release, load_release_set
from pressctl.site.deploy import deploy
from pressctl.site.publish import PublishResult, SiteConfig, publish, publish_preview, site_config, unpublish
from pressctl.times import format_local
from pressctl.versions.gate import check_versions

__all__ = ["Published", "publish_release", "unpublish_release"]


@dataclass(frozen=True)
class Published:
    result: PublishResult
    config: SiteConfig
    deployed: bool  # a deploy command ran and succeeded
    warnings: tuple[str, ...] = field(default=())  # about the release (control characters cleaned, dates)

    @property
    def urls(self) -> tuple[str, ...]:
        return self.result.urls(self.config)


def _deploy(config: SiteConfig) -> bool:
    if not config.deploy:
        return False
    deploy(
        config.deploy, config.dir, timeout=config.deploy_timeout, withhold=config.withhold, pass_env=config.pass_env
    )
    return True


def publish_release(
    path: Path,
    workspace: Workspace,
    *,
    clock: Clock,
    preview: bool = False,
    releases: list[Release] | None = None,
    source: Path | None = None,
) -> Published:
    """Publish the release at ``path`` (its public page, or with ``preview`` its unlisted preview), then deploy.

    ``releases`` already loaded (a scheduled job's snapshot) and ``source``, the file the user knows, may be
    given; the embargo is checked against ``clock()`` either way.
    """
    from pressctl.render.files import release_warnings

    releases = releases if releases is not None else load_release_set(path, workspace)
    check_versions(releases, preview=False, allow_differences=True)  # a draft version is never published
    main = releases[0]
    require_approval(releases, workspace, ledger_path=workspace.ledger_path, command="publish")
    config = site_config(workspace)
    if preview:
        result = publish_preview(releases, workspace, config, clock=clock, source=source)
    else:
        check_publish_now(
            main.embargo, now=clock(), where=str(source or path), show=lambda when: format_local(when, main.zone)
        )
        result = publish(releases, workspace, config, clock=clock, allow_public=True, source=source)
    warnings = tuple(release_warnings(releases, clock()))
    return Published(result=result, config=config, deployed=_deploy(config), warnings=warnings)


def unpublish_release(path: Path, workspace: Workspace, *, clock: Clock) -> Published:
    """Take the release at ``path`` off the site (pages, index, feeds, previews), then deploy."""
    main = load_release_set(path, workspace)[0]
    config = site_config(workspace)
    result = unpublish(main.slug, workspace, config, clock=clock)
    return Published(result=result, config=config, deployed=_deploy(config))
