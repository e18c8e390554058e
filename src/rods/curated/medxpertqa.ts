/**
 * MedXpertQA Text (10 options A–J) as published in JSON Lines:
 * `{id: 'Text-0', question, options: [{letter, content}], label: ['C'], medical_task, body_system,
 * question_type}`. The question also embeds the options ('Answer Choices: (A) ...'); the item keeps
 * only the stem, and notes a quirk when the embedded options differ from the `options` field.
 */
import type { SkipReport } from '../../core/io';
import { LETTERS, type Item } from '../item';
import { asRecord, loadJsonlWith, text, type RawItem } from './common';
import { singleLabel, splitAnswerChoices } from './medmcqa';

/** Maps one MedXpertQA record; a string return is the skip reason. */
export function medxpertqaRecord(r: Record<string, unknown>): RawItem | string {
  if (!Array.isArray(r.options)) return 'options is not an array';
  const opts = r.options.map(asRecord);
  if (opts.some((o, i) => !o || text(o.letter) !== LETTERS[i])) return 'option letters are not A, B, C, ... in order';
  const options = opts.map((o) => text(o?.content));
  const label = singleLabel(r.label);
  if ('reason' in label) return label.reason;
  const q = text(r.question);
  const split = splitAnswerChoices(q);
  const quirks: string[] = [];
  if (split && split.options.join('\u0000') !== options.join('\u0000')) quirks.push('embedded choices differ from options');
  const meta: Record<string, unknown> = {
    medicalTask: r.medical_task,
    bodySystem: r.body_system,
    questionType: r.question_type,
    sourceSplit: 'test',
  };
  if (quirks.length) meta.quirks = quirks;
  return { origin: 'medxpertqa', originalId: text(r.id), question: split ? split.stem : q, options, answer: label.answer, meta };
}

/** Loads MedXpertQA Text JSON Lines (625 of the 2,450 items in the mirror's partial file). */
export function loadMedxpertqa(file: string, skips: SkipReport): Promise<Item[]> {
  return loadJsonlWith(file, skips, (r) => (text(r.id) ? medxpertqaRecord(r) : 'no id'), ['id', 'question', 'options', 'label']);
}
