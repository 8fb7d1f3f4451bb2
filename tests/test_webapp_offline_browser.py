"""The offline side of the app on a 390×844 phone, signed in: drafts written offline sent by Background
Sync with no page open, a draft the server refuses kept on the phone with the server's reason (not sent
again, not dropped), and on a shared phone: signing out forgets the pages kept while signed in and the
person's drafts (saying so first), and a draft left by one person is never sent under another's session."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Dialog, Page

from accounts.models import User
from incidents.models import Category, Report
from tests.browser import chromium, page_errors, sign_in
from tests.test_webapp_browser import controlled

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "mat-khau-dai-9"
NAME = "Lê Thị Hồng Nhung"
DRAFT_COUNT = "() => GeoDrafts.list().then(drafts => drafts.length)"
# Every response the worker kept, searched for the person's name.
KEPT_WITH_NAME = """name => caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(cache =>
    cache.keys().then(requests => Promise.all(requests.map(r => cache.match(r).then(res => res.text()
        .then(t => t.includes(name) ? r.url : null)))))))).then(found => found.flat().filter(Boolean)))"""


def write_offline(page: Page, category: str, title: str) -> None:
    page.select_option("#id_category", category)
    page.fill("#id_title", title)
    page.fill("#id_description", "Viết khi mất mạng, gửi khi có mạng lại.")
    page.select_option("#id_district", "D703")
    page.wait_for_function("document.querySelector('#id_ward option[value=D25450]') !== null")
    page.select_option("#id_ward", "D25450")
    page.click("#submit-report")
    page.wait_for_selector("#draft-notice:not([hidden])")
    page.wait_for_function(
        "t => [...document.querySelectorAll('#draft-list li[data-status=waiting]')]"
        ".some(li => li.textContent.includes(t))",
        arg=title,
    )


def background_sync(context: BrowserContext, origin: str) -> None:
    """What the browser does when the connection returns: the worker's "send-drafts" sync event, asked
    of Chromium through DevTools (as its Application panel does), with no page of ours open."""
    blank = context.new_page()
    cdp = context.new_cdp_session(blank)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not any(r["scopeURL"].startswith(origin) for r in registrations) and time.monotonic() < deadline:
        blank.wait_for_timeout(50)
    (registration,) = {r["registrationId"] for r in registrations if r["scopeURL"].startswith(origin)}
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {"origin": origin, "registrationId": registration, "tag": "send-drafts", "lastChance": False},
    )
    blank.close()


def wait_for(check: Any, what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_background_sync_sends_drafts_keeps_a_refused_one_and_sign_out_forgets_pages_and_drafts(
    demo_site: str, output_dir: Path
) -> None:
    User.objects.create_user(username="nhung", password=PASSWORD, first_name=NAME, email="nhung@example.vn")
    User.objects.create_user(username="khanh", password=PASSWORD, first_name="Khánh", email="khanh@example.vn")
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        errors = page_errors(page)
        page.goto(f"{demo_site}{reverse('login')}")
        sign_in(page, "nhung", PASSWORD)
        page.wait_for_url(lambda url: reverse("login") not in url)
        page.goto(f"{demo_site}/")
        controlled(page)
        page.goto(f"{demo_site}/phan-anh/")  # kept for offline, with the signed-in header
        page.wait_for_function(f"({KEPT_WITH_NAME})({NAME!r}).then(found => found.length > 0)")

        # Two reports written offline; the second's category is withdrawn before they can go.
        page.goto(f"{demo_site}/phan-anh/gui/")
        page.wait_for_function("window.ReportForm && document.querySelectorAll('#report-map path').length > 0")
        context.set_offline(True)
        write_offline(page, "cay-xanh", "Cây đổ, gửi bằng Background Sync")
        write_offline(page, "giao-thong", "Ổ gà, loại phản ánh đã ngừng")
        page.close()
        Category.objects.filter(code="giao-thong").update(is_active=False)
        context.set_offline(False)

        # No page open: the worker sends them (Background Sync). One lands; the other is refused.
        background_sync(context, demo_site)
        wait_for(lambda: Report.objects.filter(title="Cây đổ, gửi bằng Background Sync").exists(), "not sent")
        code = Report.objects.get(title="Cây đổ, gửi bằng Background Sync").code
        page = context.new_page()
        errors += page_errors(page)
        page.goto(f"{demo_site}/phan-anh/gui/")
        # The code of the one sent while no page was open is shown once a page opens ...
        page.wait_for_selector(f".app-notice:has-text('{code}')")
        page.wait_for_selector(f"#draft-list li[data-status=sent]:has-text('{code}')")
        # ... and the refused one stays on the phone with the server's reason, to be corrected.
        refused = page.locator("#draft-list li[data-status=refused]")
        refused.wait_for()
        assert "Ổ gà, loại phản ánh đã ngừng" in refused.inner_text()
        assert "Chưa gửi được: Chuyên mục không tồn tại; hãy chọn lại." in refused.inner_text()
        page.screenshot(path=str(output_dir / "webapp-drafts-sync-refused.png"), full_page=True)
        # Not sent again by the next sync either.
        background_sync(context, demo_site)
        page.reload()
        page.locator("#draft-list li[data-status=refused]").wait_for()
        assert Report.objects.filter(title__startswith="Ổ gà").count() == 0
        assert Report.objects.filter(title__startswith="Cây đổ").count() == 1

        # Signing out on a shared phone: the pages kept while signed in go with the session, and so do the
        # person's drafts, once they were told that one is still unsent.
        asked: list[str] = []

        def accept(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        page.click("summary.menu-button")  # on a phone the header's menu holds it
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url(lambda url: reverse("login") in url)
        assert asked and asked[0].startswith("Còn 1 phản ánh chưa gửi trên máy này. Đăng xuất sẽ xoá"), asked
        assert page.evaluate(DRAFT_COUNT) == 0
        page.wait_for_function(f"({KEPT_WITH_NAME})({NAME!r}).then(found => found.length === 0)")
        context.set_offline(True)
        page.goto(f"{demo_site}/phan-anh/")
        assert NAME not in page.content()
        context.set_offline(False)

        # Another person writes one offline and leaves without signing out (the session ends by itself);
        # the next person to sign in neither sees it nor sends it, from the page or by Background Sync.
        page.goto(f"{demo_site}{reverse('login')}")
        sign_in(page, "khanh", PASSWORD)
        page.wait_for_url(lambda url: reverse("login") not in url)
        page.goto(f"{demo_site}/phan-anh/gui/")
        page.wait_for_function("window.ReportForm && document.querySelectorAll('#report-map path').length > 0")
        context.set_offline(True)
        write_offline(page, "cay-xanh", "Của Khánh, viết khi mất mạng")
        page.close()
        context.clear_cookies()
        context.set_offline(False)
        page = context.new_page()
        errors += page_errors(page)
        page.goto(f"{demo_site}{reverse('login')}")
        sign_in(page, "nhung", PASSWORD)
        page.wait_for_url(lambda url: reverse("login") not in url)
        page.goto(f"{demo_site}/phan-anh/gui/")
        page.evaluate("GeoApp.sendDrafts()")
        background_sync(context, demo_site)
        page.evaluate("GeoApp.sendDrafts()")
        assert page.locator("#draft-list li").count() == 0
        assert page.evaluate(DRAFT_COUNT) == 1  # still on the phone, for Khánh
        assert not Report.objects.filter(title__startswith="Của Khánh").exists()
        assert errors == [], errors
        page.close()
        context.close()
