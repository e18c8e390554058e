/**
 * RODS filtering: format checks, near-duplicate removal and anonymisation. Each returns the items
 * it kept and the rejected ones with a reason.
 */
export { type FilterResult, type Rejected, reasonCounts } from './result';
export { formatFilter, formatProblem, textProblem, normalizeOption, type FormatOptions, defaults as formatDefaults } from './format';
export { nearDuplicates, normalizeText, itemText, shingles, jaccard, minhash, type NearDupOptions, defaults as nearDupDefaults } from './neardup';
export { anonymize, anonymizeText, PII_KINDS, type PiiKind, type AnonymizeOptions, type AnonymizeResult, defaults as anonymizeDefaults } from './anonymize';
