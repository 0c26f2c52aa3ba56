"""Canvas interactions in a real browser, each checked against the graph API or the database:
multi-select with copy and paste (in the campaign and into another one), zoom, fit and the minimap,
the stale-save dialog, transition labels, run status marks, keyboard delete with undo and redo, and
the "Confirm send" button of a held send for every profile."""

from __future__ import annotations

import re

import pytest

from accounts.profiles import ProductProfile
from campaigns.tests.graphs import A, T, campaign_with
from channels.tests.conftest import catalog, email_configuration, smtp_sink  # noqa: F401 (fixtures)
from tests.browser.test_canvas import _box, _canvas, _connect, _node, _select
from tests.browser.test_canvas_confirm import held_campaign  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _at(activity: dict, x: int, y: int) -> dict:
    """An activity of ``A()`` placed on the canvas (apart from the others, so each can be clicked)."""
    return {**activity, "x": x, "y": y}


def _graph(page, live_server, campaign) -> dict:
    response = page.request.get(f"{live_server.url}/api/v1/campaigns/{campaign.pk}/graph/")
    assert response.ok, response.status
    return response.json()


def _edges(graph) -> set[tuple[str, str, str]]:
    return {(t["source"], t["output"], t["target"]) for t in graph["transitions"]}


def _save(page):
    page.click("#oc-save")
    page.wait_for_selector(".oc-message-success, .oc-message-error")
    assert page.locator(".oc-message-error").count() == 0, page.evaluate(
        "JSON.stringify([window.ocCanvas.errors, window.ocCanvas.graphErrors])"
    )


def _audience(key, x, y):
    return _at(A(key, "targeting.build_audience", dimension="customer"), x, y)


def _doc_keys(page) -> set[str]:
    return set(page.evaluate("window.ocCanvas.doc.activities.map((a) => a.key)"))


def test_multi_select_copy_and_paste_in_the_campaign_and_into_another(
    page,
    live_server,
    login,
    catalog,  # noqa: F811
    console_errors,
):
    # given a campaign where Combine "c" (exclusion, primary "a") takes "a" and "b", and another campaign
    # that already has an activity "b"
    admin = catalog["admin"]
    source = campaign_with(
        admin,
        [
            _audience("a", 40, 40),
            _audience("b", 40, 300),
            _at(A("c", "targeting.combine", operation="exclusion", primary="a"), 360, 170),
            _at(A("end", "flow.end"), 660, 170),
        ],
        [T("a", "c"), T("b", "c"), T("c", "end")],
        name="Source",
    )
    target = campaign_with(admin, [_audience("b", 40, 40), _audience("z", 40, 500)], [], name="Target")
    login(admin)
    _canvas(page, live_server, source)

    # when "b" and "c" are selected with Shift+click and copied with Ctrl+C ("a", c's primary, is not)
    _select(page, "b")
    _node(page, "c").locator(".oc-node-type").click(modifiers=["Shift"])
    assert page.evaluate("[...window.ocCanvas.selected].sort()") == ["b", "c"]
    assert page.locator("#oc-side-panel h2").inner_text() == "2 activities selected"
    page.keyboard.press("Control+c")
    page.wait_for_selector("#oc-canvas-messages:has-text('2 activities copied.')")

    # and pasted with Ctrl+V into the other campaign's canvas (the clipboard is the local storage),
    # then "z" is connected to the pasted Combine and the graph saved
    _canvas(page, live_server, target)
    page.locator("#oc-drawflow").focus()
    page.keyboard.press("Control+v")
    page.wait_for_selector(".drawflow-node[data-key='b_2']")
    _connect(page, "z", "c")
    _save(page)

    # then the other campaign's graph holds the copies under fresh keys, with the copied transition kept
    # and the primary (an activity that was not copied) cleared
    graph = _graph(page, live_server, target)
    activities = {a["key"]: a for a in graph["activities"]}
    assert set(activities) == {"b", "z", "b_2", "c"}
    assert activities["b_2"]["type"] == "targeting.build_audience"
    assert activities["c"]["type"] == "targeting.combine"
    assert activities["c"]["config"]["operation"] == "exclusion"
    assert activities["c"]["config"].get("primary") is None
    assert _edges(graph) == {("b_2", "out", "c"), ("z", "out", "c")}

    # when all three are selected (click, Shift+click, Ctrl+click) in the source campaign, copied and
    # pasted there
    _canvas(page, live_server, source)
    _select(page, "a")
    _node(page, "b").locator(".oc-node-type").click(modifiers=["Shift"])
    _node(page, "c").locator(".oc-node-type").click(modifiers=["Control"])
    assert page.evaluate("[...window.ocCanvas.selected].sort()") == ["a", "b", "c"]
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    page.wait_for_selector("#oc-canvas-messages:has-text('3 activities pasted.')")
    assert page.evaluate("[...window.ocCanvas.selected].sort()") == ["a_2", "b_2", "c_2"]
    _save(page)

    # then the copies have fresh keys, both transitions into the copied Combine are kept (not the one to
    # "end", which was not copied) and its primary points at the copy of "a"
    graph = _graph(page, live_server, source)
    configs = {a["key"]: a["config"] for a in graph["activities"]}
    assert set(configs) == {"a", "b", "c", "end", "a_2", "b_2", "c_2"}
    assert configs["c_2"]["primary"] == "a_2" and configs["c"]["primary"] == "a"
    assert _edges(graph) == {
        ("a", "out", "c"),
        ("b", "out", "c"),
        ("c", "out", "end"),
        ("a_2", "out", "c_2"),
        ("b_2", "out", "c_2"),
    }
    assert console_errors == []


