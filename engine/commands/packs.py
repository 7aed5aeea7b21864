"""The pack-version registry: which loaded rule pack governs a case, with its built machine.

A case records the pack name and version that govern it; it is never re-judged by another
version. The registry holds every version the engine was opened with (and shipped versions
loaded on first use), each with the one ``transitions`` machine built for it, its calendar (the
national data with the pack's local days) and its campaign window.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from zhiqian.engine.domain.context import campaign_window
from zhiqian.engine.domain.governing import Governing
from zhiqian.engine.domain.lifecycle import Lifecycle
from zhiqian.errors import RuleError, StoreError
from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.loader import RulePack, load_pack
from zhiqian.store.records import CaseRecord

__all__ = ["Governing", "PackRegistry"]


class PackRegistry:
    """Pack versions by (name, version); shared by an engine and its ``within`` views (it is
    the ``Packs`` the queries and commands look versions up in)."""

    def __init__(self, calendar: LegalCalendar, packs: Iterable[RulePack] = ()) -> None:
        self.calendar = calendar
        self._by_key: dict[tuple[str, str], Governing] = {}
        for pack in packs:
            self.add(pack)

    def add(self, pack: RulePack) -> Governing:
        """Register ``pack`` (once: a version already loaded keeps its machine)."""
        key = (pack.name, pack.version)
        found = self._by_key.get(key)
        if found is None:
            found = self._by_key[key] = self._govern(pack)
        return found

    def _govern(self, pack: RulePack) -> Governing:
        calendar = self.calendar.with_extras(
            extra_holidays=pack.calendar.extra_holidays,
            extra_workdays=pack.calendar.extra_workdays,
        )
        lifecycle = Lifecycle(pack.lifecycle, guard_check=pack.guard_check)
        return Governing(pack, lifecycle, calendar, campaign_window(pack, calendar))

    def get(self, pack_name: str, pack_version: str) -> Governing | None:
        """The version if loaded (no loading: for displays that fall back to raw ids)."""
        return self._by_key.get((pack_name, pack_version))

    def governing(self, pack_name: str, pack_version: str) -> Governing:
        """The pack version that governs a case, loading a shipped pack of that exact version
        on first use; ``StoreError`` naming what is loaded when it is not available."""
        key = (pack_name, pack_version)
        found = self._by_key.get(key)
        if found is not None:
            return found
        with contextlib.suppress(RuleError):  # not shipped, or broken: the error below says so
            pack = load_pack(pack_name)
            if pack.version == pack_version:
                return self.add(pack)
        loaded = ", ".join(f"{n} {v}" for n, v in self._by_key) or "none"
        raise StoreError(
            f"rule pack {pack_name} {pack_version} governs this case but is not loaded "
            f"(loaded: {loaded}); open the engine with older_packs=[...]"
        )

    def of(self, case: CaseRecord) -> Governing:
        return self.governing(case.pack_name, case.pack_version)

    def packs(self) -> list[RulePack]:
        return [g.pack for g in self._by_key.values()]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._by_key)
