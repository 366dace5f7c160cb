"""The teaching layer: verdicts (verdicts.py), the exercise catalogue (exercises.py), charts with a static copy
(figures.py), student and instructor editions (editions.py) and grading submissions (grading.py)."""
