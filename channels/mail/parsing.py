"""What a received e-mail says, without the database: its key, whether a person wrote it, its text, the map
link in it and the words that name a category."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from email.utils import parseaddr

import lxml.html
from imap_tools import MailMessage
from lxml import etree

from boundaries.places import text_fold

# --- The message's key ------------------------------------------------------------------------------------


def _headers(message: MailMessage, name: str) -> list[str]:
    """Every value of the header `name`, as written in the message."""
    return [str(value) for value in message.obj.get_all(name, [])]


def _header(message: MailMessage, name: str) -> str:
    return " ".join(_headers(message, name)).strip()


def message_key(message: MailMessage) -> str:
    """The Message-ID; for a message without one, a hash of the headers that make it this message."""
    message_id = _header(message, "message-id")
    if message_id:
        return message_id[:998]
    parts = [name + ":" + "\n".join(_headers(message, name)) for name in ("from", "to", "cc", "date", "subject")]
    return "sha256:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


# --- Bounces, auto-replies and loops (RFC 3834, RFC 3464) -------------------------------------------------

LOOP_HEADER = "X-Loop"


def skip_reason(message: MailMessage, *, own_addresses: Iterable[str]) -> str:
    """Why this message is not a person's report (a bounce, an auto-reply, a list, our own mail coming back),
    or "" when it is one."""
    own = {address.lower() for address in own_addresses if address}
    auto_submitted = _header(message, "auto-submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Thư tự động (Auto-Submitted: {auto_submitted[:60]})."
    precedence = _header(message, "precedence").lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Thư gửi hàng loạt (Precedence: {precedence})."
    for name in ("x-autoreply", "x-autorespond"):
        if _headers(message, name):
            return f"Thư trả lời tự động ({name})."
    content_type = message.obj.get_content_type()
    if content_type == "multipart/report":
        report_type = str(message.obj.get_param("report-type") or "")
        return f"Thư báo lỗi chuyển phát (multipart/report; {report_type or 'không rõ loại'})."
    if _headers(message, "return-path") and parseaddr(_header(message, "return-path"))[1] == "":
        return "Thư báo lỗi chuyển phát (Return-Path rỗng)."
    sender = (message.from_ or "").lower()
    if sender.split("@")[0] in ("mailer-daemon", "postmaster"):
        return f"Thư báo lỗi chuyển phát (từ {sender})."
    if sender in own:
        return "Thư của chính hệ thống gửi vòng lại."
    loops = {parseaddr(value)[1].lower() or value.strip().lower() for value in _headers(message, "x-loop")}
    if loops & own:
        return "Thư vòng lặp (X-Loop mang địa chỉ của hệ thống)."
    return ""


# --- Text ---------------------------------------------------------------------------------------------------

# Elements whose content is never text a person wrote to us.
_DROPPED = ("script", "style", "head", "title", "noscript", "template", "iframe", "object", "svg")
_BLOCKS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol")


def html_to_text(html: str) -> str:
    """The text of an HTML body: scripts, styles and comments dropped, blocks and <br> as line breaks, each
    link's address kept after its text (a map link hides there)."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    for element in list(root.iter(etree.Comment, etree.ProcessingInstruction, *_DROPPED)):
        element.drop_tree()
    for element in root.iter("a"):
        href = (element.get("href") or "").strip()
        if href and href not in element.text_content():
            element.tail = f" ({href})" + (element.tail or "")
    for element in root.iter("br"):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
    return text_tidy(root.text_content())


def text_tidy(text: str) -> str:
    """Spaces within lines collapsed, at most one empty line in a row, no blank start or end."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def body_text(message: MailMessage) -> str:
    """The text the person wrote: the plain part, else the HTML part as text."""
    return text_tidy(message.text) if message.text.strip() else html_to_text(message.html)


# Where a reply's quotation of the message it answers begins (Gmail, Thunderbird, Outlook, Vietnamese clients).
_QUOTE_START = re.compile(
    r"^(?:(?:on|vào) .+(?:wrote|đã viết)\s*:|-{2,}\s*(?:original message|thư gốc)\s*-{2,}|(?:from|từ)\s*:.+@.+)$",
    re.IGNORECASE,
)


def unquoted(text: str) -> str:
    """The text without the message it replies to: no "> " lines, nothing from the quotation's header on.

    A citizen answering our request for a location quotes our mail, whose example address must not be
    taken for theirs."""
    lines: list[str] = []
    for line in text.split("\n"):
        if _QUOTE_START.match(line.strip()):
            break
        if not line.lstrip().startswith(">"):
            lines.append(line)
    return "\n".join(lines).strip()


_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|tr|trả lời|chuyển tiếp)\s*:\s*)+", re.IGNORECASE)


def subject_title(subject: str) -> str:
    """The subject as a report's title: without "Re:"/"Fwd:" prefixes."""
    return _REPLY_PREFIX.sub("", " ".join(subject.split()))


# --- Location ---------------------------------------------------------------------------------------------

