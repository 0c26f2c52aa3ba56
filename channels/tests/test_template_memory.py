"""The template sandbox bounds the memory a render may build, not just its steps (issue 12, section 4).

Each doubling attack runs in a child process whose address space is capped (``RLIMIT_AS``) a few hundred
megabytes above what Django itself needs: without the memory budget the doublings either exhaust the cap
(a ``MemoryError``) or take seconds; with it, each is refused as a template error in well under a second
and the child's peak resident memory stays flat.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = "{% set a = 'x' * 100000 %}"


def _chain(step: str, times: int = 20) -> str:
    """``times`` doublings, each ``{% set v<n+1> = <step of v<n>> %}``, from a 100,000-character seed."""
    parts = [SEED, "{% set v0 = a %}"]
    for n in range(times):
        parts.append("{% set v" + str(n + 1) + " = " + step.replace("V", f"v{n}") + " %}")
    parts.append("{{ v" + str(times) + "|length }}")
    return "".join(parts)


ATTACKS = {
    "tilde": _chain("V ~ V"),
    "plus": _chain("V + V"),
    "str.format": _chain("'{0}{0}'.format(V)"),
    "format_map": _chain("'{a}{a}'.format_map({'a': V})"),
    "percent": _chain("'%s%s' % (V, V)"),
    "join filter": _chain("[V, V]|join"),
    "str.join": _chain("''.join([V, V])"),
    "list plus": "{% set v0 = [1] * 100000 %}"
    + "".join("{% set v" + str(n + 1) + " = v" + str(n) + " + v" + str(n) + " %}" for n in range(20))
    + "{{ v20|length }}",
    "list times": SEED + "{% set v0 = [a] * 100000 %}{{ v0 }}",
    "printed list": SEED + "{{ [a, a, a, a, a, a, a, a, a, a] * 10000 }}",
    "namespace loop": SEED + "{% set ns = namespace(s=a) %}"
    "{% for i in range(30) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "upper filter": _chain("(V ~ V)|upper"),
    "split": SEED
    + "{% set s = ('ab ' * 33333) %}"
    + "".join("{% set s = s ~ s %}" for _ in range(6))
    + "{{ s.split()|length }}",
    "list of characters": SEED + "".join("{% set a = a ~ a %}" for _ in range(7)) + "{{ a|list|length }}",
    "sum of lists": "{% set l = [0] * 100000 %}{{ ([l] * 1000)|sum(start=[])|length }}",
}

CHILD = textwrap.dedent(
    """
    import json, os, resource, sys, time

    import django

    django.setup()
    from channels.personalization.templates import TemplateProblem, render

    render("{{ 'warm' ~ 'up' }}", {})


    def vm_kib():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1])


    cap = vm_kib() * 1024 + 400 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    results = {}
    for name, source in json.loads(sys.stdin.read()).items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.monotonic()
        try:
            outcome = "rendered " + render(source, {})[:40]
        except TemplateProblem as exc:
            outcome = exc.message
        except MemoryError:
            outcome = "MemoryError outside the sandbox"
        elapsed = time.monotonic() - started
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        results[name] = {"outcome": outcome, "seconds": elapsed, "grown_kib": grown}
    print(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def attack_results():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)}
    env["TESTING"] = "true"
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD],
        input=json.dumps(ATTACKS),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_doubling_attack_is_refused_quickly_with_flat_memory(attack_results, attack):
    # given: the child ran every attack under an address-space cap
    result = attack_results[attack]
    # then: refused by the budget (or, for joins, the cap on one value), not by the address-space cap and
    # not rendered, fast, without growing the process
    refusals = ("builds too much data", "cannot be printed", "A value longer than 1000000 characters")
    assert any(refusal in result["outcome"] for refusal in refusals), result
    assert result["seconds"] < 0.5, result
    assert result["grown_kib"] < 64 * 1024, result


def test_the_memory_budget_is_a_setting_and_per_render(settings):
    from channels.personalization.templates import TemplateProblem, render

    # given: a template that builds about 1.6 MB
    source = _chain("V ~ V", times=3)
    settings.OC_TEMPLATE_MAX_MEMORY = 1_000_000
    # when / then: over a 1 MB budget it is refused; the budget is the setting
    with pytest.raises(TemplateProblem, match="builds too much data"):
        render(source, {})
    # and: under 4 MB it renders, as often as asked (each render has its own budget)
    settings.OC_TEMPLATE_MAX_MEMORY = 4_000_000
    assert [render(source, {}) for _ in range(5)] == ["800000"] * 5


