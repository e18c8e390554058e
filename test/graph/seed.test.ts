import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, readJsonlSync } from '../../src/core/io';
import { loadSeedGraph, seedDir, SeedResult } from '../../src/graph/seed';
import { isRefUrl } from '../../src/graph/seedParse';
import { tempDir } from '../helpers/tmp';

interface DiseaseLine {
  name: string;
  specialty?: string;
  clinical_diagnosis?: boolean;
}

describe('loadSeedGraph on the real seed (data/seed)', () => {
  let r: SeedResult;
  beforeAll(() => {
    r = loadSeedGraph();
  });

  it('seedDir() resolves to the repository data/seed folder', () => {
    expect(seedDir()).toBe(path.resolve(__dirname, '../../data/seed'));
    expect(fs.existsSync(path.join(seedDir(), 'diseases.jsonl'))).toBe(true);
  });

  it('loadSeedGraph() loads in strict mode with nothing skipped', () => {
    expect(r.skips.strict).toBe(true);
    expect(r.skips.total()).toBe(0);
    expect(Object.keys(r.skips.readCounts()).length).toBe(4);
  });

  it('loadSeedGraph() meets the size targets', () => {
    const rel = r.counts.edgesByRelation;
    expect(r.counts.diseases).toBeGreaterThanOrEqual(150);
    expect(rel.contraindicated_in).toBeGreaterThanOrEqual(150);
    expect(rel.has_finding).toBeGreaterThanOrEqual(300);
    expect(rel.diagnosed_by).toBeGreaterThanOrEqual(200);
    expect(rel.diagnosed_by + rel.measured_by).toBeGreaterThanOrEqual(200);
    for (const relation of ['has_symptom', 'measured_by', 'treated_by', 'in_class', 'has_mechanism', 'located_in', 'caused_by', 'subclass_of'])
      expect(rel[relation], relation).toBeGreaterThan(0);
  });

  it('loadSeedGraph() covers every specialty of the brief', () => {
    const lines = readJsonlSync<DiseaseLine>(path.join(seedDir(), 'diseases.jsonl')).map((l) => l.value);
    const specialties = new Set(lines.map((l) => l.specialty));
    for (const s of ['cardiology', 'pulmonology', 'gastroenterology', 'hepatology', 'nephrology', 'endocrinology', 'hematology', 'oncology',
      'infectious disease', 'neurology', 'psychiatry', 'rheumatology', 'dermatology', 'obstetrics and gynecology', 'pediatrics', 'emergency medicine', 'toxicology'])
      expect(specialties.has(s), s).toBe(true);
  });

  it('loadSeedGraph() gives each disease >=3 symptoms, a measured finding and a test (unless diagnosed clinically)', () => {
    const g = r.graph;
    const lines = readJsonlSync<DiseaseLine>(path.join(seedDir(), 'diseases.jsonl')).map((l) => l.value);
    const clinical = lines.filter((l) => l.clinical_diagnosis).map((l) => l.name);
    expect(clinical.length).toBeLessThanOrEqual(10);
    for (const l of lines) {
      const id = g.ofType('disease').find((n) => n.name === l.name)!.id;
      expect(g.targets(id, 'has_symptom').length, l.name).toBeGreaterThanOrEqual(3);
      if (l.clinical_diagnosis) continue;
      const findings = g.targets(id, 'has_finding');
      expect(findings.length, l.name).toBeGreaterThanOrEqual(1);
      for (const f of findings) expect(g.targets(f, 'measured_by').length, `${l.name}: ${f}`).toBeGreaterThanOrEqual(1);
      expect(g.targets(id, 'diagnosed_by').length, l.name).toBeGreaterThanOrEqual(1);
    }
  });

  it('loadSeedGraph() gives every edge >=1 https reference and the seed source', () => {
    for (const e of r.graph.edges) {
      expect(e.sources).toEqual(['seed']);
      expect(e.refs && e.refs.length, `${e.source} ${e.relation} ${e.target}`).toBeGreaterThan(0);
      for (const ref of e.refs!) {
        expect(isRefUrl(ref)).toBe(true);
        expect(ref.startsWith('https://')).toBe(true);
      }
    }
  });

  it('loadSeedGraph() leaves no orphan nodes', () => {
    const orphans = r.graph.nodes.filter((n) => r.graph.degree(n.id) === 0).map((n) => n.id);
    expect(orphans).toEqual([]);
  });

  it('loadSeedGraph() gives every drug used in treated_by a class and a mechanism', () => {
    const g = r.graph;
    const treated = new Set(g.edges.filter((e) => e.relation === 'treated_by').map((e) => e.target));
    expect(treated.size).toBeGreaterThan(100);
    for (const d of treated) {
      expect(g.targets(d, 'in_class').length, d).toBeGreaterThan(0);
      expect(g.targets(d, 'has_mechanism').length, d).toBeGreaterThan(0);
    }
  });

  it('loadSeedGraph() keeps every finding measured and every test typed', () => {
    const g = r.graph;
    for (const f of g.ofType('finding')) expect(g.targets(f.id, 'measured_by').length, f.name).toBeGreaterThan(0);
    for (const e of g.edges.filter((x) => x.relation === 'diagnosed_by' || x.relation === 'measured_by'))
      expect(['lab_test', 'imaging']).toContain(g.node(e.target).type);
  });

  it('loadSeedGraph() makes diseases discriminable: no two share the same symptoms and findings', () => {
    const g = r.graph;
    const seen = new Map<string, string>();
    for (const d of g.ofType('disease')) {
      const sig = [...g.targets(d.id, 'has_symptom'), ...g.targets(d.id, 'has_finding')].sort().join('|');
      if (!sig) continue; // conditions (pregnancy, angioedema) carry no facts
      expect(seen.get(sig), `${d.name} vs ${seen.get(sig)}`).toBeUndefined();
      seen.set(sig, d.name);
    }
  });

  it('loadSeedGraph() links well-known contraindications', () => {
    const g = r.graph;
    const has = (drug: string, disease: string): boolean => g.targets(`drug:${drug}`, 'contraindicated_in').includes(`disease:${disease}`);
    expect(has('lisinopril', 'pregnancy')).toBe(true);
    expect(has('lisinopril', 'angioedema')).toBe(true);
    expect(has('metformin', 'chronic-kidney-disease')).toBe(true);
    expect(has('propranolol', 'asthma')).toBe(true);
    expect(has('ibuprofen', 'peptic-ulcer-disease')).toBe(true);
    expect(has('warfarin', 'pregnancy')).toBe(true);
    expect(has('sumatriptan', 'coronary-artery-disease')).toBe(true);
  });
});

