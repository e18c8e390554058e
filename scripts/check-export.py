#!/usr/bin/env python3
"""Checks a workbench run's exports with the Hugging Face stack (transformers, datasets, trl, torch).

    node bin/fleming.cjs export --format logits --run RUN      # and --format verl, trl, hf
    python scripts/check-export.py --run RUN [--export RUN/export] [--stage rl1] [--steps 2]

1. Checkpoints: every checkpoint with reference logits (export/logits/<stage>.json) is loaded by
   transformers (LlamaForCausalLM, tokenizer.json, chat template); the chat template must render
   the exported prompt messages to the workbench's prompt text and ids, the SFT messages to the
   workbench's SFT ids, and the logits of every position must match the workbench's.
2. Data: the verl Parquet files, the TRL JSONL files and the Hugging Face folder load with
   `datasets`, with the columns and row counts of their manifests.
   TRL's SFT files tokenise, through the chat template, to the workbench's SFT ids; the copy
   recipes/verl/tags_as_text.py makes tokenises alike and keeps the tags through
   skip_special_tokens=True (how verl decodes responses for the reward).
3. Rewards: python/fleming_reward.py scores each RL row's right answer w_c + w_f and a wrong one w_f.
4. Training: SFTTrainer tokenises trl/sft.jsonl to the workbench's SFT ids and completion-only loss
   mask and runs --steps CPU steps; GRPOTrainer runs --steps steps on CPU with the exported
   checkpoint, the exported stage-1 data and the reward functions (mean-only advantages, no KL, as
   the paper's Eq. 1-3).

Needs: torch, transformers, datasets, trl (CPU is enough). Exit status 1 on the first failed check.
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import fleming_reward  # noqa: E402

CHECKPOINTS = {"base": "coldstart/base", "cot": "coldstart/sft", "rl1": "rlvr/stage1", "rl2": "rlvr/stage2"}


def fail(message):
    print(f"FAILED: {message}")
    sys.exit(1)


def check(cond, message):
    if not cond:
        fail(message)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check_checkpoint(run, export, stage, tol):
    """Template, ids and logits of one checkpoint against the workbench's reference."""
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ref = load_json(os.path.join(export, "logits", f"{stage}.json"))
    ckpt = os.path.join(run, ref["checkpoint"])
    tok = AutoTokenizer.from_pretrained(ckpt)
    model = AutoModelForCausalLM.from_pretrained(ckpt, dtype=torch.float32).eval()
    data = np.fromfile(os.path.join(export, "logits", f"{stage}.f32"), dtype="<f4")
    worst, agree, total = 0.0, 0, 0
    for p in ref["prompts"]:
        content = p["text"][len("<|bos|><|user|>") : -len("<|assistant|>")]
        messages = [{"role": "user", "content": content}]
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        check(text == p["text"], f"{stage}: chat template renders {text!r}, the workbench {p['text']!r}")
        ids = tok(text, add_special_tokens=False)["input_ids"]
        check(ids == p["ids"], f"{stage} {p['itemId']}: transformers ids {ids[:12]}... != workbench ids {p['ids'][:12]}...")
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].numpy()
        want = data[p["offset"] : p["offset"] + len(ids) * ref["vocab"]].reshape(len(ids), ref["vocab"])
        worst = max(worst, float(np.max(np.abs(logits - want)) / (np.max(np.abs(want)) + 1e-6)))
        agree += int(np.sum(logits.argmax(-1) == want.argmax(-1)))
        total += len(ids)
    check(worst <= tol, f"{stage}: logits differ by {worst:.2e} of their scale (tolerance {tol})")
    print(f"checkpoint {stage} ({ref['checkpoint']}): template, ids and logits match on {len(ref['prompts'])} prompts / {total} positions (max |diff| {worst:.1e} of scale, argmax agrees {agree}/{total})")
    return tok, ref


