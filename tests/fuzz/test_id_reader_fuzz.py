"""Fuzz of the ID card reader's drop folder (teller_client/face/id_reader.py) and of a picked photo file.

Each example writes one card the way the vendor's software does (photo, text fields, then the .done
marker) into a folder of its own, with a real FolderDropReader polling it, and waits for the reader to
hand the card on or refuse it. The text file comes in UTF-8 (with or without BOM), GBK, UTF-16 (with or
without BOM), garbage, cut short, too big, as JSON nested too deep or with a number too long to read,
with fields missing, wrong birth dates, or an ID number whose birth date is not the card's. The photo is
a real JPEG, PNG or BMP, random bytes, a picture cut short, nothing at all, another format under a photo
name, a header claiming 30000 x 30000 pixels, a real decompression bomb, or a 50 MB (sparse) file.

The property: exactly one outcome per card, a valid IdCardRead or one IdReaderError with a message in
both languages, never an exception in the polling thread, and every file of the card deleted either way.
"""

import contextlib
import json
import logging
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from teller_client.face.id_reader import (
    MAX_PHOTO_BYTES,
    MAX_PHOTO_PIXELS,
    FolderDropReader,
    IdCardRead,
    IdReaderError,
    read_reference_file,
)
from teller_client.validation import resident_id_check_char
from tests.fuzz import fuzz

WAIT_SECONDS = 10.0  # the bound of every wait on the reader; a card takes a few milliseconds
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# ================================================================ photos

_RNG = np.random.default_rng(8)
_CHIP = (_RNG.random((126, 102, 3)) * 255).astype(np.uint8)


def _encoded(extension: str, image: np.ndarray = _CHIP) -> bytes:
    ok, encoded = cv2.imencode(extension, image)
    assert ok
    return bytes(encoded.tobytes())


