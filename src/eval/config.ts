/**
 * Settings of evaluation (`fleming eval`, src/eval/stage.ts): benchmarks, Tables 3 and 4,
 * verifiability; the run config's `eval` section. Each field is documented once, at its default
 * below; presets and `--set` overrides are applied by src/core/config.ts.
 */
import { int, num, oneOf, optional, type Limits } from '../core/schema';

export interface EvalConfig {
  models: string[];
  benchmarks: string[];
  benchmarkSpecsDir?: string;
  testItems: number;
  benchmarkItems: number;
  samples: number;
  temperature: number;
  maxNewTokens: number;
  endpointMaxTokens: number;
  endpointConcurrency: number;
  endpointRetries: number;
  endpointTimeoutS: number;
  batchSize: number;
  bootstrap: number;
  ciLevel: number;
  examples: number;
}

export const defaults: EvalConfig = {
  models: ['base', 'cot', 'rl1', 'rl2'], // policy stages evaluated (a stage without a checkpoint is reported as not run)
  benchmarks: [], // benchmark names (CURATED_BENCHMARKS); [] = every one whose file is in the benchmarks directory
  // benchmarkSpecsDir (optional): a directory of benchmark spec files (*.yaml, *.yml, *.json), each evaluated too (like --benchmark-spec FILE)
  testItems: 0, // held-out synthetic test items evaluated (0 = all: 803 in the default world, ≈ 1 min per policy)
  benchmarkItems: 40, // items drawn (seeded) per public benchmark, to bound CPU time (0 = all)
  samples: 1, // samples per item: 1 = greedy; k > 1 = temperature sampling (mean accuracy, pass@k)
  temperature: 0.7, // sampling temperature when samples > 1
  maxNewTokens: 192, // tokens generated per completion at most (room for a whole <think> trace and the answer; default context 512)
  endpointMaxTokens: 1024, // completion budget of an endpoint model
  endpointConcurrency: 8, // requests to the endpoint in flight at once
  endpointRetries: 5, // retries of a failed request (429, 5xx, timeout, malformed reply) before its item counts as an error
  endpointTimeoutS: 120, // seconds one request may take before it is abandoned (and retried)
  batchSize: 16, // prompts decoded together
  bootstrap: 1000, // bootstrap resamples per confidence interval
  ciLevel: 0.95, // confidence level of the intervals
  examples: 4, // completions with their claims shown in report.md and examples.jsonl, per model
};

/** What each setting may be, beyond the type of its default (src/core/schema.ts). */
export const limits: Limits<EvalConfig> = {
  models: oneOf('base', 'cot', 'rl1', 'rl2'),
  benchmarkSpecsDir: optional('string'),
  testItems: int(0),
  benchmarkItems: int(0),
  samples: int(1),
  temperature: num({ min: 0 }),
  maxNewTokens: int(1),
  endpointMaxTokens: int(1),
  endpointConcurrency: int(1),
  endpointRetries: int(0),
  endpointTimeoutS: num({ gt: 0 }),
  batchSize: int(1),
  bootstrap: int(1),
  ciLevel: num({ gt: 0, lt: 1 }),
  examples: int(0),
};
