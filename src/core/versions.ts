/**
 * Installed versions of the packages the workbench names, read from their package.json files
 * (some packages, such as danfojs, do not export ./package.json to require()).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export function packageVersion(name: string): string | null {
  const file = path.join(ROOT, 'node_modules', ...name.split('/'), 'package.json');
  if (!fs.existsSync(file)) return null;
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
}

/** Node and every named package (null when not installed). */
export function versions(names: readonly string[]): Record<string, string | null> {
  return { node: process.version, ...Object.fromEntries(names.map((n) => [n, packageVersion(n)])) };
}