def test_legitimate_templates_that_build_strings_and_lists_still_render():
    from channels.personalization.templates import render

    # given: the usual string building of a personalised message
    context = {
        "recipient": {"first_name": "Ann", "last_name": "Lee", "city": "Paris"},
        "purchases": [{"sku": f"SKU-{n}", "amount": n * 1.5} for n in range(200)],
    }
    source = (
        "{% set full = recipient.first_name ~ ' ' ~ recipient.last_name %}"
        "{% set greeting = 'Hello ' + full + '!' %}"
        "{% set ns = namespace(text='', skus=[]) %}"
        "{% for p in purchases %}{% set ns.text = ns.text ~ p.sku ~ ';' %}"
        "{% set ns.skus = ns.skus + [p.sku] %}{% endfor %}"
        "{{ greeting|upper }} {{ '{0} in {1}'.format(full, recipient.city) }} "
        "{{ ns.skus|length }} {{ ns.text|length }} {{ ns.skus[:3]|join(',') }} {{ ns.skus[:2] }} "
        "{{ '%s/%s' % (1, 2) }} {{ '-' * 10 }}"
    )
    # when
    rendered = render(source, context)
    # then
    assert rendered == (
        "HELLO ANN LEE! Ann Lee in Paris 200 1490 SKU-0,SKU-1,SKU-2 ['SKU-0', 'SKU-1'] 1/2 ----------"
    )


@pytest.mark.parametrize(
    "source",
    [
        "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
        "{{ " + "[" * 3000 + "]" * 3000 + " }}",
        "{{ " + "{'a': " * 3000 + "1" + "}" * 3000 + " }}",
        "{{ " + "(" * 51 + "1" + ")" * 51 + " }}",
        "{{ " + "not " * 3000 + "x }}",
        "{{ x" + "|e" * 3000 + " }}",
        "{% if x %}" * 3000 + "{% endif %}" * 3000,
    ],
)
def test_a_template_nested_too_deep_is_a_template_error(source):
    from channels.personalization.templates import TemplateProblem, render

    # when / then: a clear template error, not a RecursionError (a 500)
    with pytest.raises(TemplateProblem, match="nested"):
        render(source, {"x": 1})


def test_moderate_nesting_still_renders():
    from channels.personalization.templates import render

    # when / then
    assert render("{{ " + "(" * 50 + "1 + 1" + ")" * 50 + " }}", {}) == "2"
    assert render("{{ [[[1, 2], [3]], {'a': (4,)}] }}", {}) == "[[[1, 2], [3]], {'a': (4,)}]"


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        (_chain("V ~ V", times=10), "builds too much data"),  # 100 MB: bounded even if the budget regressed
        ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "nested"),
    ],
)
def test_graph_save_refuses_a_memory_or_nesting_attack_with_a_400(
    catalog, email_configuration, api_as, subject, message
):
    from campaigns.services import campaign_create
    from campaigns.tests.graphs import A, T

    # given
    admin = catalog["admin"]
    campaign = campaign_create(actor=admin, name="Attack")
    document = {
        "version": 0,
        "activities": [
            A("src", "targeting.build_audience", dimension="customer"),
            A("mail", "channel.email", configuration="mail", content={"subject": subject, "text": "x"}),
        ],
        "transitions": [T("src", "mail")],
    }
    # when
    response = api_as(admin).put(f"/api/v1/campaigns/{campaign.pk}/graph/", document, format="json")
    # then: a 400 naming the template, in the one error shape
    assert response.status_code == 400, response.content[:500]
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert message in errors["activities.mail.config.content.subject"]


def test_a_send_fails_only_the_recipient_whose_data_makes_the_template_explode(
    catalog, campaign, email_configuration, smtp_sink
):
    from channels.delivery.sender import send_delivery
    from channels.models import LedgerEntry, LedgerState
    from channels.tests.conftest import email_config, prepared_delivery

    # given: a template that doubles a string twelve times (120 MB), for Bob only
    doublings = "".join("{% set s = s ~ s %}" for _ in range(12))
    subject = (
        "{% set s = recipient.first_name * 10000 %}"
        "{% if recipient.first_name == 'Bob' %}" + doublings + "{{ s|length }}{% endif %}"
        "Hi {{ recipient.first_name }}"
    )
    config = email_config(content={"subject": subject, "text": "x"})
    delivery = prepared_delivery(catalog, campaign, [1, 2], config)
    # when
    send_delivery(delivery.pk)
    # then: Ann's message went out; Bob's entry failed with the budget's reason
    assert [m["Subject"] for _r, m in smtp_sink.messages] == ["Hi Ann"]
    bob = LedgerEntry.objects.get(delivery=delivery, recipient_key="2")
    assert bob.state == LedgerState.FAILED
    assert "builds too much data" in bob.error
