"""synface: a reproducibility pipeline for SynFace (ICCV 2021)."""

__version__ = "0.1.0"
