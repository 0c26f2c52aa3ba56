"""The channel activity types in the campaign engine: the registry contract (examples here, as the
engine's contract test leaves channel.* to this app), a test run that sends nothing, a live run that
sends once even when its task runs again."""

from __future__ import annotations

import pytest

from campaigns.activities import registry
from campaigns.activities.config import ConfigError
from campaigns.services.runs import run_start
from campaigns.tests.graphs import A, T, campaign_with
from channels.models import Delivery, LedgerEntry

pytestmark = pytest.mark.django_db

EXAMPLES = {
    "channel.email": {
        "configuration": "mail",
        "content": {"subject": "Hi {{ recipient.first_name }}", "text": "x"},
    },
    "channel.sms": {"configuration": "sms", "content": {"text": "Hi {{ recipient.first_name }}"}},
    "channel.push": {
        "configuration": "push",
        "content": {"title": "Hi", "body": "{{ recipient.first_name }}"},
    },
}


def test_every_channel_type_is_registered_with_an_example():
    assert {k for k in registry.all_types() if k.startswith("channel.")} == set(EXAMPLES)


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_config_round_trip_and_junk(key):
    activity_type = registry.get(key)
    config = activity_type.parse(EXAMPLES[key])
    assert activity_type.parse(activity_type.dump(config)) == config
    with pytest.raises(ConfigError) as excinfo:
        activity_type.parse({**EXAMPLES[key], "no_such_setting": 1})
    assert excinfo.value.path == "no_such_setting"
    with pytest.raises(ConfigError) as excinfo:
        activity_type.parse({**EXAMPLES[key], "category": "spam"})
    assert excinfo.value.path == "category"


def test_validation_render_checks_templates_and_the_configuration(catalog, email_configuration):
    from campaigns.activities.base import GraphNode

    activity_type = registry.get("channel.email")
    node = GraphNode(key="mail", type="channel.email", inputs=["src"], input_dimensions=["customer"])
    good = activity_type.parse(EXAMPLES["channel.email"])
    assert activity_type.validate(good, node) == []
    bad = activity_type.parse(
        {
            "configuration": "nope",
            "content": {
                "subject": "{{ recipient.no_such_field }}",
                "html": "{% for %}",
                "text": "{{ ''.__class__.__mro__ }}",
            },
            "variants": [{"name": "b", "share": 120, "content": {"subject": "ok"}}],
        }
    )
    paths = {p for p, _m in activity_type.validate(bad, node)}
    assert paths == {"configuration", "content.subject", "content.html", "content.text", "variants"}


def _graph(catalog, admin):
    return campaign_with(
        admin,
        [
            A("src", "targeting.build_audience", dimension="customer"),
            A("mail", "channel.email", **EXAMPLES["channel.email"]),
        ],
        [T("src", "mail")],
    )


def test_a_test_run_counts_but_sends_nothing(catalog, email_configuration, smtp_sink, drive):
    # given
    campaign = _graph(catalog, catalog["admin"])
    # when
    run = drive(run_start, actor=catalog["admin"], campaign=campaign)
    # then
    task = run.tasks.get(activity_key="mail")
    assert task.status == "done", task.error
    assert "recipients: 5" in task.message and "no_consent: 1" in task.message
    assert Delivery.objects.count() == 0 and smtp_sink.messages == []


def test_a_live_run_sends_once_even_if_the_task_runs_again(catalog, email_configuration, smtp_sink, drive):
    from campaigns.engine.executor import task_execute
    from campaigns.tests.lifecycle_helpers import live_run_of, publish

    # given a published one-time campaign whose send needs no confirmation
    campaign = campaign_with(
        catalog["admin"],
        [
            A("src", "targeting.build_audience", dimension="customer"),
            A("mail", "channel.email", send_without_confirmation=True, **EXAMPLES["channel.email"]),
        ],
        [T("src", "mail")],
    )
    # when
    publish(drive, campaign, catalog["admin"])
    run = live_run_of(campaign)
    task = run.tasks.get(activity_key="mail")
    assert task.status == "done", task.error
    # the task is executed again (a redelivered job)
    task.status = "queued"
    task.save(update_fields=["status"])
    drive(task_execute, task.pk)
    # then
    delivery = Delivery.objects.get(run_id=run.pk, activity_key="mail")
    assert delivery.campaign_id == campaign.pk and delivery.targeted == 8 and delivery.excluded == 3
    assert LedgerEntry.objects.filter(delivery=delivery, state="sent").count() == 5
    assert len(smtp_sink.messages) == 5


def test_proofs_render_chosen_test_run_rows_for_up_to_ten_reviewers(
    catalog, email_configuration, smtp_sink, drive
):
    from django.core.exceptions import ValidationError

    from channels.services.proofs import proof_recipient_add, proof_send

    # given a test run that reached the channel activity, and two reviewers on the proof recipients
    campaign = _graph(catalog, catalog["admin"])
    run = drive(run_start, actor=catalog["admin"], campaign=campaign)
    for address in ("rev1@team.test", "rev2@team.test"):
        proof_recipient_add(actor=catalog["admin"], channel="email", address=address)
    # when
    delivery = proof_send(
        actor=catalog["admin"],
        run=run,
        activity_key="mail",
        recipient_keys=[2, 6],
        addresses=["rev1@team.test", "Rev2@Team.test"],
    )
    # then: Fay (6, no consent) still renders for reviewers; nobody but reviewers receives anything
    subjects = sorted((rcpts[0], m["Subject"]) for rcpts, m in smtp_sink.messages)
    assert subjects == [
        ("rev1@team.test", "[Proof] Hi Bob"),
        ("rev1@team.test", "[Proof] Hi Fay"),
        ("rev2@team.test", "[Proof] Hi Bob"),
        ("rev2@team.test", "[Proof] Hi Fay"),
    ]
    assert delivery.is_proof
    with pytest.raises(ValidationError):
        proof_send(
            actor=catalog["admin"],
            run=run,
            activity_key="mail",
            recipient_keys=[1],
            addresses=[f"r{i}@team.test" for i in range(11)],
        )
