"""Public datasets: definitions (data), readers, validation, fetching."""

from detente.sources.definition import Source, all_sources, get_source

__all__ = ["Source", "all_sources", "get_source"]
