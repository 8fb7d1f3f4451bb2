"""The installable app in headless Chromium, phone and desktop: the service worker installs, the shell
and the last-seen pages load offline, a report written offline (a photo, the GPS pin) is kept on the
phone and lands once when the connection returns, and the person sees its code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from PIL import Image
from playwright.sync_api import BrowserContext, Page, ViewportSize

from incidents.models import Attachment, Report
from tests.browser import chromium, page_errors
from tests.conftest import point_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WARD = "D25450"  # Phường 1, Thành phố Tây Ninh (demo)
WIDTHS: list[tuple[str, ViewportSize]] = [
    ("phone", {"width": 390, "height": 844}),
    ("desktop", {"width": 1366, "height": 900}),
]


def controlled(page: Page) -> None:
    """The worker has installed (its shell is cached) and controls the page."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")


def camera_photo(path: Path) -> Path:
    """A photo as a phone camera takes it: large, JPEG, held upright (stored sideways, EXIF orientation 6)."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    Image.new("RGB", (3200, 2400), (40, 120, 60)).save(path, "JPEG", quality=95, exif=exif)
    return path


def test_the_app_installs_works_offline_and_sends_an_offline_report_once(
    demo_site: str, output_dir: Path, tmp_path: Path
) -> None:
    lng, lat = point_in(WARD)
    photo = camera_photo(tmp_path / "camera.jpg")
    codes = []
    with chromium() as browser:
        for name, viewport in WIDTHS:
            context: BrowserContext = browser.new_context(
                viewport=viewport, geolocation={"latitude": lat, "longitude": lng}, permissions=["geolocation"]
            )
            page = context.new_page()
            errors = page_errors(page)
            page.goto(f"{demo_site}/")
            controlled(page)
            assert page.locator("link[rel=manifest]").get_attribute("href") == "/manifest.webmanifest"
            # Installable: Chromium finds nothing missing (manifest, icons, worker) but the test's own private
            # profile. It therefore never offers installing (no beforeinstallprompt) here, so the offer is made
            # by the test: our button shows then, and only then.
            cdp = context.new_cdp_session(page)
            missing = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            assert [error["errorId"] for error in missing if error["errorId"] != "in-incognito"] == []
            assert page.locator("#install-app").is_hidden()
            page.evaluate(
                "() => { const offer = new Event('beforeinstallprompt', {cancelable: true});"
                " offer.prompt = () => {}; window.dispatchEvent(offer); }"
            )
            page.wait_for_selector("#install-app:visible")
            page.goto(f"{demo_site}/phan-anh/")  # seen once: kept for offline

            # Offline: the page seen is shown as it was, a page never seen gives the offline page.
            context.set_offline(True)
            page.goto(f"{demo_site}/phan-anh/")
            assert "Không có kết nối mạng" not in page.inner_text("main")
            page.goto(f"{demo_site}/thong-ke/")
            assert "Không có kết nối mạng" in page.inner_text("h1")
            page.screenshot(path=str(output_dir / f"webapp-offline-page-{name}.png"), full_page=True)
            context.set_offline(False)

            # The form opened online; the connection drops while the report is written.
            page.goto(f"{demo_site}/phan-anh/gui/")
            page.wait_for_function("window.ReportForm && document.querySelectorAll('#report-map path').length > 0")
            context.set_offline(True)
            title = f"Cây đổ chắn đường, viết khi mất mạng ({name})"
            page.select_option("#id_category", "cay-xanh")
            page.fill("#id_title", title)
            page.fill("#id_description", "Sau cơn mưa tối qua, một cây lớn đổ chắn ngang đường.")
            page.fill("#id_reporter_name", "Nguyễn Văn An")
            page.fill("#id_reporter_phone", "912 345 678")
            key = page.input_value("input[name=captcha_0]")
            page.fill("#id_captcha_1", CaptchaStore.objects.get(hashkey=key).response)
            # The GPS pin ("Vị trí của tôi") and a camera photo, shrunk on the phone.
            page.get_by_role("button", name="Vị trí của tôi").click()
            page.wait_for_function("document.getElementById('id_lat').value !== ''")
            assert abs(float(page.input_value("#id_lat")) - lat) < 1e-5
            assert page.locator("#camera-input").get_attribute("accept") == "image/*"
            page.set_input_files("#id_attachments", str(photo))
            page.wait_for_selector("#file-list li:has-text('thu nhỏ')")
            page.click("#submit-report")
            page.wait_for_selector("#draft-notice:not([hidden])")
            assert "lưu trên máy" in page.inner_text("#draft-notice")
            page.wait_for_selector("#draft-list li[data-status=waiting]")
            page.screenshot(path=str(output_dir / f"webapp-draft-kept-{name}.png"), full_page=True)
            assert not Report.objects.filter(title=title).exists()

            # Back online: the draft is sent once and its code shown.
            context.set_offline(False)
            page.wait_for_selector(".app-notice:has-text('đã được gửi, với mã')")
            code = re.search(r"với mã (\d{12})", page.inner_text(".app-notice")).group(1)  # type: ignore[union-attr]
            page.wait_for_selector(f"#draft-list li[data-status=sent]:has-text('{code}')")
            page.screenshot(path=str(output_dir / f"webapp-draft-sent-{name}.png"), full_page=True)
            report = Report.objects.get(title=title)
            assert report.code == code
            (attachment,) = Attachment.objects.filter(report=report)
            assert attachment.kind == Attachment.Kind.IMAGE
            # Shrunk on the phone from 3200x2400 and turned upright as the camera held it.
            assert (attachment.width, attachment.height) == (1200, 1600)
            assert report.location is not None and abs(report.location.y - lat) < 1e-5
            codes.append(code)

            assert errors == [], f"{name}: {errors}"
            page.close()
            context.close()
    assert len(set(codes)) == 2
    assert Report.objects.filter(code__in=codes).count() == 2
