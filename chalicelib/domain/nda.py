"""The platform's standard one-way NDA for micro-internships (versioned text).

Only the intern is bound (the Company discloses, the Intern keeps it confidential), so the
title says so. Each clause is one line: the page wraps it to the screen (a phone included)
instead of breaking it where the text file did. Every version stays here, unchanged, so a
signed copy is always the text that was signed (its SHA-256 is kept with the signature).
"""

from __future__ import annotations

import hashlib

VERSION = "2026-11.2"

TEMPLATES = {
    "2026-11": """MUTUAL NON-DISCLOSURE AGREEMENT (microintern standard, version {version})

Between {company} ("the Company") and {intern} ("the Intern"), for the project "{title}".

1. Confidential information is anything the Company shares for the project that is marked
   or would reasonably be understood as confidential.
2. The Intern uses it only to carry out the project and shares it with no one else.
3. The obligations last two years after the project ends, and do not cover information that
   is public, already known to the Intern, or required to be disclosed by law.
4. On request the Intern deletes the Company's confidential information.
5. Work product delivered and paid for through microintern belongs to the Company.

Signed electronically through microintern by typing the full name below.
""",
    # One line per paragraph (joined below): the page wraps them to the screen.
    "2026-11.2": "\n".join(
        [
            "NON-DISCLOSURE AGREEMENT: the Intern's undertaking "
            "(microintern standard, version {version})",
            "",
            '{intern} ("the Intern") gives this undertaking to {company} ("the Company") '
            'for the project "{title}". It binds the Intern only.',
            "",
            "1. Confidential information is anything the Company shares for the project that "
            "is marked or would reasonably be understood as confidential.",
            "2. The Intern uses it only to carry out the project and shares it with no one else.",
            "3. The obligations last two years after the project ends, and do not cover "
            "information that is public, already known to the Intern, or required to be "
            "disclosed by law.",
            "4. On request the Intern deletes the Company's confidential information.",
            "5. Work product delivered and paid for through microintern belongs to the Company.",
            "",
            "Signed electronically through microintern by typing the full name below.",
            "",
        ]
    ),
}


def text(*, company: str, intern: str, title: str, version: str = VERSION) -> str:
    template = TEMPLATES.get(version, TEMPLATES[VERSION])
    return template.format(version=version, company=company, intern=intern, title=title)


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()
