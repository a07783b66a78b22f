"""The dashboard over HTTP: signing in from chat, who sees which board, changes made on the web
running as chat commands, live refresh, security headers, CSRF, hostile and malformed input.

(The browser itself is driven in ``test_web_browser.py``.)
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from pydantic import SecretStr

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.i18n import placeholders
from bot.intake import Intake
from bot.wiring import web_adapter
from storage import web as web_store
from tests.conftest import Chat
from tests.fakes.web import Dashboard, browser_session, csrf_of, link_for, served, sign_in
from tests.test_cli import baton

OPS = "console:local/ops"
HOSTILE = (
    "<script>alert(1)</script>",
    "<!channel>",
    "@all",
    '<at user_id="all">all</at>',
    '<img src=x onerror="alert(2)">',
)


@pytest_asyncio.fixture
async def dashboard(app: App, chat: Chat) -> AsyncIterator[Dashboard]:
    """The dashboard of ``app``, served on 127.0.0.1."""
    async with served(app) as served_dashboard:
        yield served_dashboard


@pytest_asyncio.fixture
async def alice(chat: Chat, dashboard: Dashboard) -> AsyncIterator[aiohttp.ClientSession]:
    """alice's browser, signed in (she has written in #ops)."""
    async with browser_session() as http:
        await sign_in(chat, dashboard, http, "alice")
        yield http


async def get(http: aiohttp.ClientSession, dashboard: Dashboard, path: str) -> tuple[int, str]:
    async with http.get(dashboard.url(path)) as response:
        return response.status, await response.text()


async def post(
    http: aiohttp.ClientSession,
    dashboard: Dashboard,
    path: str,
    data: dict[str, str],
    *,
    fragment: bool = True,
    origin: str | None = None,
) -> tuple[int, str]:
    headers = {"HX-Request": "true"} if fragment else {}
    if origin is not None:
        headers["Origin"] = origin
    async with http.post(dashboard.url(path), data=data, headers=headers) as response:
        return response.status, await response.text()


def column_of(page: str, title: str) -> str:
    """The board column a card with ``title`` is shown in."""
    before = page.split(title, 1)[0]
    return before.rsplit('data-column="', 1)[1].split('"', 1)[0]


async def csrf(http: aiohttp.ClientSession, dashboard: Dashboard) -> str:
    _, page = await get(http, dashboard, f"/web/board?c={OPS}")
    return csrf_of(page)


# --- signing in -----------------------------------------------------------------------------


async def test_without_a_session_every_page_is_401_and_says_how_to_sign_in(
    chat: Chat, dashboard: Dashboard
) -> None:
    await chat.say("task add Secret supplier price")
    async with browser_session() as http:
        for path in ("/web/", f"/web/board?c={OPS}", f"/web/task?c={OPS}&n=1", "/web/metrics"):
            status, page = await get(http, dashboard, path)
            assert status == 401, path
            assert "dashboard" in page and "Secret supplier" not in page
        status, page = await get(http, dashboard, "/web/?lang=zh")
        assert status == 401 and "看板 网页" in page


async def test_a_link_signs_in_once_with_a_safe_cookie(chat: Chat, dashboard: Dashboard) -> None:
    path = await link_for(chat, "alice")
    token = path.split("token=")[1]
    async with browser_session() as http:
        status, page = await get(http, dashboard, path)
        assert status == 200 and "Sign in" in page and "alice" in page  # opening does not use it
        async with http.post(
            dashboard.url("/web/login"), data={"token": token}, allow_redirects=False
        ) as response:
            assert response.status == 303
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
        status, page = await get(http, dashboard, "/web/")
        assert status == 200 and "#ops" in page
    async with browser_session() as other:
        status, page = await post(other, dashboard, "/web/login", {"token": token}, fragment=False)
        assert status == 410 and "used already or has expired" in page
        status, _ = await get(other, dashboard, "/web/")
        assert status == 401


