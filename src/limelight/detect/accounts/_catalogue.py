"""The catalogue of account features: name, group, what each measures, its plain words.

``_features.compute_features`` fills one column per entry, in this order; the model
card (docs/models/accounts.md) lists the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FEATURES", "FEATURE_NAMES", "FeatureSpec"]


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One feature: its name, what it measures, the monotone direction, its plain words.

    ``monotone`` is +1 where more of the feature can only make an account look more
    automated (or -1 less), 0 where the model may learn any shape. ``words`` describes a
    value in a reason, with ``{v}`` standing for the formatted value.
    """

    name: str
    group: str
    doc: str
    words: str
    monotone: int = 0
    integer: bool = False


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec(
        "followers", "profile", "Accounts following this one.", "has {v} followers", integer=True
    ),
    FeatureSpec(
        "following", "profile", "Accounts this one follows.", "follows {v} accounts", integer=True
    ),
    FeatureSpec(
        "posts",
        "profile",
        "Posts (statuses) the account has published.",
        "has published {v} posts",
        integer=True,
    ),
    FeatureSpec(
        "likes",
        "profile",
        "Posts the account has liked (favourites).",
        "has liked {v} posts",
        integer=True,
    ),
    FeatureSpec(
        "listed",
        "profile",
        "Public lists that include the account.",
        "is on {v} public lists",
        integer=True,
    ),
    FeatureSpec(
        "age_days",
        "profile",
        "Days from account creation to the profile snapshot.",
        "was {v} days old when seen",
    ),
    FeatureSpec(
        "posts_per_day",
        "profile",
        "Posts over account age: lifetime posting rate.",
        "posted {v} times a day over its life",
    ),
    FeatureSpec(
        "followers_per_day",
        "profile",
        "Followers gained per day of account age.",
        "gained {v} followers a day",
    ),
    FeatureSpec(
        "following_per_day",
        "profile",
        "Accounts followed per day of account age.",
        "followed {v} accounts a day",
    ),
    FeatureSpec(
        "likes_per_day", "profile", "Likes given per day of account age.", "liked {v} posts a day"
    ),
    FeatureSpec(
        "listed_per_day",
        "profile",
        "List memberships gained per day of account age.",
        "joined {v} lists a day",
    ),
    FeatureSpec(
        "follower_ratio",
        "profile",
        "(followers + 1) / (following + 1): audience over attention.",
        "has {v} followers per account it follows",
    ),
    FeatureSpec(
        "likes_per_post",
        "profile",
        "Likes given per post published.",
        "likes {v} posts for each it publishes",
    ),
    FeatureSpec(
        "listed_per_1k_followers",
        "profile",
        "Lists per 1,000 followers: whether people curate it.",
        "is on {v} lists per 1,000 followers",
    ),
    FeatureSpec(
        "default_profile",
        "profile",
        "1 if the profile theme was never changed.",
        "default profile theme = {v}",
        monotone=1,
        integer=True,
    ),
    FeatureSpec(
        "default_image",
        "profile",
        "1 if the account still has the default avatar.",
        "default profile image = {v}",
        monotone=1,
        integer=True,
    ),
    FeatureSpec(
        "description_length",
        "profile",
        "Characters in the bio (0 for an empty bio).",
        "has a bio of {v} characters",
    ),
    FeatureSpec(
        "description_has_url",
        "profile",
        "1 if the bio contains a link.",
        "bio contains a link = {v}",
        integer=True,
    ),
    FeatureSpec(
        "has_location",
        "profile",
        "1 if a location is filled in.",
        "location filled in = {v}",
        integer=True,
    ),
    FeatureSpec(
        "has_url",
        "profile",
        "1 if the profile links a website.",
        "profile website given = {v}",
        integer=True,
    ),
    FeatureSpec(
        "declares_bot",
        "profile",
        "1 if the platform's bot flag is set or the handle, name or bio calls itself a bot.",
        "says it is a bot = {v}",
        monotone=1,
        integer=True,
    ),
    FeatureSpec(
        "handle_length",
        "name",
        "Characters in the handle (local part).",
        "has a handle of {v} characters",
        integer=True,
    ),
    FeatureSpec(
        "handle_digits",
        "name",
        "Digits in the handle.",
        "has {v} digits in its handle",
        monotone=1,
        integer=True,
    ),
    FeatureSpec(
        "handle_trailing_digits",
        "name",
        "Length of the digit run that ends the handle (name + digits templates).",
        "handle ends in {v} digits",
        monotone=1,
        integer=True,
    ),
    FeatureSpec(
        "handle_likelihood",
        "name",
        "Mean log10 character-bigram probability of the handle under ordinary words and "
        "handles; low means random-looking.",
        "handle's letter pairs have a log10 likelihood of {v} (lower looks random)",
        monotone=-1,
    ),
    FeatureSpec(
        "name_length",
        "name",
        "Characters in the display name.",
        "display name has {v} characters",
        integer=True,
    ),
    FeatureSpec(
        "name_digits",
        "name",
        "Digits in the display name.",
        "display name has {v} digits",
        integer=True,
    ),
    FeatureSpec(
        "name_words",
        "name",
        "Words in the display name.",
        "display name has {v} words",
        integer=True,
    ),
    FeatureSpec(
        "posts_observed",
        "behaviour",
        "Posts of the account in the store (or the data set's window).",
        "has {v} posts in the data",
        integer=True,
    ),
    FeatureSpec(
        "repost_share",
        "behaviour",
        "Share of its posts that are reposts (retweets, boosts).",
        "{v} of its posts are reposts",
    ),
    FeatureSpec(
        "reply_share",
        "behaviour",
        "Share of its posts that are replies.",
        "{v} of its posts are replies",
    ),
    FeatureSpec(
        "quote_share",
        "behaviour",
        "Share of its posts that quote another post.",
        "{v} of its posts are quotes",
    ),
    FeatureSpec("urls_per_post", "behaviour", "Links per post.", "shares {v} links per post"),
    FeatureSpec(
        "mentions_per_post", "behaviour", "Mentions per post.", "mentions {v} accounts per post"
    ),
    FeatureSpec(
        "hashtags_per_post", "behaviour", "Hashtags per post.", "uses {v} hashtags per post"
    ),
    FeatureSpec(
        "client_count",
        "behaviour",
        "Distinct clients (apps) it posted from.",
        "posted from {v} different apps",
        integer=True,
    ),
    FeatureSpec(
        "top_client_share",
        "behaviour",
        "Share of posts from its most used client.",
        "{v} of its posts come from one app",
    ),
    FeatureSpec(
        "hour_entropy",
        "behaviour",
        "Entropy of posting hour-of-day over its maximum (0 = one hour, 1 = spread evenly); "
        "3+ posts.",
        "posting-hour entropy is {v}",
    ),
    FeatureSpec(
        "burstiness",
        "behaviour",
        "(sd - mean) / (sd + mean) of gaps between posts: -1 clockwork, 0 random, 1 bursts; "
        "3+ posts.",
        "gap burstiness is {v}",
    ),
    FeatureSpec(
        "median_gap_s",
        "behaviour",
        "Median seconds between consecutive posts; 3+ posts.",
        "posts every {v} seconds (median gap)",
    ),
    FeatureSpec(
        "text_repetition",
        "behaviour",
        "Share of its non-repost posts whose text repeats one of its own earlier posts.",
        "{v} of its own texts are repeats",
    ),
    FeatureSpec(
        "posts_per_active_day",
        "behaviour",
        "Posts per calendar day on which it posted.",
        "posts {v} times on an active day",
    ),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
