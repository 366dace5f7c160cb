"""rekit: a research kit on India's rare-earth supply chain (IREL, neodymium, partner deals)."""

__version__ = "0.1.0"
