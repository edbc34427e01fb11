"""The command line's output cannot fail on a code page without Chinese (Windows, output redirected)."""

import io
import sys

import pytest

import main


def test_output_in_a_code_page_without_chinese_is_escaped_not_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = io.BytesIO()
    redirected = io.TextIOWrapper(raw, encoding="cp1252")  # `CounterGuard-console.exe ... > file`
    monkeypatch.setattr(sys, "stdout", redirected)
    monkeypatch.setattr(sys, "stderr", None)  # the windowed executable has none
    with pytest.raises(UnicodeEncodeError):
        print("CounterGuard (柜面卫士)")
    main.escape_what_output_cannot_encode()
    print("PASS main window: 'CounterGuard (柜面卫士)'")
    redirected.flush()
    assert raw.getvalue().endswith(b"PASS main window: 'CounterGuard (\\u67dc\\u9762\\u536b\\u58eb)'\n")
