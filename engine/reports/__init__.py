"""The official reports an office sends upward, as pure code over plain records.

The engine turns its stored cases into :class:`ReportCase` records; these functions compute the
reports and write them. No database, no clock: the caller says when the report was made.

- 附件2 根治欠薪冬季专项行动情况: :func:`campaign_report` → :class:`CampaignReport`, written by
  :func:`write_xlsx` (laid out like the paper form), :func:`write_csv`, :func:`write_html`.
- 案件台账: :func:`ledger` → :class:`Ledger`, written by :func:`write_ledger_xlsx`,
  :func:`write_ledger_csv`, :func:`write_ledger_html`.

Counting rules are in ``_campaign`` and ``_ledger``; the rounding that makes 合计 add up is in
``_rounding`` (:func:`apportion`).
"""

from __future__ import annotations

from zhiqian.engine.reports._campaign import CAMPAIGN_NOTES as CAMPAIGN_NOTES
from zhiqian.engine.reports._campaign import CAMPAIGN_TITLE as CAMPAIGN_TITLE
from zhiqian.engine.reports._campaign import COLUMN_GROUPS as COLUMN_GROUPS
from zhiqian.engine.reports._campaign import COLUMNS as COLUMNS
from zhiqian.engine.reports._campaign import CampaignReport as CampaignReport
from zhiqian.engine.reports._campaign import CampaignRow as CampaignRow
from zhiqian.engine.reports._campaign import FormColumn as FormColumn
from zhiqian.engine.reports._campaign import ProjectTally as ProjectTally
from zhiqian.engine.reports._campaign import Signatures as Signatures
from zhiqian.engine.reports._campaign import campaign_report as campaign_report
from zhiqian.engine.reports._campaign_write import render_html as render_html
from zhiqian.engine.reports._campaign_write import write_csv as write_csv
from zhiqian.engine.reports._campaign_write import write_html as write_html
from zhiqian.engine.reports._campaign_write import write_xlsx as write_xlsx
from zhiqian.engine.reports._case import CATEGORY_LABELS as CATEGORY_LABELS
from zhiqian.engine.reports._case import CATEGORY_ORDER as CATEGORY_ORDER
from zhiqian.engine.reports._case import CHINA_TZ as CHINA_TZ
from zhiqian.engine.reports._case import PROJECT_KIND_LABELS as PROJECT_KIND_LABELS
from zhiqian.engine.reports._case import EmployerCategory as EmployerCategory
from zhiqian.engine.reports._case import ProjectKind as ProjectKind
from zhiqian.engine.reports._case import ReportCase as ReportCase
from zhiqian.engine.reports._case import region_matches as region_matches
from zhiqian.engine.reports._ledger import LEDGER_COLUMNS as LEDGER_COLUMNS
from zhiqian.engine.reports._ledger import LEDGER_TITLE as LEDGER_TITLE
from zhiqian.engine.reports._ledger import Ledger as Ledger
from zhiqian.engine.reports._ledger import LedgerRow as LedgerRow
from zhiqian.engine.reports._ledger import LedgerTotals as LedgerTotals
from zhiqian.engine.reports._ledger import ledger as ledger
from zhiqian.engine.reports._ledger import render_ledger_html as render_ledger_html
from zhiqian.engine.reports._ledger import write_ledger_csv as write_ledger_csv
from zhiqian.engine.reports._ledger import write_ledger_html as write_ledger_html
from zhiqian.engine.reports._ledger import write_ledger_xlsx as write_ledger_xlsx
from zhiqian.engine.reports._rounding import apportion as apportion
from zhiqian.engine.reports._rounding import round_half_up as round_half_up

__all__ = [
    "CAMPAIGN_NOTES",
    "CAMPAIGN_TITLE",
    "CATEGORY_LABELS",
    "CATEGORY_ORDER",
    "CHINA_TZ",
    "COLUMNS",
    "COLUMN_GROUPS",
    "LEDGER_COLUMNS",
    "LEDGER_TITLE",
    "PROJECT_KIND_LABELS",
    "CampaignReport",
    "CampaignRow",
    "EmployerCategory",
    "FormColumn",
    "Ledger",
    "LedgerRow",
    "LedgerTotals",
    "ProjectKind",
    "ProjectTally",
    "ReportCase",
    "Signatures",
    "apportion",
    "campaign_report",
    "ledger",
    "region_matches",
    "render_html",
    "render_ledger_html",
    "round_half_up",
    "write_csv",
    "write_html",
    "write_ledger_csv",
    "write_ledger_html",
    "write_ledger_xlsx",
    "write_xlsx",
]