_NUMBER = r"(-?\d{1,3}(?:\.\d+)?)"
_URL = re.compile(r"(?:https?://|geo:)[^\s<>\"')\]]+", re.IGNORECASE)
_GOOGLE_AT = re.compile(rf"/@{_NUMBER},{_NUMBER}")
_GOOGLE_QUERY = re.compile(rf"[?&](?:q|query|ll|center|destination)=(?:loc:)?{_NUMBER}(?:,|%2C)\s*(?:\+|%20)?{_NUMBER}")
_OSM_HASH = re.compile(rf"#map=\d+(?:\.\d+)?/{_NUMBER}/{_NUMBER}")
_OSM_MLAT = re.compile(rf"[?&]mlat={_NUMBER}")
_OSM_MLON = re.compile(rf"[?&]mlon={_NUMBER}")
_GEO_URI = re.compile(rf"^geo:{_NUMBER},{_NUMBER}", re.IGNORECASE)


def _point(lat: str, lng: str) -> tuple[float, float] | None:
    lat_value, lng_value = float(lat), float(lng)
    if -90 <= lat_value <= 90 and -180 <= lng_value <= 180:
        return lng_value, lat_value
    return None


def _url_point(url: str) -> tuple[float, float] | None:
    lowered = url.lower()
    if match := _GEO_URI.match(url):
        return _point(match[1], match[2])
    host = lowered.split("://", 1)[-1].split("/", 1)[0]
    if "google." in host or host.startswith("maps.app.goo.gl"):
        if match := _GOOGLE_AT.search(url) or _GOOGLE_QUERY.search(url):
            return _point(match[1], match[2])
    if "openstreetmap." in host or host == "osm.org":
        if match := _OSM_HASH.search(url):
            return _point(match[1], match[2])
        lat, lng = _OSM_MLAT.search(url), _OSM_MLON.search(url)
        if lat and lng:
            return _point(lat[1], lng[1])
    return None


def map_point(text: str) -> tuple[float, float] | None:
    """(lng, lat) of the first map link in the text: Google Maps (`/@lat,lng`, `?q=lat,lng`), OpenStreetMap
    (`#map=z/lat/lng`, `mlat=&mlon=`) or a `geo:lat,lng` URI; None without one."""
    for url in _URL.findall(text):
        if (point := _url_point(url)) is not None:
            return point
    return None


# Where a person names their ward: "Địa chỉ: …" lines, and phrases from a unit's kind onwards.
_ADDRESS_LINE = re.compile(r"^\s*(?:địa chỉ|dia chi|đ/c|address|vị trí|vi tri|nơi xảy ra)\s*:\s*(.+)$", re.I | re.M)
_UNIT_PHRASE = re.compile(r"\b(?:phường|phuong|xã|xa|thị trấn|thi tran)\s+[^\n.;:!?()]+", re.IGNORECASE)
ADDRESS_WORDS_MAX = 12


def address_candidates(text: str) -> list[str]:
    """Pieces of the text that may be an address naming a ward, most likely first, each shortened word by word
    from its end (a sentence goes on after the ward's name: "phường Ninh Sơn có ổ gà")."""
    found = [match.group(1) for match in _ADDRESS_LINE.finditer(text)]
    found += [match.group(0) for match in _UNIT_PHRASE.finditer(text)]
    out: list[str] = []
    for piece in found:
        words = piece.split()[:ADDRESS_WORDS_MAX]
        for end in range(len(words), 1, -1):
            candidate = " ".join(words[:end]).strip(" ,")
            if candidate and candidate not in out:
                out.append(candidate)
    return out


# --- Category -------------------------------------------------------------------------------------------

# Words (folded: lower case, no diacritics) that name a category of data/categories.json. The first category
# with the most matching words wins; none: the general category.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "giao-thong": ("o ga", "mat duong", "hu hong duong", "sut lun", "bien bao", "den tin hieu", "nut duong"),
    "chieu-sang": ("den duong", "chieu sang", "den khong sang", "bong den", "cot den"),
    "cap-thoat-nuoc": ("ngap", "ngap ung", "mat nuoc", "vo ong", "cong thoat", "tac cong", "nuoc sinh hoat"),
    "ve-sinh-moi-truong": ("rac", "rac thai", "thu gom", "bai rac", "do trom"),
    "o-nhiem": ("o nhiem", "khoi bui", "bui", "mui hoi", "tieng on", "nuoc thai"),
    "trat-tu-do-thi": ("lan chiem", "via he", "long duong", "cho tu phat", "quang cao"),
    "xay-dung-trai-phep": ("xay dung trai phep", "khong phep", "sai phep", "xay trai phep"),
    "dat-dai": ("dat dai", "tranh chap dat", "lan chiem dat", "dat cong"),
    "an-ninh-trat-tu": ("gay roi", "trom cap", "co bac", "danh nhau", "an ninh"),
    "an-toan-thuc-pham": ("thuc pham", "ngo doc"),
    "y-te": ("benh vien", "tram y te", "dich benh", "kham benh"),
    "giao-duc": ("truong hoc", "hoc sinh", "giao vien"),
    "cay-xanh": ("cay xanh", "cay do", "cay nga", "nhanh cay", "cat tia"),
    "thu-tuc-hanh-chinh": ("thu tuc", "ho so", "giay to", "mot cua"),
}
GENERAL_CATEGORY = "khac"


def category_guess(text: str, *, active: Iterable[str]) -> str:
    """The category whose words the text uses most (among the `active` codes), else GENERAL_CATEGORY."""
    folded = text_fold(text)
    best, best_hits = GENERAL_CATEGORY, 0
    for code in active:
        hits = sum(len(re.findall(rf"\b{re.escape(word)}\b", folded)) for word in CATEGORY_WORDS.get(code, ()))
        if hits > best_hits:
            best, best_hits = code, hits
    return best
