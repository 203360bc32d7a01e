"""One label set for persuasion techniques, and how each SemEval data set's names map into it.

The set is the 20 techniques of SemEval-2021 Task 6 (Dimitrov et al., 2021), the larger of
the two taxonomies, under short snake_case ids. SemEval-2020 Task 11 (Da San Martino et
al., 2020) annotated 14 classes over news articles; eleven are one of ours, and three merge
two or three of ours ("Bandwagon,Reductio_ad_hitlerum", "Whataboutism,Straw_Men,
Red_Herring", and nothing for smears, glittering generalities or obfuscation).

A merged class says only that *one of* its members applies, so a news sentence in such a
span is a positive for none of them and a negative for none of them: it is masked out of
those labels' training rows. A news sentence is never a negative for the three techniques
the 2020 annotators did not look for.
"""

from __future__ import annotations

__all__ = [
    "MEMES_TO_TECHNIQUE",
    "PTC_TO_TECHNIQUES",
    "PTC_UNANNOTATED",
    "TECHNIQUES",
    "TECHNIQUE_NAMES",
]

TECHNIQUES: tuple[str, ...] = (
    "loaded_language",
    "name_calling",
    "smears",
    "doubt",
    "exaggeration_minimisation",
    "appeal_to_fear",
    "slogans",
    "whataboutism",
    "glittering_generalities",
    "causal_oversimplification",
    "flag_waving",
    "straw_man",
    "thought_terminating_cliche",
    "black_and_white_fallacy",
    "appeal_to_authority",
    "reductio_ad_hitlerum",
    "repetition",
    "obfuscation",
    "bandwagon",
    "red_herring",
)
"""The unified technique ids, in the order the shipped model's rows use."""

TECHNIQUE_NAMES: dict[str, str] = {
    "loaded_language": "Loaded language",
    "name_calling": "Name calling / labeling",
    "smears": "Smears",
    "doubt": "Doubt",
    "exaggeration_minimisation": "Exaggeration / minimisation",
    "appeal_to_fear": "Appeal to fear / prejudice",
    "slogans": "Slogans",
    "whataboutism": "Whataboutism",
    "glittering_generalities": "Glittering generalities (virtue)",
    "causal_oversimplification": "Causal oversimplification",
    "flag_waving": "Flag-waving",
    "straw_man": "Misrepresentation of someone's position (straw man)",
    "thought_terminating_cliche": "Thought-terminating cliché",
    "black_and_white_fallacy": "Black-and-white fallacy / dictatorship",
    "appeal_to_authority": "Appeal to authority",
    "reductio_ad_hitlerum": "Reductio ad hitlerum",
    "repetition": "Repetition",
    "obfuscation": "Obfuscation, intentional vagueness, confusion",
    "bandwagon": "Bandwagon",
    "red_herring": "Presenting irrelevant data (red herring)",
}
"""Readable names for reports."""

MEMES_TO_TECHNIQUE: dict[str, str] = {
    "Loaded Language": "loaded_language",
    "Name calling/Labeling": "name_calling",
    "Smears": "smears",
    "Doubt": "doubt",
    "Exaggeration/Minimisation": "exaggeration_minimisation",
    "Appeal to fear/prejudice": "appeal_to_fear",
    "Slogans": "slogans",
    "Whataboutism": "whataboutism",
    "Glittering generalities (Virtue)": "glittering_generalities",
    "Causal Oversimplification": "causal_oversimplification",
    "Flag-waving": "flag_waving",
    "Misrepresentation of Someone's Position (Straw Man)": "straw_man",
    "Thought-terminating cliché": "thought_terminating_cliche",
    "Black-and-white Fallacy/Dictatorship": "black_and_white_fallacy",
    "Appeal to authority": "appeal_to_authority",
    "Reductio ad hitlerum": "reductio_ad_hitlerum",
    "Repetition": "repetition",
    "Obfuscation, Intentional vagueness, Confusion": "obfuscation",
    "Bandwagon": "bandwagon",
    "Presenting Irrelevant Data (Red Herring)": "red_herring",
}
"""SemEval-2021 Task 6 name -> unified id (one to one)."""

PTC_TO_TECHNIQUES: dict[str, tuple[str, ...]] = {
    "Loaded_Language": ("loaded_language",),
    "Name_Calling,Labeling": ("name_calling",),
    "Repetition": ("repetition",),
    "Doubt": ("doubt",),
    "Exaggeration,Minimisation": ("exaggeration_minimisation",),
    "Appeal_to_fear-prejudice": ("appeal_to_fear",),
    "Flag-Waving": ("flag_waving",),
    "Causal_Oversimplification": ("causal_oversimplification",),
    "Appeal_to_Authority": ("appeal_to_authority",),
    "Slogans": ("slogans",),
    "Black-and-White_Fallacy": ("black_and_white_fallacy",),
    "Thought-terminating_Cliches": ("thought_terminating_cliche",),
    "Bandwagon,Reductio_ad_hitlerum": ("bandwagon", "reductio_ad_hitlerum"),
    "Whataboutism,Straw_Men,Red_Herring": ("whataboutism", "straw_man", "red_herring"),
}
"""SemEval-2020 Task 11 class -> unified ids; a class with several ids is a merged class."""

PTC_UNANNOTATED: tuple[str, ...] = ("smears", "glittering_generalities", "obfuscation")
"""Techniques the 2020 annotators did not label: unknown, not absent, in news sentences."""
