"""The dashboard in a real headless Chromium (Debian's ``chromium``, driven by Playwright): signing
in from chat, the live board, dragging cards, a WIP refusal, the checklist, the metrics' charts,
Chinese, and a stranger to the channel.

One browser serves the whole session; each test gets a fresh context (no cookies). They run on the
SQLite pass only: what they add over ``test_web.py`` is the browser, which the database does not
change. ``BATON_SCREENSHOTS=docs`` keeps the board and metrics screenshots there (the README's).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import App
from bot.clock import FrozenClock
from tests.conftest import Chat
from tests.fakes.metrics import ask, daily_standup, escalate, run
from tests.fakes.web import Dashboard, link_for, served

playwright = pytest.importorskip("playwright.async_api", reason="Playwright is not installed")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
OPS = "console:local/ops"
SETTLE = 10_000  # ms the page may take to show a change (the live refresh polls every 3 s)

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium is not installed (Debian: apt-get install chromium fonts-wqy-microhei; "
        ".ci/system-packages does it)",
    ),
    pytest.mark.skipif(
        bool(os.environ.get("BATON_TEST_POSTGRES")),
        reason="the browser tests run on the SQLite pass only",
    ),
    pytest.mark.asyncio(loop_scope="session"),
]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[playwright.Browser]:
    """One headless Chromium for the session (Playwright's own browser download is not used)."""
    async with playwright.async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def dashboard(app: App, chat: Chat) -> AsyncIterator[Dashboard]:
    async with served(app) as served_dashboard:
        yield served_dashboard


class Person:
    """Someone at a browser: a fresh context, and what went wrong on its pages."""

    def __init__(self, page: playwright.Page, dashboard: Dashboard) -> None:
        self.page = page
        self.dashboard = dashboard
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("dialog", lambda dialog: self.problems.append(f"dialog: {dialog.message}"))
        page.on("pageerror", lambda error: self.problems.append(f"error: {error}"))

    def _console(self, message: playwright.ConsoleMessage) -> None:
        # A page answered 404 on purpose is logged too; scripts and styles are checked below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(message.text)

    def _response(self, response: playwright.Response) -> None:
        if "/web/static/" in response.url and response.status != 200:
            self.problems.append(f"{response.status} {response.url}")

    async def open(self, path: str) -> None:
        await self.page.goto(self.dashboard.url(path))

    async def sign_in(self, chat: Chat, user: str, channel: str = "ops") -> None:
        await self.open(await link_for(chat, user, channel))
        async with self.page.expect_navigation():
            await self.page.get_by_role("button").last.click()

    async def drag(self, number: int, column: str) -> None:
        """Drag card ``#number`` onto ``column``, as a hand on a mouse does."""
        card = self.page.locator(f'.card[data-number="{number}"]')
        target = self.page.locator(f'ol.cards[data-column="{column}"]')
        start, end = await card.bounding_box(), await target.bounding_box()
        assert start is not None and end is not None
        await self.page.mouse.move(start["x"] + 20, start["y"] + 10)
        await self.page.mouse.down()
        await self.page.mouse.move(end["x"] + 30, end["y"] + 20, steps=12)
        await self.page.mouse.move(end["x"] + 32, end["y"] + 24, steps=2)
        await self.page.mouse.up()


@pytest_asyncio.fixture(loop_scope="session")
async def person(browser: playwright.Browser, dashboard: Dashboard) -> AsyncIterator[Person]:
    context = await browser.new_context(viewport={"width": 1280, "height": 760})
    someone = Person(await context.new_page(), dashboard)
    yield someone
    await context.close()
    assert someone.problems == []  # no script errors, no CSP refusals, no alert() ran


def keep(path: Path, name: str) -> None:
    """Keep a screenshot under ``BATON_SCREENSHOTS`` (the README shows ``docs/``'s)."""
    if folder := os.environ.get("BATON_SCREENSHOTS"):
        shutil.copyfile(path, Path(folder) / name)


async def column_of(person: Person, number: int) -> str | None:
    return await person.page.locator(f'.card[data-number="{number}"]').evaluate(
        "card => card.closest('ol.cards').dataset.column"
    )


async def test_a_link_signs_in_once_and_an_expired_one_is_refused(
    chat: Chat,
    dashboard: Dashboard,
    person: Person,
    clock: FrozenClock,
    browser: playwright.Browser,
) -> None:
    link = await link_for(chat, "alice")
    await person.open(link)
    async with person.page.expect_navigation():
        await person.page.get_by_role("button", name="Sign in").click()
    await person.page.get_by_text("#ops").wait_for()
    again = await browser.new_context()
    page = await again.new_page()
    await page.goto(dashboard.url(link))
    assert "can't be used" in await page.content()
    expired = await link_for(chat, "bob")
    clock.advance(timedelta(minutes=11))
    await page.goto(dashboard.url(expired))
    assert "can't be used" in await page.content()
    await page.goto(dashboard.url("/web/"))
    assert "send Baton “dashboard”" in await page.content()
    await again.close()


async def test_the_board_shows_chat_tasks_and_a_dragged_card_moves_in_chat_too(
    chat: Chat, person: Person, tmp_path: Path
) -> None:
    await chat.say("task add Restock SKU-1 @bob due:fri #stock !high")
    await chat.say("task add <img src=x onerror=alert(1)> <script>alert(2)</script>")
    await person.sign_in(chat, "alice")
    await person.open(f"/web/board?c={OPS}")
    await person.page.get_by_text("Restock SKU-1").wait_for()
    assert await person.page.get_by_text("<script>alert(2)</script>").count() == 1
    await person.drag(1, "doing")
    await person.page.locator(".toast.ok").wait_for()
    assert await column_of(person, 1) == "doing"
    assert "moved it todo → doing (via web)" in await chat.say("task show 1")
    await chat.say("task add Made in chat while the board is open")
    await person.page.get_by_text("Made in chat while").wait_for(timeout=SETTLE)


async def test_a_wip_refusal_is_shown_and_the_card_goes_back(chat: Chat, person: Person) -> None:
    await chat.say("task wip doing 1", user="boss")
    for line in ("task add First order", "task add Second order", "task start 1"):
        await chat.say(line)
    await person.sign_in(chat, "alice")
    await person.open(f"/web/board?c={OPS}")
    await person.drag(2, "doing")
    toast = person.page.locator(".toast.error")
    await toast.wait_for()
    assert "WIP limit (1/1)" in await toast.inner_text()
    assert await column_of(person, 2) == "todo"
    assert "1/1" in await person.page.locator(".column.full .wip").inner_text()


async def test_a_checklist_item_is_ticked_in_the_task_panel(chat: Chat, person: Person) -> None:
    await chat.say("task add Ship parcel 88")
    await chat.say("task check add 1 Print the label")
    await person.sign_in(chat, "alice")
    await person.open(f"/web/board?c={OPS}")
    await person.page.get_by_text("Ship parcel 88").click()
    item = person.page.get_by_role("button", name="Print the label")
    await item.click()
    await person.page.locator('button.check[aria-pressed="true"]').wait_for()
    assert (
        "ticked: Print the label (via web)" in await person.page.locator(".history").inner_text()
    )
    assert "☑ 1. Print the label" in await chat.say("task show 1")


def some_faq_and_standups(app: App, start: datetime, days: int) -> None:
    """A few weeks of FAQ lookups, escalations and standup answers in #ops."""
    with app.engine.begin() as conn:
        standup = daily_standup(conn, channel=OPS, at=start)
        for day in range(days):
            at = start + timedelta(days=day, hours=1)
            for i, decision in enumerate(
                ("answer", "answer", "suggest", "escalate")[: 2 + day % 3]
            ):
                text = ("Which courier for Germany?", "退货地址是什么?")[i % 2]
                ask(conn, place=OPS, decision=decision, at=at + timedelta(minutes=i), text=text)
            answered = timedelta(hours=2 + day % 5) if day % 4 else None
            escalate(
                conn, place=f"{OPS}/{day}", at=at, sla=timedelta(hours=4), answered_after=answered
            )
            for user in ("alice", "bob", "wang"):
                status = "unanswered" if (day + len(user)) % 4 == 0 else "answered"
                day_text = (at.date()).isoformat()
                run(conn, standup=standup, user=user, day=day_text, status=status, prompt_at=at,
                    closes_at=at + timedelta(hours=3))  # fmt: skip


async def test_the_metrics_page_draws_its_charts(
    chat: Chat, app: App, person: Person, clock: FrozenClock, tmp_path: Path
) -> None:
    start = clock.now()
    for i in range(8):
        await chat.say(f"task add Order {1000 + i} due:in {2 + i % 3}d")
    for number in range(1, 8):
        clock.advance(timedelta(hours=9 + 5 * (number % 3)))
        await chat.say(f"task start {number}")
        clock.advance(timedelta(hours=6 + 4 * (number % 4)))
        if number in (3, 6):
            await chat.say(f"task move {number} todo")
            await chat.say(f"task start {number}")
        if number != 7:
            await chat.say(f"task done {number}")
    some_faq_and_standups(app, start, days=(clock.now() - start).days + 1)
    await person.sign_in(chat, "alice")
    await person.open(f"/web/metrics?c={OPS}&days=30")
    drawn = person.page.locator('canvas[data-drawn="true"]')
    await drawn.nth(2).wait_for()
    assert await drawn.count() >= 3
    assert "Cycle time" in await person.page.locator(".tiles").inner_text()
    shot = tmp_path / "metrics.png"
    await person.page.screenshot(path=str(shot), full_page=True)
    keep(shot, "dashboard-metrics.png")


async def test_a_chinese_user_sees_chinese(
    chat: Chat, person: Person, clock: FrozenClock, tmp_path: Path
) -> None:
    await chat.say("task columns 待审核,打单中,已拣货,已打包,待发货,已发货", user="boss")
    await chat.say("task wip 打单中 3", user="boss")
    await chat.say("lang zh", user="wang")
    orders = [
        "订单 A1001 补发 @wang due:tomorrow #加急 !high",
        "Restock SKU-1 @alice due:fri #stock",
        "打印面单 SKU-88",
        "退款 5521 @wang due:today #退款",
        "核对库存 仓库B #stock",
        "跟进物流 DHL 1234",
    ]
    for line in orders:
        await chat.say(f"新建任务 {line}", user="wang")
    for number, column in (
        (1, "打单中"),
        (2, "打单中"),
        (3, "已拣货"),
        (5, "已打包"),
        (6, "已发货"),
    ):
        await chat.say(f"任务 移动 {number} {column}", user="wang")
    await chat.say("任务 清单 添加 1 联系供应商", user="wang")
    clock.advance(timedelta(days=1))  # the refund is overdue now
    await person.sign_in(chat, "wang")
    await person.open(f"/web/board?c={OPS}")
    page = person.page
    await page.get_by_text("快速添加").wait_for()
    assert await page.get_attribute("html", "lang") == "zh-CN"
    assert "已逾期" in await page.locator(".card.overdue").inner_text()
    shot = tmp_path / "board.png"
    await page.screenshot(path=str(shot))
    keep(shot, "dashboard-board.png")


async def test_a_user_of_another_channel_sees_nothing_of_it(chat: Chat, person: Person) -> None:
    await chat.say("task add Supplier price list")
    await person.sign_in(chat, "carol", channel="finance")
    assert "#ops" not in await person.page.locator("main").inner_text()
    await person.open(f"/web/board?c={OPS}")
    text = await person.page.locator("main").inner_text()
    assert "Not found" in text and "Supplier" not in text
    await person.open(f"/web/metrics?c={OPS}")
    assert "Supplier" not in await person.page.content()
