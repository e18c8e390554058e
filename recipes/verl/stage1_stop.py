#!/usr/bin/env python3
"""When to switch from GRPO stage 1 to stage 2: the workbench's stage-1 stop rule on verl's rollout dumps.

    python3 recipes/verl/stage1_stop.py --rollouts DIR --manifest EXPORT/verl/manifest.json

verl writes every step's rollouts to ``trainer.rollout_data_dir`` as ``<step>.jsonl`` (fields input,
output, score, step, and the reward's extra fields). Per step this computes what the workbench's
GRPO loop records (src/rlvr/loop.ts, advantage.ts groupStats): the share of prompts whose rollouts
all got the same reward (zero spread: no learning signal) and the mean reward; then applies the
stage-1 rule of src/rlvr/plans.ts (stage1Stop) with the run's settings (the manifest's
``verl.stage1Stop``): stop when the zero-spread share averaged over the last ``sparsityWindow``
steps reaches ``sparsityThreshold``, or when the mean reward of the last ``plateauWindow`` steps is
not above the window before by more than ``plateauDelta``; never before ``minSteps``.

Exit status: 0 when the rule fired (prints the step), 3 when it has not yet; standard library only.
"""

import argparse
import json
import os
import sys


def mean(xs):
    total = 0
    for x in xs:
        total += x
    return total / len(xs)


def stage1_stop(zero_spread, reward, r):
    """The rule that fires after these steps, as (rule, detail), or None (src/rlvr/plans.ts stage1Stop)."""
    n = len(zero_spread)
    if n < r["minSteps"]:
        return None
    w = r["sparsityWindow"]
    if w > 0 and n >= w:
        m = mean(zero_spread[n - w :])
        if m >= r["sparsityThreshold"]:
            return ("sparsity", "zero-spread fraction averaged %.3f over the last %d steps (threshold %s)" % (m, w, r["sparsityThreshold"]))
    w = r["plateauWindow"]
    if w > 0 and n >= 2 * w:
        last = mean(reward[n - w :])
        before = mean(reward[n - 2 * w : n - w])
        if last <= before + r["plateauDelta"]:
            return ("plateau", "mean reward %.3f over the last %d steps vs %.3f over the %d before (needs > +%s)" % (last, w, before, w, r["plateauDelta"]))
    return None


def step_stats(path):
    """(zero-spread share of prompts, mean reward) of one step's dump."""
    groups = {}
    scores = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                groups.setdefault(row["input"], []).append(row["score"])
                scores.append(row["score"])
    zero = sum(1 for g in groups.values() if max(g) - min(g) <= 1e-9)
    return zero / len(groups), mean(scores)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rollouts", required=True, help="verl's trainer.rollout_data_dir of stage 1")
    ap.add_argument("--manifest", required=True, help="manifest.json of `fleming export --format verl`")
    a = ap.parse_args()
    with open(a.manifest, encoding="utf-8") as f:
        rules = json.load(f)["verl"]["stage1Stop"]
    steps = sorted(int(n[:-6]) for n in os.listdir(a.rollouts) if n.endswith(".jsonl") and n[:-6].isdigit())
    if not steps:
        sys.stderr.write("%s: no <step>.jsonl rollout dumps (set trainer.rollout_data_dir)\n" % a.rollouts)
        return 2
    zero, reward = [], []
    for s in steps:
        z, m = step_stats(os.path.join(a.rollouts, "%d.jsonl" % s))
        zero.append(z)
        reward.append(m)
        print("step %d: zero-spread %.3f, mean reward %.4f" % (s, z, m))
        fired = stage1_stop(zero, reward, rules)
        if fired:
            print("stage 1 stop: %s after step %d (%s)" % (fired[0], s, fired[1]))
            return 0
    print("stage 1 goes on: no stop rule fired in %d steps" % len(steps))
    return 3


if __name__ == "__main__":
    sys.exit(main())
