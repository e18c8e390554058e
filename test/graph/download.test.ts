import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST, ManifestEntry, downloadSources, sha256File, verifySources } from '../../src/graph/download';
import { tempDir } from '../helpers/tmp';

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const FILES: Record<string, string> = {
  'a/one.tsv': 'id\tname\n1\tone\n',
  'a/two words.tsv': 'id\tname\n2\ttwo\n',
  'b/flaky.csv': 'x,y\n1,2\n',
  'b/wrong.csv': 'served content\n',
};
const entries = (names: string[]): ManifestEntry[] =>
  names.map((p) => ({
    path: p,
    url: `https://example.invalid/${p}`,
    repo: 'test/test',
    ref: 'HEAD',
    pinned: false,
    bytes: Buffer.byteLength(FILES[p]),
    sha256: p === 'b/wrong.csv' ? sha('what the manifest expects\n') : sha(FILES[p]),
  }));

let server: http.Server;
let base = '';
const hits = new Map<string, number>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? '/').slice(1));
    hits.set(p, (hits.get(p) ?? 0) + 1);
    if (p === 'b/flaky.csv' && hits.get(p)! <= 1) {
      res.writeHead(500).end('try again');
      return;
    }
    if (!(p in FILES)) {
      res.writeHead(404).end('no');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(FILES[p]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const tmp = () => tempDir('kg-dl-');

describe('downloadSources', () => {
  it('downloadSources fetches, verifies and writes every file, retrying a 500, then resumes without refetching', async () => {
    hits.clear();
    const dest = tmp();
    const manifest = entries(['a/one.tsv', 'a/two words.tsv', 'b/flaky.csv']);
    const progress: string[] = [];
    const r = await downloadSources(dest, { manifest, baseUrlOverride: base, backoffMs: 5, onProgress: (f, d, t) => progress.push(`${f} ${d}/${t}`) });
    expect(r.downloaded).toEqual(['a/one.tsv', 'a/two words.tsv', 'b/flaky.csv']);
    expect(hits.get('b/flaky.csv')).toBe(2); // 500, then success
    expect(fs.readFileSync(path.join(dest, 'a', 'two words.tsv'), 'utf8')).toBe(FILES['a/two words.tsv']);
    expect(progress).toEqual(['a/one.tsv 1/3', 'a/two words.tsv 2/3', 'b/flaky.csv 3/3']);
    expect(fs.readdirSync(path.join(dest, 'a')).sort()).toEqual(['one.tsv', 'two words.tsv']); // no temp files left

    // resume: one file damaged, one deleted → only those two are fetched again
    fs.writeFileSync(path.join(dest, 'a', 'one.tsv'), 'damaged');
    fs.rmSync(path.join(dest, 'b', 'flaky.csv'));
    hits.clear();
    const again = await downloadSources(dest, { manifest, baseUrlOverride: base, backoffMs: 5 });
    expect(again.present).toEqual(['a/two words.tsv']);
    expect(again.downloaded).toEqual(['a/one.tsv', 'b/flaky.csv']);
    expect(hits.get('a/two words.tsv')).toBeUndefined();
    expect(verifySources(dest, manifest)).toEqual({ ok: manifest.map((m) => m.path), missing: [], bad: [] });
  });

  it('downloadSources reports a checksum mismatch naming the file, expected and received sha256, and writes nothing for it', async () => {
    const dest = tmp();
    const manifest = entries(['a/one.tsv', 'b/wrong.csv']);
    const err = await downloadSources(dest, { manifest, baseUrlOverride: base, backoffMs: 5 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain('b/wrong.csv: checksum mismatch');
    expect(msg).toContain(`expected sha256 ${manifest[1].sha256}`);
    expect(msg).toContain(`got ${sha(FILES['b/wrong.csv'])}`);
    expect(fs.existsSync(path.join(dest, 'b', 'wrong.csv'))).toBe(false);
    expect(fs.existsSync(path.join(dest, 'a', 'one.tsv'))).toBe(true); // the good file is kept
  });

  it('downloadSources gives up on a 404 without retrying and after `retries` attempts on persistent 500s', async () => {
    hits.clear();
    const missing: ManifestEntry = { ...entries(['a/one.tsv'])[0], path: 'a/none.tsv' };
    await expect(downloadSources(tmp(), { manifest: [missing], baseUrlOverride: base, backoffMs: 5 })).rejects.toThrow(/a\/none\.tsv: .*HTTP 404.*after 1 attempt/);
    expect(hits.get('a/none.tsv')).toBe(1);
    let calls = 0;
    const failing = (async () => {
      calls += 1;
      return new Response('down', { status: 503 });
    }) as typeof fetch;
    await expect(downloadSources(tmp(), { manifest: entries(['a/one.tsv']), fetchImpl: failing, retries: 3, backoffMs: 1 })).rejects.toThrow(/HTTP 503 \(after 3 attempts\)/);
    expect(calls).toBe(3);
  });
});

describe('verifySources', () => {
  it('verifySources lists missing and bad files', () => {
    const dir = tmp();
    const manifest = entries(['a/one.tsv', 'a/two words.tsv', 'b/flaky.csv']);
    fs.mkdirSync(path.join(dir, 'a'));
    fs.writeFileSync(path.join(dir, 'a', 'one.tsv'), FILES['a/one.tsv']);
    fs.writeFileSync(path.join(dir, 'a', 'two words.tsv'), 'tampered');
    const v = verifySources(dir, manifest);
    expect(v.ok).toEqual(['a/one.tsv']);
    expect(v.missing).toEqual(['b/flaky.csv']);
    expect(v.bad).toEqual([{ path: 'a/two words.tsv', expected: sha(FILES['a/two words.tsv']), got: sha('tampered') }]);
  });

  it('MANIFEST covers every mirrored file with a raw.githubusercontent.com origin and a well-formed sha256', () => {
    expect(MANIFEST.length).toBe(34);
    for (const e of MANIFEST) {
      expect(e.url).toMatch(/^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[^/]+\/.+/);
      expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(e.bytes).toBeGreaterThan(0);
    }
    expect(new Set(MANIFEST.map((e) => e.path)).size).toBe(MANIFEST.length);
    expect(MANIFEST.filter((e) => e.path.startsWith('sider4/')).length).toBe(6);
  });

  const MIRROR = path.resolve(__dirname, '../../../shared/data/kg-sources');
  it.runIf(fs.existsSync(MIRROR))(`verifySources(mirror) finds every manifest file intact${fs.existsSync(MIRROR) ? '' : ' (skipped: mirror absent)'}`, () => {
    const v = verifySources(MIRROR);
    expect(v.missing).toEqual([]);
    expect(v.bad).toEqual([]);
    expect(sha256File(path.join(MIRROR, 'pharmacotherapydb', 'indications.tsv'))).toBe(MANIFEST.find((e) => e.path === 'pharmacotherapydb/indications.tsv')!.sha256);
  });
});
