"""Security review fixes: webhook signatures with odd headers, the template sandbox's bounds, provider
secrets and suppressed addresses hidden from users who may only view, the ledger admin per request."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from channels.providers.base import sign_body, signature_ok, webhook_headers

pytestmark = pytest.mark.django_db


def test_a_non_ascii_signature_header_is_refused_not_a_server_error(
    catalog, campaign, email_configuration, smtp_sink
):
    from channels.services.configurations import configuration_update

    # given
    configuration_update(
        actor=catalog["admin"],
        configuration=email_configuration,
        data={"provider_settings": {"host": "127.0.0.1", "port": smtp_sink.port, "webhook_secret": "hook"}},
    )
    body = json.dumps({"events": []}).encode()
    client = Client(raise_request_exception=False)
    # when
    response = client.post(
        f"/t/hooks/{email_configuration.pk}/",
        body,
        content_type="application/json",
        headers={**webhook_headers("hook", body), "X-OC-Signature": "sha256=\u00e9\u00e9\u00e9"},
    )
    # then
    assert response.status_code == 403
    assert signature_ok("hook", body, "sha256=\u00e9") is False
    assert signature_ok("hook", body, "\ud800") is False
    assert signature_ok("hook", body, sign_body("hook", body)) is True


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x' * 10**10 }}",
        "{{ 10**10 * 'x' }}",
        "{{ [1] * 1000000 }}",
        "{{ 2 ** 1000 }}",
        "{{ (10 ** 100) ** 100 }}",
        "{{ 'x'|center(10**9) }}",
        "{{ 'x'.ljust(10**9) }}",
    ],
)
def test_the_sandbox_refuses_runaway_arithmetic(source):
    from channels.personalization.templates import TemplateProblem, render

    # when / then: a clear template error, quickly, instead of gigabytes
    with pytest.raises(TemplateProblem, match=r"not allowed|too large"):
        render(source, {})


def test_ordinary_arithmetic_still_renders():
    from channels.personalization.templates import render

    # when / then
    rendered = render("{{ 'ab' * 3 }} {{ 2 ** 10 }} {{ 3 * 4 }} {{ 'x'|center(5) }}|", {})
    assert rendered == "ababab 1024 12   x  |"


def test_the_rendered_output_is_capped(settings):
    from channels.personalization.templates import TemplateProblem, render

    # given
    settings.OC_TEMPLATE_MAX_OUTPUT = 50_000
    # when / then: each piece is small, the whole is not
    with pytest.raises(TemplateProblem, match="longer than 50000 characters"):
        render("{% for i in range(1000) %}{{ 'y' * 1000 }}{% endfor %}", {})
    assert len(render("{% for i in range(40) %}{{ 'y' * 1000 }}{% endfor %}", {})) == 40_000


@pytest.mark.parametrize(
    "source",
    [
        '{{ "{:>100000000}".format(name) }}',
        '{{ "{:.100000000f}".format(1.5) }}',
        '{{ "{0:{1}}".format(name, 10**9) }}',
        '{{ "{n:>{w}}".format_map({"n": name, "w": 10**9}) }}',
        '{{ ("{:>" ~ 10**9 ~ "}").format(name) }}',
        '{{ ("<b>{:>1000000000}</b>"|safe).format(name) }}',
        '{{ "%100000000s" % name }}',
        '{{ "%(n)100000000s" % {"n": name} }}',
        '{{ "%.100000000f" % 1.5 }}',
        '{{ "%*s" % (10**9, name) }}',
        '{{ "%100000000s"|format(name) }}',
        '{{ "%*s"|format(10**9, name) }}',
    ],
)
def test_the_sandbox_refuses_huge_format_widths(source):
    from channels.personalization.templates import TemplateProblem, render

    # when / then: refused before anything is allocated
    started = time.monotonic()
    with pytest.raises(TemplateProblem, match=r"width( or precision)? over 100000 is not allowed"):
        render(source, {"name": "Ann"})
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% for i in range(10**7) %}{% endfor %}", "A range of more than 10000 numbers"),
        ("{{ range(10**9)|list|length }}", "A range of more than 10000 numbers"),
        (
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
            "does too much work",
        ),
        (
            "{% for i in range(10000) %}{% for j in range(10000) if false %}{% endfor %}{% endfor %}",
            "does too much work",
        ),
        (
            "{% for c in 'x' * 100000 %}{% for d in 'x' * 100000 %}{% endfor %}{% endfor %}",
            "does too much work",
        ),
        (
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
            "does too much work",
        ),
        (
            "{% set leaf = [0] * 100000 %}{% for x in [leaf] * 100000 recursive %}"
            "{% if x is sequence %}{{ loop(x) }}{% endif %}{% endfor %}",
            "does too much work",
        ),
        ("{{ ('x' * 99999).join(['a'] * 100000) }}", "A value longer than 1000000 characters"),
        ("{{ (['a'] * 100000)|join('x' * 99999) }}", "A value longer than 1000000 characters"),
        ("{{ ('x' * 100000).replace('x', 'x' * 100000) }}", "A value longer than 1000000 characters"),
        ("{{ ('x' * 100000)|replace('x', 'x' * 100000) }}", "A value longer than 1000000 characters"),
        ("{{ ('x' * 100000).translate({120: 'y' * 100000}) }}", "A value longer than 1000000 characters"),
        ("{{ 'x'|indent(10**9) }}", "A width over 100000"),
        ("{{ [1]|batch(10**9, 0)|list }}", "A width over 100000"),
        ("{{ [1]|slice(10**9)|list }}", "A width over 100000"),
        ("{{ [[1]]|tojson(10**9) }}", "A width over 100 "),
        ("{{ lipsum(10**6) }}", "A width over 100000"),
    ],
)
def test_the_sandbox_stops_cpu_and_memory_sinks_that_print_little(source, message):
    from channels.personalization.templates import TemplateProblem, render

    # when / then
    started = time.monotonic()
    with pytest.raises(TemplateProblem, match=message):
        render(source, {})
    assert time.monotonic() - started < 2


def test_the_render_has_a_cpu_time_budget(monkeypatch):
    from channels.personalization import templates

    # given: few steps, each one costly (a sort of 100,000 numbers)
    monkeypatch.setattr(templates, "MAX_RENDER_SECONDS", 0.05)
    source = "{% for i in range(1000) %}{{ numbers|sort|first }}{% endfor %}"
    # when / then
    started = time.monotonic()
    with pytest.raises(templates.TemplateProblem, match=r"takes too long to render \(more than 0.05 s\)"):
        templates.render(source, {"numbers": list(range(100_000, 0, -1))})
    assert time.monotonic() - started < 2


def test_the_budget_is_per_render():
    from channels.personalization.templates import render

    # given: a template that spends 2 x 10,000 steps of the 100,000 each render may spend
    source = "{% for i in range(10000) %}{% endfor %}ok"
    # when / then: rendering it many times never accumulates
    assert [render(source, {}) for _ in range(12)] == ["ok"] * 12


def test_ordinary_formats_and_loops_over_a_recipients_collections_still_render():
    from channels.personalization.templates import render

    # given
    context = {
        "recipient": {"first_name": "Ann", "points": 1234.5},
        "purchases": [
            {"sku": "A-1", "amount": 12.5, "lines": [{"qty": 1}, {"qty": 2}]},
            {"sku": "B-2", "amount": 3.0, "lines": []},
        ],
        "tree": [{"name": "root", "children": [{"name": "leaf", "children": []}]}],
    }
    source = (
        "{{ '{:>6}|{:,.2f}|{n:03d}'.format(recipient.first_name, recipient.points, n=7) }}\n"
        "{{ '%-5s|%.1f' % (recipient.first_name, 2.25) }}\n"
        "{{ '%s bought %d'|format(recipient.first_name, purchases|length) }}\n"
        "{% for p in purchases %}{{ loop.index }}/{{ loop.length }} {{ p.sku }} {{ '%.2f'|format(p.amount) }}"
        "{% for line in p.lines %} x{{ line.qty }}{% else %} -{% endfor %}{% if not loop.last %}; {% endif %}"
        "{% endfor %}\n"
        "{% for p in purchases if p.amount > 5 %}{{ p.sku }}{% endfor %}"
        "|{{ purchases|map(attribute='sku')|join(', ') }}|{{ 'a-b'.replace('-', '+') }}\n"
        "{% for node in tree recursive %}{{ node.name }}{% if node.children %}[{{ loop(node.children) }}]"
        "{% endif %}{% endfor %}\n"
        "{% for i in range(10000) %}{% endfor %}{{ range(3)|list }} {{ [[1]]|tojson(2)|length }}"
    )
    # when
    rendered = render(source, context)
    # then
    assert rendered.split("\n") == [
        "   Ann|1,234.50|007",
        "Ann  |2.2",
        "Ann bought 2",
        "1/2 A-1 12.50 x1 x2; 2/2 B-2 3.00 -",
        "A-1|A-1, B-2|a+b",
        "root[leaf]",
        "[0, 1, 2] 17",
    ]


def _ledger_row(catalog, campaign):
    from channels.models import LedgerEntry
    from channels.tests.conftest import prepared_delivery

    delivery = prepared_delivery(catalog, campaign, [1, 2])
    entry = LedgerEntry.objects.get(delivery=delivery, address="ann@example.test")
    # a delivery level keyed by the address itself: the recipient key is the address
    LedgerEntry.objects.filter(pk=entry.pk).update(recipient_key="ann@example.test")
    entry.refresh_from_db()
    return entry


def test_ledger_admin_decides_the_address_columns_per_request(
    catalog, campaign, email_configuration, administrator, viewer, rf
):
    from django.contrib import admin as django_admin
    from django.contrib.admin.utils import lookup_field

    from channels.models import LedgerEntry

    # given: an administrator's request is being rendered while a viewer's request arrives
    entry = _ledger_row(catalog, campaign)
    model_admin = django_admin.site._registry[LedgerEntry]
    admin_request, viewer_request = rf.get("/"), rf.get("/")
    admin_request.user, viewer_request.user = administrator, viewer
    model_admin.get_queryset(admin_request)
    admin_columns = model_admin.get_list_display(admin_request)
    model_admin.get_queryset(viewer_request)
    viewer_columns = model_admin.get_list_display(viewer_request)
    # when
    shown_to_admin = [lookup_field(c, entry, model_admin)[2] for c in admin_columns]
    shown_to_viewer = [lookup_field(c, entry, model_admin)[2] for c in viewer_columns]
    # then: each sees what their own permission allows, whatever the other request did
    assert shown_to_admin.count("ann@example.test") == 2
    assert "ann@example.test" not in shown_to_viewer and shown_to_viewer.count("•••") == 2
    assert not hasattr(model_admin, "_user")


def test_ledger_admin_pages_hide_the_address_from_a_viewer(
    catalog, campaign, email_configuration, administrator, viewer
):
    # given
    entry = _ledger_row(catalog, campaign)
    viewer_client, admin_client = Client(), Client()
    viewer_client.force_login(viewer)
    admin_client.force_login(administrator)
    urls = ["/admin/oc_channels/ledgerentry/", f"/admin/oc_channels/ledgerentry/{entry.pk}/change/"]
    for url in urls:
        # when
        seen_by_viewer = viewer_client.get(url)
        seen_by_admin = admin_client.get(url)
        # then
        assert seen_by_viewer.status_code == 200 and seen_by_admin.status_code == 200
        assert b"ann@example.test" not in seen_by_viewer.content
        assert b"ann@example.test" in seen_by_admin.content


def test_suppressed_addresses_need_the_personal_data_permission(administrator, approver, viewer, api_as):
    from channels.services.configurations import suppression_add

    # given
    suppression_add(actor=administrator, channel="email", address="gus@example.test", reason="complaint")
    url = "/api/v1/suppressions/"
    # when
    viewer_list = api_as(viewer).get(url)
    viewer_search = api_as(viewer).get(url, {"q": "gus@"})
    approver_list = api_as(approver).get(url)
    approver_search = api_as(approver).get(url, {"q": "gus@"})
    # then: the viewer sees that an entry exists, not whose it is, and cannot guess by searching
    assert viewer_list.status_code == 200 and viewer_list.json()["results"][0]["address"] == "•••"
    assert viewer_search.status_code == 400
    assert [e["field"] for e in viewer_search.json()["errors"]] == ["q"]
    assert approver_list.json()["results"][0]["address"] == "gus@example.test"
    assert [e["address"] for e in approver_search.json()["results"]] == ["gus@example.test"]


def test_provider_secrets_are_write_only(administrator, viewer, api_as, email_configuration):
    from channels.models import ChannelConfiguration
    from channels.services.configurations import configuration_update

    # given
    configuration_update(
        actor=administrator,
        configuration=email_configuration,
        data={
            "provider_settings": {"host": "127.0.0.1", "port": 25, "password": "pw", "webhook_secret": "hk"}
        },
    )
    url = f"/api/v1/channel-configurations/{email_configuration.pk}/"
    # when
    seen_by_viewer = api_as(viewer).get(url).json()["provider_settings"]
    seen_by_admin = api_as(administrator).get(url).json()["provider_settings"]
    sent_back = api_as(administrator).patch(
        url, {"provider_settings": {**seen_by_admin, "port": 2525}}, format="json"
    )
    # then: nobody reads the secrets back; sending the mask (or nothing) back keeps them
    assert seen_by_viewer == {"host": "127.0.0.1", "port": 25, "password": "•••", "webhook_secret": "•••"}
    assert seen_by_admin == seen_by_viewer
    assert sent_back.status_code == 200, sent_back.content
    stored = ChannelConfiguration.objects.get(pk=email_configuration.pk).provider_settings
    assert stored == {"host": "127.0.0.1", "port": 2525, "password": "pw", "webhook_secret": "hk"}
    api_as(administrator).patch(url, {"provider_settings": {"host": "h", "password": "new"}}, format="json")
    stored = ChannelConfiguration.objects.get(pk=email_configuration.pk).provider_settings
    assert stored == {"host": "h", "password": "new", "webhook_secret": "hk"}


def test_admin_form_leaves_provider_settings_out_for_a_viewer(administrator, viewer, email_configuration):
    from channels.services.configurations import configuration_update

    # given
    configuration_update(
        actor=administrator,
        configuration=email_configuration,
        data={"provider_settings": {"host": "127.0.0.1", "password": "sup3r-s3cret-pw"}},
    )
    url = f"/admin/oc_channels/channelconfiguration/{email_configuration.pk}/change/"
    viewer_client, admin_client = Client(), Client()
    viewer_client.force_login(viewer)
    admin_client.force_login(administrator)
    # when
    as_viewer, as_admin = viewer_client.get(url), admin_client.get(url)
    # then
    assert as_viewer.status_code == 200 and b"sup3r-s3cret-pw" not in as_viewer.content
    assert b"127.0.0.1" not in as_viewer.content
    assert as_admin.status_code == 200 and b"provider_settings" in as_admin.content
