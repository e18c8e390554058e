import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng';
import type { KnowledgeGraph } from '../../../src/graph/graph';
import { longTailCoverage, solveItem, synthesize } from '../../../src/rods/synth';

const seedModule = path.resolve(__dirname, '../../../src/graph/seed.ts');
const hasSeed = fs.existsSync(seedModule);

async function seedGraph(): Promise<KnowledgeGraph> {
  const mod = (await import(seedModule)) as { loadSeedGraph: () => { graph: KnowledgeGraph } };
  return mod.loadSeedGraph().graph;
}

describe.skipIf(!hasSeed)(`synthesize on the seed graph${hasSeed ? '' : ' (skipped: src/graph/seed.ts not present)'}`, () => {
  it('synthesize on the seed graph: every kept item is solved correctly by the graph solver', async () => {
    const g = await seedGraph();
    const r = synthesize(g, { n: 600 }, new Rng(1));
    expect(r.items.length).toBeGreaterThan(500);
    for (const it of r.items) expect(solveItem(g, it).letter, it.id).toBe(it.answer);
    const counts = Object.values(r.stats.letters);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('longTailCoverage on the seed graph: the bias reaches more of the long tail', async () => {
    const g = await seedGraph();
    const c = longTailCoverage(g, { samples: 200, alpha: 1 }, new Rng(1));
    expect(c.expected!.ratio).toBeGreaterThan(1);
  });
});
