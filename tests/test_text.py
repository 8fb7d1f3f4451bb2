"""Splitting a long text into the pieces a chat platform takes (common.text.text_split)."""

from __future__ import annotations

from common.text import text_split


def test_a_long_text_is_cut_at_the_best_boundary_that_fits_in_order_and_whole() -> None:
    sentence = "Đèn đường trước số 12 đã được thay bóng mới. "
    paragraph = (sentence * 8).strip()
    text = f"{paragraph}\n\n{paragraph}\nDòng cuối cùng, không dấu chấm"

    # Paragraphs first, then lines.
    assert text_split(text, max_length=len(paragraph) + 5) == [paragraph, paragraph, "Dòng cuối cùng, không dấu chấm"]
    # Inside a paragraph: at a sentence's end, never in the middle of one.
    pieces = text_split(paragraph, max_length=100)
    assert all(len(piece) <= 100 and piece.endswith(".") for piece in pieces)
    assert " ".join(pieces) == paragraph
    # A word longer than a piece is cut where it must be; short text is one piece; blank is none.
    assert text_split("x" * 25, max_length=10) == ["x" * 10, "x" * 10, "x" * 5]
    assert text_split("  Xin chào  ", max_length=10) == ["Xin chào"]
    assert text_split(" \n ", max_length=10) == []
