/**
 * The open-source knowledge graph: one loader per mirrored source folder, run in linking order
 * (the sources richest in cross-references first, so later sources join their entities), into
 * one GraphBuilder. SIDER (non-commercial) only when asked.
 *
 *   buildOpenGraph({ sourcesDir: '../shared/data/kg-sources' })
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkipReport } from '../../core/io';
import { GraphBuilder, KnowledgeGraph } from '../graph';
import { LoaderCounts, LoaderOptions } from './common';
import { loadDiseaseOntology } from './disease-ontology';
import { loadHsdn } from './hsdn';
import { loadWikidata } from './wikidata';
import { loadDrugCentral } from './drugcentral';
import { loadPharmacotherapyDb } from './pharmacotherapydb';
import { loadSider4 } from './sider4';

export { loadDiseaseOntology, loadHsdn, loadWikidata, loadDrugCentral, loadPharmacotherapyDb, loadSider4 };
export * from './common';

export type Loader = (dir: string, b: GraphBuilder, skips: SkipReport, opts: LoaderOptions) => Promise<LoaderCounts>;

/** Loaders in linking order: [source name = folder name, loader]. */
export const LOADERS: [string, Loader][] = [
  ['disease-ontology', loadDiseaseOntology],
  ['drugcentral', loadDrugCentral],
  ['hsdn', loadHsdn],
  ['wikidata', loadWikidata],
  ['pharmacotherapydb', loadPharmacotherapyDb],
];

/** Sources whose licence forbids commercial use. */
export const NON_COMMERCIAL_SOURCES = ['sider4'];

export interface OpenGraphOptions {
  /** The kg-sources folder (e.g. ../shared/data/kg-sources or .cache/kg-sources). */
  sourcesDir: string;
  /** Add SIDER 4.1 side effects (CC BY-NC-SA: the result is non-commercial). */
  includeSider?: boolean;
  /** Throw an InputError on the first malformed row instead of counting it. */
  strict?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface OpenGraphResult {
  graph: KnowledgeGraph;
  skips: SkipReport;
  perSource: Record<string, LoaderCounts>;
  /** True when a non-commercial source (SIDER) went into the graph. */
  nonCommercial: boolean;
}

/** Builds the knowledge graph from the open sources (see LOADERS for the order). */
export async function buildOpenGraph(opts: OpenGraphOptions): Promise<OpenGraphResult> {
  const loaders: [string, Loader][] = [...LOADERS, ...(opts.includeSider ? ([['sider4', loadSider4]] as [string, Loader][]) : [])];
  for (const [folder] of loaders) {
    const dir = path.join(opts.sourcesDir, folder);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
      throw new Error(
        [
          `open knowledge-graph sources: folder "${folder}" is missing from ${path.resolve(opts.sourcesDir)}.`,
          'Do one of:',
          '  - on a machine with internet: `npx fleming download` (fetches every source file, checksummed)',
          '  - pass --sources pointing at a complete copy, e.g. --sources ../shared/data/kg-sources',
        ].join('\n'),
      );
  }
  const b = new GraphBuilder();
  const skips = new SkipReport(!!opts.strict);
  const perSource: Record<string, LoaderCounts> = {};
  for (const [folder, load] of loaders) {
    perSource[folder] = await load(path.join(opts.sourcesDir, folder), b, skips, { onProgress: opts.onProgress });
  }
  const graph = b.build();
  return { graph, skips, perSource, nonCommercial: loaders.some(([f]) => NON_COMMERCIAL_SOURCES.includes(f)) };
}
