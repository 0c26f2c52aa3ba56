"""Reconciliation by a rule: join conditions between file columns and dimension fields, and a rule of
the rule builder limiting which dimension rows may match."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from campaigns.tests.graphs import A, T, campaign_with, counts, keys_of, test_run

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}


def partner_file(tmp_path, shop):
    # upper-cased e-mails of 20 customers with one, and a stranger
    known = [c for c in shop.customers if c["email"]][:20]
    lines = [f"{c['email'].upper()},{i}" for i, c in enumerate(known)] + ["STRANGER@EXAMPLE.TEST,5"]
    (tmp_path / "partner.csv").write_text("mail,points\n" + "\n".join(lines) + "\n")
    return known


def graph(**reconciliation):
    columns = [{"name": "mail", "type": "string", "required": True}, {"name": "points", "type": "integer"}]
    return (
        [
            A("file", "targeting.load_file", file="partner.csv", columns=columns),
            A(
                "match",
                "targeting.reconciliation",
                dimension="customers",
                keep_unmatched=True,
                **reconciliation,
            ),
            A("e1", "flow.end"),
            A("e2", "flow.end"),
        ],
        [T("file", "match"), T("match", "e1"), T("match", "e2", "unmatched")],
    )


@pytest.mark.django_db
def test_reconciliation_by_a_rule(shop, administrator, drive, settings, tmp_path):
    # given a file whose e-mails differ in case from the customers'
    settings.OC_CAMPAIGN_FILES_DIR = tmp_path
    known = partner_file(tmp_path, shop)
    activities, transitions = graph(
        conditions=[{"column": "mail", "operator": "equal_ignore_case", "field": "email"}], rule=GOLD
    )
    campaign = campaign_with(administrator, activities, transitions)
    # when it is reconciled by a case-insensitive condition, gold customers only
    run = test_run(drive, administrator, campaign)
    # then exactly the gold customers whose e-mail (any case) is in the file match (e-mails repeat in
    # the shop); the lines naming no gold customer are unmatched
    mails = [c["email"].lower() for c in known]
    gold = {c["id"] for c in shop.customers if c["tier"] == "gold" and (c["email"] or "").lower() in mails}
    gold_mails = {c["email"].lower() for c in shop.customers if c["id"] in gold}
    unmatched = 1 + sum(m not in gold_mails for m in mails)
    assert len(gold) > 0 and 1 < unmatched < 21
    assert keys_of(run, "match") == gold
    assert counts(run) == {"file.out": 21, "match.out": len(gold), "match.unmatched": unmatched}
    # and the plain key pair (case-sensitive) matches none of them
    activities, transitions = graph(keys=[{"column": "mail", "field": "email"}])
    by_keys = test_run(
        drive, administrator, campaign_with(administrator, activities, transitions, name="keys")
    )
    assert counts(by_keys)["match.out"] == 0


@pytest.mark.django_db
def test_reconciliation_rule_is_validated(shop, administrator):
    activities, transitions = graph(
        conditions=[{"column": "mail", "operator": "sounds_like", "field": "nope"}],
        rule={"type": "condition", "field": "unknown", "operator": "equal", "value": 1},
    )
    with pytest.raises(ValidationError) as raised:
        campaign_with(administrator, activities, transitions)
    text = str(raised.value)
    assert "conditions.0.operator" in text and "conditions.0.field" in text and "rule" in text
    activities, transitions = graph()
    with pytest.raises(ValidationError, match="join condition"):
        campaign_with(administrator, activities, transitions)
