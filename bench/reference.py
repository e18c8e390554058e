"""PyTorch reference figures for `npm run bench` (bench/torch.ts runs this file).

The same Llama shapes as the workbench's bench, on Hugging Face transformers' LlamaForCausalLM
(PyTorch, CPU), so the bench can print each workbench figure beside PyTorch's and their ratio:
  train    AdamW steps on [batch, seq] random tokens (loss, backward, clip 1.0, step)
  sample   KV-cache sampling: one prefill of the prompts, then one token per step for the whole
           batch (softmax on the last position, multinomial draw, logits read on the host as the
           workbench's sampler does)
  grpo     the GRPO bench's rollouts (sample with entropies) and one update on the completions
           (micro-batched forward/backward, one AdamW step)

Usage: python bench/reference.py '<json job list>'   (or the list on stdin)
Each job: {"kind": "train"|"sample"|"grpo", "config": {LlamaConfig fields}, "threads": n, ...}
Prints one JSON line per job: {"kind", "tokensPerSec", ...}. Exits 3 when torch or transformers is
missing (the bench then says so and prints no PyTorch column).
"""

import json
import sys
import time


def need_torch():
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:  # the bench reports this line
        print(json.dumps({"error": f"missing: {e.name}"}))
        sys.exit(3)


def build(cfg, threads, seed=0):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.set_num_threads(max(1, int(threads)))
    torch.manual_seed(seed)
    keys = ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "rope_theta",
            "tie_word_embeddings", "initializer_range"]
    c = LlamaConfig(**{k: cfg[k] for k in keys if k in cfg}, attention_bias=False, mlp_bias=False)
    c._attn_implementation = "sdpa"
    return LlamaForCausalLM(c).float()


def optimizer(model):
    import torch
    return torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)


def train_step(model, opt, ids_list):
    """One optimiser step over micro-batches (each a [b, t] tensor), mean token loss."""
    import torch
    opt.zero_grad(set_to_none=True)
    n = sum(ids.shape[0] * (ids.shape[1] - 1) for ids in ids_list)
    for ids in ids_list:
        out = model(input_ids=ids)
        logits = out.logits[:, :-1].reshape(-1, out.logits.shape[-1])
        loss = torch.nn.functional.cross_entropy(logits, ids[:, 1:].reshape(-1), reduction="sum") / n
        loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def job_train(j):
    import torch
    model = build(j["config"], j["threads"])
    opt = optimizer(model)
    g = torch.Generator().manual_seed(1)
    V, B, T = j["config"]["vocab_size"], j["batchSize"], j["seqLen"]
    batch = lambda: [torch.randint(0, V, (B, T), generator=g)]
    train_step(model, opt, batch())  # warm-up
    steps = int(j.get("steps", 3))
    t0 = time.perf_counter()
    for _ in range(steps):
        train_step(model, opt, batch())
    ms = (time.perf_counter() - t0) * 1000 / steps
    return {"tokensPerSec": B * T * 1000 / ms, "msPerStep": ms}


def sample(model, prompts, new_tokens, gen, entropy=False):
    """KV-cache sampling at temperature 1; returns the number of tokens generated."""
    import torch
    with torch.inference_mode():
        out = model(input_ids=prompts, use_cache=True)
        past = out.past_key_values
        logits = out.logits[:, -1]
        n = 0
        for step in range(new_tokens):
            logp = torch.log_softmax(logits.float(), -1)
            if entropy:
                _ = (-(logp.exp() * logp).sum(-1)).tolist()
            nxt = torch.multinomial(logp.exp(), 1, generator=gen)
            _ = nxt.view(-1).tolist()  # to the host, as the workbench's sampler reads each step
            n += prompts.shape[0]
            if step == new_tokens - 1:
                break
            out = model(input_ids=nxt, past_key_values=past, use_cache=True)
            past = out.past_key_values
            logits = out.logits[:, -1]
    return n


def job_sample(j):
    import torch
    model = build(j["config"], j["threads"])
    model.eval()
    g = torch.Generator().manual_seed(1)
    V = j["config"]["vocab_size"]
    prompts = torch.randint(0, V, (j["batch"], j["promptLen"]), generator=g)
    sample(model, prompts, 2, g)  # warm-up
    t0 = time.perf_counter()
    n = sample(model, prompts, j["newTokens"], g, j.get("entropy", False))
    return {"tokensPerSec": n / (time.perf_counter() - t0)}


def job_grpo(j):
    """Rollouts (batch × newTokens after promptLen-token prompts) and one update on them."""
    import torch
    model = build(j["config"], j["threads"])
    g = torch.Generator().manual_seed(1)
    B, P, L = j["batch"], j["promptLen"], j["newTokens"]
    V = j["config"]["vocab_size"]
    lo, hi = min(10, V - 1), min(1010, V)  # the workbench's bench draws ids 10..1009
    prompts = torch.randint(lo, hi, (B, P), generator=g)
    model.eval()
    sample(model, prompts[:2], 2, g)  # warm-up
    t0 = time.perf_counter()
    n = sample(model, prompts, L, g, entropy=True)
    t1 = time.perf_counter()
    model.train()
    opt = optimizer(model)
    seqs = torch.cat([prompts, torch.randint(lo, hi, (B, L - 1), generator=g)], 1)
    mb = max(1, int(j.get("microBatch", 16)))
    t2 = time.perf_counter()
    train_step(model, opt, [seqs[i:i + mb] for i in range(0, B, mb)])
    t3 = time.perf_counter()
    return {"tokensPerSec": n / (t1 - t0), "sampleSeconds": t1 - t0,
            "trainTokensPerSec": B * (P + L) / (t3 - t2), "trainSeconds": t3 - t2}


JOBS = {"train": job_train, "sample": job_sample, "grpo": job_grpo}


def main():
    need_torch()
    import torch
    import transformers
    jobs = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
    for j in jobs:
        r = JOBS[j["kind"]](j)
        r.update(kind=j["kind"], threads=int(j["threads"]), torch=torch.__version__, transformers=transformers.__version__)
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
