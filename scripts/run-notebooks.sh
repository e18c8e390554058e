#!/usr/bin/env bash
# Executes every notebook headless with nbconvert (Debian's Jupyter), on the preset given by
# FLEMING_PRESET (default smoke); or only the notebooks named as arguments
# (scripts/run-notebooks.sh notebooks/03b-base.ipynb). Executed copies go to runs/notebooks/; the
# committed notebooks are not modified. Any failing cell fails the script.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export FLEMING_PRESET="${FLEMING_PRESET:-smoke}"
export JUPYTER_PATH="$root/.jupyter-kernels/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
[ -f "$root/.jupyter-kernels/share/jupyter/kernels/fleming-tslab/kernel.json" ] || bash scripts/register-kernel.sh
out="$root/runs/notebooks"
mkdir -p "$out"
status=0
[ $# -gt 0 ] && notebooks=("$@") || notebooks=(notebooks/*.ipynb)
for nb in "${notebooks[@]}"; do
  [ -f "$nb" ] || { echo "run-notebooks: no notebook $nb" >&2; exit 2; }
  name="$(basename "$nb")"
  start=$(date +%s)
  if /usr/bin/python3 -m jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 \
       --output-dir "$out" "$nb" >"$out/${name%.ipynb}.log" 2>&1; then
    echo "notebook $name: ok ($(( $(date +%s) - start )) s)"
  else
    echo "notebook $name: FAILED ($(( $(date +%s) - start )) s)"; tail -40 "$out/${name%.ipynb}.log"; status=1
  fi
done
exit $status