VALID_PHOTOS = {extension: _encoded(extension) for extension in (".jpg", ".png", ".bmp")}
OTHER_FORMATS = {extension: _encoded(extension) for extension in (".ppm", ".tiff", ".webp")}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_claiming(width: int, height: int, rows: int = 1) -> bytes:
    """A greyscale PNG whose header says width x height, with `rows` rows of real (zero) pixel data.

    With rows == height it is a genuine decompression bomb: a few hundred KB that decode to
    width x height x 3 bytes.
    """
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    data = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """The real JPEG with its frame header (SOF0) changed to say width x height."""
    data = bytearray(VALID_PHOTOS[".jpg"])
    at = data.index(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def bmp_claiming(width: int, height: int) -> bytes:
    data = bytearray(VALID_PHOTOS[".bmp"])
    data[18:26] = struct.pack("<ii", width, -height)  # top-down rows: the height is negative
    return bytes(data)


@dataclass(frozen=True)
class Photo:
    kind: str
    data: bytes = b""
    size: int | None = None  # a sparse file of this many bytes instead of `data`

    @property
    def readable(self) -> bool:
        return self.kind == "valid"


BOMB_SIDE = 9000  # 81 megapixels, over MAX_PHOTO_PIXELS: 243 MB once decoded, 79 KB as a file


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return png_claiming(BOMB_SIDE, BOMB_SIDE, rows=BOMB_SIDE)


def photos(bomb: bytes) -> st.SearchStrategy[Photo]:
    valid = st.sampled_from(sorted(VALID_PHOTOS)).map(lambda ext: Photo("valid", VALID_PHOTOS[ext]))
    return st.one_of(
        valid,
        valid,
        st.binary(max_size=3000).map(lambda data: Photo("random", data)),
        st.tuples(st.sampled_from(sorted(VALID_PHOTOS)), st.floats(0, 0.999)).map(
            lambda cut: Photo("cut", VALID_PHOTOS[cut[0]][: int(len(VALID_PHOTOS[cut[0]]) * cut[1])])
        ),
        st.just(Photo("empty", b"")),
        st.sampled_from(sorted(OTHER_FORMATS)).map(lambda ext: Photo("other format", OTHER_FORMATS[ext])),
        st.sampled_from([png_claiming, jpeg_claiming, bmp_claiming]).map(
            lambda claiming: Photo("huge dimensions", claiming(30_000, 30_000))
        ),
        st.just(Photo("bomb", bomb)),
        st.just(Photo("50 MB", size=50_000_000)),
    )


# ================================================================ text fields

NAMES = st.text(alphabet="张王李赵明红伟芳·abcXYZ", min_size=1, max_size=12).filter(
    lambda name: name.strip(" ·") and not name.startswith("·")
)


@st.composite
def resident_ids(draw: st.DrawFn) -> tuple[str, date]:
    born = draw(st.dates(date(1900, 1, 1), date(2020, 12, 31)))
    first17 = f"{draw(st.integers(110000, 659999))}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + resident_id_check_char(first17), born


@dataclass
class Fields:
    """A text file as written, and the card it should give when it is well formed (`expected`)."""

    data: bytes
    suffix: str
    expected: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


KEYS = {
    "name": ["name", "姓名", "NAME"],
    "id_number": ["id_number", "公民身份号码", "身份证号", "身份号码"],
    "birth_date": ["birth_date", "出生", "出生日期"],
    "sex": ["sex", "性别"],
}


@st.composite
def good_fields(draw: st.DrawFn) -> Fields:
    """Well-formed fields in a supported encoding: the reader must give exactly this card."""
    name = draw(NAMES)
    number, born = draw(resident_ids())
    sex, expected_sex = draw(st.sampled_from([("男", "M"), ("女", "F"), ("M", "M"), ("f", "F"), ("", None)]))
    with_birth = draw(st.booleans())
    values = {"name": name, "id_number": number, "sex": sex}
    if with_birth:
        values["birth_date"] = born.isoformat() if draw(st.booleans()) else f"{born:%Y%m%d}"
    keys = {canonical: draw(st.sampled_from(KEYS[canonical])) for canonical in values}
    suffix = draw(st.sampled_from([".json", ".txt"]))
    if suffix == ".json":
        text = json.dumps({keys[k]: v for k, v in values.items()}, ensure_ascii=draw(st.booleans()))
    else:
        text = "\r\n".join(f"{keys[k]}={v}" for k, v in values.items()) + "\r\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
    data = text.encode(encoding)
    if encoding == "gbk":
        try:
            data.decode("utf-8")
            encoding = "utf-8"  # these bytes read as UTF-8 too, which the reader tries first: write UTF-8
            data = text.encode(encoding)
        except UnicodeDecodeError:
            pass
    expected = {
        "name": name.strip(),
        "id_number": number,
        "birth_date": born if with_birth else None,
        "sex": expected_sex,
    }
    return Fields(data, suffix, expected, [f"good fields in {encoding}"])


wrong_values = (
    st.text()
    | st.sampled_from(
        ["", " ", "19491331", "1949-02-30", "0000-01-01", "99999999", "19491231X", "男女", "\x00"]
    )
    | st.integers()
    | st.none()
    | st.lists(st.text(max_size=3), max_size=3)
    | st.booleans()
)


@st.composite
def bad_fields(draw: st.DrawFn) -> Fields:
    """Anything else: wrong or missing values, wrong types, odd encodings, garbage, cut short, too big."""
    values: dict[str, Any] = {}
    for names in KEYS.values():
        if draw(st.booleans()):
            values[draw(st.sampled_from(names))] = draw(wrong_values)
    if draw(st.booleans()):  # the right fields with an ID number whose birth date is another day
        number, born = draw(resident_ids())
        values.update(name=draw(NAMES), id_number=number)
        values["birth_date"] = draw(
            st.dates(date(1900, 1, 1), date(2020, 12, 31)).filter(lambda d: d != born)
        ).isoformat()
    values.update(draw(st.dictionaries(st.text(max_size=8), wrong_values, max_size=3)))
    suffix = draw(st.sampled_from([".json", ".txt"]))
    if suffix == ".json":
        text = json.dumps(values, ensure_ascii=False)
    else:
        text = "\n".join(f"{key}={value}" for key, value in values.items())
    form = draw(
        st.sampled_from(["utf-8", "gbk", "utf-16", "utf-16-le", "utf-16-be", "garbage", "cut", "huge", "deep",
                         "long-number", "not-an-object"])
    )  # fmt: skip
    if form == "garbage":
        data = draw(st.binary(max_size=500))
    elif form == "cut":
        encoded = text.encode()
        data = encoded[: draw(st.integers(0, max(0, len(encoded) - 1)))]
    elif form == "huge":
        data = text.encode() + b" " * 70_000
    elif form == "deep":
        depth = draw(st.integers(1_000, 30_000))
        data = b'{"name": ' + b"[" * depth + b"]" * depth + b"}"
        suffix = ".json"
    elif form == "long-number":
        data = b'{"name": "x", "id_number": ' + b"7" * draw(st.integers(4_400, 20_000)) + b"}"
        suffix = ".json"
    elif form == "not-an-object":
        data = json.dumps(draw(st.lists(st.text(max_size=4), max_size=3))).encode()
        suffix = ".json"
    else:
        data = text.encode(form, errors="replace")
    return Fields(data, suffix, None, [form])


# ================================================================ the reader, one card at a time


class Outcomes(logging.Handler):
    """The reader's callbacks and its error log, with a condition to wait on."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.cards: list[IdCardRead] = []
        self.errors: list[IdReaderError] = []
        self.crashes: list[str] = []
        self.condition = threading.Condition()

    def on_card(self, card: IdCardRead) -> None:
        with self.condition:
            self.cards.append(card)
            self.condition.notify_all()

    def on_error(self, error: IdReaderError) -> None:
        with self.condition:
            self.errors.append(error)
            self.condition.notify_all()

    def emit(self, record: logging.LogRecord) -> None:
        with self.condition:
            self.crashes.append(self.format(record))
            self.condition.notify_all()

    def wait_for_one(self) -> None:
        with self.condition:
            done = self.condition.wait_for(lambda: self.cards or self.errors or self.crashes, WAIT_SECONDS)
        assert done, f"no outcome within {WAIT_SECONDS} s"


@contextlib.contextmanager
def watching(outcomes: Outcomes) -> Iterator[None]:
    """The reader's error log goes to `outcomes` too: an exception in the polling thread fails at once."""
    logger = logging.getLogger("counterguard.face.id_reader")
    logger.addHandler(outcomes)
    try:
        yield
    finally:
        logger.removeHandler(outcomes)


@pytest.fixture
def reader_log() -> Outcomes:
    return Outcomes()


def write(folder: Path, photo: Photo, fields: Fields, photo_suffix: str) -> None:
    """In the vendor's order: the photo, the text fields, then the empty marker."""
    photo_path = folder / f"card{photo_suffix}"
    if photo.size is not None:
        with photo_path.open("wb") as sparse:
            sparse.truncate(photo.size)
    else:
        photo_path.write_bytes(photo.data)
    (folder / f"card{fields.suffix}").write_bytes(fields.data)
    (folder / "card.done").write_bytes(b"")


def check_card(card: IdCardRead) -> None:
    assert isinstance(card.name, str) and card.name and card.name == card.name.strip()
    assert isinstance(card.id_number, str) and card.id_number
    assert card.id_number == card.id_number.upper() and "".join(card.id_number.split()) == card.id_number
    assert card.birth_date is None or isinstance(card.birth_date, date)
    assert card.sex in ("M", "F", None)
    assert card.source == "card_reader"
    photo = card.photo
    assert isinstance(photo, np.ndarray) and photo.dtype == np.uint8
    assert photo.ndim == 3 and photo.shape[2] == 3 and photo.shape[0] * photo.shape[1] <= MAX_PHOTO_PIXELS
    number = card.id_number
    if card.birth_date is not None and len(number) == 18 and number[:17].isdigit():
        # The card's own fields agree: the birth date is the one inside the ID number.
        assert number[6:14] == f"{card.birth_date:%Y%m%d}", (number, card.birth_date)


def read_one(folder: Path, photo: Photo, fields: Fields, photo_suffix: str, outcomes: Outcomes) -> None:
    reader = FolderDropReader(folder, outcomes.on_card, outcomes.on_error, poll_seconds=0.005)
    with watching(outcomes):
        reader.start()
        try:
            write(folder, photo, fields, photo_suffix)
            outcomes.wait_for_one()
        finally:
            reader.stop(timeout=WAIT_SECONDS)
    assert not reader.running
    assert not outcomes.crashes, outcomes.crashes
    assert len(outcomes.cards) + len(outcomes.errors) == 1, (outcomes.cards, outcomes.errors)
    # Deleted before the card was handed on: no face image stays on disk, whatever the outcome.
    assert list(folder.iterdir()) == []


@fuzz(150, io=True)
@given(data=st.data(), photo_suffix=st.sampled_from([".jpg", ".jpeg", ".png", ".bmp", ".JPG"]))
def test_every_card_gives_a_valid_card_or_one_clear_error_and_is_deleted(
    tmp_path: Path, bomb: bytes, data: st.DataObject, photo_suffix: str
) -> None:
    photo = data.draw(photos(bomb), label="photo")
    fields = data.draw(good_fields() | bad_fields(), label="fields")
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    outcomes = Outcomes()
    read_one(folder, photo, fields, photo_suffix, outcomes)
    if outcomes.errors:
        error = outcomes.errors[0]
        assert error.message("zh-CN") and error.message("en") and str(error)
        # Refused only for a reason: a good card in a supported encoding is always read.
        assert not (photo.readable and fields.expected), (fields.notes, error.message("en"))
        return
    card = outcomes.cards[0]
    check_card(card)
    assert photo.readable, f"a card from a {photo.kind} photo"
    if fields.expected is not None:
        got = {"name": card.name, "id_number": card.id_number, "birth_date": card.birth_date, "sex": card.sex}
        assert got == fields.expected


# ================================================================ plain tests for what the fuzz found


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (b'{"name": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", "not valid JSON"),
        (b'{"name": "x", "id_number": ' + b"7" * 5_000 + b"}", "not valid JSON"),
        (
            json.dumps(
                {"name": "张三", "id_number": "11010519491231002X", "birth_date": "1950-01-01"}
            ).encode(),
            "birth date",
        ),
    ],
    ids=["json-nested-too-deep", "json-number-too-long", "id-number-of-another-birth-date"],
)
def test_found_by_the_fuzz_cards_that_crashed_the_poll_or_disagreed_with_themselves(
    tmp_path: Path, reader_log: Outcomes, fields: bytes, problem: str
) -> None:
    """Cards that crashed the poll or disagreed with themselves are refused (found by the fuzz).

    JSON nested too deep (RecursionError) or with a number too long for Python (ValueError) escaped the
    card's error handling: the poll failed, nobody was told, and the card's photo stayed on disk for good.
    A card whose birth date is not the one in its own ID number was handed on as valid."""
    read_one(tmp_path, Photo("valid", VALID_PHOTOS[".jpg"]), Fields(fields, ".json"), ".jpg", reader_log)
    assert len(reader_log.errors) == 1, reader_log.cards
    assert problem in reader_log.errors[0].message("en")


