"""The Fleming-R1 workbench's answer protocol and RL rewards in Python (standard library only).

A line-for-line port of src/protocol/ (strict answer, exact format) and src/rlvr/rewards.ts
(correctness + format, weighted), for training outside the workbench:

- verl: ``custom_reward_function.path=python/fleming_reward.py custom_reward_function.name=compute_score``
  (the run's weights through ``+custom_reward_function.reward_kwargs.format_weight=0.25``);
- TRL: ``GRPOTrainer(reward_funcs=trl_reward_funcs(tokenizer), args=GRPOConfig(reward_weights=[1.0, 0.25]))``;
- anything else: ``score(completion, answer, letters)``.

test/export/reward-parity.test.ts checks that these functions give the TypeScript rewards on a table
of literal completions. Details that matter for that parity:

- JavaScript's ``String.prototype.trim`` strips a fixed set of characters (``JS_WHITESPACE``);
  Python's ``str.strip()`` strips others (e.g. U+001C-U+001F, U+0085) and not U+FEFF, so it is not used.
- JavaScript's ``$`` without the m flag matches only at the end of the text; Python's ``$`` also
  matches before a final newline, so the patterns use ``re.fullmatch``.
- The completion is the text the model wrote, with its special tokens (``<think>``, ``</answer>``,
  ``<|eos|>``): the workbench's tokenizer marks the tags as special tokens, so a trainer that decodes
  with ``skip_special_tokens=True`` (TRL and verl do by default) removes them. ``trl_reward_funcs``
  decodes the completion ids again with the special tokens kept; see recipes/verl/README.md for verl.

Command line: ``python3 fleming_reward.py --cases FILE`` reads a JSON list of
``{"completion", "answer", "letters", "finish"?, "weights"?}`` and prints one JSON object per case
(``strict``, ``correctness``, ``format``, ``score``), in order.
"""

import json
import re
import sys

__all__ = [
    "DEFAULT_WEIGHTS",
    "EOS",
    "answer_problem",
    "compute_score",
    "correctness_reward",
    "format_problem",
    "format_reward",
    "is_well_formed_cot",
    "js_trim",
    "last_answer_tag",
    "score",
    "strict_answer",
    "trl_reward_funcs",
]

#: The reward weights of the workbench's defaults (src/rlvr/config.ts, rlvr.rewards).
DEFAULT_WEIGHTS = {"correctness": 1.0, "format": 0.25}

#: The policy's end-of-sequence token (src/model/tokenizer/chat.ts, CHAT.eos).
EOS = "<|eos|>"
THINK_OPEN = "<think>"

