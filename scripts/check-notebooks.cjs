#!/usr/bin/env node
// Fails when a committed notebook carries outputs or execution counts (outputs stay out of diffs),
// or is not a valid nbformat-4 notebook using the project's kernel.
const fs = require('node:fs');
const path = require('node:path');
const dir = path.resolve(__dirname, '..', 'notebooks');
let bad = 0;
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort()) {
  const file = path.join(dir, f);
  let nb;
  try {
    nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`${file}: not valid JSON (${e.message})`);
    bad++;
    continue;
  }
  if (nb.nbformat !== 4) { console.error(`${file}: nbformat ${nb.nbformat}, expected 4`); bad++; }
  if (nb.metadata?.kernelspec?.name !== 'fleming-tslab') { console.error(`${file}: kernelspec must be fleming-tslab`); bad++; }
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== 'code') return;
    if ((c.outputs ?? []).length) { console.error(`${file}: cell ${i + 1} has outputs; clear them before committing`); bad++; }
    if (c.execution_count != null) { console.error(`${file}: cell ${i + 1} has an execution count; clear it before committing`); bad++; }
  });
}
if (bad) process.exit(1);
console.log('notebooks: committed without outputs');