def test_found_by_the_fuzz_utf16_text_with_a_byte_order_mark_is_read(
    tmp_path: Path, reader_log: Outcomes
) -> None:
    """Windows software writes "Unicode" text as UTF-16 with a byte order mark; it was refused as not GBK."""
    text = "姓名=张三\r\n公民身份号码=11010519491231002X\r\n出生=19491231\r\n"
    read_one(
        tmp_path,
        Photo("valid", VALID_PHOTOS[".bmp"]),
        Fields(text.encode("utf-16"), ".txt"),
        ".bmp",
        reader_log,
    )
    assert [(card.name, card.id_number) for card in reader_log.cards] == [("张三", "11010519491231002X")]


@pytest.mark.parametrize("side", [30_000, 12_000])
@pytest.mark.parametrize("claiming", [png_claiming, jpeg_claiming, bmp_claiming])
def test_a_picked_photo_with_huge_dimensions_is_refused_before_decoding(
    tmp_path: Path, side: int, claiming: Any
) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(claiming(side, side))
    with pytest.raises(IdReaderError) as refused:
        read_reference_file(path)
    assert refused.value.file_name == "photo.png"
    assert refused.value.message("en") and refused.value.message("zh-CN")


def test_a_decompression_bomb_is_refused_without_allocating_its_pixels(tmp_path: Path, bomb: bytes) -> None:
    """A decompression bomb is refused without allocating its pixels (found by the fuzz).

    Measured in a child process (its own peak memory). Before the fix, decoding this 79 KB PNG raised the
    peak resident memory by 465 MB (9000 x 9000 pixels), and a 16 KB JPEG whose header claims 30000 x 30000
    pixels decoded (grey past its data) into 5.2 GB."""
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    script = textwrap.dedent(
        f"""
        import resource, sys
        from pathlib import Path
        from teller_client.face.id_reader import IdReaderError, read_reference_file
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            read_reference_file(Path({str(path)!r}))
            outcome = "read"
        except IdReaderError as error:
            outcome = "refused"
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(outcome, (after - before) // 1024)
        """
    )
    ran = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=True,
    )
    outcome, grown_mb = ran.stdout.split()
    assert outcome == "refused"
    assert int(grown_mb) < 50, f"peak memory grew by {grown_mb} MB"


