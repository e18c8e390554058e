/**
 * The chat client's on-disk response cache: one JSON file per request under
 * `<cacheDir>/<key[0:2]>/<key>.json`, keyed by sha256 of the fields that determine an answer,
 * written atomically.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './io';
import type { ChatMessage, Usage } from './llm';

/** One cached answer, with the request fields it answers. */
export interface CacheEntry {
  key: string;
  model: string;
  sampleIndex: number;
  temperature: number;
  maxTokens: number;
  messages: ChatMessage[];
  texts: string[];
  usage: Usage;
}

/** The cache key: sha256 over the fields that determine an answer (n and seed only when given). */
export function cacheKey(baseUrl: string, model: string, messages: readonly ChatMessage[], temperature: number, maxTokens: number, sampleIndex: number, n?: number, seed?: number): string {
  const parts: unknown[] = [baseUrl.replace(/\/+$/, ''), model, messages.map((m) => [m.role, m.content]), temperature, maxTokens, sampleIndex];
  if (n !== undefined) parts.push(['n', n]);
  if (seed !== undefined) parts.push(['seed', seed]);
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The file of a key in the cache directory. */
function cacheFile(cacheDir: string, key: string): string {
  return path.join(cacheDir, key.slice(0, 2), `${key}.json`);
}

/** The cached entry of `key`; null when caching is off ('' dir), absent, or damaged (texts that are not all strings included). */
export function readCacheEntry(cacheDir: string, key: string): CacheEntry | null {
  if (!cacheDir) return null;
  const f = cacheFile(cacheDir, key);
  if (!fs.existsSync(f)) return null;
  try {
    const e = JSON.parse(fs.readFileSync(f, 'utf8')) as CacheEntry;
    const usage = e.usage as unknown as Record<string, unknown> | null;
    const counts = usage !== null && typeof usage === 'object' && ['prompt_tokens', 'completion_tokens', 'total_tokens'].every((k) => typeof usage[k] === 'number');
    return e.key === key && Array.isArray(e.texts) && e.texts.every((t) => typeof t === 'string') && counts ? e : null;
  } catch {
    return null; // a damaged entry is refetched and overwritten
  }
}

/** Stores an entry (no-op when caching is off). */
export function writeCacheEntry(cacheDir: string, e: CacheEntry): void {
  if (!cacheDir) return;
  writeFileAtomic(cacheFile(cacheDir, e.key), JSON.stringify(e) + '\n');
}
