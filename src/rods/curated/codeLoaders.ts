/**
 * The benchmark formats that need code rather than a field mapping, by the name a spec gives in
 * `loader:`. Each keeps its published format's quirks in one file:
 *   pubmedqa    one JSON object keyed by PMID; the abstract's sections become the question's context
 *   medmcqa     options embedded in the question ('Answer Choices: (A) … (B) …'), label: ['C']
 *   medxpertqa  options [{letter, content}] also embedded in the question (the stem is kept alone)
 *   cmexam      CSV whose Options cell holds one 'A text' line per option
 */
import type { CuratedLoader } from './common';
import { loadCmexam } from './cmexam';
import { loadMedmcqa } from './medmcqa';
import { loadMedxpertqa } from './medxpertqa';
import { loadPubmedqa } from './pubmedqa';

export const CODE_LOADER_NAMES = ['pubmedqa', 'medmcqa', 'medxpertqa', 'cmexam'] as const;
export type CodeLoaderName = (typeof CODE_LOADER_NAMES)[number];

/** Loader name → loader (each names its items by its own origin, e.g. 'medmcqa'). */
export const CODE_LOADERS: Record<CodeLoaderName, CuratedLoader> = {
  pubmedqa: (file, skips) => loadPubmedqa(file, skips),
  medmcqa: loadMedmcqa,
  medxpertqa: loadMedxpertqa,
  cmexam: loadCmexam,
};
