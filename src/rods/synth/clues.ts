/**
 * Clues of a case vignette: which of a disease's own symptoms and findings to show, the diseases
 * that share them, and the edges that prove them.
 */
import type { Rng } from '../../core/rng';
import type { SynthConfig } from './config';
import type { GraphFacts } from './facts';
import type { EdgeRef } from './paths';
import { addScore } from './rank';

/**
 * Chooses clues among a disease's own symptoms/findings: a random set of minClues..maxClues,
 * then more discriminating ones (up to maxClues) while other diseases still fit them all.
 * Symptoms are listed before findings. Returns null when the disease has too few.
 */
export function chooseClues(f: GraphFacts, d: string, cfg: SynthConfig, rng: Rng): { clues: string[]; fits: string[] } | null {
  const feats = f.directFeatures(d);
  if (feats.length < cfg.minClues) return null;
  const order = rng.shuffle(feats);
  const hi = Math.min(cfg.maxClues, feats.length);
  const k = cfg.minClues + rng.int(hi - cfg.minClues + 1);
  const chosen = order.slice(0, k);
  let fits = f.diseasesWithAll(chosen);
  for (let i = k; i < order.length && fits.length > 1 && chosen.length < cfg.maxClues; i++) {
    const c = order[i];
    const next = fits.filter((x) => f.features(x).has(c));
    if (next.length < fits.length) {
      chosen.push(c);
      fits = next;
    }
  }
  const rank = (id: string) => (f.node(id).type === 'finding' ? 1 : 0);
  chosen.sort((a, b) => rank(a) - rank(b));
  return { clues: chosen, fits };
}

/** Diseases sharing the presented clues through their own edges: clue count per disease. */
export function sharingClues(f: GraphFacts, clues: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of clues) for (const d of [...f.in(c, 'has_symptom'), ...f.in(c, 'has_finding')]) addScore(m, d, 1);
  return m;
}

/** The edges that prove the clues: disease → symptom/finding, finding → the test that measures it. */
export function clueEdges(f: GraphFacts, d: string, clues: readonly string[]): EdgeRef[] {
  const out: EdgeRef[] = [];
  for (const c of clues) {
    out.push({ source: d, relation: f.node(c).type === 'finding' ? 'has_finding' : 'has_symptom', target: c });
    for (const t of f.out(c, 'measured_by')) out.push({ source: c, relation: 'measured_by', target: t });
  }
  return out;
}
