/**
 * Settings of RODS (`fleming rods`, src/rods/stage.ts): synthesis, curation, verification,
 * difficulty and split; the run config's `rods` section. Each field is documented once, at its
 * default below; presets and `--set` overrides are applied by src/core/config.ts.
 */
import { int, mapOf, num, optional, type Limits } from '../core/schema';
import type { EndpointConfig } from '../core/endpoint';

export interface RodsConfig {
  items: number;
  options: number;
  alpha: number;
  mix: Record<string, number>;
  benchmarksDir?: string;
  curatedBenchmarks: string[];
  curatedRatio: number;
  verifySamples: number;
  validator?: EndpointConfig;
  judge?: EndpointConfig;
  referenceSamples: number;
  testShare: number;
  validationShare: number;
  nearDupThreshold: number;
}

export const defaults: RodsConfig = {
  items: 4000, // synthetic items drafted from the graph (before rejection and filtering)
  options: 4, // options per item (2..10)
  alpha: 0.75, // rare-entity bias: anchor weight (degree + 1)^-alpha; 0 = uniform
  mix: { diagnosis: 3, test_selection: 1, treatment: 2, mechanism: 1, contraindication: 1, multi_hop: 2 }, // item type weights
  // benchmarksDir (optional): directory of the public benchmarks; default $FLEMING_BENCHMARKS
  curatedBenchmarks: [], // benchmarks mixed into the training data (their items then leave evaluation); the mirror holds test sets only: keep them for evaluation
  curatedRatio: 0.2, // curated share of the mixed training data (0..1), used only when curatedBenchmarks is set
  verifySamples: 5, // answers per item in label verification (the paper's validator answers 5 times)
  // validator (optional): an LLM validator endpoint; absent = the offline graph solver validates synthetic items
  // judge (optional): an LLM difficulty judge endpoint; absent = graph features and the reference pass rate only
  referenceSamples: 8, // reference-model samples per item (the empirical pass-rate signal)
  testShare: 0.2, // share of the items held out for the test split (whole anchor groups; the final evaluation's split)
  validationShare: 0.1, // share of the items held out for the validation split (whole anchor groups of the rest: disjoint from train and test; stages choose and report their settings on it); 0 = none
  nearDupThreshold: 0.9, // near-duplicate threshold (Jaccard of word shingles)
};

/** What each setting may be, beyond the type of its default (src/core/schema.ts). */
export const limits: Limits<RodsConfig> = {
  items: int(1),
  options: int(2, 10),
  alpha: num({ min: 0 }),
  mix: mapOf(['diagnosis', 'test_selection', 'treatment', 'mechanism', 'contraindication', 'multi_hop'], num({ min: 0 })),
  benchmarksDir: optional('string'),
  curatedRatio: num({ min: 0, max: 1 }),
  verifySamples: int(1),
  validator: optional('endpoint'),
  judge: optional('endpoint'),
  referenceSamples: int(1),
  testShare: num({ gt: 0, lt: 1 }),
  validationShare: num({ min: 0, lt: 1 }),
  nearDupThreshold: num({ min: 0, max: 1 }),
};
