"""The demo campaigns: created on the demo data, idempotent, and ready for a test run."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from campaigns.models import Campaign, RunStatus
from campaigns.tests.graphs import counts, test_run


@pytest.mark.django_db
def test_demo_campaigns_are_idempotent_and_run(administrator, drive):
    # given the demo data
    call_command("demo_data", customers=300, user=administrator.username)
    # when the command runs twice
    call_command("demo_campaigns")
    call_command("demo_campaigns")
    # then two campaigns, each runnable
    campaigns = Campaign.objects.filter(name__startswith="Demo:")
    assert campaigns.count() == 2
    for campaign in campaigns:
        run = test_run(drive, administrator, campaign)
        assert run.status in (RunStatus.DONE, RunStatus.PAUSED), list(
            run.tasks.values_list("activity_key", "error")
        )
        assert not run.tasks.filter(status="failed").exists()
        assert any(n for n in counts(run).values())
