"""Indicator catalogue and computed values (financial, social, impact). Built by the financial-engine issue."""
