"""Checking and cleaning the files people attach to a report.

Nothing here touches the database: `process_upload` takes an uploaded file and returns the bytes to
store plus metadata. The type is decided from the content only, against an allow-list; images are
decoded and re-encoded (which drops EXIF/GPS and anything smuggled after the pixels), every other
accepted file is returned unchanged.

Decoding an image is the one costly step (about a second of CPU for a large flat PNG), so it comes
in two: `check_upload` does everything cheap (size, type, the image's dimensions from its header)
and `process_checked` decodes. Whoever takes a request's files checks them all, and everything else
in the request, with `check_total_pixels` too, before decoding any.

Whoever serves the stored files should send `content_type` from here with
`X-Content-Type-Options: nosniff`, and `Content-Disposition: attachment` for non-images.
"""

from __future__ import annotations

import enum
import os
import threading
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageCms, ImageOps

__all__ = [
    "AttachmentError",
    "AttachmentKind",
    "CheckedFile",
    "ProcessedFile",
    "check_count",
    "check_total_pixels",
    "check_upload",
    "kind_max_bytes",
    "process_checked",
    "process_upload",
]


class AttachmentError(ValueError):
    """A file a person uploaded cannot be accepted; str(exc) is a clear Vietnamese message naming the file."""


class AttachmentKind(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"


@dataclass(frozen=True)
class ProcessedFile:
    kind: AttachmentKind
    content_type: str
    extension: str
    content: bytes
    original_name: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


@dataclass(frozen=True)
class _FileType:
    kind: AttachmentKind
    content_type: str
    extension: str
    # Pillow format names allowed to decode it (images only).
    pillow_formats: tuple[str, ...] = ()


NAME_MAX_CHARS = 120
UNNAMED = "tệp không tên"
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80

JPEG = _FileType(AttachmentKind.IMAGE, "image/jpeg", "jpg", ("JPEG", "MPO"))
PNG = _FileType(AttachmentKind.IMAGE, "image/png", "png", ("PNG",))
GIF = _FileType(AttachmentKind.IMAGE, "image/gif", "gif", ("GIF",))
WEBP = _FileType(AttachmentKind.IMAGE, "image/webp", "webp", ("WEBP",))
HEIC = _FileType(AttachmentKind.IMAGE, "image/heic", "heic", ("HEIF",))  # Pillow's name when pillow-heif is registered
MP4 = _FileType(AttachmentKind.VIDEO, "video/mp4", "mp4")
MOV = _FileType(AttachmentKind.VIDEO, "video/quicktime", "mov")
WEBM = _FileType(AttachmentKind.VIDEO, "video/webm", "webm")
THREE_GP = _FileType(AttachmentKind.VIDEO, "video/3gpp", "3gp")
THREE_G2 = _FileType(AttachmentKind.VIDEO, "video/3gpp2", "3g2")
MP3 = _FileType(AttachmentKind.AUDIO, "audio/mpeg", "mp3")
M4A = _FileType(AttachmentKind.AUDIO, "audio/mp4", "m4a")
AAC = _FileType(AttachmentKind.AUDIO, "audio/aac", "aac")
OGG = _FileType(AttachmentKind.AUDIO, "audio/ogg", "ogg")
WAV = _FileType(AttachmentKind.AUDIO, "audio/wav", "wav")
AMR = _FileType(AttachmentKind.AUDIO, "audio/amr", "amr")
AMR_WB = _FileType(AttachmentKind.AUDIO, "audio/amr-wb", "awb")
FLAC = _FileType(AttachmentKind.AUDIO, "audio/flac", "flac")
PDF = _FileType(AttachmentKind.DOCUMENT, "application/pdf", "pdf")
_OOXML = "application/vnd.openxmlformats-officedocument"
DOCX = _FileType(AttachmentKind.DOCUMENT, f"{_OOXML}.wordprocessingml.document", "docx")
XLSX = _FileType(AttachmentKind.DOCUMENT, f"{_OOXML}.spreadsheetml.sheet", "xlsx")
PPTX = _FileType(AttachmentKind.DOCUMENT, f"{_OOXML}.presentationml.presentation", "pptx")
DOC = _FileType(AttachmentKind.DOCUMENT, "application/msword", "doc")
XLS = _FileType(AttachmentKind.DOCUMENT, "application/vnd.ms-excel", "xls")
PPT = _FileType(AttachmentKind.DOCUMENT, "application/vnd.ms-powerpoint", "ppt")
ODT = _FileType(AttachmentKind.DOCUMENT, "application/vnd.oasis.opendocument.text", "odt")
ODS = _FileType(AttachmentKind.DOCUMENT, "application/vnd.oasis.opendocument.spreadsheet", "ods")

# The one definition of what is accepted, as people name it: each group with its types. The refusal
# message and the upload fields' `accept` attribute (ACCEPT_ATTRIBUTE) are made from it; the sniffing
# below recognises exactly these (and WebM/FLAC/AWB/PPT variants listed with their group).
ACCEPTED_GROUPS: tuple[tuple[str, tuple[tuple[str, tuple[_FileType, ...]], ...]], ...] = (
    ("ảnh", (("JPEG", (JPEG,)), ("PNG", (PNG,)), ("WebP", (WEBP,)), ("GIF", (GIF,)))),
    ("video", (("MP4", (MP4,)), ("MOV", (MOV,)), ("WebM", (WEBM,)), ("3GP", (THREE_GP, THREE_G2)))),
    (
        "âm thanh",
        (
            ("MP3", (MP3,)),
            ("M4A", (M4A,)),
            ("AAC", (AAC,)),
            ("OGG", (OGG,)),
            ("WAV", (WAV,)),
            ("AMR", (AMR, AMR_WB)),
            ("FLAC", (FLAC,)),
        ),
    ),
    (
        "tài liệu",
        (
            ("PDF", (PDF,)),
            ("Word", (DOCX, DOC)),
            ("Excel", (XLSX, XLS)),
            ("PowerPoint", (PPTX, PPT)),
            ("ODT", (ODT,)),
            ("ODS", (ODS,)),
        ),
    ),
)
_GROUP_TEXTS = [f"{group} ({', '.join(name for name, _types in names)})" for group, names in ACCEPTED_GROUPS]
ACCEPTED_TYPES_TEXT = "chỉ nhận " + ", ".join(_GROUP_TEXTS[:-1]) + " và " + _GROUP_TEXTS[-1]
_ACCEPTED = tuple(kind for _group, names in ACCEPTED_GROUPS for _name, kinds in names for kind in kinds)
# For <input type="file" accept>: content types and extensions (phones pick files by either); video/* and
# audio/* let a phone offer its camera and recorder, and HEIC is taken to explain how to send JPEG.
_ACCEPT_TYPES = [
    ("video/*" if t.kind is AttachmentKind.VIDEO else "audio/*" if t.kind is AttachmentKind.AUDIO else t.content_type)
    for t in (*_ACCEPTED, HEIC)
]
ACCEPT_ATTRIBUTE = ",".join(dict.fromkeys(_ACCEPT_TYPES + [f".{t.extension}" for t in _ACCEPTED]))
# Stored files shown to the public with the report (unless staff hide them): the pictures of the place.
# A voice message carries the reporter's voice and a document their name, address or ID number, so
# audio and documents are seen by the reporter and the staff only.
PUBLIC_KINDS = frozenset({AttachmentKind.IMAGE, AttachmentKind.VIDEO})

# What `filetype` recognises reliably; the containers it gets wrong or misses are sniffed by hand below.
_FROM_FILETYPE = {
    "image/jpeg": JPEG,
    "image/png": PNG,
    "image/apng": PNG,
    "image/gif": GIF,
    "image/webp": WEBP,
    "video/webm": WEBM,
    "audio/ogg": OGG,
    "audio/x-flac": FLAC,
    "audio/x-wav": WAV,
    "application/pdf": PDF,
}

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ODF_TYPES = {ODT.content_type: ODT, ODS.content_type: ODS}
_OOXML_FOLDERS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
# Top-level streams of legacy Office files, in order of preference: an Excel chart embedded in a Word
# file also carries a "Workbook" stream, the reverse is much rarer.
_OLE2_STREAMS = (("WordDocument", DOC), ("PowerPoint Document", PPT), ("Workbook", XLS), ("Book", XLS))

_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"})
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41", b"mp42", b"mp71"}
    | {b"avc1", b"dash", b"mmp4", b"MSNV", b"M4V ", b"M4VH", b"M4VP", b"f4v "}
)
# QuickTime files older than the ftyp box start straight with one of these atoms.
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"pnot"})


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the cheap checks; images are not decoded yet (`pixels` is from the header)."""

    detected: _FileType
    content: bytes
    original_name: str
    pixels: int = 0


# One image decoded at a time per process: a 40-megapixel image takes some 160 MB decoded, and the
# web server's other threads keep CPU for cheap requests (/healthz, pages) while uploads wait in line.
_DECODING = threading.BoundedSemaphore(1)


# --- Public API --------------------------------------------------------------------------------------


def check_count(count: int) -> None:
    """Refuse a report with more attachments than settings.ATTACHMENT_MAX_COUNT."""
    limit: int = settings.ATTACHMENT_MAX_COUNT
    if count > limit:
        raise AttachmentError(f"Mỗi phản ánh chỉ được đính kèm tối đa {limit} tệp (đã chọn {count} tệp).")


def check_total_pixels(files: Sequence[CheckedFile]) -> None:
    """Refuse a request whose images hold more than settings.IMAGE_MAX_TOTAL_PIXELS together.

    Decoding costs CPU by the pixel, not by the byte: a flat PNG of 100 KB may hold 40 million.
    """
    limit: int = settings.IMAGE_MAX_TOTAL_PIXELS
    total = sum(item.pixels for item in files)
    if total > limit:
        raise AttachmentError(
            f"Các ảnh đính kèm quá lớn: tổng cộng {_format_count(total)} điểm ảnh, mỗi phản ánh chỉ nhận tối đa "
            f"{_format_count(limit)} điểm ảnh. Hãy bớt ảnh hoặc gửi ảnh nhỏ hơn."
        )


def check_upload(upload: UploadedFile) -> CheckedFile:
    """The cheap checks: size, type against the allow-list, and an image's dimensions (from its header only).

    Raises AttachmentError with a Vietnamese message for anything that cannot be accepted.
    """
    name = _display_name(upload.name)
    data = _read(upload, name)
    detected = _detect(data, name)
    _check_kind_size(data, detected.kind, name)
    pixels = _image_pixels(data, detected, name) if detected.kind is AttachmentKind.IMAGE else 0
    return CheckedFile(detected=detected, content=data, original_name=name, pixels=pixels)


def process_checked(item: CheckedFile) -> ProcessedFile:
    """Return what to store for a checked file: images decoded and re-encoded, anything else unchanged.

    Raises AttachmentError for an image that turns out broken while decoding.
    """
    detected = item.detected
    if detected.kind is AttachmentKind.IMAGE:
        with _DECODING:
            return _process_image(item.content, detected, item.original_name)
    return ProcessedFile(
        kind=detected.kind,
        content_type=detected.content_type,
        extension=detected.extension,
        content=item.content,
        original_name=item.original_name,
    )


def process_upload(upload: UploadedFile) -> ProcessedFile:
    """check_upload and process_checked in one, for a single file."""
    return process_checked(check_upload(upload))


# --- Reading -----------------------------------------------------------------------------------------


def _display_name(raw: str | None) -> str:
    name = unicodedata.normalize("NFC", raw or "")  # macOS sends decomposed Vietnamese letters
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters; Cf: invisible format characters such as U+202E, which can disguise
    # "gpj.exe" as "exe.jpg" when displayed.
    name = "".join(char for char in name if unicodedata.category(char) not in {"Cc", "Cf"})
    name = " ".join(name.split())
    if name in {"", ".", ".."}:
        return UNNAMED
    if len(name) > NAME_MAX_CHARS:
        stem, ext = os.path.splitext(name)
        if 1 < len(ext) <= 10:
            name = stem[: NAME_MAX_CHARS - len(ext) - 1].rstrip() + "…" + ext
        else:
            name = name[: NAME_MAX_CHARS - 1].rstrip() + "…"
    return name


def _read(upload: UploadedFile, name: str) -> bytes:
    limit: int = settings.ATTACHMENT_MAX_BYTES
    too_large = f"Tệp “{name}” quá lớn"
    allowed = f"mỗi tệp tối đa {_format_size(limit)}."
    if upload.size is not None and upload.size > limit:
        raise AttachmentError(f"{too_large} ({_format_size(upload.size)}); {allowed}")
    if upload.seekable():
        upload.seek(0)
    # One byte more than allowed tells a lying `size` apart without reading the rest.
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise AttachmentError(f"{too_large}; {allowed}")
    if not data:
        raise AttachmentError(f"Tệp “{name}” không có nội dung (0 byte).")
    return bytes(data)


# The setting holding each kind's own size limit (geo/settings.py).
_KIND_MAX_BYTES = {
    AttachmentKind.IMAGE: ("IMAGE_MAX_BYTES", "ảnh"),
    AttachmentKind.VIDEO: ("VIDEO_MAX_BYTES", "video"),
    AttachmentKind.AUDIO: ("AUDIO_MAX_BYTES", "tệp âm thanh"),
    AttachmentKind.DOCUMENT: ("DOCUMENT_MAX_BYTES", "tài liệu"),
}


def kind_max_bytes(kind: AttachmentKind) -> int:
    """The largest file of this kind accepted: its own setting, never above settings.ATTACHMENT_MAX_BYTES."""
    setting, _label = _KIND_MAX_BYTES[kind]
    return min(int(getattr(settings, setting)), int(settings.ATTACHMENT_MAX_BYTES))


def _check_kind_size(data: bytes, kind: AttachmentKind, name: str) -> None:
    limit = kind_max_bytes(kind)
    if len(data) > limit:
        label = _KIND_MAX_BYTES[kind][1]
        raise AttachmentError(
            f"Tệp “{name}” quá lớn ({_format_size(len(data))}); mỗi {label} tối đa {_format_size(limit)}."
        )


def _format_count(count: int) -> str:
    return f"{count:,}".replace(",", ".")


def _format_size(size: int) -> str:
    if size < 1024:
        return f"{size} byte"
    value, unit = (size / 1024, "KB") if size < 1024 * 1024 else (size / (1024 * 1024), "MB")
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",") + f" {unit}"


# --- Type detection ----------------------------------------------------------------------------------


def _refused(name: str) -> AttachmentError:
    return AttachmentError(f"Tệp “{name}” không được chấp nhận: {ACCEPTED_TYPES_TEXT}.")


def _corrupt(name: str) -> AttachmentError:
    return AttachmentError(
        f"Tệp “{name}” bị hỏng hoặc không đầy đủ (có thể do tải lên bị gián đoạn); vui lòng gửi lại."
    )


def _detect(data: bytes, name: str) -> _FileType:
    detected = _sniff(data, name)
    if detected is None:
        raise _refused(name)
    if detected is HEIC:
        Image.init()
        if "HEIF" not in Image.OPEN:
            raise AttachmentError(
                f"Ảnh “{name}” ở định dạng HEIC (mặc định của iPhone) nên chưa được hỗ trợ; vui lòng gửi ảnh JPEG "
                "(trên iPhone: Cài đặt › Camera › Định dạng › Tương thích nhất)."
            )
    return detected


def _sniff(data: bytes, name: str) -> _FileType | None:
    head = data[:16]
    if head[4:8] == b"ftyp":
        return _sniff_isobmff(data)
    if head[4:8] in _QUICKTIME_ATOMS:
        return MOV
    if head.startswith(_OLE2_MAGIC):
        return _sniff_ole2(data, name)
    if head.startswith(_ZIP_MAGIC):
        return _sniff_zip(data, name)
    if head.startswith(b"#!AMR-WB\n"):
        return AMR_WB
    if head.startswith(b"#!AMR\n"):
        return AMR
    if head.startswith(b"ID3"):
        return _sniff_after_id3(data)
    if frame := _sniff_mpeg_audio(head):
        return frame
    guess = filetype.guess(data)
    return _FROM_FILETYPE.get(guess.mime) if guess is not None else None


def _sniff_isobmff(data: bytes) -> _FileType | None:
    # filetype only knows a few brands and looks for 3GP at the wrong offset.
    size = int.from_bytes(data[:4], "big")
    if not 16 <= size <= min(len(data), 4096):
        return None
    brands = [data[8:12]] + [data[offset : offset + 4] for offset in range(16, size - 3, 4)]
    if _AVIF_BRANDS.intersection(brands):
        return None
    if _HEIF_BRANDS.intersection(brands):
        return HEIC
    for brand in brands:  # the major brand first, then the compatible ones
        if brand == b"qt  ":
            return MOV
        if brand in {b"M4A ", b"M4B "}:
            return M4A
        if brand.startswith(b"3g2"):
            return THREE_G2
        if brand.startswith(b"3g"):
            return THREE_GP
        if brand in _MP4_BRANDS:
            return MP4
    return None


def _sniff_ole2(data: bytes, name: str) -> _FileType | None:
    """Tell Word, Excel and PowerPoint apart from other compound files (.msi installers, .msg mail).

    Directory entries are 128-byte aligned: a UTF-16 name, its length in bytes at +64, type at +66 (2: stream).
    """

    def has_stream(stream: str) -> bool:
        encoded = stream.encode("utf-16-le") + b"\0\0"
        position = data.find(encoded, 512)
        while position != -1:
            if (
                position % 128 == 0
                and int.from_bytes(data[position + 64 : position + 66], "little") == len(encoded)
                and data[position + 66 : position + 67] == b"\x02"
            ):
                return True
            position = data.find(encoded, position + 1)
        return False

    if has_stream("EncryptedPackage"):
        raise AttachmentError(f"Tài liệu “{name}” được đặt mật khẩu; vui lòng gửi bản không đặt mật khẩu.")
    for stream, detected in _OLE2_STREAMS:
        if has_stream(stream):
            return detected
    return None


def _sniff_zip(data: bytes, name: str) -> _FileType | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" in names:
                if any(entry.lower().endswith("vbaproject.bin") for entry in names):
                    raise AttachmentError(
                        f"Tài liệu “{name}” có chứa macro nên không được chấp nhận; vui lòng lưu lại thành tệp "
                        "không có macro (.docx, .xlsx, .pptx) hoặc PDF rồi gửi lại."
                    )
                for folder, detected in _OOXML_FOLDERS:
                    if any(entry.startswith(folder) for entry in names):
                        return detected
                return None
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                return _ODF_TYPES.get(archive.read(info).decode("ascii", "replace").strip())
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError):
        raise _corrupt(name) from None
    return None


def _sniff_after_id3(data: bytes) -> _FileType:
    # ID3 tags also prefix FLAC and raw AAC now and then; the tag size is "syncsafe" (7 bits a byte).
    tag_size = 10 + sum((byte & 0x7F) << shift for byte, shift in zip(data[6:10], (21, 14, 7, 0), strict=False))
    if data[5:6] and data[5] & 0x10:  # footer present
        tag_size += 10
    rest = data[tag_size : tag_size + 4]
    if rest.startswith(b"fLaC"):
        return FLAC
    return _sniff_mpeg_audio(rest) or MP3


def _sniff_mpeg_audio(head: bytes) -> _FileType | None:
    """MPEG audio frame sync: 11 set bits; layer bits 01 mean MP3, 00 mean an ADTS (AAC) stream."""
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    layer = (head[1] >> 1) & 0b11
    if layer == 0b01 and (head[1] >> 3) & 0b11 != 0b01:
        return MP3
    if layer == 0b00 and head[1] & 0xF6 == 0xF0:
        return AAC
    return None


# --- Images ------------------------------------------------------------------------------------------


def _too_large(name: str, size: tuple[int, int] | None = None) -> AttachmentError:
    max_pixels: int = settings.IMAGE_MAX_PIXELS
    dimensions = f" ({size[0]} × {size[1]} điểm ảnh)" if size else ""
    return AttachmentError(
        f"Ảnh “{name}” quá lớn{dimensions}; chỉ nhận ảnh tối đa {_format_count(max_pixels)} điểm ảnh."
    )


def _open(data: bytes, detected: _FileType, name: str) -> Image.Image:
    """Open an image, reading its header only; refuse it when it holds too many pixels."""
    try:
        image: Image.Image = Image.open(BytesIO(data), formats=detected.pillow_formats)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(name) from None
    except Exception:  # any parser failure on untrusted bytes means a broken file
        raise _corrupt(name) from None
    width, height = image.size
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise _too_large(name, image.size)
    return image


def _image_pixels(data: bytes, detected: _FileType, name: str) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        width, height = _open(data, detected, name).size
    return width * height


# Modes Image.reduce works on; palette and 1-bit images are converted (to RGB/RGBA) first, and the rare
# rest (16-bit grey) is left whole for _to_srgb.
_REDUCIBLE_MODES = frozenset({"L", "LA", "RGB", "RGBA", "CMYK", "I", "F"})
_CONVERTED_MODES = frozenset({"1", "P", "PA"})


def _decode_reduced(image: Image.Image, detected: _FileType, max_side: int) -> Image.Image:
    """Decode no more pixels than needed: JPEG at 1/2, 1/4 or 1/8 scale in libjpeg (draft), other formats
    shrunk by an integer factor (a cheap box filter) right after decoding, never below `max_side`, so the
    colour conversion and the fine resampling that follow work on the smaller image."""
    width, height = image.size
    if max(width, height) <= max_side:
        image.load()
        return image
    if detected is JPEG:
        scale = max_side / max(width, height)
        image.draft(None, (max(1, round(width * scale)), max(1, round(height * scale))))
    # Animated GIF/WebP/PNG: load() decodes the first frame only, and only that frame is kept.
    image.load()
    factor = max(image.size) // max_side
    if factor < 2:
        return image
    if image.mode in _CONVERTED_MODES:
        info = image.info
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        image.info = info  # keeps the ICC profile and orientation that convert() may drop
    if image.mode not in _REDUCIBLE_MODES:
        return image
    return image.reduce(factor)  # keeps `info` (ICC profile, EXIF orientation)


def _process_image(data: bytes, detected: _FileType, name: str) -> ProcessedFile:
    max_side: int = settings.IMAGE_MAX_SIDE
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(data, detected, name)
        try:
            image = _decode_reduced(image, detected, max_side)
            image = ImageOps.exif_transpose(image)
            image = _to_srgb(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large(name) from None
        except Exception:  # any decoder failure on untrusted bytes means a broken file
            raise _corrupt(name) from None

    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Re-encoding from pixels with empty `info` writes no EXIF, GPS, XMP, ICC or comments.
    image.info = {}
    out = BytesIO()
    # GIFs are drawings with flat colours (or animations, of which only the first frame was kept): JPEG
    # would smudge them.
    if image.mode == "RGBA" or detected is GIF:
        image.save(out, "PNG", optimize=True)
        content_type, extension = PNG.content_type, PNG.extension
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type, extension = JPEG.content_type, JPEG.extension
    return ProcessedFile(
        kind=AttachmentKind.IMAGE,
        content_type=content_type,
        extension=extension,
        content=out.getvalue(),
        original_name=name,
        width=image.width,
        height=image.height,
        thumbnail=_thumbnail(image),
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Return an RGB image, or RGBA when some pixel is actually transparent; colours converted to sRGB."""
    has_alpha = image.mode in {"RGBA", "LA", "La", "RGBa", "PA"} or "transparency" in image.info
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "I;16N"}:  # 16-bit grey would clip to white
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    icc_profile = image.info.get("icc_profile")
    if icc_profile and image.mode in {"RGB", "RGBA", "CMYK"}:
        # Phones tag photos Display P3; keep the colours without keeping the profile.
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(BytesIO(icc_profile)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if image.mode == "RGBA" else "RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError, ImportError):
            converted = None
        if converted is not None:
            image = converted
    if has_alpha:
        image = image.convert("RGBA")
        alpha_low, _alpha_high = image.getchannel("A").getextrema()
        if alpha_low == 255:
            has_alpha = False
    return image if image.mode == ("RGBA" if has_alpha else "RGB") else image.convert("RGBA" if has_alpha else "RGB")


def _thumbnail(image: Image.Image) -> bytes:
    side: int = settings.THUMBNAIL_SIDE
    small = image.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    if small.mode == "RGBA":
        flat = Image.new("RGB", small.size, "white")
        flat.paste(small, mask=small.getchannel("A"))
        small = flat
    out = BytesIO()
    small.save(out, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue()
