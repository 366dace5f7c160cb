"""The teaching layer: self-checking exercises and their verdicts."""
