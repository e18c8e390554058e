/**
 * Export.   Command: `fleming export --format verl|trl|hf|logits [--run DIR] [--out DIR]`
 *
 * Turns a run directory into the data that full-scale trainers read: verl's RL Parquet files,
 * TRL's SFT and GRPO JSONL, or a Hugging Face dataset folder with its card (src/export/formats.ts);
 * `logits`: reference logits of the run's checkpoints (src/export/logits.ts), which
 * scripts/check-export.py compares with transformers. Each folder gets a manifest.json. The run
 * is only read. Default folder: <run>/export/<format>/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ExportData, gatherExport } from './data';
import { type ExportFile, type ExportFormat, FORMATS, type Manifest, writeHf, writeManifest, writeTrl, writeVerl } from './formats';
import { writeReferenceLogits } from './logits';
import { verlSettings } from './verl';

export interface ExportOptions {
  format: string;
  /** Output folder (default <run>/export/<format>). */
  out?: string;
  /** TensorFlow.js backend for the logits ('' = best available). */
  backend?: string;
  log?: (message: string) => void;
}

export interface ExportResult {
  out: string;
  manifest: Manifest;
}

/** The format named by `format`, or an error listing the formats. */
export function exportFormat(format: string | undefined): ExportFormat {
  if (!format) throw new Error(`fleming export needs --format ${FORMATS.join('|')}`);
  if (!(FORMATS as readonly string[]).includes(format)) throw new Error(`unknown export format "${format}" (choose ${FORMATS.join(', ')})`);
  return format as ExportFormat;
}

type Writer = (d: ExportData, out: string, o: ExportOptions) => ExportFile[] | Promise<ExportFile[]>;

const WRITERS: Record<ExportFormat, Writer> = {
  verl: writeVerl,
  trl: writeTrl,
  hf: writeHf,
  logits: (d, out, o) => writeReferenceLogits(d.runDir, out, d.items, d.traces ?? [], o.backend ?? '', o.log ?? (() => {})),
};

/** Whether a format needs the cold start's traces: TRL's SFT files do; the card and the logits use them when present. */
const TRACES: Record<ExportFormat, 'required' | 'optional' | 'skip'> = { verl: 'skip', trl: 'required', hf: 'optional', logits: 'optional' };

/** Exports the run in `runDir` (see the file comment). Checks the format and the run's stages before writing anything. */
export async function runExport(runDir: string, opts: ExportOptions): Promise<ExportResult> {
  const format = exportFormat(opts.format);
  const dir = path.resolve(runDir);
  if (!fs.existsSync(path.join(dir, 'config.json'))) throw new Error(`${dir} is not a run directory (no config.json)`);
  const data = gatherExport(dir, TRACES[format]);
  const out = path.resolve(opts.out ?? path.join(dir, 'export', format));
  fs.mkdirSync(out, { recursive: true });
  const files = await WRITERS[format](data, out, opts);
  const skipped = data.traceSkips.rows();
  const notes = [...data.notes, ...(skipped.length ? [`cot rows not exported: ${skipped.map((s) => `${s.count} ${s.reason}`).join('; ')}`] : []), ...(format === 'verl' || format === 'trl' ? [stage1OrderNote(data, format)] : [])];
  const manifest: Manifest = { format, run: dir, files, rewardWeights: data.rewardWeights, notes, ...(format === 'verl' ? { verl: verlSettings(data.rlvr) } : {}) };
  writeManifest(out, manifest);
  return { out, manifest };
}

/** How a trainer keeps stage 1's draw order (the export's stage-1 file lists the prompts in that order). */
function stage1OrderNote(d: ExportData, format: 'verl' | 'trl'): string {
  const c = d.rlvr;
  const read = format === 'verl' ? 'verl reads it unshuffled (data.shuffle=False, in verl.stage1)' : 'train with GRPOConfig(shuffle_dataset=False) to keep it';
  return `stage 1: ${d.stage1Stream.length} prompts (${c.stage1MaxSteps} steps × ${c.promptsPerStep}) drawn from ${d.stage1.length} items in the order RLVR stage 1 draws them (rlvr.stage1Draw ${c.stage1Draw}); ${read}`;
}
