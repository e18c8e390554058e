/**
 * The dataset card (README.md) of a Hugging Face dataset folder: a YAML header that `datasets`
 * and the Hub read (configs with their data files, features, split sizes, licence, tags), then
 * prose: what each config holds, how it was made, the prompt format, the reward, and the sources
 * with their licences.
 */
import { stringify } from 'yaml';
import type { Field } from './parquet';
import { type SourceLicence, datasetSources } from './licences';

/** One split of a config: its file (relative to the folder), rows and bytes. */
export interface SplitFile {
  split: string;
  path: string;
  rows: number;
  bytes: number;
}

/** One config (a table with its own schema) of the dataset. */
export interface CardConfig {
  name: string;
  description: string;
  fields: Field[];
  splits: SplitFile[];
}

/** What the card says beyond the configs. */
export interface CardInfo {
  title: string;
  /** The run the data came from (its directory name) and its preset and seed. */
  run: { name: string; preset: string; seed: number };
  configs: CardConfig[];
  /** Edges per knowledge-graph source (graph/stats.json). */
  graphSources: Record<string, number>;
  /** Items per origin over every exported item. */
  itemsByOrigin: Record<string, number>;
  rewardWeights: Record<string, number>;
  /** Lines on what is absent (e.g. no stage-2 set yet). */
  notes: string[];
}

/** A field as the `features` list of a dataset card (datasets' YAML form). */
export function featureYaml(f: Field): Record<string, unknown> {
  if ('leaf' in f) return { name: f.name, dtype: f.leaf };
  if ('struct' in f) return { name: f.name, struct: f.struct.map(featureYaml) };
  const e = f.list;
  if ('leaf' in e) return { name: f.name, list: e.leaf };
  if ('struct' in e) return { name: f.name, list: e.struct.map(featureYaml) };
  return { name: f.name, list: featureYaml(e) };
}

/** The YAML header's object. */
export function cardHeader(info: CardInfo): Record<string, unknown> {
  const sources = datasetSources(info.graphSources, info.itemsByOrigin);
  const nonCommercial = sources.some((s) => s.source.nonCommercial);
  const total = info.configs.reduce((a, c) => a + c.splits.reduce((b, s) => b + s.rows, 0), 0);
  return {
    pretty_name: info.title,
    language: ['en'],
    license: 'other',
    license_name: nonCommercial ? 'mixed-non-commercial' : 'mixed',
    license_link: 'LICENSE.md',
    task_categories: ['question-answering', 'text-generation'],
    tags: ['medical', 'multiple-choice', 'reasoning', 'rlvr', 'grpo', 'fleming-r1', ...(nonCommercial ? ['non-commercial'] : [])],
    size_categories: [total < 1000 ? 'n<1K' : total < 10000 ? '1K<n<10K' : total < 100000 ? '10K<n<100K' : '100K<n<1M'],
    configs: info.configs.map((c, i) => ({ config_name: c.name, data_files: c.splits.map((s) => ({ split: s.split, path: s.path })), ...(i === 0 ? { default: true } : {}) })),
    dataset_info: info.configs.map((c) => ({
      config_name: c.name,
      features: c.fields.map(featureYaml),
      splits: c.splits.map((s) => ({ name: s.split, num_bytes: s.bytes, num_examples: s.rows })),
      download_size: c.splits.reduce((a, s) => a + s.bytes, 0),
      dataset_size: c.splits.reduce((a, s) => a + s.bytes, 0),
    })),
  };
}

const row = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;

function sourcesTable(info: CardInfo): string[] {
  const sources = datasetSources(info.graphSources, info.itemsByOrigin);
  if (!sources.length) return ['No source recorded.'];
  const lines = [row(['source', 'used as', 'count', 'origin', 'licence']), row(['---', '---', '---:', '---', '---'])];
  for (const s of sources) lines.push(row([s.source.name, s.kind === 'graph' ? 'knowledge-graph edges (synthetic items)' : 'curated items', s.count, s.source.origin, s.source.licence]));
  return lines;
}

/** The licence file of the folder: each source's licence (the data's terms follow its sources). */
export function licenceText(info: CardInfo): string {
  const sources: SourceLicence[] = datasetSources(info.graphSources, info.itemsByOrigin).map((s) => s.source);
  return [
    `# Licences of ${info.title}`,
    '',
    'This dataset is derived data; each part follows the licence of the source it was made from:',
    '',
    ...sources.map((s) => `- ${s.name} (${s.origin}): ${s.licence}`),
    '',
    'The code that made it (the Fleming-R1 workbench) is MIT-licensed.',
    '',
  ].join('\n');
}

/** The whole README.md: YAML header, then prose. */
export function datasetCard(info: CardInfo): string {
  const w = Object.entries(info.rewardWeights).map(([k, v]) => `${v} × ${k}`).join(' + ');
  const body = [
    `# ${info.title}`,
    '',
    `Exported by \`fleming export --format hf\` from the workbench run \`${info.run.name}\` (preset ${info.run.preset}, seed ${info.run.seed}): multiple-choice medical questions made by RODS (reasoning-oriented data synthesis from a knowledge graph, plus curated public items), graded Easy / Moderate / Difficult, with the cold start's verified chain-of-thought traces, following Fleming-R1 (arXiv 2509.15279).`,
    '',
    '## Configs',
    '',
    row(['config', 'split', 'rows', 'file', 'bytes']),
    row(['---', '---', '---:', '---', '---:']),
    ...info.configs.flatMap((c) => c.splits.map((s) => row([c.name, s.split, s.rows, s.path, s.bytes]))),
    '',
    ...info.configs.map((c) => `- **${c.name}**: ${c.description}`),
    ...(info.notes.length ? ['', ...info.notes.map((n) => `Note: ${n}`)] : []),
    '',
    '## Prompt and answer format',
    '',
    'The prompt is one user turn: the question, then one `A. text` line per option. The chat template of the workbench\'s checkpoints renders it as `<|bos|><|user|>{prompt}<|assistant|>`. The policy answers `<think>{reasoning}</think>\\n<answer>X</answer>` then `<|eos|>`.',
    '',
    `Reward (RLVR, the paper's Eq. 1–3): ${w || 'correctness + format'}. Correctness: the trimmed content of the last \`<answer>…</answer>\` is the item's letter. Format: exactly \`<think>…</think>\\n<answer>X</answer>\` (non-empty reasoning without tags, X one of the item's letters, one optional trailing \`<|eos|>\`) and not cut at the length limit. \`python/fleming_reward.py\` of the workbench computes both (verl \`compute_score\`, TRL reward functions).`,
    '',
    '```python',
    'from datasets import load_dataset',
    `rl = load_dataset("path/to/this/folder", "${info.configs[0]?.name ?? 'rl'}")`,
    '```',
    '',
    '## Sources and licences',
    '',
    ...sourcesTable(info),
    '',
    'Synthetic items are derived from the knowledge-graph edges above; curated items keep their benchmark\'s licence. See LICENSE.md.',
    '',
  ];
  return `---\n${stringify(cardHeader(info), { lineWidth: 0 })}---\n\n${body.join('\n')}`;
}
