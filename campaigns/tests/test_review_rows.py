"""The review page's words for a version's changes (issue 12 §2 review page): labels instead of keys
and paths, nested values as an outline, never a Python or JSON literal."""

from __future__ import annotations

from campaigns.lifecycle.review_rows import change_rows, outline
from campaigns.lifecycle.versions import document_diff


def _document(rule_value: str, *, with_email: bool) -> dict:
    activities = [
        {
            "key": "build",
            "type": "build_audience",
            "label": "Loyal customers",
            "config": {
                "dimension": "customer",
                "rule": {"all": [{"field": "tier", "op": "equal", "value": rule_value}]},
            },
        }
    ]
    transitions = []
    if with_email:
        activities.append(
            {"key": "mail", "type": "email", "label": "Welcome mail", "config": {"subject": "Hi"}}
        )
        transitions.append({"source": "build", "output": "out", "target": "mail"})
    return {"graph": {"activities": activities, "transitions": transitions}, "schedule": {}}


def _texts(rows) -> str:
    return "\n".join(
        " | ".join([r.where, r.setting, r.before, r.after, *r.before_outline, *r.after_outline]) for r in rows
    )


def test_a_changed_setting_is_named_by_activity_label_and_setting_label():
    old, new = _document("gold", with_email=False), _document("platinum", with_email=False)
    rows = change_rows(document_diff(old, new), old, new)
    (row,) = rows
    assert row.where == "Activity “Loyal customers”"
    assert row.setting.startswith("Rule")
    assert (row.before, row.after) == ("1 item", "1 item")
    assert "Value: gold" in "\n".join(row.before_outline)
    assert "Value: platinum" in "\n".join(row.after_outline)


def test_an_added_activity_and_transition_read_as_labels_with_an_outline():
    old, new = _document("gold", with_email=False), _document("gold", with_email=True)
    rows = change_rows(document_diff(old, new), old, new)
    text = _texts(rows)
    assert "Activity “Welcome mail”" in text
    assert "Transition from “Loyal customers”" in text
    assert "to “Welcome mail”" in text
    assert "(added)" in text
    for literal in ("{'", '{"', "activity:", "transition:"):
        assert literal not in text


def test_a_first_version_lists_everything_without_literals():
    new = _document("gold", with_email=True)
    text = _texts(change_rows(document_diff(None, new), None, new))
    assert "Tier" in text or "tier" in text
    assert "{'" not in text and "[{" not in text


def test_outline_is_bounded():
    lines = outline({"values": list(range(1000))})
    assert len(lines) <= 61
    assert lines[-1].strip() == "…"
