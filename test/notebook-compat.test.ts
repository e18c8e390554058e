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

  it('src/ has no cycle of value imports (tslab\'s loader overflows its stack on one: backend → ort → reads → backend did)', () => {
    const root = path.resolve(__dirname, '..', 'src');
    const resolve = (from: string, spec: string): string | null => {
      const base = path.resolve(path.dirname(from), spec);
      for (const f of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(f)) return f;
      return null;
    };
    const edges = new Map<string, string[]>();
    for (const f of sources(root)) {
      const text = fs.readFileSync(f, 'utf8');
      const deps: string[] = [];
      // top-level `import … from` / `export … from` that bring values (not `import type`, not braces of types only)
      for (const m of text.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s+from\s+'(\.{1,2}\/[^']+)';/gms)) {
        if (m[2]) continue;
        const names = /\{([^}]*)\}/.exec(m[3]);
        const onlyTypes = names && !/^\s*\*/.test(m[3]) && m[3].trim().startsWith('{') && names[1].split(',').map((x) => x.trim()).filter(Boolean).every((x) => x.startsWith('type '));
        if (onlyTypes) continue;
        const target = resolve(f, m[4]);
        if (target) deps.push(target);
      }
      edges.set(f, deps);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of edges.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => path.relative(root, x)).join(' → '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of edges.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
