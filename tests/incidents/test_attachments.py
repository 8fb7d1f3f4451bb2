"""process_upload / check_count: every sample file is generated here, none is stored in the repository."""

from __future__ import annotations

import struct
import unicodedata
import zipfile
import zlib
from io import BytesIO

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from PIL import Image, ImageCms
from pytest_django.fixtures import Settings

from incidents.attachments import (
    AttachmentError,
    AttachmentKind,
    ProcessedFile,
    check_count,
    check_total_pixels,
    check_upload,
    process_upload,
)

OOXML = "application/vnd.openxmlformats-officedocument"
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def upload(content: bytes, name: str = "tep", content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def photo(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """A noisy picture: compresses like a photo, so truncating it cuts real image data."""
    return Image.effect_noise(size, 64).convert("RGB")


def refused(content: bytes, name: str = "tep") -> str:
    with pytest.raises(AttachmentError) as caught:
        process_upload(upload(content, name))
    return str(caught.value)


def png_1bit(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG: a few kilobytes of file for any number of pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte + packed pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for entry, data in entries.items():
            compression = zipfile.ZIP_STORED if entry == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(entry, data, compress_type=compression)
    return out.getvalue()


def ooxml(folder: str, main_part: str, *extra: str) -> bytes:
    entries = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
        f"{folder}/{main_part}": b'<?xml version="1.0"?><root/>',
    }
    entries.update({name: b"\0" for name in extra})
    return zip_bytes(entries)


def ole2(*streams: str, decoy_at: int | None = None) -> bytes:
    """An OLE2 compound file: header sector, then one directory sector with a root entry and `streams`."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[26:32] = struct.pack("<HHH", 3, 0xFFFE, 9)  # major version 3, little-endian, 512-byte sectors

    def entry(name: str, kind: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0"
        body = bytearray(128)
        body[: len(encoded)] = encoded
        body[64:67] = struct.pack("<HB", len(encoded), kind)
        return bytes(body)

    directory = entry("Root Entry", 5) + b"".join(entry(name, 2) for name in streams)
    content = bytearray(bytes(header) + directory.ljust(512 * 4, b"\0"))
    if decoy_at is not None:  # a name inside some stream's data, not in a directory entry
        decoy = "WordDocument".encode("utf-16-le") + b"\0\0"
        content[decoy_at : decoy_at + len(decoy)] = decoy
    return bytes(content)


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    box = b"ftyp" + major + b"\0\0\0\0" + b"".join(compatible)
    return struct.pack(">I", len(box) + 4) + box + struct.pack(">I", 8) + b"mdat"


def reopened(content: bytes) -> Image.Image:
    image = Image.open(BytesIO(content))
    image.load()
    return image


# --- Images ------------------------------------------------------------------------------------------


def test_jpeg_loses_exif_gps_and_metadata_and_is_turned_upright(settings: Settings) -> None:
    original = Image.new("RGB", (400, 200), (255, 0, 0))
    original.paste((0, 0, 255), (200, 0, 400, 200))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: display after a 90° clockwise rotation
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (10.0, 45.0, 30.0), 3: "E", 4: (106.0, 40.0, 12.0)}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    raw = encode(
        original,
        "JPEG",
        exif=exif,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-place</x:xmpmeta>',
        icc_profile=srgb,
        comment=b"secret-comment",
    )
    assert Image.open(BytesIO(raw)).getexif().get_ifd(0x8825)  # the sample really carries GPS

    result = process_upload(upload(raw, "IMG_0001.JPG", "image/jpeg"))

    assert result.kind is AttachmentKind.IMAGE
    assert (result.content_type, result.extension) == ("image/jpeg", "jpg")
    assert (result.width, result.height) == (200, 400)
    assert b"Exif" not in result.content
    for secret in (b"secret-place", b"secret-comment", b"PhoneMaker", b"adobe:ns:meta"):
        assert secret not in result.content
    image = reopened(result.content)
    assert len(image.getexif()) == 0
    assert "icc_profile" not in image.info and "comment" not in image.info
    assert image.size == (200, 400)
    top, bottom = image.getpixel((100, 50)), image.getpixel((100, 350))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60  # the left (red) half ends up on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert result.thumbnail is not None
    thumbnail = reopened(result.thumbnail)
    assert thumbnail.format == "JPEG" and max(thumbnail.size) <= settings.THUMBNAIL_SIDE
    assert b"Exif" not in result.thumbnail


def test_png_named_pdf_is_detected_from_its_content() -> None:
    raw = encode(photo(), "PNG")
    result = process_upload(upload(raw, "report.pdf", "application/pdf"))
    assert result.kind is AttachmentKind.IMAGE
    assert result.content_type in {"image/png", "image/jpeg"}
    assert result.extension in {"png", "jpg"}
    assert result.original_name == "report.pdf"


@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/jpeg"), ("WEBP", "image/jpeg"), ("GIF", "image/png")],
)
def test_accepted_image_formats(image_format: str, content_type: str) -> None:
    result = process_upload(upload(encode(photo((64, 48)), image_format), "anh"))
    assert (result.kind, result.content_type) == (AttachmentKind.IMAGE, content_type)
    assert (result.width, result.height) == (64, 48)
    assert reopened(result.content).format == ("PNG" if content_type == "image/png" else "JPEG")


def test_transparent_png_stays_png_with_a_white_backed_thumbnail() -> None:
    original = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    original.paste((0, 128, 0, 255), (50, 0, 100, 100))
    result = process_upload(upload(encode(original, "PNG"), "logo.png"))
    assert (result.content_type, result.extension) == ("image/png", "png")
    image = reopened(result.content)
    assert image.mode == "RGBA" and image.getpixel((10, 10)) == (0, 0, 0, 0)
    assert result.thumbnail is not None
    thumbnail = reopened(result.thumbnail)
    assert thumbnail.mode == "RGB"
    corner = thumbnail.getpixel((5, 5))
    assert isinstance(corner, tuple) and min(corner) > 240


def test_animated_gif_keeps_its_first_frame_only() -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    raw = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert getattr(Image.open(BytesIO(raw)), "n_frames", 1) == 2

    result = process_upload(upload(raw, "dong.gif"))

    assert (result.content_type, result.extension) == ("image/png", "png")
    image = reopened(result.content)
    assert getattr(image, "n_frames", 1) == 1
    assert image.convert("RGB").getpixel((20, 15)) == (255, 0, 0)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((5000, 3000), (2560, 1536)),
        ((6000, 4000), (2560, 1707)),  # decoded at half scale by libjpeg first
        ((3000, 8000), (960, 2560)),
    ],
)
def test_large_image_is_scaled_down(settings: Settings, size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert settings.IMAGE_MAX_SIDE == 2560
    result = process_upload(upload(encode(Image.new("RGB", size, (90, 140, 60)), "JPEG"), "lon.jpg"))
    assert (result.width, result.height) == expected
    assert reopened(result.content).size == expected
    assert result.thumbnail is not None
    assert max(reopened(result.thumbnail).size) == settings.THUMBNAIL_SIDE


def test_large_png_is_scaled_down_to_the_configured_side(settings: Settings) -> None:
    settings.IMAGE_MAX_SIDE = 100
    settings.THUMBNAIL_SIDE = 30
    result = process_upload(upload(encode(photo((300, 150)), "PNG"), "a.png"))
    assert (result.width, result.height) == (100, 50)
    assert result.thumbnail is not None
    assert reopened(result.thumbnail).size == (30, 15)


@pytest.mark.parametrize(
    "size",
    [
        (20000, 20000),  # beyond twice Pillow's limit: DecompressionBombError
        (10000, 10000),  # beyond Pillow's limit: DecompressionBombWarning
        (7000, 7000),  # beyond IMAGE_MAX_PIXELS only
    ],
)
def test_decompression_bomb_is_refused(size: tuple[int, int]) -> None:
    raw = png_1bit(*size)
    assert len(raw) < 200_000
    message = refused(raw, "bom.png")
    assert "“bom.png”" in message and "quá lớn" in message
    assert "40.000.000 điểm ảnh" in message


def test_pixel_limit_comes_from_settings(settings: Settings) -> None:
    settings.IMAGE_MAX_PIXELS = 10_000
    message = refused(png_1bit(200, 100), "hai-van.png")
    assert "200 × 100 điểm ảnh" in message and "10.000 điểm ảnh" in message
    assert process_upload(upload(png_1bit(100, 100), "vua.png")).width == 100


@pytest.mark.parametrize(
    ("image_format", "keep"),
    [("JPEG", 0.5), ("PNG", 0.5), ("GIF", 0.5), ("WEBP", 0.5)],
)
def test_truncated_image_is_refused(image_format: str, keep: float) -> None:
    raw = encode(photo(), image_format)
    message = refused(raw[: int(len(raw) * keep)], "cat.img")
    assert "“cat.img”" in message and "bị hỏng" in message


def test_garbage_after_an_image_signature_is_refused() -> None:
    assert "bị hỏng" in refused(b"GIF89a" + bytes(range(256)) * 4, "gia.gif")


def test_heic_is_refused_with_advice_unless_pillow_reads_it() -> None:
    Image.init()
    if "HEIF" in Image.OPEN:
        pytest.skip("a HEIF plugin is installed here")
    message = refused(ftyp(b"heic", b"mif1", b"heic"), "IMG_0002.HEIC")
    assert "HEIC" in message and "JPEG" in message and "“IMG_0002.HEIC”" in message


# --- Refused types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("ve.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("setup.exe", b"MZ\x90\x00\x03" + bytes(59) + b"This program cannot be run in DOS mode." + bytes(200)),
        ("run", b"\x7fELF\x02\x01\x01" + bytes(200)),
        ("tai-lieu.zip", zip_bytes({"a.txt": b"xin chao", "b/c.txt": b"tam biet"})),
        ("gia.docx", zip_bytes({"[Content_Types].xml": b"<Types/>", "other/x.xml": b"<x/>"})),
        ("trinh-chieu.odp", zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.presentation"})),
        ("ghi-chu.txt", "Xin chào, đây là văn bản thường.\n".encode()),
        ("chay.sh", b"#!/bin/sh\nrm -rf /\n"),
        ("van-ban.rtf", b"{\\rtf1\\ansi Hello}"),
        ("anh.bmp", encode(Image.new("RGB", (8, 8)), "BMP")),
        ("anh.tif", encode(Image.new("RGB", (8, 8)), "TIFF")),
        ("anh.avif", ftyp(b"avif", b"mif1", b"avif")),
        ("phim.mkv", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + bytes(100)),
        ("cai-dat.msi", ole2("\u4840\u3b3f\u4577\u446c")),
        ("gia.doc", ole2("Other", decoy_at=1536)),
    ],
)
def test_types_outside_the_allow_list_are_refused(name: str, content: bytes) -> None:
    message = refused(content, name)
    assert message.startswith(f"Tệp “{name}” không được chấp nhận: chỉ nhận ảnh (JPEG, PNG, WebP, GIF)")
    assert "tài liệu (PDF, Word, Excel, PowerPoint, ODT, ODS)" in message


def test_truncated_zip_is_refused() -> None:
    raw = ooxml("word", "document.xml")
    assert "bị hỏng" in refused(raw[: len(raw) // 2], "hong.docx")


# --- Documents, audio, video -------------------------------------------------------------------------


def assert_unchanged(result: ProcessedFile, raw: bytes) -> None:
    assert result.content == raw
    assert (result.width, result.height, result.thumbnail) == (None, None, None)


def test_pdf_is_kept_unchanged() -> None:
    result = process_upload(upload(PDF_BYTES, "don-thu.pdf", "application/pdf"))
    assert (result.kind, result.content_type, result.extension) == (AttachmentKind.DOCUMENT, "application/pdf", "pdf")
    assert_unchanged(result, PDF_BYTES)


@pytest.mark.parametrize(
    ("content", "content_type", "extension"),
    [
        (ooxml("word", "document.xml"), f"{OOXML}.wordprocessingml.document", "docx"),
        (ooxml("xl", "workbook.xml"), f"{OOXML}.spreadsheetml.sheet", "xlsx"),
        (ooxml("ppt", "presentation.xml"), f"{OOXML}.presentationml.presentation", "pptx"),
        (
            zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<o/>"}),
            "application/vnd.oasis.opendocument.text",
            "odt",
        ),
        (
            zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<o/>"}),
            "application/vnd.oasis.opendocument.spreadsheet",
            "ods",
        ),
        (ole2("WordDocument", "1Table", "\x05SummaryInformation"), "application/msword", "doc"),
        (ole2("Workbook", "\x05SummaryInformation"), "application/vnd.ms-excel", "xls"),
        (ole2("Book"), "application/vnd.ms-excel", "xls"),
        (ole2("Current User", "PowerPoint Document", "Pictures"), "application/vnd.ms-powerpoint", "ppt"),
    ],
)
def test_office_documents(content: bytes, content_type: str, extension: str) -> None:
    result = process_upload(upload(content, "tai-lieu.bin", "application/octet-stream"))
    assert (result.kind, result.content_type, result.extension) == (AttachmentKind.DOCUMENT, content_type, extension)
    assert_unchanged(result, content)


def test_office_file_with_macros_is_refused() -> None:
    message = refused(ooxml("word", "document.xml", "word/vbaProject.bin"), "bao-cao.docm")
    assert "“bao-cao.docm”" in message and "macro" in message


def test_password_protected_office_file_is_refused() -> None:
    message = refused(ole2("EncryptedInfo", "EncryptedPackage"), "mat.docx")
    assert "“mat.docx”" in message and "mật khẩu" in message


WAV = b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
WAV += b"data" + struct.pack("<I", 0)
ID3_TAG = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10)  # an ID3v2.4 header and 10 bytes of tag
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87\x81\x04" + bytes(64)


@pytest.mark.parametrize(
    ("content", "kind", "content_type", "extension"),
    [
        (ID3_TAG + b"\xff\xfb\x90\x64" + bytes(400), "audio", "audio/mpeg", "mp3"),
        (ID3_TAG + b"fLaC\x00\x00\x00\x22" + bytes(34), "audio", "audio/flac", "flac"),
        (b"\xff\xfb\x90\x64" + bytes(400), "audio", "audio/mpeg", "mp3"),
        (b"\xff\xf3\x84\xc4" + bytes(400), "audio", "audio/mpeg", "mp3"),
        (b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(200), "audio", "audio/aac", "aac"),
        (WAV, "audio", "audio/wav", "wav"),
        (b"#!AMR\n\x3c" + bytes(31), "audio", "audio/amr", "amr"),
        (b"#!AMR-WB\n\x24" + bytes(60), "audio", "audio/amr-wb", "awb"),
        (b"OggS\x00\x02" + bytes(22) + b"\x01\x13OpusHead" + bytes(40), "audio", "audio/ogg", "ogg"),
        (b"fLaC\x00\x00\x00\x22" + bytes(34), "audio", "audio/flac", "flac"),
        (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio", "audio/mp4", "m4a"),
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video", "video/mp4", "mp4"),
        (ftyp(b"mp42", b"mp42", b"isom"), "video", "video/mp4", "mp4"),
        (ftyp(b"qt  ", b"qt  "), "video", "video/quicktime", "mov"),
        (struct.pack(">I", 8) + b"wide" + struct.pack(">I", 8) + b"mdat", "video", "video/quicktime", "mov"),
        (ftyp(b"3gp4", b"isom", b"3gp4"), "video", "video/3gpp", "3gp"),
        (ftyp(b"3g2a", b"3g2a"), "video", "video/3gpp2", "3g2"),
        (WEBM, "video", "video/webm", "webm"),
    ],
)
def test_audio_and_video(content: bytes, kind: str, content_type: str, extension: str) -> None:
    result = process_upload(upload(content, "ghi-am.dat", "text/plain"))
    assert (result.kind, result.content_type, result.extension) == (AttachmentKind(kind), content_type, extension)
    assert_unchanged(result, content)


# --- Size, count, name -------------------------------------------------------------------------------


def test_oversize_file_is_refused(settings: Settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024
    assert process_upload(upload(PDF_BYTES.ljust(1024, b"\n"), "vua.pdf")).content_type == "application/pdf"
    message = refused(PDF_BYTES.ljust(1536, b"\n"), "lon.pdf")
    assert message == "Tệp “lon.pdf” quá lớn (1,5 KB); mỗi tệp tối đa 1 KB."


class CountingBytesIO(BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_file_larger_than_its_declared_size_is_read_only_up_to_the_limit(settings: Settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000
    stream = CountingBytesIO(PDF_BYTES.ljust(50_000, b"\n"))
    lying = InMemoryUploadedFile(stream, "file", "noi-doi.pdf", "application/pdf", 10, None)
    with pytest.raises(AttachmentError, match="quá lớn"):
        process_upload(lying)
    assert stream.bytes_read == 1001


def test_empty_file_is_refused() -> None:
    assert refused(b"", "trong.jpg") == "Tệp “trong.jpg” không có nội dung (0 byte)."


def test_count_over_the_limit_is_refused(settings: Settings) -> None:
    check_count(0)
    check_count(settings.ATTACHMENT_MAX_COUNT)
    with pytest.raises(AttachmentError) as caught:
        check_count(settings.ATTACHMENT_MAX_COUNT + 1)
    assert str(caught.value) == "Mỗi phản ánh chỉ được đính kèm tối đa 10 tệp (đã chọn 11 tệp)."


@pytest.mark.parametrize(
    ("raw_name", "expected"),
    [
        ("C:\\Users\\Lan\\Desktop\\đơn\x00 thư\x1b[31m.pdf", "đơn thư[31m.pdf"),
        ("bien-ban\u202efdp.exe", "bien-banfdp.exe"),
        ("\t  khiếu nại\r\n  lần 2.pdf ", "khiếu nại lần 2.pdf"),
        (unicodedata.normalize("NFD", "Ảnh hiện trường.pdf"), "Ảnh hiện trường.pdf"),
        ("..\\..", "tệp không tên"),
        ("x" * 300 + ".pdf", "x" * 115 + "….pdf"),
    ],
)
def test_original_name_is_sanitised(raw_name: str, expected: str) -> None:
    result = process_upload(upload(PDF_BYTES, raw_name))
    assert result.original_name == expected
    assert len(result.original_name) <= 120
    assert result.extension == "pdf"


def test_error_messages_use_the_sanitised_name() -> None:
    assert refused(b"MZ" + bytes(100), "C:\\tmp\\virus\x07.exe").startswith("Tệp “virus.exe” không được chấp nhận")


def test_total_pixels_of_a_request_are_capped(settings: Settings) -> None:
    settings.IMAGE_MAX_TOTAL_PIXELS = 30_000
    checked = [check_upload(upload(png_1bit(100, 100), f"{n}.png")) for n in range(3)]
    assert [item.pixels for item in checked] == [10_000] * 3
    check_total_pixels(checked)
    checked.append(check_upload(upload(PDF_BYTES, "don.pdf")))  # not an image: no pixels
    check_total_pixels(checked)
    checked.append(check_upload(upload(png_1bit(10, 10), "them.png")))
    with pytest.raises(AttachmentError) as caught:
        check_total_pixels(checked)
    assert str(caught.value) == (
        "Các ảnh đính kèm quá lớn: tổng cộng 30.100 điểm ảnh, mỗi phản ánh chỉ nhận tối đa 30.000 điểm ảnh. "
        "Hãy bớt ảnh hoặc gửi ảnh nhỏ hơn."
    )


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L"])
def test_large_images_are_shrunk_right_after_decoding_and_keep_their_picture(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    settings.IMAGE_MAX_SIDE = 200
    settings.THUMBNAIL_SIDE = 50
    original = Image.new("RGB", (900, 600), (220, 20, 20))
    original.paste((20, 20, 220), (450, 0, 900, 600))  # left half red, right half blue
    if mode == "RGBA":
        source = original.convert("RGBA")
        source.putpixel((0, 0), (0, 0, 0, 0))  # one transparent pixel keeps it RGBA
    elif mode == "P":
        source = original.convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    else:
        source = original.convert(mode)
    resized: list[tuple[int, int]] = []
    resize = Image.Image.resize

    def recording(self: Image.Image, size: tuple[int, int], *args: object, **kwargs: object) -> Image.Image:
        resized.append(self.size)
        return resize(self, size, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Image.Image, "resize", recording)
    # A cheap integer reduction first (900 -> 450), so the fine resampling never sees the full image.
    result = process_upload(upload(encode(source, "PNG"), "hai-mau.png"))
    assert resized and max(max(size) for size in resized) < 2 * settings.IMAGE_MAX_SIDE
    assert (result.width, result.height) == (200, 133)
    stored = reopened(result.content).convert("RGB")
    assert stored.size == (200, 133)
    left, right = stored.getpixel((40, 66)), stored.getpixel((160, 66))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    if mode == "L":
        assert abs(left[0] - right[0]) > 20 and left[0] == left[1] == left[2]
    else:
        assert left[0] > 180 and left[2] < 70 and right[2] > 180 and right[0] < 70
    assert result.thumbnail is not None and reopened(result.thumbnail).size == (50, 33)
