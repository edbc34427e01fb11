"""ID-card reference photo: the card reader's drop folder (read, then deleted) and a file the teller picks.

Vendor folder contract (one card = files sharing a stem, e.g. ``card.bmp``, ``card.json``, ``card.done``):

1. the chip photo ``<stem>.jpg`` (or ``.jpeg``, ``.bmp``, ``.png``), about 102x126 px;
2. the text fields, either ``<stem>.json`` (UTF-8 object with ``name``, ``id_number``, ``birth_date`` as
   YYYY-MM-DD, ``sex``) or ``<stem>.txt`` with ``key=value`` lines in UTF-8 or GBK (or UTF-16 with a byte
   order mark, as Windows writes "Unicode" text); keys may be the English ones or 姓名, 公民身份号码
   (身份证号, 身份号码), 出生 (出生日期), 性别; dates YYYY-MM-DD or YYYYMMDD, the same date as inside an
   18-character ID number;
3. last, an empty ``<stem>.done`` marker once the other two files are complete and closed.

Photos are JPEG, PNG or BMP (by their bytes, whatever the file name says), at most 30 MB and
``MAX_PHOTO_PIXELS``: the size in the file's header is checked before anything is decoded, so a small file
claiming huge dimensions (a decompression bomb) is refused without allocating its pixels.

The client reads a card only when its ``.done`` exists, decodes the photo in memory and deletes all of the
card's files before handing it on, so no face image stays on disk. A bad card (no photo, undecodable photo,
missing or unreadable fields) is reported through ``on_error`` and its files are deleted too: moving them
aside would keep a face image on disk, and deleting means a bad card is never retried. Complete cards
already in the folder when the reader starts belong to an earlier customer and are deleted unread.
Other fields (address, ethnicity, ...) are ignored and never kept.
"""

from __future__ import annotations

import json
import logging
import re
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from teller_client.face.camera import IMAGE_SUFFIXES, RgbImage, decode_image

log = logging.getLogger("counterguard.face.id_reader")

CardSource = Literal["card_reader", "file"]
DONE_SUFFIX = ".done"
# Chip photos are a few KB and teller photos a few MB; anything bigger is not a photo we want in memory.
MAX_PHOTO_BYTES = 30_000_000
# A 50-megapixel camera photo at most (150 MB once decoded); a chip photo has 13,000 pixels.
MAX_PHOTO_PIXELS = 50_000_000
_MAX_FIELDS_BYTES = 64_000

_FIELD_KEYS = {
    "name": "name",
    "姓名": "name",
    "id_number": "id_number",
    "公民身份号码": "id_number",
    "身份证号": "id_number",
    "身份号码": "id_number",
    "birth_date": "birth_date",
    "出生": "birth_date",
    "出生日期": "birth_date",
    "sex": "sex",
    "性别": "sex",
}
_SEXES = {"男": "M", "m": "M", "male": "M", "女": "F", "f": "F", "female": "F"}
_FIELD_ZH = {"name": "姓名", "id_number": "证件号码", "birth_date": "出生日期", "sex": "性别"}
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


@dataclass(frozen=True)
class IdCardRead:
    """One read ID card: the chip (or picked) photo as RGB uint8 and the card's text fields."""

    photo: RgbImage = field(repr=False, compare=False)
    name: str = field(repr=False)
    id_number: str = field(repr=False)
    birth_date: date | None = field(repr=False)
    sex: str | None  # "M" or "F"
    source: CardSource


class IdReaderError(RuntimeError):
    """A card or photo that cannot be used; the message names the file and what is wrong."""

    def __init__(self, zh_cn: str, en: str, file_name: str | None = None) -> None:
        super().__init__(en)
        self.file_name = file_name
        self._zh_cn = zh_cn
        self._en = en

    def message(self, language: str) -> str:
        """The plain message for the teller in `language` ("zh-CN" or "en")."""
        return self._zh_cn if language == "zh-CN" else self._en


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers (not DHT, JPG, DAC)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first frame header, walking the segments (an EXIF thumbnail is skipped)."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # no length
            at += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header came first
            return None
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _SOF_MARKERS and at + 9 <= len(data):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


def _photo_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a JPEG, PNG or BMP header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg_size(data)
    if data.startswith(b"BM") and len(data) >= 26:
        (header_size,) = struct.unpack("<I", data[14:18])
        if header_size == 12:  # the old OS/2 header: 16-bit sizes
            width, height = struct.unpack("<HH", data[18:22])
            return width, height
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)  # a negative height means rows stored top-down
    return None


