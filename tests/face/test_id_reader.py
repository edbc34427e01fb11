"""ID-card reference photos: the card reader's drop folder (read once, then deleted) and a picked file."""

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest

from teller_client.face.id_reader import FolderDropReader, IdCardRead, IdReaderError, read_reference_file

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "faces"
PHOTO = SHARED / "people" / "obama" / "obama1.jpg"
RGBA_PNG = SHARED / "edge" / "rgba_32bit.png"
needs_photo = pytest.mark.skipif(not PHOTO.is_file(), reason=f"shared face photo missing: {PHOTO}")
WAIT = 5.0  # seconds any condition may take before the test fails
CHIP_SIZE = (102, 126)  # width x height of an ID-card chip photo

NAME = "张三"
ID_NUMBER = "11010519491231002X"


def chip_photo(extension: str = ".jpg") -> bytes:
    """A shared photo downscaled to chip size and encoded as the reader vendor would write it."""
    image = cv2.imdecode(np.frombuffer(PHOTO.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    ok, encoded = cv2.imencode(extension, cv2.resize(image, CHIP_SIZE, interpolation=cv2.INTER_AREA))
    assert ok
    return bytes(encoded.tobytes())


def json_fields(**overrides: object) -> bytes:
    fields: dict[str, object] = {
        "name": NAME,
        "id_number": ID_NUMBER,
        "birth_date": "1949-12-31",
        "sex": "男",
    }
    fields.update(overrides)
    return json.dumps({k: v for k, v in fields.items() if v is not None}, ensure_ascii=False).encode("utf-8")


def write_card(
    folder: Path,
    stem: str,
    photo: bytes,
    fields: bytes,
    *,
    photo_suffix: str = ".jpg",
    fields_suffix: str = ".json",
    done: bool = True,
) -> list[Path]:
    """The vendor's order: photo, text fields, then the empty .done marker."""
    files = [folder / f"{stem}{photo_suffix}", folder / f"{stem}{fields_suffix}"]
    files[0].write_bytes(photo)
    files[1].write_bytes(fields)
    if done:
        marker = folder / f"{stem}.done"
        marker.write_bytes(b"")
        files.append(marker)
    return files


class Collector:
    """on_card / on_error callbacks that record calls and let the test wait for them."""

    def __init__(self) -> None:
        self.cards: list[IdCardRead] = []
        self.errors: list[IdReaderError] = []
        self._condition = threading.Condition()

    def on_card(self, card: IdCardRead) -> None:
        with self._condition:
            self.cards.append(card)
            self._condition.notify_all()

    def on_error(self, error: IdReaderError) -> None:
        with self._condition:
            self.errors.append(error)
            self._condition.notify_all()

    def wait_cards(self, count: int) -> None:
        with self._condition:
            assert self._condition.wait_for(lambda: len(self.cards) >= count, WAIT), self.errors

    def wait_errors(self, count: int) -> None:
        with self._condition:
            assert self._condition.wait_for(lambda: len(self.errors) >= count, WAIT), self.cards


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "card_reader"
    folder.mkdir()
    return folder


@pytest.fixture
def start_reader(drop: Path) -> Iterator[Callable[[Collector], FolderDropReader]]:
    """Readers on the drop folder polling every 20 ms, always stopped when the test ends."""
    readers: list[FolderDropReader] = []

    def start(collector: Collector) -> FolderDropReader:
        reader = FolderDropReader(drop, collector.on_card, collector.on_error, poll_seconds=0.02)
        readers.append(reader)
        reader.start()
        return reader

    yield start
    for reader in readers:
        reader.stop()
        assert not reader.running


@needs_photo
def test_complete_card_is_read_once_into_memory_and_its_files_deleted(
    drop: Path, start_reader: Callable[[Collector], FolderDropReader], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="counterguard.face")
    collector = Collector()
    reader = start_reader(collector)
    files = write_card(drop, "card", chip_photo(), json_fields())
    collector.wait_cards(1)
    assert not any(path.exists() for path in files)
    reader.stop()
    assert len(collector.cards) == 1
    assert collector.errors == []
    card = collector.cards[0]
    assert (card.name, card.id_number, card.birth_date, card.sex) == (
        NAME,
        ID_NUMBER,
        date(1949, 12, 31),
        "M",
    )
    assert card.source == "card_reader"
    assert card.photo.shape == (126, 102, 3)
    assert card.photo.dtype == np.uint8
    assert NAME not in repr(card)
    assert ID_NUMBER not in repr(card)
    messages = [record.getMessage() for record in caplog.records]
    assert any("photo and text files were deleted" in message for message in messages)
    assert not any(NAME in message or ID_NUMBER in message or "card.jpg" in message for message in messages)


@needs_photo
def test_card_without_done_marker_is_not_read_until_it_is_complete(
    drop: Path, start_reader: Callable[[Collector], FolderDropReader]
) -> None:
    collector = Collector()
    start_reader(collector)
    partial = write_card(drop, "a_partial", chip_photo(), json_fields(name="李四"), done=False)
    write_card(drop, "b_complete", chip_photo(), json_fields())
    # The poll that read the complete card saw the partial one too and left it alone.
    collector.wait_cards(1)
    assert all(path.exists() for path in partial)
    assert [card.name for card in collector.cards] == [NAME]
    (drop / "a_partial.done").write_bytes(b"")
    collector.wait_cards(2)
    assert [card.name for card in collector.cards] == [NAME, "李四"]
    assert list(drop.iterdir()) == []


@needs_photo
def test_gbk_text_card_with_chinese_keys_and_bmp_photo(
    drop: Path, start_reader: Callable[[Collector], FolderDropReader]
) -> None:
    collector = Collector()
    start_reader(collector)
    lines = [
        "姓名=" + NAME,
        "性别=女",
        "民族=汉",
        "出生=19491231",
        "住址=北京市东城区",
        "公民身份号码=" + ID_NUMBER.lower(),
    ]
    text = "\r\n".join(lines) + "\r\n"
    write_card(drop, "zp", chip_photo(".bmp"), text.encode("gbk"), photo_suffix=".bmp", fields_suffix=".txt")
    collector.wait_cards(1)
    card = collector.cards[0]
    assert (card.name, card.id_number, card.birth_date, card.sex) == (
        NAME,
        ID_NUMBER,
        date(1949, 12, 31),
        "F",
    )
    assert card.photo.shape == (126, 102, 3)
    assert list(drop.iterdir()) == []


@needs_photo
def test_utf8_text_card_with_english_keys(
    drop: Path, start_reader: Callable[[Collector], FolderDropReader]
) -> None:
    collector = Collector()
    start_reader(collector)
    text = f"\ufeffname = {NAME}\nid_number = {ID_NUMBER}\nsex = M\n"
    write_card(
        drop, "card", chip_photo(".png"), text.encode("utf-8"), photo_suffix=".PNG", fields_suffix=".txt"
    )
    collector.wait_cards(1)
    card = collector.cards[0]
    assert (card.name, card.id_number, card.birth_date, card.sex) == (NAME, ID_NUMBER, None, "M")


@needs_photo
def test_corrupt_photo_is_reported_with_its_file_name_cleared_and_the_reader_keeps_going(
    drop: Path, start_reader: Callable[[Collector], FolderDropReader]
) -> None:
    collector = Collector()
    reader = start_reader(collector)
    bad = write_card(drop, "bad", b"\xff\xd8\xff\xe0 truncated jpeg", json_fields())
    collector.wait_errors(1)
    error = collector.errors[0]
    assert error.file_name == "bad.jpg"
    assert "bad.jpg" in error.message("en")
    assert "cannot be decoded" in error.message("en")
    assert "bad.jpg" in error.message("zh-CN")
    assert "无法解码" in error.message("zh-CN")
    assert not any(path.exists() for path in bad)
    assert reader.running
    write_card(drop, "good", chip_photo(), json_fields())
    collector.wait_cards(1)
    assert len(collector.errors) == 1


@needs_photo
@pytest.mark.parametrize(
    ("fields", "file_name", "problem"),
    [
        (b"{not json", "card.json", "not valid JSON"),
        (b"[1, 2]", "card.json", "not an object"),
        (json_fields(name=None), "card.json", "name is missing"),
        (json_fields(id_number="  "), "card.json", "id_number is missing"),
        (json_fields(birth_date="1990-13-01"), "card.json", "birth_date is not a valid YYYY-MM-DD date"),
        (json_fields(sex="X"), "card.json", "sex is not M/F"),
        (json_fields(name=42), "card.json", "name is not text"),
    ],
)
def test_bad_fields_are_reported_and_the_card_deleted(
    drop: Path,
    start_reader: Callable[[Collector], FolderDropReader],
    fields: bytes,
    file_name: str,
    problem: str,
) -> None:
    collector = Collector()
    start_reader(collector)
    write_card(drop, "card", chip_photo(), fields)
    collector.wait_errors(1)
    assert collector.cards == []
    message = collector.errors[0].message("en")
    assert file_name in message
    assert problem in message
    assert list(drop.iterdir()) == []


def test_marker_without_photo_or_fields_is_reported(
    drop: Path, start_reader: Callable[[Collector], FolderDropReader]
) -> None:
    collector = Collector()
    start_reader(collector)
    (drop / "lonely.json").write_bytes(json_fields())
    (drop / "lonely.done").write_bytes(b"")
    collector.wait_errors(1)
    assert "chip photo file (jpg, bmp or png) is missing" in collector.errors[0].message("en")
    assert list(drop.iterdir()) == []


@needs_photo
def test_cards_left_from_before_the_start_are_deleted_unread(
    drop: Path, start_reader: Callable[[Collector], FolderDropReader]
) -> None:
    old = write_card(drop, "old", chip_photo(), json_fields(name="王五"))
    collector = Collector()
    start_reader(collector)
    assert not any(path.exists() for path in old)
    write_card(drop, "new", chip_photo(), json_fields())
    collector.wait_cards(1)
    assert [card.name for card in collector.cards] == [NAME]


def test_missing_drop_folder_is_a_clear_error(tmp_path: Path) -> None:
    collector = Collector()
    reader = FolderDropReader(tmp_path / "nowhere", collector.on_card, collector.on_error)
    with pytest.raises(IdReaderError) as caught:
        reader.start()
    assert "nowhere" in caught.value.message("en")
    assert "读卡器文件夹" in caught.value.message("zh-CN")
    assert not reader.running


@pytest.mark.skipif(not RGBA_PNG.is_file(), reason=f"shared RGBA test picture missing: {RGBA_PNG}")
def test_reference_file_rgba_png_becomes_rgb_and_the_file_stays() -> None:
    image = read_reference_file(RGBA_PNG)
    assert image.ndim == 3
    assert image.shape[2] == 3
    assert image.dtype == np.uint8
    assert RGBA_PNG.is_file()


@needs_photo
def test_reference_file_chip_sized_and_grey_photos(tmp_path: Path) -> None:
    chip = tmp_path / "证件照.bmp"  # a non-ASCII name, as Windows users have
    chip.write_bytes(chip_photo(".bmp"))
    assert read_reference_file(chip).shape == (126, 102, 3)
    grey = tmp_path / "grey.png"
    image = cv2.imdecode(np.frombuffer(PHOTO.read_bytes(), np.uint8), cv2.IMREAD_GRAYSCALE)
    grey.write_bytes(cv2.imencode(".png", image)[1].tobytes())
    assert read_reference_file(grey).shape == (*image.shape, 3)
    assert chip.is_file()
    assert grey.is_file()


def test_reference_file_that_is_not_a_picture_or_missing(tmp_path: Path) -> None:
    text = tmp_path / "photo.png"
    text.write_text("not a picture")
    with pytest.raises(IdReaderError) as caught:
        read_reference_file(text)
    assert caught.value.file_name == "photo.png"
    assert "photo.png is not a readable picture" in caught.value.message("en")
    assert "photo.png" in caught.value.message("zh-CN")
    with pytest.raises(IdReaderError) as missing:
        read_reference_file(tmp_path / "gone.jpg")
    assert "gone.jpg does not exist" in missing.value.message("en")
    with pytest.raises(IdReaderError) as folder:
        read_reference_file(tmp_path)
    assert folder.value.file_name == tmp_path.name
