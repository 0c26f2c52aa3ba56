"""The lifecycle: the transition table row by row, review, approval rules, voiding, publishing the exact
approved bytes, stop / back to draft / archive / delete / duplicate, notifications."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.profiles import ProductProfile
from audit.models import DomainEvent
from campaigns.lifecycle import machine, services
from campaigns.lifecycle.versions import canonical_text, content_hash, current_hash
from campaigns.models import (
    Campaign,
    CampaignStatus,
    CampaignVersion,
    Launch,
    RunKind,
    RunStatus,
    VersionState,
)
from campaigns.services import campaign_delete
from campaigns.services.graph import campaign_graph_replace, graph_document
from campaigns.tests.lifecycle_helpers import (
    GOLD,
    SILVER,
    approved,
    clean_test_run,
    execute_queued,
    gold_campaign,
    in_review,
    live_run_of,
    manager_and_approver,
)

pytestmark = pytest.mark.django_db
S = CampaignStatus
# Who does each row in the tests (written from the README's table, not computed from the code).
ROW_ACTOR = {
    "request_approval": ProductProfile.MANAGER,
    "approve": ProductProfile.APPROVER,
    "request_changes": ProductProfile.APPROVER,
    "publish": ProductProfile.APPROVER,
    "pause": ProductProfile.APPROVER,
    "resume": ProductProfile.APPROVER,
    "close": ProductProfile.APPROVER,
    "stop": ProductProfile.APPROVER,
    "back_to_draft": ProductProfile.APPROVER,
    "archive": ProductProfile.MANAGER,
    "delete": ProductProfile.MANAGER,
}


# --- the table, row by row -------------------------------------------------------------------------
@pytest.mark.parametrize("row", machine.TABLE, ids=lambda r: r.action)
def test_each_row_of_the_table_moves_only_its_sources_and_only_for_its_profile(row, make_user):
    # given: a campaign owned by a Manager (so OBJECT-scoped rows apply to the owner)
    from campaigns.services import campaign_create

    owner = make_user(ProductProfile.MANAGER)
    campaign = campaign_create(actor=owner, name=f"row {row.action}")
    actor = (
        owner if ROW_ACTOR.get(row.action) == ProductProfile.MANAGER else make_user(ROW_ACTOR.get(row.action))
    )
    actor = None if row.who == machine.SYSTEM else actor
    viewer = make_user(ProductProfile.VIEWER)
    for status in S.values:
        Campaign.objects.filter(pk=campaign.pk).update(status=status)
        campaign.refresh_from_db()
        if status in row.sources:
            # when / then: allowed from a source status, to each of the row's targets
            machine.check(actor=actor, campaign=campaign, action=row.action)
            if row.who != machine.SYSTEM:
                with pytest.raises(PermissionDenied):
                    machine.check(actor=viewer, campaign=campaign, action=row.action)
            for target in row.targets:
                Campaign.objects.filter(pk=campaign.pk).update(status=status)
                campaign.refresh_from_db()
                machine.transition(actor=actor, campaign=campaign, action=row.action, target=target)
                assert Campaign.objects.get(pk=campaign.pk).status == target
        else:
            # then: refused from any other status
            with pytest.raises(ValidationError):
                machine.check(actor=actor, campaign=campaign, action=row.action)


def test_the_readme_prints_the_same_table():
    # given
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Lifecycle", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`[a-z_]+`", cells[0]):
            rows[cells[0].strip("`")] = cells
    # then: every row, with the same sources, targets and who
    assert set(rows) == set(machine.ROWS)
    for action, cells in rows.items():
        row = machine.ROWS[action]
        assert set(re.findall(r"[a-z_]+", cells[1])) == set(row.sources), action
        assert set(re.findall(r"[a-z_]+", cells[2])) == (set(row.targets) or {"deleted"}), action
        assert cells[3].strip("`") == row.who, action


# --- request approval, review --------------------------------------------------------------------------
def test_request_approval_needs_a_clean_test_run_and_freezes_a_version(shop, manager, approver):
    # given
    campaign = gold_campaign(manager)
    # when / then: no test run yet
    with pytest.raises(ValidationError) as refused:
        services.campaign_request_approval(actor=manager, campaign=campaign)
    assert "test_run" in refused.value.message_dict
    # when
    version = in_review(campaign, manager)
    # then
    campaign.refresh_from_db()
    assert campaign.status == S.IN_REVIEW
    assert version.content_hash == content_hash(version.document_text) == current_hash(campaign)
    assert version.document["graph"]["activities"][0]["config"]["rule"] == GOLD
    assert version.document["schedule"]["kind"] == "asap"
    assert version.test_run.status == RunStatus.DONE


def test_request_approval_emails_approvers_and_approval_emails_the_requester(
    shop, manager, approver, make_user, drive
):
    # given
    other_approver = make_user(ProductProfile.APPROVER)
    campaign = gold_campaign(manager)
    clean_test_run(campaign, manager)
    # when
    drive(services.campaign_request_approval, actor=manager, campaign=campaign, comment="Ready")
    # then
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([approver.email, other_approver.email])
    assert "Ready" in mail.outbox[0].body
    # when
    drive(services.campaign_approve, actor=approver, campaign=campaign, comment="Go")
    # then
    assert mail.outbox[1].to == [manager.email]
    assert "Approved" in mail.outbox[1].subject


def test_an_approver_cannot_approve_their_own_request_unless_allowed(shop, approver, settings):
    # given: someone who is both Manager and Approver requests approval of their own campaign
    both = manager_and_approver()
    campaign = gold_campaign(both)
    in_review(campaign, both)
    # when / then
    with pytest.raises(PermissionDenied):
        services.campaign_approve(actor=both, campaign=campaign)
    with pytest.raises(PermissionDenied):
        services.campaign_request_changes(actor=both, campaign=campaign, comment="no")
    # when: an Administrator turned the rule off
    settings.OC_ALLOW_SELF_APPROVAL = True
    version = services.campaign_approve(actor=both, campaign=campaign)
    # then
    assert version.state == VersionState.APPROVED


def test_request_changes_needs_a_comment_and_returns_to_draft(shop, manager, approver):
    campaign = gold_campaign(manager)
    in_review(campaign, manager)
    with pytest.raises(ValidationError):
        services.campaign_request_changes(actor=approver, campaign=campaign, comment=" ")
    version = services.campaign_request_changes(actor=approver, campaign=campaign, comment="Use silver")
    campaign.refresh_from_db()
    assert (campaign.status, version.state, version.review_comment) == (
        S.DRAFT,
        VersionState.CHANGES_REQUESTED,
        "Use silver",
    )


def test_editing_an_approved_campaign_voids_the_approval(shop, manager, approver):
    # given
    campaign = gold_campaign(manager)
    version = approved(campaign, manager, approver)
    document = graph_document(campaign)
    document["activities"][0]["config"]["rule"] = SILVER
    # when
    campaign_graph_replace(actor=manager, campaign=campaign, document=document, version=document["version"])
    # then
    campaign.refresh_from_db()
    version.refresh_from_db()
    assert campaign.status == S.DRAFT
    assert version.state == VersionState.VOIDED
    assert DomainEvent.objects.filter(campaign_id=campaign.pk, kind="campaign.version_voided").exists()
    with pytest.raises(ValidationError):
        services.campaign_publish(actor=approver, campaign=campaign)


def test_a_published_campaign_is_not_edited_in_place(shop, manager, approver):
    campaign = gold_campaign(manager)
    approved(campaign, manager, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    document = graph_document(campaign)
    with pytest.raises(ValidationError):
        campaign_graph_replace(
            actor=manager, campaign=campaign, document=document, version=document["version"]
        )


def test_the_diff_since_the_last_approved_version(shop, manager, approver):
    from campaigns.lifecycle.selectors import version_changes

    # given: version 1 approved, then the rule changed and a second version requested
    campaign = gold_campaign(manager)
    approved(campaign, manager, approver)
    document = graph_document(campaign)
    document["activities"][0]["config"]["rule"] = SILVER
    campaign_graph_replace(actor=manager, campaign=campaign, document=document, version=document["version"])
    second = in_review(campaign, manager)
    # when
    changes = version_changes(second)
    # then: exactly the rule's value
    assert changes == [{"path": "activity:gold.config.rule.value", "old": "gold", "new": "silver"}]


# --- publish: the live run executes the approved bytes ---------------------------------------------------
def test_a_live_run_executes_exactly_the_approved_version(shop, manager, approver):
    # given: approved on gold customers, then published (ASAP launches a live run)
    campaign = gold_campaign(manager)
    version = approved(campaign, manager, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    run = live_run_of(campaign)
    launch = Launch.objects.get(run=run)
    assert launch.version == version
    # when: someone alters the stored configuration behind the services' back before the tasks run
    campaign.activities.filter(key="gold").update(config={"dimension": "customers", "rule": SILVER})
    execute_queued(run)
    # then: the run used the approved (gold) configuration, whose text still hashes to the approval
    gold = sum(1 for c in shop.customers if c["tier"] == "gold")
    assert run.status == RunStatus.DONE
    assert run.results.get(source_key="gold").row_count == gold
    assert content_hash(canonical_text(version.document)) == version.content_hash
    campaign.refresh_from_db()
    assert campaign.status == S.LIVE


def test_a_launch_refuses_a_stored_graph_that_differs_from_the_version(shop, manager, approver):
    from campaigns.lifecycle.launches import launch_start

    campaign = gold_campaign(manager)
    approved(campaign, manager, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    execute_queued(live_run_of(campaign))
    campaign.activities.filter(key="gold").update(config={"dimension": "customers", "rule": SILVER})
    launch = launch_start(campaign=campaign, version=services.published_version(campaign), source="trigger")
    assert launch.outcome == "failed" and launch.run is None
    assert "differs" in launch.message


def test_manager_cannot_approve_or_publish(shop, manager, approver):
    campaign = gold_campaign(manager)
    in_review(campaign, manager)
    with pytest.raises(PermissionDenied):
        services.campaign_approve(actor=manager, campaign=campaign)
    services.campaign_approve(actor=approver, campaign=campaign)
    with pytest.raises(PermissionDenied):
        services.campaign_publish(actor=manager, campaign=campaign)


# --- stop, back to draft, archive, delete, duplicate ----------------------------------------------------
def test_stop_is_final_and_stops_the_live_run(shop, manager, approver):
    campaign = gold_campaign(manager)
    approved(campaign, manager, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    services.campaign_stop(actor=approver, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == S.STOPPED
    assert live_run_of(campaign).status == RunStatus.STOPPED
    for action in (services.campaign_resume, services.campaign_back_to_draft, services.campaign_publish):
        with pytest.raises(ValidationError):
            action(actor=approver, campaign=campaign)


def test_back_to_draft_only_before_the_first_run_or_after_a_failed_live_run(shop, manager, approver):
    from campaigns.schedules.services import schedule_save

    # given: a daily campaign published (scheduled), never run
    campaign = gold_campaign(manager)
    schedule_save(actor=manager, campaign=campaign, data={"kind": "daily", "rule": {"time": "09:00"}})
    approved(campaign, manager, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == S.SCHEDULED
    # when
    services.campaign_back_to_draft(actor=approver, campaign=campaign)
    # then
    campaign.refresh_from_db()
    assert campaign.status == S.DRAFT
    assert services.latest_version(campaign).state == VersionState.VOIDED
    # given: an ASAP campaign whose live run completed
    other = gold_campaign(manager, name="other")
    approved(other, manager, approver)
    services.campaign_publish(actor=approver, campaign=other)
    execute_queued(live_run_of(other))
    # then: no way back
    with pytest.raises(ValidationError):
        services.campaign_back_to_draft(actor=approver, campaign=other)
    # given: its run failed instead
    live_run_of(other).__class__.objects.filter(pk=live_run_of(other).pk).update(status=RunStatus.FAILED)
    services.campaign_back_to_draft(actor=approver, campaign=other)
    other.refresh_from_db()
    assert other.status == S.DRAFT


def test_delete_only_drafts_archive_the_others_then_purge(shop, manager, approver, settings):
    import datetime as dt

    from django.utils import timezone

    from campaigns.schedules.tick import purge_archived

    campaign = gold_campaign(manager)
    approved(campaign, manager, approver)
    with pytest.raises(ValidationError):
        campaign_delete(actor=manager, campaign=campaign)
    services.campaign_stop(actor=approver, campaign=campaign)
    services.campaign_archive(actor=manager, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == S.ARCHIVED
    assert purge_archived() == 0
    assert purge_archived(now=timezone.now() + dt.timedelta(days=settings.OC_ARCHIVE_RETENTION_DAYS + 1)) == 1
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert DomainEvent.objects.filter(kind="campaign.purged", campaign_name=campaign.name).exists()
    draft = gold_campaign(manager, name="draft")
    campaign_delete(actor=manager, campaign=draft)
    assert not Campaign.objects.filter(pk=draft.pk).exists()


def test_duplicate_makes_a_draft_without_runs_or_versions(shop, manager, approver):
    from campaigns.schedules.services import schedule_save

    campaign = gold_campaign(manager)
    schedule_save(actor=manager, campaign=campaign, data={"kind": "daily", "rule": {"time": "10:00"}})
    approved(campaign, manager, approver)
    copy = services.campaign_duplicate(actor=manager, campaign=campaign)
    assert copy.status == S.DRAFT and copy.owner == manager
    assert copy.runs.count() == 0 and CampaignVersion.objects.filter(campaign=copy).count() == 0
    original, duplicated = graph_document(campaign), graph_document(copy)
    assert original["activities"] == duplicated["activities"]
    assert copy.schedule.kind == "daily" and copy.schedule.rule == {"time": "10:00"}


def test_live_run_kind_is_recorded(shop, manager, approver):
    campaign = gold_campaign(manager)
    approved(campaign, manager, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    assert live_run_of(campaign).kind == RunKind.LIVE