def _decode_photo(data: bytes) -> RgbImage | tuple[str, str]:
    """The photo as RGB uint8, or (zh-CN, en) saying why not; the header is checked before decoding."""
    size = _photo_size(data)
    if size is None:
        return "不是 jpg、png 或 bmp 图片", "it is not a jpg, png or bmp picture"
    width, height = size
    if width * height > MAX_PHOTO_PIXELS:
        return (
            f"图片尺寸 {width}x{height} 过大",
            f"its size of {width} x {height} pixels is far larger than a photo",
        )
    image = decode_image(data)
    if image is None:
        return "图片已损坏或不完整", "the picture is damaged or incomplete"
    return image


def _read_at_most(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None when it has more than `limit` (it may grow while it is read)."""
    with path.open("rb") as file:
        data = file.read(limit + 1)
    return None if len(data) > limit else data


def read_reference_file(path: Path) -> RgbImage:
    """The photo the teller picked (jpg, png or bmp) as RGB uint8; the file is left where it is."""
    path = Path(path)
    name = path.name
    too_large = IdReaderError(
        f"照片文件 {name} 太大（超过 30 MB），请选择证件照片。",
        f"The photo file {name} is too large (over 30 MB); pick the ID photo.",
        name,
    )
    try:
        if not path.is_file():
            raise FileNotFoundError(path)  # a folder, a device or a pipe is not a photo
        if path.stat().st_size > MAX_PHOTO_BYTES:
            raise too_large
        data = _read_at_most(path, MAX_PHOTO_BYTES)
        if data is None:
            raise too_large
    except FileNotFoundError:
        raise IdReaderError(
            f"找不到照片文件 {name}。", f"The photo file {name} does not exist.", name
        ) from None
    except OSError:
        raise IdReaderError(
            f"无法打开照片文件 {name}，请检查文件权限或选择其他文件。",
            f"The photo file {name} cannot be opened; check its permissions or pick another file.",
            name,
        ) from None
    image = _decode_photo(data)
    if isinstance(image, tuple):
        zh_cn, en = image
        raise IdReaderError(
            f"文件 {name} 不是可读取的图片（{zh_cn}），请选择 jpg、png 或 bmp 照片。",
            f"The file {name} is not a readable picture ({en}); pick a jpg, png or bmp photo.",
            name,
        )
    return image


class _BadCardError(Exception):
    """A refused card: (zh-CN, en) problem texts without personal data."""

    def __init__(self, zh_cn: str, en: str) -> None:
        super().__init__(en)
        self.zh_cn = zh_cn
        self.en = en


def _decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")  # the byte order mark says which UTF-16, and is dropped
        except UnicodeDecodeError:
            raise _BadCardError("UTF-16 文字文件已损坏", "the UTF-16 text file is damaged") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK, which many Chinese card-reader SDKs write.
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise _BadCardError(
            "文字文件既不是 UTF-8 也不是 GBK 编码", "the text file is neither UTF-8 nor GBK"
        ) from None


def _raw_fields(path: Path) -> dict[str, str]:
    data = _read_at_most(path, _MAX_FIELDS_BYTES)
    if data is None:
        raise _BadCardError("文字文件太大", "the text file is too large")
    text = _decode_text(data)
    raw: dict[str, object]
    if path.suffix.lower() == ".json":
        try:
            loaded = json.loads(text)
        except (ValueError, RecursionError):  # nested too deep, or a number too long for Python
            raise _BadCardError("json 文件格式不正确", "the json file is not valid JSON") from None
        if not isinstance(loaded, dict):
            raise _BadCardError("json 文件不是一个对象", "the json file is not an object")
        raw = loaded
    else:
        raw = {}
        for line in text.splitlines():
            line_key, sep, line_value = line.partition("=")
            if sep:
                raw[line_key.strip()] = line_value.strip()
    fields: dict[str, str] = {}
    for key, item in raw.items():
        canonical = _FIELD_KEYS.get(key.strip().lower() if key.isascii() else key.strip())
        if canonical is None or item is None:
            continue  # fields the check does not need are not kept
        if not isinstance(item, str):
            raise _BadCardError(f"{_FIELD_ZH[canonical]}不是文字", f"{canonical} is not text")
        fields[canonical] = item.strip()
    return fields


def _parse_fields(path: Path) -> tuple[str, str, date | None, str | None]:
    fields = _raw_fields(path)
    name = fields.get("name", "")
    id_number = "".join(fields.get("id_number", "").split()).upper()
    for key, value in (("name", name), ("id_number", id_number)):
        if not value:
            raise _BadCardError(f"缺少{_FIELD_ZH[key]}", f"{key} is missing")
    birth: date | None = None
    birth_text = fields.get("birth_date", "")
    if birth_text:
        match = _DATE.fullmatch(birth_text)
        try:
            if match is None:
                raise ValueError(birth_text)
            birth = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise _BadCardError(
                "出生日期不是 YYYY-MM-DD 格式的有效日期", "birth_date is not a valid YYYY-MM-DD date"
            ) from None
    resident_id = re.fullmatch(r"[0-9]{17}[0-9X]", id_number)
    if birth is not None and resident_id and id_number[6:14] != f"{birth:%Y%m%d}":
        raise _BadCardError(
            "出生日期与身份证号码中的出生日期不一致", "the birth date is not the one in the ID number"
        )
    sex: str | None = None
    sex_text = fields.get("sex", "")
    if sex_text:
        sex = _SEXES.get(sex_text.lower())
        if sex is None:
            raise _BadCardError("性别不是 男/女（M/F）", "sex is not M/F (男/女)")
    return name, id_number, birth, sex


class FolderDropReader:
    """Watches the card reader's drop folder on a polling thread and hands on each complete card once.

    `on_card` and `on_error` run on the polling thread; a Qt caller forwards them with a signal.
    """

    def __init__(
        self,
        folder: Path,
        on_card: Callable[[IdCardRead], None],
        on_error: Callable[[IdReaderError], None] | None = None,
        poll_seconds: float = 0.3,
    ) -> None:
        if not poll_seconds > 0:
            raise ValueError("poll_seconds must be positive")
        self.folder = Path(folder)
        self._on_card = on_card
        self._on_error = on_error
        self._poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Files whose deletion failed (locked by the vendor's software): retried on every poll.
        self._undeleted: set[Path] = set()
        # Cards already handled whose files could not all be deleted, by (stem, marker mtime).
        self._handled: set[tuple[str, int]] = set()
        self._folder_problem = False

    def start(self) -> None:
        """Clear cards left from an earlier customer, then start watching; IdReaderError if no folder."""
        if self._thread is not None:
            raise RuntimeError("the reader is already running")
        if not self.folder.is_dir():
            raise IdReaderError(
                f"读卡器文件夹 {self.folder} 不存在，请检查读卡器软件的输出文件夹设置。",
                f"The card reader folder {self.folder} does not exist; check the output folder set in the "
                "card reader's software.",
                self.folder.name,
            )
        stale = self._cards()
        for stem, (mtime, files) in stale.items():
            if not self._delete(files):
                self._handled.add((stem, mtime))  # never read a leftover card whose files stay locked
        if stale:
            log.info("Deleted %d card(s) left in the card reader folder from before, unread", len(stale))
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="counterguard-id-reader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop watching and wait for the polling thread (a card being handed on finishes first)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._handled.clear()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll()
            except Exception:
                # One bad poll must not end the watch; the next poll tries again.
                log.exception("Card reader folder poll failed")
            self._stop.wait(self._poll_seconds)

    def _cards(self) -> dict[str, tuple[int, list[Path]]]:
        """Complete cards (those with a .done marker): stem -> (marker mtime, all of that card's files)."""
        by_stem: dict[str, list[Path]] = {}
        done: list[tuple[int, str]] = []
        for entry in self.folder.iterdir():
            if not entry.is_file():
                continue  # a folder, a device or a pipe under a card's name is never opened
            suffix = entry.suffix.lower()
            if suffix in (*IMAGE_SUFFIXES, ".json", ".txt", DONE_SUFFIX):
                by_stem.setdefault(entry.stem, []).append(entry)
                if suffix == DONE_SUFFIX:
                    try:
                        done.append((entry.stat().st_mtime_ns, entry.stem))
                    except FileNotFoundError:
                        continue
        # Oldest marker first: cards are handed on in the order they were read.
        return {stem: (mtime, by_stem[stem]) for mtime, stem in sorted(done)}

    def _poll(self) -> None:
        """Look at the folder once: retry pending deletions, then take every complete card."""
        for path in list(self._undeleted):
            self._delete([path])
        try:
            cards = self._cards()
        except OSError:
            if not self._folder_problem:
                self._folder_problem = True
                log.warning("The card reader folder cannot be read")
                self._report(
                    IdReaderError(
                        f"无法读取读卡器文件夹 {self.folder}，请检查它是否存在、是否可以访问。",
                        f"The card reader folder {self.folder} cannot be read; check that it exists and "
                        "is accessible.",
                        self.folder.name,
                    )
                )
            return
        self._folder_problem = False
        for stem, (mtime, files) in cards.items():
            if self._stop.is_set():
                return
            self._take(stem, mtime, files)

    def _take(self, stem: str, mtime: int, files: list[Path]) -> None:
        marker = next(p for p in files if p.suffix.lower() == DONE_SUFFIX)
        key = (stem, mtime)
        if key in self._handled:
            return
        self._handled.add(key)
        photos = sorted(
            (p for p in files if p.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda p: IMAGE_SUFFIXES.index(p.suffix.lower()),
        )
        # json before txt when a vendor writes both.
        texts = sorted(
            (p for p in files if p.suffix.lower() in (".json", ".txt")), key=lambda p: p.suffix.lower()
        )
        card: IdCardRead | None = None
        problem: IdReaderError | None = None
        reason = ""  # the problem without file names, for the log
        shown = photos[0].name if photos else marker.name
        try:
            if not photos:
                raise _BadCardError(
                    "缺少证件照片文件（jpg、bmp 或 png）", "the chip photo file (jpg, bmp or png) is missing"
                )
            if not texts:
                raise _BadCardError(
                    "缺少证件文字文件（json 或 txt）", "the card's text file (json or txt) is missing"
                )
            data = _read_at_most(photos[0], MAX_PHOTO_BYTES)
            if data is None:
                raise _BadCardError("证件照片文件太大（超过 30 MB）", "the chip photo file is over 30 MB")
            photo = _decode_photo(data)
            if isinstance(photo, tuple):
                raise _BadCardError(
                    f"证件照片无法解码（{photo[0]}）", f"the chip photo cannot be decoded ({photo[1]})"
                )
            shown = texts[0].name
            name, id_number, birth, sex = _parse_fields(texts[0])
            card = IdCardRead(
                photo=photo, name=name, id_number=id_number, birth_date=birth, sex=sex, source="card_reader"
            )
        except _BadCardError as bad:
            reason = bad.en
            problem = IdReaderError(
                f"读卡器文件 {shown} 无法使用：{bad.zh_cn}。已删除该卡的文件，请重新读卡。",
                f"The card reader file {shown} cannot be used: {bad.en}. The card's files were deleted; "
                "read the card again.",
                shown,
            )
        except OSError:
            reason = "a file cannot be read"
            problem = IdReaderError(
                f"无法读取读卡器文件 {shown}。已删除该卡的文件，请重新读卡。",
                f"The card reader file {shown} cannot be read. The card's files were deleted; "
                "read the card again.",
                shown,
            )
        except Exception:
            # Whatever went wrong, the card's files are still deleted below and the teller is told.
            log.exception("Unexpected failure reading a card from the card reader folder")
            reason = "an unexpected failure"
            problem = IdReaderError(
                f"读卡器文件 {shown} 无法使用。已删除该卡的文件，请重新读卡。",
                f"The card reader file {shown} cannot be used. The card's files were deleted; "
                "read the card again.",
                shown,
            )
        # Delete before handing on: the face image must not outlive the read, even if the handler fails.
        all_deleted = self._delete(files)
        if all_deleted:
            self._handled.discard(key)
        outcome = "were deleted" if all_deleted else "are being deleted (some are still locked)"
        if card is not None:
            log.info("Read a card from the card reader folder; its photo and text files %s", outcome)
            try:
                self._on_card(card)
            except Exception:
                log.exception("on_card handler failed")
        elif problem is not None:
            log.warning("Refused a card in the card reader folder (%s); its files %s", reason, outcome)
            self._report(problem)

    def _delete(self, files: list[Path]) -> bool:
        all_deleted = True
        for path in files:
            try:
                path.unlink(missing_ok=True)
                self._undeleted.discard(path)
            except OSError:
                all_deleted = False
                if path not in self._undeleted:
                    self._undeleted.add(path)
                    log.warning("Could not delete a card file from the card reader folder yet; retrying")
        return all_deleted

    def _report(self, error: IdReaderError) -> None:
        if self._on_error is None:
            return
        try:
            self._on_error(error)
        except Exception:
            log.exception("on_error handler failed")
