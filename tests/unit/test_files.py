"""Names of deliverable files: safe in S3 keys and in a Content-Disposition header."""

from __future__ import annotations

import pytest

from chalicelib.adapters.files import attachment, safe_name


@pytest.mark.parametrize(
    ("name", "header"),
    [
        (
            "deck-final.pdf",
            "attachment; filename=\"deck-final.pdf\"; filename*=UTF-8''deck-final.pdf",
        ),
        (
            'Präsentation "v2".pdf',
            'attachment; filename="Pr_sentation _v2_.pdf"; '
            "filename*=UTF-8''Pr%C3%A4sentation%20%22v2%22.pdf",
        ),
        (
            "a\r\nSet-Cookie: x=1;.txt",
            'attachment; filename="a__Set-Cookie_ x=1_.txt"; '
            "filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1%3B.txt",
        ),
        ("", "attachment; filename=\"file\"; filename*=UTF-8''file"),
    ],
)
def test_attachment_headers_quote_any_name_safely(name: str, header: str) -> None:
    assert attachment(name) == header


def test_safe_names_keep_only_harmless_characters() -> None:
    assert safe_name("C:\\Users\\ida\\deck final (2).pdf") == "deck-final-2-.pdf"
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("...") == "file"
