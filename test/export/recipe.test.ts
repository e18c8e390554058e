import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { verlSettings } from '../../src/export';
import { loadTokenizer, renderChat } from '../../src/model/tokenizer';
import { makeRun, removeRuns } from './fixture';
import { tempDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const RECIPE = path.join(ROOT, 'recipes', 'verl');
const tmp = tempDir('fleming-recipe-');
afterAll(() => {
  removeRuns();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('verlSettings()', () => {
  it("names verl's settings for the paper's objective: GRPO advantages without std, sequence-sum loss, no KL, the run's reward weights", () => {
    const s = verlSettings(resolveConfig({ preset: 'default' }).rlvr);
    expect(s.common).toEqual(
      expect.arrayContaining([
        'algorithm.adv_estimator=grpo',
        'algorithm.norm_adv_by_std_in_grpo=False',
        'algorithm.use_kl_in_reward=False',
        'actor_rollout_ref.actor.loss_agg_mode=seq-mean-token-sum',
        'actor_rollout_ref.actor.entropy_coeff=0',
        'actor_rollout_ref.actor.ppo_epochs=1',
        'actor_rollout_ref.rollout.temperature=1',
        'data.max_response_length=128',
        '+custom_reward_function.reward_kwargs.correctness_weight=1',
        '+custom_reward_function.reward_kwargs.format_weight=0.25',
      ]),
    );
    // lr and KL are each stage's (the same in both unless rlvr.stage2Lr / stage2KlCoef say otherwise)
    const optim = ['actor_rollout_ref.actor.use_kl_loss=False', 'actor_rollout_ref.actor.kl_loss_coef=0', 'actor_rollout_ref.actor.optim.lr=0.00003', 'actor_rollout_ref.actor.optim.lr_scheduler_type=constant'];
    // stage 1's file is in the workbench's draw order (rlvr.stage1Draw), so verl reads it unshuffled; stage 2's mined set is shuffled
    expect(s.stage1).toEqual(['data.train_batch_size=6', 'actor_rollout_ref.actor.ppo_mini_batch_size=6', 'actor_rollout_ref.rollout.n=8', 'trainer.total_training_steps=96', 'data.shuffle=False', ...optim]);
    expect(s.stage2).toEqual(['data.train_batch_size=6', 'actor_rollout_ref.actor.ppo_mini_batch_size=6', 'actor_rollout_ref.rollout.n=32', 'trainer.total_training_steps=8', ...optim]);
    // no key is given twice in one verl launch (Hydra refuses that)
    for (const stage of [s.stage1, s.stage2]) {
      const keys = [...s.common, ...stage].map((x) => x.split('=')[0]);
      expect(new Set(keys).size).toBe(keys.length);
    }
    expect(s.stage1Stop).toEqual({ minSteps: 48, sparsityThreshold: 0.7, sparsityWindow: 4, plateauWindow: 8, plateauDelta: 0 });
  });

  it('follows the options: std advantages, token loss, KL, a cosine floor', () => {
    const c = { ...resolveConfig({ preset: 'default' }).rlvr, advantage: 'std' as const, lossNorm: 'token' as const, klCoef: 0.01, minLr: 2e-5, lr: 1e-4 };
    const v = verlSettings(c);
    for (const x of ['algorithm.norm_adv_by_std_in_grpo=True', 'actor_rollout_ref.actor.loss_agg_mode=token-mean']) expect(v.common).toContain(x);
    for (const stage of [v.stage1, v.stage2])
      for (const x of ['actor_rollout_ref.actor.use_kl_loss=True', 'actor_rollout_ref.actor.kl_loss_coef=0.01', 'actor_rollout_ref.actor.optim.lr=0.0001', 'actor_rollout_ref.actor.optim.lr_scheduler_type=cosine', 'actor_rollout_ref.actor.optim.min_lr_ratio=0.2']) expect(stage).toContain(x);
  });

  it("gives stage 2 its own learning rate and KL when rlvr.stage2Lr / stage2KlCoef set them; stage 1 keeps the run's", () => {
    const c = { ...resolveConfig({ preset: 'default' }).rlvr, klCoef: 0.01, stage2Lr: 1.5e-5, stage2KlCoef: 0 };
    const v = verlSettings(c);
    for (const x of ['actor_rollout_ref.actor.use_kl_loss=True', 'actor_rollout_ref.actor.kl_loss_coef=0.01', 'actor_rollout_ref.actor.optim.lr=0.00003']) expect(v.stage1).toContain(x);
    for (const x of ['actor_rollout_ref.actor.use_kl_loss=False', 'actor_rollout_ref.actor.kl_loss_coef=0', 'actor_rollout_ref.actor.optim.lr=0.000015', 'actor_rollout_ref.actor.optim.lr_scheduler_type=constant']) expect(v.stage2).toContain(x);
  });
});

describe('recipes/verl/tags_as_text.py', () => {
  it('marks the four protocol tags as text in a copy; the workbench tokenizer encodes and decodes it to the same ids and text', () => {
    const run = makeRun({ checkpoint: true });
    const src = path.join(run.dir, 'coldstart', 'sft');
    const dest = path.join(tmp, 'start');
    const out = execFileSync('python3', [path.join(RECIPE, 'tags_as_text.py'), src, dest], { encoding: 'utf8' });
    expect(out).toContain('(8 token entries marked as text)');
    const json = JSON.parse(fs.readFileSync(path.join(dest, 'tokenizer.json'), 'utf8')) as { added_tokens: { content: string; special: boolean }[] };
    expect(json.added_tokens.filter((t) => !t.special).map((t) => t.content)).toEqual(['<think>', '</think>', '<answer>', '</answer>']);
    const cfg = JSON.parse(fs.readFileSync(path.join(dest, 'tokenizer_config.json'), 'utf8')) as { additional_special_tokens: string[] };
    expect(cfg.additional_special_tokens).toEqual(['<|user|>', '<|assistant|>']);
    const a = loadTokenizer(src);
    const b = loadTokenizer(dest);
    const chat = { prompt: 'A 40-year-old with fever.\nA. x\nB. y', completion: '<think>Fever points to B.</think>\n<answer>B</answer>' };
    expect(renderChat(b, chat).ids).toEqual(renderChat(a, chat).ids);
    expect(b.decode(renderChat(b, chat).ids)).toBe(a.decode(renderChat(a, chat).ids));
    expect(fs.readFileSync(path.join(dest, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(src, 'model.safetensors')));
  });
});

/** Stand-ins on PATH: `python3 -m verl.…` records its arguments and writes a checkpoint; anything else runs the real python3. */
function standIns(bin: string, log: string, model: string): void {
  const real = execFileSync('bash', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim();
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'python3'),
    `#!/usr/bin/env bash
if [ "$1 $2" = "-m verl.trainer.main_ppo" ]; then
  shift 2; n=$(ls "${log}" | wc -l); printf '%s\\n' "$@" > "${log}/$n.main_ppo"
  for a in "$@"; do case $a in trainer.default_local_dir=*) d=\${a#*=};; trainer.total_training_steps=*) s=\${a#*=};; esac; done
  mkdir -p "$d/global_step_$s/actor"; exit 0
fi
if [ "$1 $2" = "-m verl.model_merger" ]; then
  for ((i = 1; i <= $#; i++)); do [ "\${!i}" = "--target_dir" ] && j=$((i + 1)) && t=\${!j}; done
  mkdir -p "$t" && cp "${model}"/model.safetensors "${model}"/config.json "$t"/; exit 0
fi
exec "${real}" "$@"
`,
  );
  // vLLM's command line, served by the workbench's own server
  fs.writeFileSync(path.join(bin, 'fake-vllm'), `#!/usr/bin/env bash\nexec node "${path.join(ROOT, 'bin', 'fleming.cjs')}" serve --checkpoint "$1" --model "$3" --port "$5"\n`);
  for (const f of ['python3', 'fake-vllm']) fs.chmodSync(path.join(bin, f), 0o755);
}

describe('recipes/verl/run_fleming_grpo.sh', () => {
  it('all: exports, prepares the start checkpoint, runs stage 1, then mines each round against the served latest checkpoint and trains on its set', async () => {
    const run = makeRun({ checkpoint: true, stage2: false });
    const bin = path.join(tmp, 'bin');
    const log = path.join(tmp, 'verl-calls');
    fs.mkdirSync(log, { recursive: true });
    standIns(bin, log, path.join(run.dir, 'coldstart', 'sft'));
    const work = path.join(run.dir, 'verl');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, RUN: run.dir, VLLM_SERVE: 'fake-vllm', PORT: '18437', FLEMING: `node ${path.join(ROOT, 'bin', 'fleming.cjs')}`, FLEMING_NO_PNG: '1' };
    const { stdout } = await promisify(execFile)('bash', [path.join(RECIPE, 'run_fleming_grpo.sh'), 'all', 'trainer.nnodes=1'], { cwd: ROOT, env, maxBuffer: 2 ** 24 });
    expect(stdout).toContain('stage1: merged');
    const calls = fs.readdirSync(log).sort().map((f) => fs.readFileSync(path.join(log, f), 'utf8').trim().split('\n'));
    expect(calls).toHaveLength(3); // stage 1, stage 2 rounds 1 and 2 (the smoke preset's stage2Rounds)
    const [s1, r1, r2] = calls;
    for (const c of calls) {
      expect(c).toEqual(expect.arrayContaining(['algorithm.adv_estimator=grpo', 'algorithm.norm_adv_by_std_in_grpo=False', 'actor_rollout_ref.actor.use_kl_loss=False', `custom_reward_function.path=${path.join(ROOT, 'python', 'fleming_reward.py')}`, `data.val_files=${work}/export/test.parquet`]));
      expect(c[c.length - 1]).toBe('trainer.nnodes=1'); // extra overrides last: they win
    }
    expect(s1).toEqual(expect.arrayContaining([`data.train_files=${work}/export/stage1/train.parquet`, `actor_rollout_ref.model.path=${work}/start`, 'actor_rollout_ref.rollout.n=4']));
    expect(r1).toEqual(expect.arrayContaining([`data.train_files=${work}/mine/stage2_round1.parquet`, `actor_rollout_ref.model.path=${work}/stage1/hf`, 'actor_rollout_ref.rollout.n=8']));
    expect(r2).toEqual(expect.arrayContaining([`data.train_files=${work}/mine/stage2_round2.parquet`, `actor_rollout_ref.model.path=${work}/stage2-round1/hf`]));
    const rounds = fs.readFileSync(path.join(work, 'mine', 'mining.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rounds.map((r: { round: number; endpoint: { model: string } }) => [r.round, r.endpoint.model])).toEqual([[1, 'policy'], [2, 'policy']]);
    for (const d of ['stage1/hf', 'stage2-round1/hf', 'stage2-round2/hf']) expect(fs.existsSync(path.join(work, d, 'tokenizer.json')), d).toBe(true);
    // the merged checkpoints keep the prepared tokenizer (tags as text)
    expect(fs.readFileSync(path.join(work, 'stage2-round2/hf/tokenizer.json'), 'utf8')).toBe(fs.readFileSync(path.join(work, 'start/tokenizer.json'), 'utf8'));
  }, 300_000); // a smoke run, a served checkpoint and two mining rounds: ≈ 40 s on an idle machine, minutes on a loaded one
});
