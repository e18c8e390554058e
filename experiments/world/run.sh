#!/bin/bash
# World-size experiment: experiments/world/run.sh NAME N [--set k=v ...]
# graph (focused on N anchor diseases; 0 = whole seed graph) → rods → pretrain → measure, default preset.
set -e
cd "$(dirname "$0")/../.."
name=$1; n=$2; shift 2
R=runs/$name
for st in graph rods pretrain; do
  nice -n 5 node bin/fleming.cjs $st --preset default --run $R --set graph.focus.diseases=$n "$@"
done
nice -n 5 node -r tsx/cjs experiments/world/measure.ts $R
