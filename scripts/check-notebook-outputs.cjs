#!/usr/bin/env node
// Checks the notebooks that scripts/run-notebooks.sh executed (runs/notebooks/*.ipynb): no output
// may be an error or a stderr stream, and each notebook stays small (figures are plotly data plus a
// PNG, never the plotly library). Exits 1 with the offending cells listed.
const fs = require('node:fs');
const path = require('node:path');

const MAX_NOTEBOOK = Number(process.env.FLEMING_MAX_NOTEBOOK_BYTES ?? 3 * 1024 * 1024); // a saved, executed notebook
const MAX_OUTPUT = Number(process.env.FLEMING_MAX_OUTPUT_BYTES ?? 512 * 1024); // one output of one cell

const dir = path.resolve(process.argv[2] ?? 'runs/notebooks');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort() : [];
if (!files.length) {
  console.error(`check-notebook-outputs: no executed notebooks in ${dir} (run scripts/run-notebooks.sh first)`);
  process.exit(1);
}
const problems = [];
for (const f of files) {
  const file = path.join(dir, f);
  const size = fs.statSync(file).size;
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  let outputs = 0;
  nb.cells.forEach((cell, i) => {
    for (const out of cell.outputs ?? []) {
      outputs++;
      const where = `${f} cell ${i + 1}`;
      if (out.output_type === 'error') problems.push(`${where}: error ${out.ename}: ${String(out.evalue).slice(0, 200)}`);
      if (out.output_type === 'stream' && out.name === 'stderr') problems.push(`${where}: stderr: ${[].concat(out.text).join('').slice(0, 300)}`);
      const bytes = Buffer.byteLength(JSON.stringify(out));
      if (bytes > MAX_OUTPUT) problems.push(`${where}: one output of ${bytes} bytes (limit ${MAX_OUTPUT})`);
    }
  });
  if (size > MAX_NOTEBOOK) problems.push(`${f}: ${size} bytes (limit ${MAX_NOTEBOOK})`);
  console.log(`notebook ${f}: ${(size / 1024).toFixed(0)} KiB, ${outputs} outputs`);
}
if (problems.length) {
  console.error(`check-notebook-outputs: ${problems.length} problem(s):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`check-notebook-outputs: ${files.length} notebooks, no errors, no stderr, each ≤ ${(MAX_NOTEBOOK / 1048576).toFixed(0)} MiB`);
