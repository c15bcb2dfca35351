"""Exceptions raised at the library's boundaries.

Every message is one line that names the file (and line, record or byte offset where
there is one) and says what is wrong and what to do. The CLI prints ``str(error)`` and
exits with status 1; library users catch :class:`WordlabError` (or ``ValueError``).
"""

from __future__ import annotations


class WordlabError(Exception):
    """Base class of the errors wordlab raises for bad input; ``str()`` is the one-line message."""


class DataError(WordlabError, ValueError):
    """A data file is missing, empty, malformed, truncated or in the wrong encoding."""


class ConfigError(WordlabError, ValueError):
    """A hyper-parameter or option has a value the method cannot work with."""


class CheckpointError(WordlabError, ValueError):
    """A model file is not a wordlab checkpoint, is truncated, or does not fit the request."""