describe('loadSeedGraph on broken fixtures', () => {
  let tmp: string;
  const W = 'https://en.wikipedia.org/wiki/';
  const entities = [
    { type: 'lab_test', name: 'serum lipase' },
    { type: 'imaging', name: 'CT of the abdomen' },
  ];
  const disease = {
    name: 'acute pancreatitis',
    has_symptom: ['epigastric pain', 'nausea', 'vomiting'],
    has_finding: [{ name: 'elevated serum lipase', measured_by: 'serum lipase' }],
    diagnosed_by: ['serum lipase', 'CT of the abdomen'],
    treated_by: ['morphine'],
    refs: [W + 'Acute_pancreatitis'],
  };
  const drug = { name: 'morphine', class: ['opioid'], mechanism: ['mu-opioid receptor agonism'], refs: [W + 'Morphine'] };

  const write = (name: string, files: Record<string, unknown[]>): string => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, rows] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
    return dir;
  };
  const base = (over: { diseases?: unknown[]; drugs?: unknown[]; entities?: unknown[] } = {}): Record<string, unknown[]> => ({
    'entities.jsonl': over.entities ?? entities,
    'diseases.jsonl': over.diseases ?? [disease],
    'drugs.jsonl': over.drugs ?? [drug],
  });
  const expectInputError = (dir: string, file: string, line: number, reason: RegExp): void => {
    let err: unknown;
    try {
      loadSeedGraph(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const ie = err as InputError;
    expect(path.basename(ie.file)).toBe(file);
    expect(ie.line).toBe(line);
    expect(ie.reason).toMatch(reason);
  };

  beforeAll(() => {
    tmp = tempDir('seed-test-');
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('loadSeedGraph(fixture) compiles a well-formed fixture', () => {
    const { graph, counts, skips } = loadSeedGraph(write('ok', base()));
    expect(skips.total()).toBe(0);
    expect(counts.diseases).toBe(1);
    expect(counts.edgesByRelation).toEqual({ diagnosed_by: 2, has_finding: 1, has_mechanism: 1, has_symptom: 3, in_class: 1, measured_by: 1, treated_by: 1 });
    expect(graph.node('imaging:ct-of-the-abdomen').type).toBe('imaging');
    expect(graph.edges.every((e) => e.refs?.length === 1)).toBe(true);
  });

  it('loadSeedGraph(fixture) rejects an unknown field, naming file and line', () => {
    expectInputError(write('field', base({ diseases: [disease, { ...disease, name: 'x', symptom: ['a'] }] })), 'diseases.jsonl', 2, /unknown field "symptom"/);
  });

  it('loadSeedGraph(fixture) rejects a missing name', () => {
    expectInputError(write('name', base({ drugs: [{ ...drug, name: undefined }] })), 'drugs.jsonl', 1, /missing or empty "name"/);
  });

  it('loadSeedGraph(fixture) rejects a fact without any reference', () => {
    const { refs: _refs, ...noRefs } = disease;
    expectInputError(write('noref', base({ diseases: [noRefs] })), 'diseases.jsonl', 1, /no reference/);
  });

  it('loadSeedGraph(fixture) accepts a fact that carries its own reference', () => {
    const { refs: _refs, ...noRefs } = drug;
    const ownRefs = { ...noRefs, class: [{ name: 'opioid', refs: [W + 'Opioid'] }], mechanism: [{ name: 'mu-opioid receptor agonism', refs: [W + 'Morphine'] }] };
    const { graph } = loadSeedGraph(write('ownref', base({ drugs: [ownRefs] })));
    expect(graph.edges.find((e) => e.relation === 'in_class')!.refs).toEqual([W + 'Opioid']);
  });

  it('loadSeedGraph(fixture) rejects an empty list', () => {
    expectInputError(write('empty', base({ diseases: [{ ...disease, treated_by: [] }] })), 'diseases.jsonl', 1, /empty list "treated_by"/);
  });

  it('loadSeedGraph(fixture) rejects a non-URL reference', () => {
    expectInputError(write('url', base({ drugs: [{ ...drug, refs: ['Wikipedia: Morphine'] }] })), 'drugs.jsonl', 1, /non-URL reference/);
  });

  it('loadSeedGraph(fixture) rejects an unknown test, drug or disease', () => {
    expectInputError(write('test', base({ diseases: [{ ...disease, diagnosed_by: ['MRI of the abdomen'] }] })), 'diseases.jsonl', 1, /unknown test/);
    expectInputError(write('drug', base({ diseases: [{ ...disease, treated_by: ['fentanyl'] }] })), 'diseases.jsonl', 1, /unknown drug "fentanyl"/);
    expectInputError(write('dis', base({ drugs: [{ ...drug, contraindicated_in: ['asthma'] }] })), 'drugs.jsonl', 1, /unknown disease or condition "asthma"/);
  });

  it('loadSeedGraph(fixture) rejects an entity declared but never used', () => {
    expectInputError(write('unused', base({ entities: [...entities, { type: 'imaging', name: 'chest X-ray' }] })), 'entities.jsonl', 3, /never used/);
  });

  it('loadSeedGraph(fixture) reads a file that starts with a BOM, first line included', () => {
    const dir = write('bom', base());
    const f = path.join(dir, 'diseases.jsonl');
    fs.writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fs.readFileSync(f)]));
    const { counts, skips } = loadSeedGraph(dir);
    expect(skips.total()).toBe(0);
    expect(counts.diseases).toBe(1);
  });

  it('loadSeedGraph(fixture) rejects bytes that are not UTF-8, naming file, line and byte (lenient: counts them)', () => {
    const dir = write('utf8', base({ drugs: [drug, { ...drug, name: 'morphine sulfate' }] }));
    const f = path.join(dir, 'drugs.jsonl');
    const lines = fs.readFileSync(f, 'utf8').split('\n');
    // "morphine sulfate" → "morphine sulf\xE9te": Latin-1 é, as a wrong export writes it
    const [before, after] = lines[1].split('sulfate');
    fs.writeFileSync(f, Buffer.concat([Buffer.from(`${lines[0]}\n${before}sulf`), Buffer.from([0xe9]), Buffer.from(`te${after}\n`)]));
    expectInputError(dir, 'drugs.jsonl', 2, /^invalid UTF-8 \(byte 0xE9 at column 23\)$/);
    const { skips, graph } = loadSeedGraph(dir, { strict: false });
    expect(skips.rows()).toEqual([{ file: f, reason: 'invalid UTF-8', count: 1, exampleLines: [2] }]);
    expect(graph.nodes.some((n) => n.name.includes('\uFFFD'))).toBe(false);
  });

  it('loadSeedGraph(fixture) rejects a seed file that is present but empty', () => {
    const dir = write('emptyfile', base());
    fs.writeFileSync(path.join(dir, 'entities.jsonl'), '\n');
    expect(() => loadSeedGraph(dir, { strict: false })).toThrow(`${path.join(dir, 'entities.jsonl')}: empty file: no lines`);
  });

  it('loadSeedGraph(fixture, {strict: false}) counts bad lines and builds the rest', () => {
    const dir = write('lenient', base({ diseases: [disease, { ...disease, name: 'y', symptom: ['a'] }, { name: '' }] }));
    const { graph, skips } = loadSeedGraph(dir, { strict: false });
    expect(skips.total()).toBe(2);
    expect(skips.rows().map((x) => x.reason).sort()).toEqual(['missing or empty "name"', 'unknown field "symptom"']);
    expect(graph.ofType('disease').map((n) => n.name)).toEqual(['acute pancreatitis']);
  });
});