def test_a_photo_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "scan.jpg"
    with path.open("wb") as sparse:
        sparse.truncate(MAX_PHOTO_BYTES + 1)
    with pytest.raises(IdReaderError) as refused:
        read_reference_file(path)
    assert "too large" in refused.value.message("en")


@pytest.mark.parametrize("extension", sorted(OTHER_FORMATS))
def test_only_jpeg_png_and_bmp_are_decoded(tmp_path: Path, extension: str) -> None:
    """Only JPEG, PNG and BMP are decoded, whatever the file is called.

    OpenCV decodes a dozen formats, some of which (TIFF, PxM) are easy to turn into bombs: a picked file
    or a chip photo must be one of the three formats the docs name, whatever its file name says."""
    path = tmp_path / "photo.jpg"
    path.write_bytes(OTHER_FORMATS[extension])
    with pytest.raises(IdReaderError):
        read_reference_file(path)


@pytest.mark.parametrize("extension", sorted(VALID_PHOTOS))
def test_real_photos_of_the_three_formats_are_still_read(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"photo{extension}"
    path.write_bytes(VALID_PHOTOS[extension])
    image = read_reference_file(path)
    assert image.shape == _CHIP.shape and image.dtype == np.uint8


def test_a_card_being_written_is_not_read_half_way(tmp_path: Path, reader_log: Outcomes) -> None:
    """The vendor writes the photo in pieces and the text after it; nothing is read before the marker."""
    reader = FolderDropReader(tmp_path, reader_log.on_card, reader_log.on_error, poll_seconds=0.005)
    with watching(reader_log):
        _write_slowly(reader, reader_log, tmp_path)
    assert [card.name for card in reader_log.cards] == ["张三"] and not reader_log.errors
    assert list(tmp_path.iterdir()) == []


def _write_slowly(reader: FolderDropReader, reader_log: Outcomes, tmp_path: Path) -> None:
    reader.start()
    try:
        photo = VALID_PHOTOS[".jpg"]
        fields = json.dumps({"name": "张三", "id_number": "11010519491231002X"}, ensure_ascii=False).encode()
        with (tmp_path / "card.jpg").open("wb") as writing:
            for start in range(0, len(photo), 1024):
                writing.write(photo[start : start + 1024])
                writing.flush()
                polls = _polls_after(reader)
                assert polls and not reader_log.cards and not reader_log.errors
        (tmp_path / "card.json").write_bytes(fields[:10])
        assert _polls_after(reader) and not reader_log.cards and not reader_log.errors
        (tmp_path / "card.json").write_bytes(fields)
        assert (tmp_path / "card.jpg").exists() and (tmp_path / "card.json").exists()
        (tmp_path / "card.done").write_bytes(b"")
        reader_log.wait_for_one()
    finally:
        reader.stop(timeout=WAIT_SECONDS)


def _polls_after(reader: FolderDropReader) -> bool:
    """Wait (bounded) until the reader has looked at the folder at least twice more: then it has seen the
    current state of the files."""
    seen: list[int] = []
    original = reader._cards
    condition = threading.Condition()

    def counting() -> Any:
        with condition:
            seen.append(1)
            condition.notify_all()
        return original()

    reader._cards = counting  # type: ignore[method-assign]
    try:
        with condition:
            return condition.wait_for(lambda: len(seen) >= 2, WAIT_SECONDS)
    finally:
        reader._cards = original  # type: ignore[method-assign]
