/**
 * The local file a spec reads: its `file` (under the spec's folder, or under the benchmarks
 * directory for `{benchmarks}/…`), or its `url` downloaded once into the cache
 * (.cache/benchmarks/<name>/<file name>, retried on transient failures, checked against `sha256`
 * when the spec gives one; a cached copy that fails the check is fetched again).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../core/io';
import { defaults as downloadDefaults, fetchWithRetry, sha256File } from '../../graph/download';
import { REPO_ROOT } from '../../graph/sources';
import { specFilePath, type BenchmarkSpec } from './spec';

export const DEFAULT_BENCHMARK_CACHE = path.join(REPO_ROOT, '.cache', 'benchmarks');

export interface SourceOptions {
  /** The benchmarks directory ({benchmarks} in `file`); null when none is set. */
  benchmarksDir: string | null;
  /** Where downloads are kept (default .cache/benchmarks). */
  cacheDir?: string;
  /** fetch to use (tests); default the global fetch. */
  fetchImpl?: typeof fetch;
  /** Download retries and backoff (tests: fewer, shorter). */
  retries?: number;
  backoffMs?: number;
}

/** What to set when the benchmarks directory is missing. */
export const BENCHMARKS_HINT = 'set FLEMING_BENCHMARKS=DIR or --set rods.benchmarksDir=DIR, e.g. ../shared/data/benchmarks';

/** The local path of the spec's data, downloading a URL first (see the module comment). */
export async function specSource(spec: BenchmarkSpec, opts: SourceOptions): Promise<string> {
  const where = spec.specFile || 'built in';
  if (spec.file !== undefined) {
    const file = specFilePath(spec, opts.benchmarksDir);
    if (!fs.existsSync(file)) throw new Error(`benchmark '${spec.name}' (${where}): file not found: ${file} (file: ${spec.file}${spec.file.startsWith('{benchmarks}') ? `; ${BENCHMARKS_HINT}` : ''})`);
    return file;
  }
  const url = spec.url as string;
  const dest = path.join(opts.cacheDir ?? DEFAULT_BENCHMARK_CACHE, spec.name, path.basename(new URL(url).pathname) || 'data');
  if (fs.existsSync(dest) && (!spec.sha256 || sha256File(dest) === spec.sha256)) return dest;
  const o = { ...downloadDefaults, ...(opts.retries !== undefined ? { retries: opts.retries } : {}), ...(opts.backoffMs !== undefined ? { backoffMs: opts.backoffMs } : {}) };
  let bytes: Uint8Array;
  try {
    bytes = await fetchWithRetry(url, opts.fetchImpl ?? fetch, o);
  } catch (e) {
    throw new Error(`benchmark '${spec.name}' (${where}): download failed: ${(e as Error).message}`);
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  writeFileAtomic(dest, bytes);
  const got = sha256File(dest);
  if (spec.sha256 && got !== spec.sha256) {
    fs.rmSync(dest);
    throw new Error(`benchmark '${spec.name}' (${where}): ${url} has sha256 ${got}, the spec expects ${spec.sha256}`);
  }
  return dest;
}
