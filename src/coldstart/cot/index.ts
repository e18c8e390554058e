/**
 * CoT cold start, table of contents: teacher traces for the SFT of the "+CoT" policy.
 *   trace         Trace, Claim, Teacher, strategies, claim truth on the graph
 *   graphTeacher  the offline teacher: short traces from an item's graph evidence in the pretraining
 *                 corpus's sentences (fallible drafts)
 *   plan, slips, revisions, traceStyles
 *                 the graph teacher's plan, first-draft slips, revision strategies and trace styles
 *   llmTeacher    any OpenAI-compatible endpoint as teacher (draft and revision prompts, robust parsing)
 *   filters       verifiable filters: format, answer, claims, evidence, length
 *   refine        the refinement loop (backtracking, path exploration, self-correction) with pass@k
 */
export * from './trace';
export { GraphTeacher, hardness, defaults as graphTeacherDefaults } from './graphTeacher';
export type { GraphTeacherOptions } from './graphTeacher';
export { LlmTeacher, DRAFT_PROMPT, REVISION_PROMPTS, parseTeacherReply, renderTeacherPrompt, defaults as llmTeacherDefaults } from './llmTeacher';
export type { LlmTeacherOptions } from './llmTeacher';
export {
  FILTER_NAMES,
  approxTokens,
  checkAnswer,
  checkClaims,
  checkEvidence,
  checkFormat,
  checkLength,
  checkTrace,
  completionProblem,
  discriminates,
  defaults as filterDefaults,
} from './filters';
export type { FilterName, FilterOptions, FilterResult, TraceCheck } from './filters';
export { chooseStrategy, explainChain, refineAll, refineItem, rowDifficulty, defaults as refineDefaults } from './refine';
export type { ChainStep, CotFailure, CotOutRow, RefineContext, RefineOptions, RefineResult, RefineStats } from './refine';
