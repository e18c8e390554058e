/**
 * Where the open knowledge-graph sources live: --sources DIR, else $FLEMING_SOURCES, else the
 * download cache (.cache/kg-sources, filled by `fleming download`). Without any of them the error
 * says exactly what to do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_CACHE = path.join(REPO_ROOT, '.cache', 'kg-sources');

export function resolveSourcesDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const tried: string[] = [];
  for (const [dir, how] of [
    [explicit, '--sources'],
    [env.FLEMING_SOURCES, 'FLEMING_SOURCES'],
    [DEFAULT_CACHE, 'the download cache'],
  ] as const) {
    if (!dir) continue;
    const abs = path.resolve(dir);
    if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) return abs;
    tried.push(`${how}: ${abs} (not found)`);
    if (how !== 'the download cache') break; // an explicit choice that is missing is an error, not a fallback
  }
  throw new Error(
    [
      'the open knowledge-graph sources were not found.',
      ...tried.map((t) => `  tried ${t}`),
      'Do one of:',
      '  - on a machine with internet: `npx fleming download` (fetches the files from their public origins, checksummed, into .cache/kg-sources)',
      '  - point at a local copy: `--sources DIR` or FLEMING_SOURCES=DIR (e.g. ../shared/data/kg-sources)',
      '  - or use the embedded seed graph: `--kg seed`',
    ].join('\n'),
  );
}
