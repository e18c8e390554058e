/**
 * The PyTorch reference of `npm run bench` (bench/torch.ts, bench/reference.py): a Python without
 * torch is reported with the way out, and where $FLEMING_TORCH_PYTHON (or python3) has torch and
 * transformers, reference.py measures a tiny config; otherwise that test is reported as skipped,
 * with the reason in its name.
 */
import { describe, expect, it } from 'vitest';
import { findTorch, machineLoad, torchFigure } from '../../bench/torch';
import { MODEL_PRESETS } from '../../src/model/bench';

const tiny = { ...MODEL_PRESETS.smoke.config, vocab_size: 64, max_position_embeddings: 64 };

describe('PyTorch reference', () => {
  it('findTorch(python) without torch says so and names FLEMING_TORCH_PYTHON; torchFigure then throws that reason', () => {
    const t = findTorch('/nonexistent/python');
    expect(t.python).toBeUndefined();
    expect(t.reason).toMatch(/no PyTorch figures: \/nonexistent\/python has no torch and transformers .*FLEMING_TORCH_PYTHON/);
    expect(() => torchFigure({ kind: 'train', config: tiny, threads: 1, batchSize: 2, seqLen: 8, steps: 1 }, '/nonexistent/python')).toThrow(/FLEMING_TORCH_PYTHON/);
  });

  it('machineLoad() names the cores and the load average', () => {
    expect(machineLoad()).toMatch(/^\d+ cores, load average \d+\.\d \(1 min\)/);
  });

  const t = findTorch();
  const notRun = t.python ? '' : ` (not run: ${t.reason})`;
  it.skipIf(!t.python)(`reference.py measures training, sampling and a GRPO step of a tiny Llama${notRun}`, () => {
    const train = torchFigure({ kind: 'train', config: tiny, threads: 1, batchSize: 2, seqLen: 16, steps: 1 });
    expect(train.tokensPerSec).toBeGreaterThan(0);
    expect(train.torch).toMatch(/^\d/);
    expect(torchFigure({ kind: 'sample', config: tiny, threads: 1, batch: 2, promptLen: 4, newTokens: 4 }).tokensPerSec).toBeGreaterThan(0);
    const g = torchFigure({ kind: 'grpo', config: tiny, threads: 1, batch: 4, promptLen: 6, newTokens: 5, microBatch: 2 });
    expect(g.trainTokensPerSec).toBeGreaterThan(0);
  }, 120_000);
});
