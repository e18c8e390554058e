/**
 * The graph teacher's revision strategies, each changing the plan of the previous trace and
 * adding one short reflective sentence: 'backtracking' restores dropped evidence (one clue or the
 * missed hop per call), 'path-exploration' tests the current hypothesis and then the next
 * candidate against all the evidence, 'self-correction' retracts false claims and re-derives the
 * final step (and repairs the format).
 */
import type { Rng } from '../../core/rng';
import type { Item } from '../../rods/item';
import type { Plan, PlanView, TeacherParts } from './plan';

/** Backtracking: restores the dropped clue that rules out most of the fitting options, else the missed hop, else the first assumption. */
export function backtrack(t: TeacherParts, item: Item, p: Plan, view: PlanView, H: string | null, rng: Rng): void {
  const all = t.query(item).clues ?? [];
  const dropped = all.filter((c) => !p.used.includes(c));
  if (dropped.length) {
    // restore the dropped clue that rules out most of the options that fit now
    const score = (c: string) => view.consistent.filter((x) => !t.fits(item, { ...p, used: [...p.used, c] }, view.subject, x)).length;
    const best = Math.max(...dropped.map(score));
    const c = rng.pick(dropped.filter((x) => score(x) === best));
    p.used = all.filter((x) => x === c || p.used.includes(x));
    p.subject = null;
    p.notes.push({ text: `Re-examining the presentation, ${t.nm(c)} was left out.`, claims: [] });
    if (p.anchored && H && !t.fits(item, p, null, H)) p.anchored = false;
    if (H && !p.anchored && !t.fits(item, p, null, H)) p.hypothesis = null;
  } else if (p.hopDropped) {
    p.hopDropped = false;
    const link = t.chain(item).find((e) => e.relation === 'in_class') ?? t.chain(item)[0];
    p.notes.push({ text: `Re-checking the link: ${t.sentence(link, rng)}.`, claims: [link] });
    p.anchored = false;
    p.hypothesis = null;
  } else {
    p.notes.push({ text: 'Re-examining the first assumption.', claims: [] });
    p.anchored = false;
    p.hypothesis = null;
  }
}

/** Path exploration: tests the hypothesis H, then the next options in letter order, against all the evidence (two at most). */
export function explore(t: TeacherParts, item: Item, p: Plan, H: string | null, rng: Rng): void {
  const all = t.query(item).clues ?? [];
  const ids = t.optionIds(item);
  const letters = Object.keys(ids).sort();
  const full: Plan = { ...p, used: [...all], hopDropped: false, subject: null };
  const start = H ? letters.indexOf(letters.find((l) => ids[l] === H) as string) : -1;
  const queue = H ? [H] : [];
  for (let i = 1; i <= letters.length; i++) {
    const x = ids[letters[(start + i + letters.length) % letters.length]];
    if (x !== H && !p.excluded.includes(x)) queue.push(x);
  }
  for (const x of queue.slice(0, 2)) {
    if (t.holds(item, x)) {
      p.notes.push({ text: `Testing ${t.nm(x)} against all the evidence: it fits.`, claims: [] });
      Object.assign(p, { used: full.used, hopDropped: false, subject: null, hypothesis: x, anchored: false });
      break;
    }
    const c = t.refutation(item, full, x, rng);
    p.excluded.push(x);
    p.notes.push({ text: `Testing ${t.nm(x)} against all the evidence: ${c ? t.sentence(c, rng) : 'it does not fit'}.`, claims: c ? [c] : [] });
    if (x === H) (p.hypothesis = null), (p.anchored = false);
  }
}

/** Self-correction: repairs the format, keeps the last note when the trace was too long, and retracts a hypothesis that does not fit. */
export function selfCorrect(t: TeacherParts, item: Item, p: Plan, view: PlanView, H: string | null, feedback: readonly string[], rng: Rng): void {
  p.formatSlip = false;
  if (feedback.some((r) => r.startsWith('length'))) p.notes = p.notes.slice(-1);
  if (H && !t.fits(item, p, view.subject, H)) {
    const c = t.refutation(item, p, H, rng, view.subject);
    p.notes.push({ text: `Correction: ${c ? t.sentence(c, rng) : `${t.nm(H)} does not fit`}.`, claims: c ? [c] : [] });
    p.excluded.push(H);
    p.hypothesis = null;
  }
  p.anchored = false;
}