def _in_view(page, key) -> bool:
    stage = _box(page.locator("#oc-drawflow"))
    node = _box(_node(page, key))
    return (
        node["x"] >= stage["x"] - 1
        and node["y"] >= stage["y"] - 1
        and node["x"] + node["width"] <= stage["x"] + stage["width"] + 1
        and node["y"] + node["height"] <= stage["y"] + stage["height"] + 1
    )


def test_zoom_fit_and_the_minimap(page, live_server, login, catalog, console_errors):  # noqa: F811
    # given a campaign whose two activities lie far apart
    admin = catalog["admin"]
    campaign = campaign_with(
        admin,
        [_audience("a", 0, 0), _at(A("end", "flow.end"), 1400, 900)],
        [T("a", "end")],
        name="Far apart",
    )
    login(admin)
    _canvas(page, live_server, campaign)
    zoom = lambda: page.evaluate("window.ocCanvas.editor.zoom")  # noqa: E731
    scale = lambda: float(  # noqa: E731 (the scale Drawflow's transform applies)
        re.search(r"scale\(([0-9.]+)\)", page.evaluate("window.ocCanvas.editor.precanvas.style.transform"))[1]
    )
    view_width = lambda: float(page.locator("#oc-minimap .oc-mini-view").get_attribute("width"))  # noqa: E731

    # then the page opened fitted: both activities in view, one minimap shape per activity
    assert _in_view(page, "a") and _in_view(page, "end")
    assert page.locator("#oc-minimap .oc-mini-node").count() == 2
    fitted, fitted_view = zoom(), view_width()

    # when zooming in
    page.click("#oc-zoom-in")
    # then Drawflow's zoom and transform grow and the minimap's view rectangle shrinks
    assert zoom() > fitted
    assert scale() == pytest.approx(zoom(), rel=1e-4)
    assert view_width() < fitted_view
    # when zooming out twice
    zoomed_in = zoom()
    page.click("#oc-zoom-out")
    page.click("#oc-zoom-out")
    assert zoom() < zoomed_in and zoom() < fitted
    assert scale() == pytest.approx(zoom(), rel=1e-4)
    assert view_width() > fitted_view

    # when zoomed in far enough that the graph no longer fits, then Fit brings it all back in view
    for _ in range(6):
        page.click("#oc-zoom-in")
    assert not (_in_view(page, "a") and _in_view(page, "end"))
    page.click("#oc-fit")
    assert _in_view(page, "a") and _in_view(page, "end")
    assert zoom() == pytest.approx(fitted, rel=0.01)

    # when an activity is added, the minimap shows it where it was placed
    _select(page, "a")
    page.click(".oc-palette-item[data-type='flow.end']")
    page.wait_for_selector(".drawflow-node[data-key='end_2']")
    assert page.locator("#oc-minimap .oc-mini-node").count() == 3
    added = page.evaluate("window.ocCanvas.activity('end_2')")
    xs = {float(r.get_attribute("x")) for r in page.locator("#oc-minimap .oc-mini-node").all()}
    assert float(added["x"]) in xs
    assert page.locator("#oc-minimap .oc-mini-selected").count() == 1
    assert console_errors == []


