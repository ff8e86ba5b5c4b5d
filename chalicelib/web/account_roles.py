"""Wires the intern and finance roles into sign-in (issue 14): at sign-in the address links
its roles — the intern profile it registered (services/intern_accounts.link) and finance
ownership named by FINANCE_OWNER_EMAILS (services/finance_users.link). Imported by the sign-in
route only (web/account_views), so no other cold start pays for it. The dashboards of those
roles are listed in web/dashboards.py.
"""

from __future__ import annotations

from chalicelib.services import accounts, finance_users, intern_accounts


def register() -> None:
    for link in (intern_accounts.link, finance_users.link):
        if link not in accounts.ON_SIGN_IN:
            accounts.ON_SIGN_IN.append(link)


register()
