"""A prelude for child-process tests: torch, transformers and sentence-transformers cannot
be imported after it, so a script that follows proves a path never needs them."""

NO_TORCH_PRELUDE = """
import importlib.abc, json, sys
BLOCKED = {"torch", "transformers", "sentence_transformers"}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Block())  # any import of them now raises ImportError
"""