async def test_an_expired_or_forged_link_is_refused(
    chat: Chat, dashboard: Dashboard, clock: FrozenClock
) -> None:
    path = await link_for(chat, "alice")
    clock.advance(timedelta(minutes=10, seconds=1))
    async with browser_session() as http:
        status, _ = await get(http, dashboard, path)
        assert status == 410
        token = path.split("token=")[1]
        status, _ = await post(http, dashboard, "/web/login", {"token": token}, fragment=False)
        assert status == 410
        status, _ = await post(http, dashboard, "/web/login", {"token": "x" * 43}, fragment=False)
        assert status == 410
        http.cookie_jar.update_cookies({"baton_session": "eyJ3IjoiY29uc29sZTpsb2NhbCJ9.forged"})
        status, _ = await get(http, dashboard, "/web/")
        assert status == 401


async def test_links_are_rate_limited_per_person(chat: Chat, app: App, clock: FrozenClock) -> None:
    for _ in range(5):
        assert "direct message" in await chat.say("dashboard")
    refused = await chat.say("dashboard")
    assert "5 links in the last 10 minutes" in refused and "token=" not in refused
    assert "token=" in await chat.say("dashboard", user="bob")  # someone else is not limited
    clock.advance(timedelta(minutes=10, seconds=1))
    assert "token=" in await chat.say("dashboard")
    assert "链接" in await chat.say("看板 网页", user="carol")


async def test_a_link_is_sent_by_direct_message_only(chat: Chat) -> None:
    printed = await chat.say("dashboard", channel="ops")
    lines = printed.splitlines()
    assert lines[0] == "I've sent you a sign-in link by direct message."
    assert lines[1].startswith("→ DM @alice: ") and "token=" in printed


async def test_stored_links_keep_only_a_hash(chat: Chat, app: App) -> None:
    path = await link_for(chat, "alice")
    token = path.split("token=")[1]
    with app.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM web_links")).scalars().all()
    assert stored and token not in stored[0]


# --- who sees what ---------------------------------------------------------------------------


