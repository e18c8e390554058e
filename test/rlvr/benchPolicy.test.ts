import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readJson } from '../../src/core/io';
import { MODEL_PRESETS } from '../../src/model/bench';
import { benchPolicy } from '../../src/rlvr/bench';
import { tempDir } from '../helpers/tmp';

describe('benchPolicy', () => {
  it("benches the shape the default run trains: the release's config.json, else the default preset", () => {
    const hf = readJson<Record<string, number>>('data/base/config.json'); // the repository's release
    const rel = benchPolicy('data/base');
    expect([rel.label, rel.released]).toEqual(["the release's shape (data/base)", true]);
    expect(rel.config).toMatchObject({ num_hidden_layers: hf.num_hidden_layers, hidden_size: hf.hidden_size, vocab_size: hf.vocab_size, num_key_value_heads: hf.num_key_value_heads });
    const empty = tempDir('bench-policy-');
    expect(fs.readdirSync(empty)).toEqual([]);
    for (const none of ['', empty]) expect(benchPolicy(none)).toEqual({ config: { ...MODEL_PRESETS.default.config, vocab_size: 2048 }, label: 'the default preset (no release)', released: false });
  });
});