def test_stale_save_opens_the_dialog_and_reload_shows_the_saved_graph(
    page,
    live_server,
    login,
    catalog,  # noqa: F811
    console_errors,
):
    # given a campaign open on the canvas
    admin = catalog["admin"]
    campaign = campaign_with(
        admin, [_audience("a", 40, 40), _at(A("end", "flow.end"), 360, 40)], [T("a", "end")], name="Busy"
    )
    login(admin)
    _canvas(page, live_server, campaign)

    # when someone deletes "end" and saves in a second page
    other = page.context.new_page()
    other_errors: list[str] = []
    other.on("pageerror", lambda error: other_errors.append(str(error)))
    other.on("console", lambda m: other_errors.append(m.text) if m.type == "error" else None)
    other.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/canvas/")
    other.wait_for_selector("body.oc-canvas-ready")
    _select(other, "end")
    other.keyboard.press("Delete")
    _save(other)
    saved = _graph(other, live_server, campaign)
    assert {a["key"] for a in saved["activities"]} == {"a"}
    other.close()

    # and the first page renames "a" and saves
    _select(page, "a")
    page.fill("#oc-activity-label", "Mine")
    page.press("#oc-activity-label", "Tab")
    page.click("#oc-save")

    # then the 409 dialog explains that someone saved meanwhile; nothing of the first page was saved
    dialog = page.locator("#oc-stale-dialog")
    dialog.wait_for(state="visible")
    assert dialog.evaluate("(d) => d.open")
    assert "Someone else saved this campaign" in dialog.inner_text()
    assert "overwritten their changes" in dialog.inner_text()
    assert "someone else saved this graph meanwhile" in page.locator("#oc-canvas-messages").inner_text()
    assert _graph(page, live_server, campaign) == saved

    # when Reload is clicked, the page shows the saved graph (no "end", the old label)
    page.click("#oc-stale-dialog .oc-stale-reload")
    page.wait_for_selector("body.oc-canvas-ready")
    assert _node(page, "end").count() == 0
    assert _node(page, "a").locator(".oc-node-title").inner_text() == "a"
    assert page.evaluate("window.ocCanvas.doc.version") == saved["version"]
    assert page.evaluate("window.ocCanvas.dirty") is False
    # the only errors are the expected refusal (the response and the browser's line about it)
    assert console_errors and all("409" in e for e in console_errors), console_errors
    assert other_errors == []


def test_transition_label_is_edited_and_saved(page, live_server, login, catalog, console_errors):  # noqa: F811
    # given a campaign with one transition
    from campaigns.models import Transition

    admin = catalog["admin"]
    campaign = campaign_with(
        admin, [_audience("a", 40, 40), _at(A("end", "flow.end"), 400, 40)], [T("a", "end")], name="Labels"
    )
    login(admin)
    _canvas(page, live_server, campaign)
    # when the transition is clicked and a label typed in the side panel, then saved
    page.locator(".oc-transition-label[data-source='a']").click()
    page.wait_for_selector(".oc-transition-panel")
    page.fill("#oc-transition-label", "Everyone")
    page.press("#oc-transition-label", "Tab")
    # then the canvas shows it on the transition
    text = page.locator(".oc-transition-label[data-source='a'] .oc-transition-text")
    assert text.inner_text() == "Everyone"
    _save(page)
    # and the API and the database have it
    assert _graph(page, live_server, campaign)["transitions"] == [
        {"source": "a", "output": "out", "target": "end", "label": "Everyone"}
    ]
    assert Transition.objects.get(campaign=campaign).label == "Everyone"
    assert console_errors == []


