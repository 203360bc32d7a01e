"""The errors of the language-model layer, children of limelight's own hierarchy.

    LimelightError
    ├── InputError
    │   └── LLMNotConfiguredError  (exit 2)  no endpoint configured, or a bad setting
    └── LLMCallError               (exit 4)  the endpoint failed or kept giving bad output

A caller that only wants "did the LLM work" catches ``LLMCallError``; the CLI prints either
as one line with the fix.
"""

from __future__ import annotations

from limelight.errors import InputError, LimelightError

__all__ = ["LLMCallError", "LLMNotConfiguredError"]


class LLMNotConfiguredError(InputError):
    """The LLM is off (no base URL) or a setting cannot be used."""


class LLMCallError(LimelightError):
    """A call failed after its retries: timeouts, server errors, or output that never validated."""

    exit_code = 4
    http_status = 502
