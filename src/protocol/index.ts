/**
 * The answer protocol, table of contents: the completion format of the whole project, read in one
 * place by every stage (SFT data, CoT filters, RL rewards, evaluation).
 *   letters    optionLetters: an item's valid letters (its option keys, A–Z, in order)
 *   prompt     itemPrompt: the user turn for an item (question, then `A. text` lines)
 *   answerTag  lastAnswerTag: the content of the last `<answer>…</answer>`
 *   strict     strictAnswer: the last tag holds exactly one of the item's letters (the paper's
 *              rule; RL correctness, CoT answer filter, SFT data, evaluation); answerProblem: why not
 *   format     isWellFormedCot: exactly `<think>…</think>\n<answer>X</answer>` (+ one `<|eos|>`)
 *              (RL format reward, CoT format filter, SFT data, evaluation); formatProblem: why not
 *   lenient    lenientAnswer: strict, else the MMLU-Pro cascade over the item's letters (evaluation)
 */
export { LETTER, optionLetters } from './letters';
export { itemPrompt } from './prompt';
export { lastAnswerTag } from './answerTag';
export { answerProblem, strictAnswer } from './strict';
export { formatProblem, isWellFormedCot } from './format';
export { lenientAnswer } from './lenient';
