#!/usr/bin/env bash
# Registers the tslab kernel for this project ("TypeScript (Fleming workbench)").
# The kernel starts tslab with the project root as working directory (scripts/tslab-kernel.cjs),
# so notebooks import './src/...'. Usage:
#   scripts/register-kernel.sh [--python PY] [--prefix DIR]
# Default: Debian's /usr/bin/python3 and the project-local prefix .jupyter-kernels
# (then export JUPYTER_PATH=$PWD/.jupyter-kernels/share/jupyter). With --prefix "$(python -c 'import sys;print(sys.prefix)')"
# the kernel lands in a pip/venv JupyterLab's own prefix and needs no JUPYTER_PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python=/usr/bin/python3
prefix="$root/.jupyter-kernels"
while [ $# -gt 0 ]; do
  case "$1" in
    --python) python="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    *) echo "register-kernel: unknown option $1" >&2; exit 2 ;;
  esac
done
# tslab's own installer registers the stock kernels (tslab / jslab) ...
npx --no-install tslab install --python="$python" --binary="$root/node_modules/.bin/tslab" --prefix="$prefix" >/dev/null
# ... and ours, which starts tslab from the project root.
dir="$prefix/share/jupyter/kernels/fleming-tslab"
mkdir -p "$dir"
cat > "$dir/kernel.json" <<JSON
{"argv": ["$(command -v node)", "$root/scripts/tslab-kernel.cjs", "{connection_file}"],
 "display_name": "TypeScript (Fleming workbench)", "language": "typescript"}
JSON
echo "registered kernel fleming-tslab in $prefix/share/jupyter/kernels"