async def test_a_board_shows_tasks_from_chat_and_nothing_of_other_channels(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("task add Restock SKU-1 @bob due:fri #stock !high")
    await chat.say("task add Payroll review", user="carol", channel="finance")
    status, page = await get(alice, dashboard, f"/web/board?c={OPS}")
    assert status == 200
    assert "Restock SKU-1" in page and "@bob" in page and "#stock" in page
    assert "Payroll" not in page
    _, home = await get(alice, dashboard, "/web/")
    assert "#ops" in home and "finance" not in home
    for path in (
        "/web/board?c=console:local/finance",
        "/web/task?c=console:local/finance&n=2",
        "/web/metrics?c=console:local/finance",
        "/web/metrics.csv?c=console:local/finance&chart=wip",
        "/web/board?c=slack:T9/C9",
    ):
        status, page = await get(alice, dashboard, path)
        assert status == 404 and "Payroll" not in page, path
    status, page = await get(alice, dashboard, f"/web/task?c={OPS}&n=2")  # not on this board
    assert status == 404 and "Payroll" not in page


async def test_an_admin_sees_every_board_of_the_workspace(
    chat: Chat, dashboard: Dashboard
) -> None:
    await chat.say("task add Payroll review", user="carol", channel="finance")
    async with browser_session() as boss:
        await sign_in(chat, dashboard, boss, "boss", channel="boss-room")
        _, home = await get(boss, dashboard, "/web/")
        assert "#finance" in home
        status, page = await get(boss, dashboard, "/web/board?c=console:local/finance")
        assert status == 200 and "Payroll review" in page


async def test_team_metrics_count_only_the_viewers_channels(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("task add Ours")
    await chat.say("task add Theirs one", user="carol", channel="finance")
    await chat.say("task add Theirs two", user="carol", channel="finance")
    status, csv = await get(alice, dashboard, "/web/metrics.csv?chart=wip&days=7")
    assert status == 200
    assert csv.strip().splitlines()[-1].endswith(",1")


# --- changes made on the web -----------------------------------------------------------------


async def test_a_move_on_the_web_is_a_chat_command_with_history_via_web(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("task add Pack order 5521")
    token = await csrf(alice, dashboard)
    data = {"csrf": token, "c": OPS, "n": "1", "to": "doing", "from": "board"}
    status, page = await post(alice, dashboard, f"/web/move?c={OPS}", data)
    assert status == 200
    assert 'class="toast ok"' in page and "#1 moved to doing" in page
    assert column_of(page, "Pack order 5521") == "doing"
    shown = await chat.say("task show 1")
    assert "moved it todo → doing (via web)" in shown


async def test_a_move_past_a_wip_limit_is_refused_and_the_card_stays(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("task wip doing 1", user="boss")
    await chat.say("task add First")
    await chat.say("task add Second")
    await chat.say("task start 1")
    token = await csrf(alice, dashboard)
    data = {"csrf": token, "c": OPS, "n": "2", "to": "doing", "from": "board"}
    status, page = await post(alice, dashboard, f"/web/move?c={OPS}", data)
    assert status == 200 and 'class="toast error"' in page and "WIP limit (1/1)" in page
    assert column_of(page, "Second") == "todo"
    assert "#2 Second · [todo]" in await chat.say("task list")


async def test_checklist_notes_and_quick_add_run_as_commands(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("hello", user="bob")  # Baton knows bob: "@bob" on the web names him
    await chat.say("task add Ship parcel")
    token = await csrf(alice, dashboard)
    base = {"csrf": token, "c": OPS, "n": "1"}
    await post(alice, dashboard, "/web/check/add", {**base, "text": "Print label"})
    status, panel = await post(alice, dashboard, "/web/check", {**base, "position": "1"})
    assert status == 200 and 'aria-pressed="true"' in panel and "ticked: Print label" in panel
    status, panel = await post(alice, dashboard, "/web/note", {**base, "text": "Courier at 3pm"})
    assert "Courier at 3pm" in panel and "(via web)" in panel
    add = {"csrf": token, "c": OPS, "title": "Call supplier @bob #stock"}
    status, board = await post(alice, dashboard, f"/web/add?c={OPS}", add)
    assert status == 200 and "Call supplier" in board and "@bob" in board
    printed = await chat.say("task show 2")
    assert "Owner: @bob" in printed and "created it (via web)" in printed


async def test_quick_add_notifies_the_new_owner_through_the_outbox(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("hello", user="bob")  # Baton has met bob
    token = await csrf(alice, dashboard)
    start = chat.out.tell()
    await post(alice, dashboard, "/web/add", {"csrf": token, "c": OPS, "title": "Label @bob"})
    chat.out.seek(start)
    printed = chat.out.read()
    assert "@alice assigned you task #1: Label" in printed
    assert "Created #1" not in printed  # the reply for alice is shown on the page instead


async def test_hostile_text_stays_inert_on_the_page_and_in_chat(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    token = await csrf(alice, dashboard)
    for text in (*HOSTILE, "ping <@boss> now"):
        await post(alice, dashboard, "/web/add", {"csrf": token, "c": OPS, "title": text})
    _, page = await get(alice, dashboard, f"/web/board?c={OPS}")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=" in page
    assert "&lt;!channel&gt;" in page
    shown = await chat.say("task show 6")
    assert "Owner: nobody" in shown  # a typed token is not a mention


async def test_csrf_and_other_origins_are_refused_and_change_nothing(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("task add Keep me in todo")
    token = await csrf(alice, dashboard)
    move = {"c": OPS, "n": "1", "to": "doing"}
    assert (await post(alice, dashboard, "/web/move", move))[0] == 403
    assert (await post(alice, dashboard, "/web/move", {**move, "csrf": "forged"}))[0] == 403
    status, _ = await post(
        alice, dashboard, "/web/move", {**move, "csrf": token}, origin="https://evil.example"
    )
    assert status == 403
    assert "[todo]" in await chat.say("task list")


async def test_malformed_and_oversized_input_gets_a_clear_answer(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("task add Real task")
    token = await csrf(alice, dashboard)
    assert (await get(alice, dashboard, f"/web/task?c={OPS}&n=abc"))[0] == 400
    assert (await get(alice, dashboard, "/web/board"))[0] == 404
    assert (await get(alice, dashboard, f"/web/board?c={'x' * 5000}"))[0] == 404
    bad_column = {"csrf": token, "c": OPS, "n": "1", "to": "doing --force"}
    assert (await post(alice, dashboard, "/web/move", bad_column))[0] == 400
    bad_position = {"csrf": token, "c": OPS, "n": "1", "position": "1; task delete 1"}
    assert (await post(alice, dashboard, "/web/check", bad_position))[0] == 400
    long_note = {"csrf": token, "c": OPS, "n": "1", "text": "x" * 2001}
    status, page = await post(alice, dashboard, "/web/note", long_note)
    assert status == 400 and "not understood" in page
    status, _ = await post(alice, dashboard, "/web/note", {**long_note, "text": "y" * 2_000_000})
    assert status == 413
    long_title = {"csrf": token, "c": OPS, "title": "t" * 300}
    status, page = await post(alice, dashboard, "/web/add", long_title)
    assert 'class="toast error"' in page and "300" in page
    assert "Traceback" not in page
    assert "[todo]" in await chat.say("task list")


# --- pages ---------------------------------------------------------------------------------


async def test_pages_carry_security_headers_and_no_inline_script(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("task add Anything")
    async with alice.get(dashboard.url(f"/web/board?c={OPS}")) as response:
        page = await response.text()
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Server-Timing"].startswith("app;dur=")
    assert "<script>" not in page and " on" + "click=" not in page
    async with alice.get(dashboard.url("/web/static/vendor/htmx.min.js")) as response:
        assert response.status == 200 and "immutable" in response.headers["Cache-Control"]
    assert (await get(alice, dashboard, "/web/static/../../adapter.py"))[0] == 404


async def test_the_board_refreshes_only_when_it_changed(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession
) -> None:
    await chat.say("task add Before")
    _, page = await get(alice, dashboard, f"/web/board?c={OPS}")
    poll = page.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert poll.startswith("/web/board/cards?")
    status, _ = await get(alice, dashboard, poll)
    assert status == 204
    await chat.say("task add Made in chat meanwhile")
    status, fragment = await get(alice, dashboard, poll)
    assert status == 200 and "Made in chat meanwhile" in fragment


async def test_filters_show_mine_overdue_a_person_and_a_tag(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession, clock: FrozenClock
) -> None:
    await chat.say("task add Mine @alice #stock")
    await chat.say("task add Bobs @bob due:today")
    await chat.say("task add Untagged")
    clock.advance(timedelta(days=1))
    cases = {
        "mine=1": {"Mine"},
        "overdue=1": {"Bobs"},
        "owner=bob": {"Bobs"},
        "tag=stock": {"Mine"},
    }
    for query, expected in cases.items():
        _, page = await get(alice, dashboard, f"/web/board/cards?c={OPS}&{query}")
        shown = {
            t for t in ("Mine", "Bobs", "Untagged") if f'</span> <span class="title">{t}' in page
        }
        assert shown == expected, query
    _, page = await get(alice, dashboard, f"/web/board?c={OPS}")
    assert "overdue" in page  # Bobs is past its due date, in alice's zone


async def test_a_chinese_reader_gets_chinese_pages_and_replies(
    chat: Chat, dashboard: Dashboard
) -> None:
    await chat.say("lang zh", user="wang")
    await chat.say("新建任务 打印面单", user="wang")
    async with browser_session() as http:
        await sign_in(chat, dashboard, http, "wang")
        status, page = await get(http, dashboard, f"/web/board?c={OPS}")
        assert status == 200 and "快速添加" in page and 'lang="zh-CN"' in page
        token = csrf_of(page)
        data = {"csrf": token, "c": OPS, "n": "1", "to": "doing", "from": "board"}
        _, answer = await post(http, dashboard, "/web/move", data)
        assert "已移到" in answer or "移到" in answer
        _, english = await get(http, dashboard, f"/web/board?c={OPS}&lang=en")
        assert "Quick add" in english
        _, remembered = await get(http, dashboard, "/web/")
        assert "Boards" in remembered


async def test_metrics_page_and_csv(
    chat: Chat, dashboard: Dashboard, alice: aiohttp.ClientSession, clock: FrozenClock
) -> None:
    await chat.say("task add Order 1")
    clock.advance(timedelta(hours=6))
    await chat.say("task done 1")
    status, page = await get(alice, dashboard, f"/web/metrics?c={OPS}&days=7")
    assert status == 200 and "data-chart=" in page and "6.0 h" in page
    status, csv = await get(alice, dashboard, f"/web/metrics.csv?c={OPS}&days=7&chart=throughput")
    assert status == 200 and csv.startswith("\ufeffWeek of,Finished")
    assert (await get(alice, dashboard, f"/web/metrics.csv?c={OPS}&chart=nope"))[0] == 400


async def test_csv_cells_never_run_as_formulas(chat: Chat, app: App) -> None:
    from adapters.web.charts import Chart, as_csv

    chart = Chart("gaps", "Gaps", "table", [], [], ["Question"], [["=HYPERLINK(1)"], ["+1"]])
    assert as_csv(chart).splitlines()[1:] == ["'=HYPERLINK(1)", "'+1"]


async def test_where_people_write_is_recorded_once(chat: Chat, app: App) -> None:
    await chat.say("task list")
    await chat.say("task list")
    await chat.say("help", channel="finance")
    await chat.say("help", user="bob")
    with app.engine.connect() as conn:
        seen = web_store.member_channels(conn, ws="console:local", user_id="alice")
    assert sorted(seen) == ["console:local/finance", OPS]


@pytest.mark.parametrize("text", ["dashboard", "看板 网页"])
async def test_the_dashboard_can_be_switched_off(text: str, app: App, clock: FrozenClock) -> None:
    off = app.settings.model_copy(update={"web_enabled": False})
    app.settings = off
    chat = Chat(app, clock)
    assert "BATON_WEB=false" in await chat.say(text)


def test_the_pages_say_everything_in_both_languages() -> None:
    from adapters.web.messages import MESSAGES

    assert MESSAGES["en"].keys() == MESSAGES["zh"].keys()
    for key, english in MESSAGES["en"].items():
        assert placeholders(english) == placeholders(MESSAGES["zh"][key]), key


async def test_sessions_are_signed_with_a_key_kept_for_every_process(
    app: App, settings: Settings
) -> None:
    first, second = web_adapter(app), web_adapter(app)
    assert first is not None and second is not None
    await first.start(Intake(app))
    await second.start(Intake(app))  # another process on the same database
    assert first.site.signer is not None and second.site.signer is not None
    now = app.clock.now()
    _, cookie = first.site.signer.new_session(ws="console:local", user_id="alice", now=now)
    assert second.site.signer.read(cookie, now=now) is not None
    assert second.site.signer.read(cookie, now=now + timedelta(days=8)) is None  # ended
    app.settings = settings.model_copy(update={"secret_key": SecretStr("k" * 40)})
    keyed = web_adapter(app)
    assert keyed is not None
    await keyed.start(Intake(app))
    assert keyed.site.signer is not None
    assert keyed.site.signer.read(cookie, now=now) is None


async def test_an_https_address_makes_the_cookie_secure(
    app: App, chat: Chat, settings: Settings
) -> None:
    app.settings = settings.model_copy(update={"public_url": "https://baton.example.com/"})
    path = await link_for(chat, "alice")
    assert "https://baton.example.com/web/login?token=" in chat.out.getvalue()
    async with served(app) as dashboard, browser_session() as http:
        token = path.split("token=")[1]
        async with http.post(
            dashboard.url("/web/login"), data={"token": token}, allow_redirects=False
        ) as response:
            assert "Secure" in response.headers["Set-Cookie"]


def test_a_public_address_must_be_a_web_address() -> None:
    with pytest.raises(ValueError, match="BATON_PUBLIC_URL must start with https://"):
        Settings(_env_file=None, public_url="baton.example.com")  # type: ignore[call-arg]


def test_an_operator_prints_a_link_and_baton_run_serves_the_console_without_a_free_port(
    tmp_path: Path,
) -> None:
    db = tmp_path / "team.db"
    printed = baton("web", "link", "--user", "console:local/me", db=db)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("http://localhost:3000/web/login?token=")
    wrong = baton("web", "link", "--user", "me", db=db)
    assert wrong.returncode == 2 and "platform:workspace/user_id" in wrong.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        env = {"BATON_HTTP_PORT": port, "BATON_HTTP_HOST": "127.0.0.1", "BATON_LOG_LEVEL": "INFO"}
        ran = baton("run", stdin="dashboard\n", db=db, env=env)
    assert ran.returncode == 0, ran.stderr
    assert "token=" in ran.stdout  # the console still runs
    assert f"the dashboard is not served: port {port}" in ran.stderr
    assert "Traceback" not in ran.stderr
