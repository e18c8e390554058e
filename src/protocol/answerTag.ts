const ANSWER_TAG = /<answer>([\s\S]*?)<\/answer>/g;

/**
 * The content of the last `<answer>…</answer>` tag, untrimmed, or null when there is none. Tags
 * are matched left to right, each `<answer>` closing at the first `</answer>` after it, so
 * `<answer><answer>B</answer>` holds `<answer>B` and an unclosed `<answer>` is no tag.
 */
export function lastAnswerTag(completion: string): string | null {
  const tags = [...completion.matchAll(ANSWER_TAG)];
  return tags.length ? tags[tags.length - 1][1] : null;
}
