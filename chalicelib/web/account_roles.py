"""Wires the intern and finance roles into the accounts core (issue 14), once, at import
(app.py imports this module):

- at sign-in, the address links its roles: the intern profile it registered
  (services/intern_accounts.link) and finance ownership named by FINANCE_OWNER_EMAILS
  (services/finance_users.link);
- /dashboard draws the intern's dashboard (web/intern_dashboard.py) for the `intern` role and
  sends a finance person to /finance.
"""

from __future__ import annotations

from chalicelib.services import accounts, finance_users, intern_accounts
from chalicelib.web import account_views, intern_dashboard
from chalicelib.web import finance_users as finance_pages


def register() -> None:
    for link in (intern_accounts.link, finance_users.link):
        if link not in accounts.ON_SIGN_IN:
            accounts.ON_SIGN_IN.append(link)
    for wants, show in (
        (intern_dashboard.wants, intern_dashboard.dashboard),
        (finance_pages.wants, finance_pages.dashboard),
    ):
        if (wants, show) not in account_views.DASHBOARDS:
            account_views.DASHBOARDS.append((wants, show))


register()
