"""limelight: find coordinated manipulation of public opinion and put it in the spotlight."""

from __future__ import annotations

from limelight.errors import FormatError, InputError, LimelightError, RecordError, StoreError
from limelight.records import Account, Deletion, Post, Reject

__version__ = "0.1.0"

__all__ = [
    "Account",
    "Deletion",
    "FormatError",
    "InputError",
    "LimelightError",
    "Post",
    "RecordError",
    "Reject",
    "StoreError",
    "__version__",
]
