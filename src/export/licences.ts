/**
 * Origins and licences of what an exported dataset derives from, for its dataset card: the
 * knowledge-graph sources that synthetic items are made from (graph/stats.json names them on every
 * edge) and the public benchmarks that curated items come from (the item's `origin`). Taken from
 * ../shared/data/SOURCES.md (the open-data mirror's record) and the loaders' headers
 * (src/graph/open/*.ts, src/graph/download.ts).
 */

/** One source: what it is, where it comes from, its licence, and whether commercial use is excluded. */
export interface SourceLicence {
  name: string;
  origin: string;
  licence: string;
  nonCommercial?: boolean;
}

/** Knowledge-graph sources by the name recorded on nodes and edges. */
export const GRAPH_SOURCES: Readonly<Record<string, SourceLicence>> = {
  seed: { name: 'Workbench seed graph', origin: 'data/seed/*.jsonl of this repository (hand-written facts, each with a public reference URL)', licence: 'MIT (the workbench)' },
  'disease-ontology': { name: 'Disease Ontology', origin: 'DiseaseOntology/HumanDiseaseOntology @9fbefd6, DOreports/', licence: 'CC0 1.0' },
  hsdn: { name: 'HSDN (Human Symptoms–Disease Network)', origin: 'Natasha-R/DS_Linked_Open_Data; dhimmel/hsdn @c8a8221', licence: 'CC BY 4.0 (HSDN, Zhou et al. 2014); CC BY-SA 3.0 for the DBpedia rows' },
  wikidata: { name: 'Wikidata disease extracts', origin: 'paulaonta/InfoExtractor; sharmasharad795/Medi_Knowledge_Graph', licence: 'CC0 1.0 (Wikidata)' },
  drugcentral: { name: 'DrugCentral 2016', origin: 'olegursu/drugtarget @64630f7; dhimmel/drugcentral @0e085dd', licence: 'CC BY 4.0' },
  pharmacotherapydb: { name: 'PharmacotherapyDB', origin: 'dhimmel/indications, catalog/', licence: 'CC0 1.0' },
  sider4: { name: 'SIDER 4.1', origin: 'dhimmel/SIDER4 @be3adeb', licence: 'CC BY-NC-SA 4.0 (non-commercial)', nonCommercial: true },
  'wikipedia-agent': { name: 'Discovery agent (Wikipedia links, Wikidata claims)', origin: 'en.wikipedia.org and wikidata.org APIs (`fleming discover`)', licence: 'CC BY-SA 4.0 (Wikipedia text); CC0 1.0 (Wikidata)' },
};

/** Public benchmarks by item origin (curated items). */
export const BENCHMARK_SOURCES: Readonly<Record<string, SourceLicence>> = {
  pubmedqa: { name: 'PubMedQA (PQA-L)', origin: 'pubmedqa/pubmedqa data/ori_pqal.json', licence: 'MIT' },
  medqa: { name: 'MedQA (USMLE)', origin: 'jdh-algo/Citrus datas/download_files/medqa/', licence: 'MIT' },
  medmcqa: { name: 'MedMCQA (dev)', origin: 'TsinghuaC3I/MedXpertQA eval/data/medmcqa/', licence: 'MIT' },
  medxpertqa: { name: 'MedXpertQA-Text', origin: 'TsinghuaC3I/MedXpertQA', licence: 'MIT' },
  'mmlu-pro-biology': { name: 'MMLU-Pro Biology', origin: 'jdh-algo/Citrus (from TIGER-AI-Lab/MMLU-Pro)', licence: 'MIT' },
  'mmlu-pro-health': { name: 'MMLU-Pro Health', origin: 'jdh-algo/Citrus (from TIGER-AI-Lab/MMLU-Pro)', licence: 'MIT' },
  careqa: { name: 'CareQA (English)', origin: 'jdh-algo/Citrus (from HPAI-BSC CareQA)', licence: 'Apache-2.0' },
  cmexam: { name: 'CMExam', origin: 'williamliujl/CMExam', licence: 'not recorded by the workbench: check the origin before redistributing' },
};

/** A source name the tables do not know: named, with its licence marked unknown. */
export function unknownSource(name: string): SourceLicence {
  return { name, origin: 'not recorded by the workbench', licence: 'unknown: check the origin before redistributing' };
}

/**
 * The licences that apply to a dataset: the graph sources with edges (when it has synthetic
 * items) and the benchmarks its curated items come from, each with its count.
 */
export function datasetSources(graphEdgesBySource: Readonly<Record<string, number>>, itemsByOrigin: Readonly<Record<string, number>>): { source: SourceLicence; key: string; kind: 'graph' | 'benchmark'; count: number }[] {
  const out: { source: SourceLicence; key: string; kind: 'graph' | 'benchmark'; count: number }[] = [];
  if (itemsByOrigin.synthetic) for (const [k, n] of Object.entries(graphEdgesBySource).sort()) if (n > 0) out.push({ key: k, kind: 'graph', count: n, source: GRAPH_SOURCES[k] ?? unknownSource(k) });
  for (const [k, n] of Object.entries(itemsByOrigin).sort()) if (k !== 'synthetic') out.push({ key: k, kind: 'benchmark', count: n, source: BENCHMARK_SOURCES[k] ?? unknownSource(k) });
  return out;
}
