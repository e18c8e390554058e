import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { strictAnswer } from '../../src/protocol';
import { defaults as rlvrDefaults } from '../../src/rlvr/config';
import { scoreRewards } from '../../src/rlvr/rewards';
import { tempDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const MODULE = path.join(ROOT, 'python', 'fleming_reward.py');
const tmp = tempDir('fleming-reward-parity-');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** No __pycache__ left in python/ by the imports. */
const PY_ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

/** python3 on PATH, or a test failure that says what is missing (never a silent skip). */
function python(args: string[], input?: string): string {
  const r = spawnSync('python3', args, { encoding: 'utf8', input, cwd: path.dirname(MODULE), env: PY_ENV });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new Error('python3 is not on PATH: the reward parity test runs python/fleming_reward.py with the standard-library Python (CI has it; install Python ≥ 3.8)');
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

interface Case {
  completion: string;
  answer: string;
  letters: string[];
  finish?: 'stop' | 'length';
  weights?: Record<string, number>;
}

const ABCD = ['A', 'B', 'C', 'D'];
const AZ = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const ok = (inner: string, tail = '<|eos|>') => `<think>x</think>\n<answer>${inner}</answer>${tail}`;

/** Completions for an item with answer B and options A–D, unless the row says otherwise. */
const COMPLETIONS: string[] = [
  ok('B'),
  ok('B', ''),
  ok(' B '),
  ok('C'),
  ok('b'),
  ok('(B)'),
  ok('B. Measles'),
  ok('A, B'),
  ok('ABCD'),
  ok(''),
  ok(' '),
  ok('E'),
  ok('B\n'),
  ok('\nB\n'),
  ok('\tB\r'),
  ok('\u00a0B\u00a0'), // no-break space: JavaScript trims it
  ok('\u3000B'), // ideographic space
  ok('\u2028B\u2029'), // line / paragraph separators
  ok('\ufeffB'), // BOM: JavaScript trims it, Python's str.strip() does not
  ok('\u0085B'), // NEL: Python's str.strip() trims it, JavaScript does not
  ok('\u001cB'), // file separator: the same
  ok('\u200bB'), // zero-width space: neither
  ok('\u180eB'), // Mongolian vowel separator: no longer whitespace
  ok('Ｂ'), // fullwidth B
  '<think>x</think>\n<answer>A</answer><answer>B</answer><|eos|>',
  '<think>x</think>\n<answer>B</answer><answer>A</answer><|eos|>',
  '<think>x</think>\n<answer>B</answer><answer>E</answer><|eos|>',
  '<think>x</think>\n<answer><answer>B</answer><|eos|>',
  '<think>x</think>\n<answer>A</answer><answer>B<|eos|>',
  '<think>x</think>\n</answer><answer>B</answer><|eos|>',
  '<think>x</think>\n<ANSWER>B</ANSWER><|eos|>',
  '<think>x</think>\n<answer>B</Answer><|eos|>',
  '<think>maybe <answer>B</answer></think>\n<answer>A</answer><|eos|>',
  '<think>so <answer>B</answer></think><|eos|>',
  '<think></think>\n<answer>B</answer><|eos|>',
  '<think>   \n </think>\n<answer>B</answer><|eos|>',
  '<think>\u00a0</think>\n<answer>B</answer><|eos|>',
  '<think>\u0085</think>\n<answer>B</answer><|eos|>',
  '<think>x</think>\n<answer>B</answer> I am sure.<|eos|>',
  '<think>x</think>\n<answer>B</answer>\n',
  '<think>x</think>\n<answer>B</answer>\n<|eos|>',
  '<think>x</think>\n<answer>B</answer><|eos|>\n',
  '<think>x</think>\n<answer>B</answer><|eos|><|eos|>',
  '<think>x</think>\n<answer>B</answer><|im_end|>',
  'Sure! <think>x</think>\n<answer>B</answer><|eos|>',
  ' <think>x</think>\n<answer>B</answer><|eos|>',
  '<think>x\n<answer>B</answer><|eos|>',
  '<think>x</think>\n<answer>B<|eos|>',
  'x</think>\n<answer>B</answer><|eos|>',
  '<answer>B</answer><|eos|>',
  '<answer>B</answer>',
  'B',
  'The answer is B.',
  '<think>x</think><answer>B</answer><|eos|>',
  '<think>x</think>\r\n<answer>B</answer><|eos|>',
  '<think>x</think>\n\n<answer>B</answer><|eos|>',
  '<think>a</think><think>b</think>\n<answer>B</answer><|eos|>',
  '<think>a<think>b</think>\n<answer>B</answer><|eos|>',
  '<think>a</think>\n<answer>C</answer></think>\n<answer>B</answer><|eos|>',
  '<think>a <|user|> b</think>\n<answer>B</answer><|eos|>',
  '<think>a <|EOS|> b</think>\n<answer>B</answer><|eos|>',
  '<think>a <|eos|> b</think>\n<answer>B</answer><|eos|>',
  '<think>x</think>\n<|eos|><answer>B</answer>',
  '<think>🫁 lungs, 肺, naïve</think>\n<answer>B</answer><|eos|>',
  '<think>\ud800 lone surrogate</think>\n<answer>B</answer><|eos|>',
  `<think>${'Fever and rash point to measles. '.repeat(200)}</think>\n<answer>B</answer><|eos|>`,
  '<think>line one\nline two\r\nline three</think>\n<answer>B</answer><|eos|>',
  '<think>$ ^ . * \\d (a|b) [x]</think>\n<answer>B</answer><|eos|>',
  '<|eos|>',
  '',
];

/** Items beyond four options: letters past J, up to Z. */
const WIDE: Case[] = [
  { completion: ok('Z'), answer: 'Z', letters: AZ },
  { completion: ok('K'), answer: 'K', letters: AZ.slice(0, 11) },
  { completion: ok('L'), answer: 'K', letters: AZ.slice(0, 11) },
  { completion: ok('J'), answer: 'J', letters: AZ.slice(0, 10) },
  { completion: ok('Q', ''), answer: 'Q', letters: AZ.slice(0, 20) },
  { completion: ok('Z'), answer: 'Z', letters: AZ.slice(0, 20) },
  { completion: ok('D'), answer: 'D', letters: ['A', 'B', 'C'] },
  { completion: ok('C'), answer: 'C', letters: ['A', 'C', 'E'] },
];

const WEIGHTS: (Record<string, number> | undefined)[] = [undefined, { correctness: 1, format: 0.25 }, { format: 0.5, correctness: 2 }, { correctness: 0.1, format: 0.2 }, { correctness: 1 }, { format: 1 }];

function allCases(): Case[] {
  const out: Case[] = [];
  for (const completion of COMPLETIONS)
    for (const finish of ['stop', 'length'] as const) for (const weights of WEIGHTS) out.push({ completion, answer: 'B', letters: ABCD, finish, weights });
  for (const c of WIDE) for (const weights of WEIGHTS.slice(0, 2)) out.push({ ...c, weights });
  return out;
}

/** What the workbench computes for a case: scoreRewards() (src/rlvr) and strictAnswer() (src/protocol). */
function typescript(c: Case): { score: number; strict: string | null; correctness?: number; format?: number } {
  const weights = c.weights ?? rlvrDefaults.rewards;
  const s = scoreRewards([c.completion], { answer: [c.answer], letters: [c.letters], finish: [c.finish ?? 'stop'] }, weights);
  const part = (k: string) => (s.parts[k] ? (s.parts[k][0] as number) : undefined);
  return { score: s.total[0], strict: strictAnswer(c.completion, c.letters), correctness: part('correctness'), format: part('format') };
}

describe('python/fleming_reward.py and the TypeScript rewards', () => {
  it('score() gives the rewards, parts and strict letter of scoreRewards() for every literal completion', () => {
    const cases = allCases();
    const file = path.join(tmp, 'cases.json');
    fs.writeFileSync(file, JSON.stringify(cases));
    const py = JSON.parse(python([MODULE, '--cases', file])) as ReturnType<typeof typescript>[];
    expect(py).toHaveLength(cases.length);
    let rewarded = 0;
    cases.forEach((c, i) => {
      const want = typescript(c);
      const label = `${JSON.stringify(c.completion.slice(0, 80))} finish=${c.finish} weights=${JSON.stringify(c.weights)}`;
      expect(py[i].score, label).toBe(want.score);
      expect(py[i].strict, label).toBe(want.strict);
      expect(py[i].correctness, label).toBe(want.correctness);
      expect(py[i].format, label).toBe(want.format);
      rewarded += want.score > 0 ? 1 : 0;
    });
    // the table exercises both outcomes of both rewards
    expect(rewarded).toBeGreaterThan(50);
    expect(cases.filter((c) => typescript(c).format === 1).length).toBeGreaterThan(20);
    expect(cases.filter((c) => typescript(c).correctness === 1 && typescript(c).format === 0).length).toBeGreaterThan(20);
  });

  it("DEFAULT_WEIGHTS is the workbench's rlvr.rewards default", () => {
    const out = python(['-c', 'import json, fleming_reward as f; print(json.dumps(f.DEFAULT_WEIGHTS))']);
    expect(JSON.parse(out)).toEqual(rlvrDefaults.rewards);
  });

  it("compute_score() (verl) reads the letters from extra_info, takes the weights as keywords, and scores a response as stopped", () => {
    const script = [
      'import json, sys, fleming_reward as f',
      'cases = json.load(sys.stdin)',
      'print(json.dumps([f.compute_score("fleming/synthetic", c["completion"], c["answer"], {"letters": "".join(c["letters"])}, format_weight=c.get("fw")) for c in cases]))',
    ].join('\n');
    const cases = [...COMPLETIONS.slice(0, 30).map((completion) => ({ completion, answer: 'B', letters: ABCD })), ...WIDE.map((c) => ({ ...c, fw: 0.5 }))];
    const py = JSON.parse(python(['-c', script], JSON.stringify(cases))) as { score: number; correctness: number; format: number }[];
    cases.forEach((c, i) => {
      const want = typescript({ ...c, finish: 'stop', weights: { correctness: 1, format: 'fw' in c ? 0.5 : 0.25 } });
      expect(py[i], JSON.stringify(c.completion)).toEqual({ score: want.score, correctness: want.correctness, format: want.format });
    });
    const err = spawnSync('python3', ['-c', 'import fleming_reward as f; f.compute_score("x", "<answer>B</answer>", "B", {})'], { encoding: 'utf8', cwd: path.dirname(MODULE), env: PY_ENV });
    expect(err.status).not.toBe(0);
    expect(err.stderr).toContain('extra_info.letters is missing');
  });

  it('trl_reward_funcs(tokenizer) decodes the ids with special tokens kept and gives no format reward to a completion cut before <|eos|>', () => {
    // a stand-in tokenizer: id i decodes to PIECES[i]; eos is id 1 (as in the workbench's tokenizer)
    const script = [
      'import json, fleming_reward as f',
      'PIECES = ["<|bos|>", "<|eos|>", "<think>", "</think>", "<answer>", "</answer>", "x", "\\n", "B", "C"]',
      'class Tok:',
      '    eos_token_id = 1',
      '    def decode(self, ids, skip_special_tokens=True):',
      '        assert skip_special_tokens is False',
      '        return "".join(PIECES[i] for i in ids)',
      'corr, fmt = f.trl_reward_funcs(Tok())',
      'ids = [[2, 6, 3, 7, 4, 8, 5, 1], [2, 6, 3, 7, 4, 8, 5], [2, 6, 3, 7, 4, 9, 5, 1], [6, 7, 8, 1]]',
      'stripped = ["x\\nB", "x\\nB", "x\\nC", "x\\nB"]  # what skip_special_tokens=True leaves',
      'kw = dict(answer=["B"] * 4, letters=["ABCD"] * 4, completion_ids=ids)',
      'print(json.dumps([corr(stripped, **kw), fmt(stripped, **kw), f.trl_reward_funcs()[0](["<think>x</think>\\n<answer>B</answer>"], answer=["B"], letters=["ABCD"])]))',
    ].join('\n');
    const [c, fm, plain] = JSON.parse(python(['-c', script])) as number[][];
    expect(c).toEqual([1, 1, 0, 0]);
    expect(fm).toEqual([1, 0, 1, 0]);
    expect(plain).toEqual([1]);
  });

  it('the module runs on the standard library alone (no third-party import)', () => {
    const src = fs.readFileSync(MODULE, 'utf8');
    const imports = [...src.matchAll(/^(?:import|from) (\w+)/gm)].map((m) => m[1]);
    expect(new Set(imports)).toEqual(new Set(['json', 're', 'sys']));
    expect(python(['-I', '-S', '-c', `import runpy; runpy.run_path(${JSON.stringify(MODULE)})`])).toBe(''); // isolated: no site-packages
  });
});
