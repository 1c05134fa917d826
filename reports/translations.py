"""English of every French text the reports print, keyed by the French (see reports.i18n)."""

EN: dict[str, str] = {}
