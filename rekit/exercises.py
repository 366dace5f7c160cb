"""Kept so that ``rekit.exercises.check``, ``summary`` and ``reset`` keep working in the teaching notebooks.

The exercises live in :mod:`rekit.teaching.exercises` and the verdicts in
:mod:`rekit.teaching.verdicts`; here they keep their short notebook names.
"""

from rekit.teaching.exercises import (HEADLINE_YEAR, MODEL_YEARS, assert_answer, check_deal, deal_book, variant)
from rekit.teaching.exercises import check_exercise as check
from rekit.teaching.exercises import start_session as reset
from rekit.teaching.verdicts import check_number
from rekit.teaching.verdicts import session_summary as summary

__all__ = ["HEADLINE_YEAR", "MODEL_YEARS", "assert_answer", "check", "check_deal", "check_number", "deal_book", "reset",
           "summary", "variant"]
