"""Trace a failed Azure Data Factory activity to its Data Lake Analytics job."""

__version__ = "0.1.0"