def test_keyboard_delete_undo_and_redo(page, live_server, login, catalog, console_errors):  # noqa: F811
    # given an audience "a" -> a Fork "mid" (which may also start a campaign), and another audience
    admin = catalog["admin"]
    campaign = campaign_with(
        admin,
        [_audience("a", 40, 40), _at(A("mid", "flow.fork"), 360, 40), _audience("other", 40, 300)],
        [T("a", "mid")],
        name="Keys",
    )
    login(admin)
    _canvas(page, live_server, campaign)
    # when "mid" and "other" are selected and Delete is pressed
    _select(page, "mid")
    _node(page, "other").locator(".oc-node-type").click(modifiers=["Shift"])
    page.keyboard.press("Delete")
    # then they and the transition into "mid" are gone
    assert _node(page, "mid").count() == 0 and _node(page, "other").count() == 0
    assert _doc_keys(page) == {"a"}
    assert page.evaluate("window.ocCanvas.doc.transitions.length") == 0
    # when Ctrl+Z: both come back with the transition
    page.keyboard.press("Control+z")
    assert _node(page, "mid").count() == 1 and _node(page, "other").count() == 1
    assert page.evaluate("window.ocCanvas.doc.transitions.map((t) => t.source + '>' + t.target)") == ["a>mid"]
    # when Ctrl+Y: deleted again
    page.keyboard.press("Control+y")
    assert _node(page, "mid").count() == 0 and _doc_keys(page) == {"a"}
    # and Ctrl+Z then deleting the selected transition with the Delete key, saved
    page.keyboard.press("Control+z")
    page.locator(".oc-transition-label[data-source='a']").click()
    page.wait_for_selector(".oc-transition-panel")
    page.locator("#oc-drawflow").focus()
    page.keyboard.press("Delete")
    assert page.evaluate("window.ocCanvas.doc.transitions.length") == 0
    page.keyboard.press("Control+s")
    page.wait_for_selector(".oc-message-success, .oc-message-error")
    assert page.locator(".oc-message-error").count() == 0, page.locator("#oc-canvas-messages").inner_text()
    graph = _graph(page, live_server, campaign)
    assert {a["key"] for a in graph["activities"]} == {"a", "mid", "other"}
    assert graph["transitions"] == []
    assert console_errors == []


def _mark(page, key):
    return _node(page, key).locator(".oc-node-status")


