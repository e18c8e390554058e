/**
 * MedMCQA dev split in the MedXpertQA evaluation format (JSON Lines):
 * `{id, question, label: ['A'], label_rationale, subject_name, topic_name}`, where the options
 * are embedded at the end of the question as `\nAnswer Choices: (A) ... (B) ... (C) ... (D) ...`.
 */
import type { SkipReport } from '../../core/io';
import { LETTERS, type Item } from '../item';
import { loadJsonlWith, text, type RawItem } from './common';

/** The marker before the embedded options in MedXpertQA-style questions. */
export const ANSWER_CHOICES_MARKER = '\nAnswer Choices:';

/**
 * Splits a question with embedded options into its stem and option texts. Tags are looked for in
 * letter order ((A), then ' (B)' after it, ...), so an option that quotes another letter, such as
 * 'Both (A) & (C)', stays whole. Returns undefined when there is no marker or no '(A)'.
 */
export function splitAnswerChoices(question: string): { stem: string; options: string[] } | undefined {
  const at = question.lastIndexOf(ANSWER_CHOICES_MARKER);
  if (at < 0) return undefined;
  const rest = question.slice(at + ANSWER_CHOICES_MARKER.length);
  const starts: number[] = [];
  let from = 0;
  for (let k = 0; k < LETTERS.length; k++) {
    const tag = `(${LETTERS[k]})`;
    const p = k === 0 ? rest.indexOf(tag) : rest.indexOf(` ${tag}`, from);
    if (p < 0) break;
    const start = k === 0 ? p : p + 1;
    starts.push(start);
    from = start + tag.length;
  }
  if (starts.length === 0) return undefined;
  const options = starts.map((s, k) => rest.slice(s + 3, starts[k + 1]).trim());
  return { stem: question.slice(0, at).trim(), options };
}

/** The single answer letter of a `label` field (['A'] or 'A'), or a skip reason. */
export function singleLabel(label: unknown): { answer: string } | { reason: string } {
  const labels = (Array.isArray(label) ? label : [label]).map(text).filter((l) => l !== '');
  if (labels.length === 0) return { reason: 'no answer' };
  if (new Set(labels).size > 1) return { reason: 'multiple answers' };
  return { answer: labels[0] };
}

/** Maps one MedMCQA record; a string return is the skip reason. */
export function medmcqaRecord(r: Record<string, unknown>): RawItem | string {
  const split = splitAnswerChoices(text(r.question));
  if (!split) return 'no embedded Answer Choices';
  const label = singleLabel(r.label);
  if ('reason' in label) return label.reason;
  const meta: Record<string, unknown> = { subject: r.subject_name, sourceSplit: 'dev' };
  if (r.topic_name != null) meta.topic = r.topic_name;
  if (r.label_rationale != null) meta.rationale = r.label_rationale;
  return { origin: 'medmcqa', originalId: text(r.id), question: split.stem, options: split.options, answer: label.answer, meta };
}

/** Loads MedMCQA JSON Lines (4,183 dev items in the mirror). */
export function loadMedmcqa(file: string, skips: SkipReport): Promise<Item[]> {
  return loadJsonlWith(file, skips, (r) => (text(r.id) ? medmcqaRecord(r) : 'no id'), ['id', 'question', 'label']);
}
