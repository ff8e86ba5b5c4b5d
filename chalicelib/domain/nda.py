"""The platform's standard mutual NDA for micro-internships (versioned text)."""

from __future__ import annotations

import hashlib

VERSION = "2026-11"

TEMPLATE = """MUTUAL NON-DISCLOSURE AGREEMENT (microintern standard, version {version})

Between {company} ("the Company") and {intern} ("the Intern"), for the project "{title}".

1. Confidential information is anything the Company shares for the project that is marked
   or would reasonably be understood as confidential.
2. The Intern uses it only to carry out the project and shares it with no one else.
3. The obligations last two years after the project ends, and do not cover information that
   is public, already known to the Intern, or required to be disclosed by law.
4. On request the Intern deletes the Company's confidential information.
5. Work product delivered and paid for through microintern belongs to the Company.

Signed electronically through microintern by typing the full name below.
"""


def text(*, company: str, intern: str, title: str) -> str:
    return TEMPLATE.format(version=VERSION, company=company, intern=intern, title=title)


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()
