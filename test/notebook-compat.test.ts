import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Notebooks run the sources through tslab, whose module loader resolves files but not
 * directories: `import … from './open'` works under tsx and vitest and fails in a notebook.
 * Every relative import of a folder must name its index file.
 */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('notebook compatibility', () => {
  it('src/ and notebooks import folders through their index file', () => {
    const root = path.resolve(__dirname, '..');
    const bad: string[] = [];
    const check = (file: string, text: string, baseDir: string) => {
      for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = path.resolve(baseDir, m[1]);
        if (fs.existsSync(target) && fs.statSync(target).isDirectory() && !fs.existsSync(target + '.ts')) bad.push(`${path.relative(root, file)}: '${m[1]}'`);
      }
    };
    for (const f of sources(path.join(root, 'src'))) check(f, fs.readFileSync(f, 'utf8'), path.dirname(f));
    for (const nb of fs.readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb'))) {
      const cells = JSON.parse(fs.readFileSync(path.join(root, 'notebooks', nb), 'utf8')).cells as { cell_type: string; source: string | string[] }[];
      const code = cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
      check(path.join(root, 'notebooks', nb), code, root); // the kernel runs from the project root
    }
    expect(bad).toEqual([]);
  });
});
