"""The small real data set bundled with limelight, for demos, tutorials and smoke tests.

``sample_path()`` names a gzip CSV in CooRTweet's prepared format (``--format coortweet``):
5,500 retweets cut from the Russian Twitter data that ships with the CooRTweet R package,
keeping the objects that pairs of accounts retweeted together again and again plus a
share of ordinary retweets around them. SOURCE.md beside this file gives its origin,
licence, citation and how it was cut.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["SAMPLE_NAME", "sample_path"]

SAMPLE_NAME = "russian_coord_sample.csv.gz"


def sample_path() -> Path:
    """The path of the bundled sample, so that ``limelight ingest`` can be tried offline.

    The package is installed as plain files (a wheel or an editable checkout), so the
    resource already is a file on disk and the path stays valid after this returns.
    """
    with as_file(files(__name__).joinpath(SAMPLE_NAME)) as path:
        return Path(path)
