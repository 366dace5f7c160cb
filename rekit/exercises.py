"""Kept so that ``rekit.exercises.check`` keeps working; the exercises live in :mod:`rekit.teaching`."""

from rekit.teaching.exercises import (HEADLINE_YEAR, MODEL_YEARS, check, check_deal, check_number, deal_book, reset,
                                      summary)

__all__ = ["HEADLINE_YEAR", "MODEL_YEARS", "check", "check_deal", "check_number", "deal_book", "reset", "summary"]