def check_tags_as_text(run, ref):
    """recipes/verl/tags_as_text.py: same ids in transformers, and the tags survive skip_special_tokens=True (verl's decoding)."""
    from transformers import AutoTokenizer

    sys.path.insert(0, os.path.join(HERE, "..", "recipes", "verl"))
    import tags_as_text

    src = os.path.join(run, ref["checkpoint"])
    dest = os.path.join(tempfile.mkdtemp(prefix="fleming-tags-"), "start")
    tags_as_text.tags_as_text(src, dest)
    a, b = AutoTokenizer.from_pretrained(src), AutoTokenizer.from_pretrained(dest)
    for s in ref["sft"]:
        text = a.decode(s["ids"], skip_special_tokens=False)
        check(b(text, add_special_tokens=False)["input_ids"] == s["ids"], f"tags_as_text: {s['itemId']} tokenises differently")
        reply = s["ids"][s["promptLength"] :]
        plain, kept = a.decode(reply, skip_special_tokens=True), b.decode(reply, skip_special_tokens=True)
        check("<answer>" not in plain and kept.startswith("<think>") and kept.endswith("</answer>"), f"tags_as_text: decoded {kept!r}")
    print(f"tags_as_text: same ids on {len(ref['sft'])} SFT examples; skip_special_tokens=True keeps the tags (e.g. {kept[-30:]!r}; without the copy: {plain[-30:]!r})")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_sft(export, tok, ref):
    """TRL's two SFT layouts, tokenised by the chat template as TRL does, give the workbench's SFT ids and loss mask."""
    pc = {r["id"]: r for r in read_jsonl(os.path.join(export, "trl", "sft.jsonl"))}
    msgs = {r["id"]: r for r in read_jsonl(os.path.join(export, "trl", "sft_messages.jsonl"))}
    for s in ref["sft"]:
        r = pc[s["itemId"]]
        prompt_ids = list(tok.apply_chat_template(r["prompt"], tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"])
        full_ids = list(tok.apply_chat_template(r["prompt"] + r["completion"], tokenize=True, return_dict=True)["input_ids"])
        check(prompt_ids == s["ids"][: s["promptLength"]], f"sft.jsonl {s['itemId']}: prompt ids differ from the workbench's")
        check(full_ids == s["ids"], f"sft.jsonl {s['itemId']}: prompt + completion ids differ from the workbench's")
        m_ids = list(tok.apply_chat_template(msgs[s["itemId"]]["messages"], tokenize=True, return_dict=True)["input_ids"])
        check(m_ids == s["ids"], f"sft_messages.jsonl {s['itemId']}: ids differ from the workbench's")
    print(f"sft: {len(ref['sft'])} traces of trl/sft.jsonl and trl/sft_messages.jsonl tokenise to the workbench's SFT ids (prompt {ref['sft'][0]['promptLength']} + completion tokens, <|eos|> included)" if ref["sft"] else "sft: no traces in the reference")


def check_datasets(export, tok):
    """Every exported file loads with `datasets`, with its manifest's rows; prompts render to the workbench's text."""
    from datasets import load_dataset

    loaded = {}
    for fmt, loader in (("verl", "parquet"), ("trl", "json")):
        m = load_json(os.path.join(export, fmt, "manifest.json"))
        for f in m["files"]:
            ds = load_dataset(loader, data_files=os.path.join(export, fmt, f["path"]), split="train")
            check(len(ds) == f["rows"], f"{fmt}/{f['path']}: {len(ds)} rows, manifest says {f['rows']}")
            loaded[f"{fmt}/{f['path']}"] = ds
    v = loaded["verl/stage1/train.parquet"]
    check(v.column_names == ["data_source", "prompt", "ability", "reward_model", "extra_info"], f"verl columns {v.column_names}")
    row = v[0]
    text = tok.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
    check(text == "<|bos|><|user|>" + row["prompt"][0]["content"] + "<|assistant|>", f"verl prompt renders {text!r}")
    hf = os.path.join(export, "hf")
    configs = {}
    for name in ("rl", "sft", "items"):
        if not os.path.exists(os.path.join(hf, name)):
            continue
        d = load_dataset(hf, name)
        configs[name] = {k: len(x) for k, x in d.items()}
    check("rl" in configs, "hf: no rl config")
    print("datasets: " + ", ".join(f"{k} {len(x)} rows" for k, x in loaded.items()) + "; hf configs " + json.dumps(configs))
    return loaded


def check_rewards(loaded, weights):
    """The reward of each RL row's right and wrong answer, with the run's weights."""
    n = 0
    kw = {"correctness_weight": weights["correctness"], "format_weight": weights["format"]}
    for key in [k for k in loaded if k.startswith("verl/")]:
        for row in loaded[key]:
            gt, letters = row["reward_model"]["ground_truth"], row["extra_info"]["letters"]
            wrong = next(x for x in letters if x != gt)
            right = fleming_reward.compute_score(row["data_source"], f"<think>r</think>\n<answer>{gt}</answer>", gt, row["extra_info"], **kw)
            bad = fleming_reward.compute_score(row["data_source"], f"<think>r</think>\n<answer>{wrong}</answer>", gt, row["extra_info"], **kw)
            check(right["score"] == kw["correctness_weight"] + kw["format_weight"] and bad["score"] == kw["format_weight"], f"{key} {row['extra_info']['id']}: rewards {right} / {bad}")
            n += 1
    print(f"rewards: compute_score gives {kw['correctness_weight'] + kw['format_weight']} to the right answer and {kw['format_weight']} to a wrong one (well formed) on all {n} verl rows")


def train_sft(run, export, ref, steps, tok):
    """SFTTrainer on trl/sft.jsonl: its input ids and labels are the workbench's SFT ids and loss mask; `steps` CPU steps."""
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    model = AutoModelForCausalLM.from_pretrained(os.path.join(run, ref["checkpoint"]), dtype=torch.float32)
    data = load_dataset("json", data_files=os.path.join(export, "trl", "sft.jsonl"), split="train")
    args = SFTConfig(output_dir=tempfile.mkdtemp(prefix="fleming-sft-"), max_steps=steps, per_device_train_batch_size=2, learning_rate=1e-4, use_cpu=True, bf16=False, report_to=[], save_strategy="no", disable_tqdm=True, logging_steps=1, seed=1234)
    trainer = SFTTrainer(model=model, processing_class=tok, train_dataset=data, args=args)
    rows = {r["id"]: r for r in trainer.train_dataset}
    for s in ref["sft"]:
        r = rows[s["itemId"]]
        check(list(r["input_ids"]) == s["ids"], f"SFTTrainer input ids of {s['itemId']} differ from the workbench's")
        check(list(r["labels"]) == [-100] * s["promptLength"] + s["ids"][s["promptLength"] :], f"SFTTrainer labels of {s['itemId']} are not the workbench's completion-only loss mask")
    trainer.train()
    losses = [round(h["loss"], 4) for h in trainer.state.log_history if "loss" in h]
    check(len(losses) == steps and all(math.isfinite(x) for x in losses), f"SFT losses {losses}")
    print(f"sft trainer: input ids and labels of {len(ref['sft'])} examples equal the workbench's (loss on the completion only); {steps} CPU steps from {ref['checkpoint']}, loss {losses}")


def train_grpo(run, export, stage, steps, tok):
    """GRPOTrainer on CPU: `steps` steps from the checkpoint on the exported stage-1 data."""
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    ckpt = os.path.join(run, CHECKPOINTS[stage])
    model = AutoModelForCausalLM.from_pretrained(ckpt, dtype=torch.float32)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    data = load_dataset("json", data_files=os.path.join(export, "trl", "grpo_stage1.jsonl"), split="train")
    weights = load_json(os.path.join(export, "trl", "manifest.json"))["rewardWeights"]
    out = tempfile.mkdtemp(prefix="fleming-grpo-")
    args = GRPOConfig(
        output_dir=out, max_steps=steps, per_device_train_batch_size=4, num_generations=4, max_completion_length=48,
        learning_rate=1e-4, temperature=1.0, beta=0.0, scale_rewards="none", loss_type="dr_grpo",
        reward_weights=[weights["correctness"], weights["format"]], use_cpu=True, bf16=False, report_to=[],
        logging_steps=1, save_strategy="no", seed=1234, dataloader_num_workers=0, disable_tqdm=True,
        shuffle_dataset=False,  # grpo_stage1.jsonl is in the order RLVR stage 1 draws its prompts (rlvr.stage1Draw)
    )
    trainer = GRPOTrainer(model=model, processing_class=tok, reward_funcs=fleming_reward.trl_reward_funcs(tok), args=args, train_dataset=data)
    t0 = time.time()
    trainer.train()
    moved = max(float((p.detach() - before[k]).abs().max()) for k, p in model.named_parameters())
    logs = [h for h in trainer.state.log_history if "loss" in h]
    check(len(logs) == steps, f"GRPO logged {len(logs)} steps, expected {steps}")
    check(all(math.isfinite(h["loss"]) for h in logs), f"GRPO loss not finite: {logs}")
    check(moved > 0, "GRPO left every weight unchanged")
    keys = [k for k in ("loss", "reward", "reward_std", "rewards/correctness/mean", "rewards/format/mean", "completions/mean_length", "completions/clipped_ratio") if k in logs[0]]
    for h in logs:
        print("grpo step %d: %s" % (h["step"], ", ".join(f"{k} {h[k]:.4g}" for k in keys)))
    print(f"grpo: {steps} steps on CPU from {CHECKPOINTS[stage]} in {time.time() - t0:.1f} s; largest weight change {moved:.2e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="the run directory")
    ap.add_argument("--export", help="the export folder holding verl/, trl/, hf/, logits/ (default RUN/export)")
    ap.add_argument("--stage", default=None, help="checkpoint GRPO starts from: base, cot, rl1, rl2 (default rl1, else cot)")
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=1e-4, help="largest logit difference, relative to the logits' scale")
    a = ap.parse_args()
    export = a.export or os.path.join(a.run, "export")
    for d in ("verl", "trl", "hf", "logits"):
        check(os.path.exists(os.path.join(export, d, "manifest.json")), f"{export}/{d}: missing; run `node bin/fleming.cjs export --format {d} --run {a.run}`")
    import torch
    import transformers
    import datasets
    import trl

    print(f"versions: torch {torch.__version__}, transformers {transformers.__version__}, datasets {datasets.__version__}, trl {trl.__version__}")
    stages = sorted(f[:-5] for f in os.listdir(os.path.join(export, "logits")) if f.endswith(".json") and f != "manifest.json")
    check(stages, "no reference logits in logits/")
    for s in stages:
        tok, ref = check_checkpoint(a.run, export, s, a.tolerance)
    check_sft(export, tok, ref)
    check_tags_as_text(a.run, ref)
    loaded = check_datasets(export, tok)
    check_rewards(loaded, load_json(os.path.join(export, "verl", "manifest.json"))["rewardWeights"])
    train_sft(a.run, export, load_json(os.path.join(export, "logits", f"{stages[0]}.json")), a.steps, tok)
    stage = a.stage or ("rl1" if "rl1" in stages else "cot")
    train_grpo(a.run, export, stage, a.steps, tok)
    print("check-export: all checks passed")


if __name__ == "__main__":
    main()