#: The characters JavaScript's String.prototype.trim removes (WhiteSpace and LineTerminator of ECMA-262).
JS_WHITESPACE = (
    "\u0009\u000a\u000b\u000c\u000d\u0020\u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

_ANSWER_TAG = re.compile(r"<answer>([\s\S]*?)</answer>")
_LETTER = re.compile(r"[A-Z]")
_FORMAT = re.compile(r"<think>([\s\S]*)</think>\n<answer>([\s\S]*)</answer>")
_TAGS = re.compile(r"</?think>|</?answer>|<\|[a-z_]+\|>")


def js_trim(text):
    """``text.trim()`` as JavaScript computes it."""
    return text.strip(JS_WHITESPACE)


def last_answer_tag(completion):
    """The content of the last ``<answer>...</answer>`` tag, untrimmed, or None (src/protocol/answerTag.ts)."""
    tags = _ANSWER_TAG.findall(completion)
    return tags[-1] if tags else None


def answer_problem(completion, letters):
    """Why a completion has no strict answer, or None when it has one (src/protocol/strict.ts)."""
    tag = last_answer_tag(completion)
    if tag is None:
        return "no <answer> tag"
    s = js_trim(tag)
    if not _LETTER.fullmatch(s):
        return "answer %s is not a single letter" % json.dumps(s[:40])
    if s not in letters:
        return "answer %s is not an option (%s)" % (s, "".join(letters))
    return None


def strict_answer(completion, letters):
    """The trimmed content of the LAST answer tag when it is exactly one of ``letters``, else None."""
    return js_trim(last_answer_tag(completion)) if answer_problem(completion, letters) is None else None


def format_problem(completion, letters):
    """Why a completion is not exactly ``<think>{reasoning}</think>\\n<answer>X</answer>`` (+ one ``<|eos|>``), or None (src/protocol/format.ts)."""
    t = completion[: -len(EOS)] if completion.endswith(EOS) else completion
    if not t.startswith(THINK_OPEN):
        return "does not start with <think>"
    m = _FORMAT.fullmatch(t)
    if not m:
        return "not <think>...</think>\\n<answer>X</answer> (missing tag or text outside the tags)"
    if not js_trim(m.group(1)):
        return "empty reasoning"
    if _TAGS.search(m.group(1)):
        return "extra tags inside <think>"
    a = js_trim(m.group(2))
    if not _LETTER.fullmatch(a):
        return "answer tag holds %s, not one letter" % json.dumps(m.group(2)[:40])
    if a not in letters:
        return "answer tag holds %s, not one of the options (%s)" % (a, "".join(letters))
    return None


def is_well_formed_cot(completion, letters):
    """Whether format_problem() is None."""
    return format_problem(completion, letters) is None


def correctness_reward(completion, answer, letters):
    """1 when strict_answer() is the item's answer, else 0 (src/rlvr/rewards.ts, correctness)."""
    return 1 if strict_answer(completion, letters) == answer else 0


def format_reward(completion, letters, finish="stop"):
    """1 for the exact format when generation stopped by itself (not cut at the length limit), else 0."""
    return 1 if finish == "stop" and is_well_formed_cot(completion, letters) else 0


def score(completion, answer, letters, finish="stop", weights=None):
    """The weighted reward and its parts, summed in the weights' order as scoreRewards() does."""
    w = DEFAULT_WEIGHTS if weights is None else weights
    parts = {}
    total = 0
    for name, weight in w.items():
        if name == "correctness":
            v = correctness_reward(completion, answer, letters)
        elif name == "format":
            v = format_reward(completion, letters, finish)
        else:
            raise ValueError('unknown reward "%s" (known: correctness, format)' % name)
        parts[name] = v
        total += weight * v
    return {"score": total, "strict": strict_answer(completion, letters), **parts}


def _letters_of(extra_info):
    letters = (extra_info or {}).get("letters")
    if not letters:
        raise ValueError("extra_info.letters is missing: export the data with `fleming export --format verl`")
    return list(letters)


def compute_score(data_source, solution_str, ground_truth, extra_info=None, correctness_weight=None, format_weight=None, **_):
    """verl's custom reward: the weighted reward of one response (verl passes ``reward_kwargs`` as keywords).

    The finish reason is not passed by verl; a response is scored as one that stopped by itself.
    """
    weights = dict(DEFAULT_WEIGHTS)
    if correctness_weight is not None:
        weights["correctness"] = float(correctness_weight)
    if format_weight is not None:
        weights["format"] = float(format_weight)
    r = score(solution_str, ground_truth, _letters_of(extra_info), "stop", weights)
    return {"score": float(r["score"]), "correctness": float(r["correctness"]), "format": float(r["format"])}


def trl_reward_funcs(tokenizer=None):
    """TRL GRPOTrainer reward functions [correctness, format] over the dataset columns ``answer`` and ``letters``.

    With ``tokenizer``, each completion is decoded again from its ids with the special tokens kept
    (the protocol's tags are special tokens of the workbench's tokenizer), and a completion whose
    last id is not the end-of-sequence token counts as cut at the length limit (no format reward).
    """

    def texts(completions, completion_ids):
        if tokenizer is None or completion_ids is None:
            return [c if isinstance(c, str) else c[-1]["content"] for c in completions]
        return [tokenizer.decode(ids, skip_special_tokens=False) for ids in completion_ids]

    def finishes(completion_ids, n):
        if tokenizer is None or completion_ids is None:
            return ["stop"] * n
        return ["stop" if ids and ids[-1] == tokenizer.eos_token_id else "length" for ids in completion_ids]

    def correctness(completions, answer, letters, completion_ids=None, **_):
        return [float(correctness_reward(t, a, list(l))) for t, a, l in zip(texts(completions, completion_ids), answer, letters)]

    def format(completions, letters, completion_ids=None, **_):
        ts = texts(completions, completion_ids)
        return [float(format_reward(t, list(l), f)) for t, l, f in zip(ts, letters, finishes(completion_ids, len(ts)))]

    return [correctness, format]


def _main(argv):
    if len(argv) != 3 or argv[1] != "--cases":
        sys.stderr.write("usage: python3 fleming_reward.py --cases FILE.json\n")
        return 2
    with open(argv[2], encoding="utf-8") as f:
        cases = json.load(f)
    out = []
    for i, c in enumerate(cases):
        try:
            out.append(score(c["completion"], c["answer"], list(c["letters"]), c.get("finish", "stop"), c.get("weights")))
        except (KeyError, TypeError, ValueError) as e:
            sys.stderr.write("%s: case %d: %s\n" % (argv[2], i, e))
            return 1
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
