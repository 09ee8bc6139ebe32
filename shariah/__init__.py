"""Shariah contract rules, the table 2 audit checklist, reviews and the purification ledger."""
