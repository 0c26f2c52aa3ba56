"""Proofs and personal data (issue 12 §3, ADR 0004), through a real SMTP server (aiosmtpd).

A Manager without the personal-data preview permission sends a proof of chosen test-run rows: the
message that arrives carries none of the row's e-mail, phone, birth date or surname (they are masked),
and it can only go to a proof recipient or a platform user's address; proofs are rate-limited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from audiences.catalog import database
from audiences.catalog.selectors import schema_table
from campaigns.services.runs import run_start
from campaigns.tests.graphs import A, T, campaign_with
from channels.models import LedgerEntry, ProofRecipient
from channels.services.proofs import MASK

pytestmark = pytest.mark.django_db

ROW = {
    "id": 1,
    "first_name": "Zora",
    "last_name": "Quixlebeck",
    "email": "zora.quixlebeck@customer.test",
    "phone": "+15557654321",
    "birth_date": "1979-08-23",
    "email_ok": False,  # no consent: proofs still render it, so it must be masked
}
CONTENT = {
    "subject": "Hi {{ recipient.first_name }} {{ recipient.last_name }}",
    "text": (
        "Dear {{ recipient.first_name }} {{ recipient.last_name }}, born {{ recipient.birth_date }}; "
        "we have {{ recipient.email }} and {{ recipient.phone }} on file."
    ),
    "html": "<p>{{ recipient.last_name }} / {{ recipient.email }} / {{ recipient.phone }}</p>",
}
SECRETS = ("Quixlebeck", "zora.quixlebeck", "customer.test", "5557654321", "1979", "08-23")


@pytest.fixture
def catalog(administrator):
    """A customer schema whose surname, e-mail, phone and birth date are personal data."""
    from audiences.catalog import services

    customer = services.schema_create(
        actor=administrator,
        name="customer",
        fields=[
            {"name": "id", "type": "bigint", "primary_key": True},
            {"name": "first_name", "type": "string"},
            {"name": "last_name", "type": "string", "is_personal": True},
            {"name": "email", "type": "string", "is_personal": True},
            {"name": "phone", "type": "string", "is_personal": True},
            {"name": "birth_date", "type": "date", "is_personal": True},
            {"name": "email_ok", "type": "boolean"},
        ],
    )
    dimension = services.targeting_dimension_create(
        actor=administrator,
        schema=customer,
        data={"identity_field": "id", "email_field": "email", "email_consent_field": "email_ok"},
    )
    import datetime as dt

    row = {**ROW, "birth_date": dt.date.fromisoformat(ROW["birth_date"])}
    database.execute(sa.insert(schema_table(customer)).values([row]))
    return {"customer": customer, "dimension": dimension, "admin": administrator}


@pytest.fixture
def test_run(catalog, email_configuration, manager, drive):
    """A Manager's campaign with an e-mail activity, test-run up to it."""
    campaign = campaign_with(
        manager,
        [
            A("src", "targeting.build_audience", dimension="customer"),
            A("mail", "channel.email", configuration="mail", content=CONTENT),
        ],
        [T("src", "mail")],
    )
    return drive(run_start, actor=manager, campaign=campaign)


def proof(client, run, addresses):
    body = {"run": run.pk, "activity_key": "mail", "recipient_keys": [1], "addresses": addresses}
    return client.post("/api/v1/deliveries/proof/", body, format="json")


def received_text(message) -> str:
    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def test_a_manager_without_the_permission_gets_a_masked_proof(test_run, manager, api_as, smtp_sink):
    # when: the Manager (no personal-data permission) sends a proof of the row to their own address
    response = proof(api_as(manager), test_run, [manager.email])
    # then: one message arrived, rendered, with none of the row's personal values
    assert response.status_code == 201, response.json()
    [message] = smtp_sink.to(manager.email)
    text = received_text(message)
    assert "[Proof] Hi Zora" in text and MASK in text
    for secret in SECRETS:
        assert secret not in text, secret
    stored = LedgerEntry.objects.get(delivery_id=response.json()["id"]).data
    assert stored["recipient"]["email"] == MASK and stored["recipient"]["first_name"] == "Zora"


def test_an_outside_address_is_refused_naming_the_field(test_run, manager, api_as, smtp_sink):
    response = proof(api_as(manager), test_run, [manager.email, "someone@outside.test"])
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "addresses" and "someone@outside.test" in error["message"]
    assert smtp_sink.messages == []


def test_a_permitted_user_proofs_real_rows_to_a_listed_recipient(test_run, administrator, api_as, smtp_sink):
    client = api_as(administrator)
    # given: an Administrator adds a reviewer to the proof recipients (API)
    added = client.post(
        "/api/v1/proof-recipients/",
        {"channel": "email", "address": "Reviewer@Agency.test", "label": "Agency"},
        format="json",
    )
    assert added.status_code == 201 and added.json()["address"] == "reviewer@agency.test"
    # when: the Administrator (who may see personal data) sends a proof there
    response = proof(client, test_run, ["reviewer@agency.test"])
    # then: the real row is rendered
    assert response.status_code == 201, response.json()
    [message] = smtp_sink.to("reviewer@agency.test")
    assert "Quixlebeck" in received_text(message)


def test_only_administrators_keep_the_proof_recipients(manager, api_as):
    response = api_as(manager).post(
        "/api/v1/proof-recipients/", {"channel": "email", "address": "me@outside.test"}, format="json"
    )
    assert response.status_code == 403
    assert not ProofRecipient.objects.exists()


def test_proofs_are_rate_limited_per_user(test_run, manager, api_as, smtp_sink, settings):
    settings.OC_PROOF_RATE = "1/hour"
    client = api_as(manager)
    assert proof(client, test_run, [manager.email]).status_code == 201
    refused = proof(client, test_run, [manager.email])
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert len(smtp_sink.to(manager.email)) == 1
