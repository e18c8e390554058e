/**
 * The Base recipe as tables (notebook 03b): each `base` setting with its value, its default and
 * the comment that documents it at recipeDefaults (src/base/config.ts, read as text so that the
 * table and the code never disagree), and the schedule's segments with their steps per skill.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BaseRecipeConfig, recipeDefaults } from './config';
import { scheduleSegments, skillIndex } from './recipe';

/** One setting of the recipe. */
export interface SettingRow {
  setting: string;
  value: unknown;
  default: unknown;
  meaning: string;
}

/** The `// comment` of each field of `export const <name> = {…}` in a TypeScript source. */
export function fieldComments(file: string, name: string): Record<string, string> {
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf(`export const ${name}`);
  if (start < 0) throw new Error(`${file}: no \`export const ${name}\``);
  const end = text.indexOf('\n};', start);
  const out: Record<string, string> = {};
  for (const line of text.slice(start, end < 0 ? undefined : end).split('\n').slice(1)) {
    const m = /^\s*(\w+):.*?,\s*\/\/\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

/** Every `base` setting: the value in `cfg`, the default, and what it means (its comment at recipeDefaults). */
export function recipeSettings(cfg: BaseRecipeConfig = recipeDefaults): SettingRow[] {
  const comments = fieldComments(path.join(__dirname, 'config.ts'), 'recipeDefaults');
  return (Object.keys(recipeDefaults) as (keyof BaseRecipeConfig)[]).map((k) => ({ setting: k, value: cfg[k], default: recipeDefaults[k], meaning: comments[k] ?? '' }));
}

const SKILLS = ['knowledge', 'copy', 'lookup', 'option', 'reverse'] as const;

/** One segment of the schedule over a run of `steps` steps: its step range and steps per skill. */
export interface SegmentRow {
  segment: number;
  pattern: string;
  from: number;
  to: number;
  knowledge: number;
  copy: number;
  lookup: number;
  option: number;
  reverse: number;
}

/** The schedule's segments over a run of `steps` steps (the last runs to the end), each with its steps per skill. */
export function scheduleTable(schedule: string, steps: number): SegmentRow[] {
  const rows: SegmentRow[] = [];
  let from = 0;
  scheduleSegments(schedule).forEach((s, i) => {
    if (from >= steps) return;
    const to = Math.min(steps, from + s.steps);
    const count = (skill: (typeof SKILLS)[number]) => skillIndex(schedule, to, skill) - skillIndex(schedule, from, skill);
    rows.push({ segment: i + 1, pattern: s.pattern, from: from + 1, to, knowledge: count('knowledge'), copy: count('copy'), lookup: count('lookup'), option: count('option'), reverse: count('reverse') });
    from = to;
  });
  return rows;
}
