#!/usr/bin/env python3
"""Copies a workbench checkpoint with the answer protocol's tags marked as text, not special tokens.

    python3 recipes/verl/tags_as_text.py SRC_DIR DEST_DIR

The workbench's tokenizer makes ``<think>``, ``</think>``, ``<answer>`` and ``</answer>`` special
tokens. verl's reward manager (and TRL) decode responses with ``skip_special_tokens=True``, which
would remove the tags before the reward reads them: every response would score 0. Marked
``special: false`` (as Qwen3 does with its think tags) they keep their ids, still encode as one
token each, and survive that decoding; ``<|eos|>`` and the other chat tokens stay special.
Edits tokenizer.json (added_tokens) and tokenizer_config.json (added_tokens_decoder,
additional_special_tokens); copies every other file as is. Standard library only.
"""

import json
import os
import shutil
import sys

TAGS = ("<think>", "</think>", "<answer>", "</answer>")


def tags_as_text(src, dest):
    """Writes the copy; returns how many token entries were changed."""
    if os.path.abspath(src) == os.path.abspath(dest):
        raise SystemExit("tags_as_text: DEST_DIR must differ from SRC_DIR")
    for f in ("tokenizer.json", "tokenizer_config.json"):
        if not os.path.exists(os.path.join(src, f)):
            raise SystemExit("tags_as_text: %s has no %s" % (src, f))
    shutil.copytree(src, dest, dirs_exist_ok=True)
    changed = 0
    path = os.path.join(dest, "tokenizer.json")
    with open(path, encoding="utf-8") as f:
        tok = json.load(f)
    for t in tok.get("added_tokens", []):
        if t.get("content") in TAGS and t.get("special"):
            t["special"] = False
            t["normalized"] = False
            changed += 1
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    path = os.path.join(dest, "tokenizer_config.json")
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    for t in cfg.get("added_tokens_decoder", {}).values():
        if t.get("content") in TAGS and t.get("special"):
            t["special"] = False
            changed += 1
    if "additional_special_tokens" in cfg:
        cfg["additional_special_tokens"] = [s for s in cfg["additional_special_tokens"] if s not in TAGS]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=2)
        f.write("\n")
    return changed


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.stderr.write("usage: python3 tags_as_text.py SRC_DIR DEST_DIR\n")
        sys.exit(2)
    n = tags_as_text(sys.argv[1], sys.argv[2])
    print("tags_as_text: %s -> %s (%d token entries marked as text)" % (sys.argv[1], sys.argv[2], n))
