#!/usr/bin/env bash
# Fleming-R1's two GRPO stages on verl (Ray), driven by a workbench run. See recipes/verl/README.md.
#
#   RUN=runs/<id> bash recipes/verl/run_fleming_grpo.sh <command> [extra verl overrides ...]
#
# commands:
#   export        fleming export --format verl: stage-1 and test Parquet + the run's settings as verl overrides
#   prepare       the start checkpoint ($MODEL) copied with the protocol tags as text ($WORK/start)
#   stage1        GRPO stage 1 (Easy + Moderate items) from $WORK/start, merged to $WORK/stage1/hf
#   stage1-stop   whether the workbench's stage-1 stop rule fired on stage 1's rollouts (exit 0) or not (3)
#   mine R        serve the latest checkpoint with vLLM, `fleming rlvr mine` → round R's hard set
#   stage2 R      GRPO on round R's mined set from the latest checkpoint, merged to $WORK/stage2-round<R>/hf
#   all           export, prepare, stage1, then each round of stage 2: mine R, stage2 R
#
# environment: RUN (required), MODEL (default $RUN/coldstart/sft), WORK (default $RUN/verl),
#   NGPUS (8), NNODES (1), TP (tensor parallel of vLLM, 1), PORT (8000), ROLLOUT (vllm),
#   VLLM_SERVE (default "vllm serve"), FLEMING (default "node bin/fleming.cjs"),
#   MINE_ARGS (extra `fleming rlvr mine` options, e.g. "--set rlvr.maxNewTokens=2048")
# Extra arguments are appended to every verl command (Hydra: the last value wins).
set -euo pipefail

usage() { sed -n '2,22p' "$0"; exit 2; }
case "${1:-}" in export | prepare | stage1 | stage1-stop | mine | stage2 | all) ;; *) usage ;; esac
: "${RUN:?set RUN to the workbench run directory}"
MODEL=${MODEL:-$RUN/coldstart/sft}
WORK=${WORK:-$RUN/verl}
NGPUS=${NGPUS:-8}
NNODES=${NNODES:-1}
TP=${TP:-1}
PORT=${PORT:-8000}
ROLLOUT=${ROLLOUT:-vllm}
VLLM_SERVE=${VLLM_SERVE:-vllm serve}
FLEMING=${FLEMING:-node bin/fleming.cjs}
MINE_ARGS=${MINE_ARGS:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REWARD=$(cd "$HERE/../../python" && pwd)/fleming_reward.py
EXPORT=$WORK/export
MANIFEST=$EXPORT/manifest.json

# One list of the export manifest's verl overrides (common, stage1, stage2), one per line.
overrides() { node -e 'const m = require(process.argv[1]); for (const x of m.verl[process.argv[2]]) console.log(x);' "$(realpath "$MANIFEST")" "$1"; }
manifest_value() { node -e 'const m = require(process.argv[1]); console.log(process.argv[2].split(".").reduce((o, k) => o[k], m));' "$(realpath "$MANIFEST")" "$1"; }

# The checkpoint the next step starts from: the last stage-2 round's, else stage 1's.
latest() {
  local last
  last=$(ls -d "$WORK"/stage2-round*/hf 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$last" ]; then echo "$last"; elif [ -d "$WORK/stage1/hf" ]; then echo "$WORK/stage1/hf"; else echo "$WORK/start"; fi
}

# grpo NAME MODEL_DIR TRAIN_FILE STAGE [extra...]: one verl run, then its last checkpoint merged to $WORK/NAME/hf.
grpo() {
  local name=$1 model=$2 train=$3 stage=$4; shift 4
  local out=$WORK/$name steps
  mapfile -t common < <(overrides common)
  mapfile -t batch < <(overrides "$stage")
  steps=$(printf '%s\n' "${batch[@]}" | sed -n 's/^trainer.total_training_steps=//p')
  python3 -m verl.trainer.main_ppo \
    "${common[@]}" "${batch[@]}" \
    data.train_files="$train" data.val_files="$EXPORT/test.parquet" \
    data.max_prompt_length=1024 data.filter_overlong_prompts=True data.truncation=error \
    custom_reward_function.path="$REWARD" \
    actor_rollout_ref.model.path="$model" \
    actor_rollout_ref.rollout.name="$ROLLOUT" actor_rollout_ref.rollout.tensor_model_parallel_size="$TP" \
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4 \
    actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=8 actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=8 \
    trainer.rollout_data_dir="$out/rollouts" trainer.default_local_dir="$out/checkpoints" \
    trainer.save_freq="$steps" trainer.test_freq="$steps" trainer.val_before_train=True \
    trainer.project_name=fleming-r1 trainer.experiment_name="$name" trainer.logger='["console"]' \
    trainer.n_gpus_per_node="$NGPUS" trainer.nnodes="$NNODES" "$@"
  local ckpt
  ckpt=$(ls -d "$out"/checkpoints/global_step_* | sort -V | tail -n 1)
  python3 -m verl.model_merger merge --backend fsdp --local_dir "$ckpt/actor" --target_dir "$out/hf"
  for f in tokenizer.json tokenizer_config.json; do [ -f "$out/hf/$f" ] || cp "$model/$f" "$out/hf/"; done
  echo "$name: merged $ckpt → $out/hf"
}

# mine R: one stage-2 mining round against the latest checkpoint served by vLLM.
mine() {
  local round=$1 model pid
  model=$(latest)
  $VLLM_SERVE "$model" --served-model-name policy --port "$PORT" --tensor-parallel-size "$TP" > "$WORK/vllm-round$round.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 180); do curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null && break; sleep 5; done
  # shellcheck disable=SC2086 # MINE_ARGS and FLEMING are word lists
  $FLEMING rlvr mine --run "$RUN" --endpoint "http://127.0.0.1:$PORT/v1" --model policy --out "$WORK/mine" $MINE_ARGS
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
  [ -f "$WORK/mine/stage2_round$round.parquet" ] || { echo "mine: round $round not written (rounds are numbered by $WORK/mine/mining.jsonl)" >&2; exit 1; }
}

cmd=${1:-}; shift || true
case "$cmd" in
  export) $FLEMING export --format verl --run "$RUN" --out "$EXPORT" ;;
  prepare) python3 "$HERE/tags_as_text.py" "$MODEL" "$WORK/start" ;;
  stage1) grpo stage1 "$WORK/start" "$EXPORT/stage1/train.parquet" stage1 "$@" ;;
  stage1-stop) python3 "$HERE/stage1_stop.py" --rollouts "$WORK/stage1/rollouts" --manifest "$MANIFEST" ;;
  mine) mine "${1:?mine needs the round number}" ;;
  stage2)
    round=${1:?stage2 needs the round number}; shift
    grpo "stage2-round$round" "$(latest)" "$WORK/mine/stage2_round$round.parquet" stage2 "$@" ;;
  all)
    "$0" export && "$0" prepare && "$0" stage1 "$@"
    "$0" stage1-stop || echo "stage 1 ran its step limit without the stop rule firing; going on to stage 2"
    for round in $(seq 1 "$(manifest_value verl.stage2Rounds)"); do "$0" mine "$round" && "$0" stage2 "$round" "$@"; done ;;
  *) usage ;;
esac