def test_status_marks_done_error_and_waiting_at_a_breakpoint(
    page,
    live_server,
    login,
    catalog,  # noqa: F811
    settings,
    tmp_path,
    console_errors,
):
    # given a campaign with an audience and a file whose second line is invalid (the fail policy)
    from campaigns.models import Run, RunStatus

    settings.OC_CAMPAIGN_FILES_DIR = tmp_path
    (tmp_path / "partner.csv").write_text("email,points\nann@example.test,1\nbroken,notanumber\n")
    admin = catalog["admin"]
    columns = [{"name": "email", "type": "string"}, {"name": "points", "type": "integer"}]
    campaign = campaign_with(
        admin,
        [
            _audience("gold", 40, 40),
            _at(A("done", "flow.end"), 360, 40),
            _at(
                A("file", "targeting.load_file", file="partner.csv", columns=columns, on_reject="fail"),
                40,
                300,
            ),
            _at(A("file_end", "flow.end"), 360, 300),
        ],
        [T("gold", "done"), T("file", "file_end")],
        name="Marks",
    )
    login(admin)
    _canvas(page, live_server, campaign)

    # when a test run is started from the canvas
    page.click("#oc-run-start")
    page.wait_for_selector(".oc-run-status[data-status='failed']")
    # then the activities that ran show "done", the file "error" with its error as the mark's title
    run = Run.objects.filter(campaign=campaign).latest("id")
    statuses = dict(run.tasks.values_list("activity_key", "status"))
    assert statuses == {"gold": "done", "done": "done", "file": "failed"}
    for key in ("gold", "done"):
        assert _mark(page, key).get_attribute("data-status") == "done"
        assert _mark(page, key).inner_text() == "done"
    assert _mark(page, "file").get_attribute("data-status") == "error"
    assert _mark(page, "file").inner_text() == "error"
    assert "Line 3" in _mark(page, "file").get_attribute("title")
    assert "oc-task-error" in _node(page, "file").get_attribute("class")
    assert _mark(page, "file_end").inner_text() == ""

    # when the file's activities are removed, a breakpoint set on "done" and a test run started
    _select(page, "file")
    _node(page, "file_end").locator(".oc-node-type").click(modifiers=["Shift"])
    page.keyboard.press("Delete")
    _select(page, "done")
    page.get_by_label("Pause here (breakpoint)").check()
    page.click("#oc-run-start")
    page.wait_for_selector(".oc-run-status[data-status='paused']")
    # then "done" waits for the user, with the breakpoint notice (mark title and the activity's panel)
    assert _mark(page, "done").get_attribute("data-status") == "waiting"
    assert _mark(page, "done").inner_text() == "waiting for you"
    assert _mark(page, "done").get_attribute("title") == "Paused at a breakpoint."
    assert _mark(page, "gold").get_attribute("data-status") == "done"
    _select(page, "done")
    assert "Paused at a breakpoint." in page.locator("#oc-side-panel .oc-task-summary").inner_text()
    run = Run.objects.filter(campaign=campaign).latest("id")
    assert run.status == RunStatus.PAUSED and run.tasks.get(activity_key="done").status == "paused"
    # and the saved graph has the breakpoint and no file
    graph = _graph(page, live_server, campaign)
    assert {a["key"]: a["breakpoint"] for a in graph["activities"]} == {"gold": False, "done": True}
    # when resumed, the run finishes and "done" is marked done
    page.click("#oc-run-resume")
    page.wait_for_selector(".oc-run-status[data-status='done']")
    assert _mark(page, "done").get_attribute("data-status") == "done"
    assert console_errors == []


CONFIRMS = {
    ProductProfile.ADMINISTRATOR: True,
    ProductProfile.APPROVER: True,
    ProductProfile.MANAGER: False,
    ProductProfile.VIEWER: False,
}


@pytest.mark.parametrize("profile", list(CONFIRMS))
def test_confirm_send_button_by_profile(
    profile,
    page,
    live_server,
    login,
    make_user,
    held_campaign,  # noqa: F811
    console_errors,
):
    # given a live run holding its email send
    campaign, _run = held_campaign
    login(make_user(profile))
    # when the profile opens the canvas
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/canvas/")
    page.wait_for_selector("body.oc-canvas-ready")
    # then the held activity shows the waiting mark and the run panel its notice, styled as waiting
    may = CONFIRMS[profile]
    config = page.evaluate("JSON.parse(document.getElementById('oc-canvas-config').textContent)")
    assert config["may_confirm_send"] is may
    mark = page.locator(".drawflow-node.oc-send-held .oc-node-status")
    mark.wait_for()
    assert mark.get_attribute("data-status") == "waiting"
    assert mark.inner_text() == ("waiting for you" if may else "waiting for confirmation")
    notice = page.locator("#oc-run-controls .oc-hold[data-activity='mail']")
    assert "mail is waiting for" in notice.inner_text()
    waiting_colour = mark.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert notice.evaluate("(el) => getComputedStyle(el).backgroundColor") == waiting_colour
    # and "Confirm send" is offered exactly to the profiles that may confirm
    assert page.locator(".oc-confirm-send[data-activity='mail']").count() == (1 if may else 0)
    assert console_errors == []
