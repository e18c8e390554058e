/**
 * Fetches the open knowledge-graph sources from their public origins into a local folder with
 * the mirror's layout (`fleming download`), checksummed and resumable, and verifies a local copy.
 *
 * MANIFEST lists every mirrored file: its path under kg-sources, its raw.githubusercontent.com
 * origin at the repository and commit named in /work/shared/data/SOURCES.md (short commits as
 * given there; `HEAD`, the repository's default branch, where SOURCES.md names no commit, and
 * `pinned: false` then), its size and its sha256, computed from the mirror. A file whose origin
 * has changed since fails its checksum, loudly, instead of silently changing the graph.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../core/io';

export interface ManifestEntry {
  /** Path under the kg-sources folder, e.g. 'disease-ontology/HumanDO.tsv'. */
  path: string;
  /** Public origin. */
  url: string;
  /** GitHub repository (owner/name) and ref the URL points at. */
  repo: string;
  ref: string;
  /** False when the ref is a branch (HEAD), not a commit. */
  pinned: boolean;
  bytes: number;
  sha256: string;
  /** What is uncertain about this origin, if anything. */
  note?: string;
}

function entry(p: string, repo: string, ref: string, remotePath: string, bytes: number, sha256: string, note?: string): ManifestEntry {
  const url = `https://raw.githubusercontent.com/${repo}/${ref}/${remotePath.split('/').map(encodeURIComponent).join('/')}`;
  const e: ManifestEntry = { path: p, url, repo, ref, pinned: ref !== 'HEAD', bytes, sha256 };
  if (note) e.note = note;
  return e;
}

/** Every file of the kg-sources mirror (sizes and checksums taken from /work/shared/data). */
export const MANIFEST: ManifestEntry[] = [
  entry('disease-ontology/DO-subClassOf-anonymous.tsv', 'DiseaseOntology/HumanDiseaseOntology', '9fbefd6', 'DOreports/DO-subClassOf-anonymous.tsv', 761543, 'cf3adf5ebfdc952b2267040e1c6a9acaf652a416b80adf2b9ac208ad6f89b662'),
  entry('disease-ontology/HumanDO.tsv', 'DiseaseOntology/HumanDiseaseOntology', '9fbefd6', 'DOreports/HumanDO.tsv', 892235, 'c862a3523b0308ae82df6ffd5b0781af83cc561a9e9aa2b25a3cee7e2b33452d'),
  entry('disease-ontology/ICD10inDO.tsv', 'DiseaseOntology/HumanDiseaseOntology', '9fbefd6', 'DOreports/ICD10inDO.tsv', 206315, '48416c91062ef91f959b31074eb11ac7e20fc3b606507d76dc142086dfba5cc8'),
  entry('disease-ontology/LICENSE', 'DiseaseOntology/HumanDiseaseOntology', '9fbefd6', 'LICENSE', 7048, 'a2010f343487d3f7618affe54f789f5487602331c0a8d03f49e9a7c547cf0499', 'licence file location assumed (CC0 text)'),
  entry('disease-ontology/MESHinDO.tsv', 'DiseaseOntology/HumanDiseaseOntology', '9fbefd6', 'DOreports/MESHinDO.tsv', 219258, 'd4f522b788b3ed620c6ca3c174da9de30a26cf21597f76ccbc6321d2f5fa752b'),
  entry('disease-ontology/allXREFinDO.tsv', 'DiseaseOntology/HumanDiseaseOntology', '9fbefd6', 'DOreports/allXREFinDO.tsv', 2351385, '5cc96c482609e61fe89bb929bc11fd9a4006018b44631b0c22766ea4b09c986c'),
  entry('disease-ontology/disease-symptom.tsv', 'DiseaseOntology/HumanDiseaseOntology', '9fbefd6', 'DOreports/disease-symptom.tsv', 129929, '20bb1b62a6a22e66ca1ef2748e032c322709495987c5a26e5e8a05b3d80a4aff'),
  entry('drugcentral/LICENSE', 'dhimmel/drugcentral', '0e085dd', 'LICENSE.md', 18650, '7183ef9749eb9b75e710a81a4c812a9405cc184f087500581a973e5929ac3f5e', 'licence file location assumed (CC BY 4.0 text)'),
  entry('drugcentral/drug_indication.tsv', 'olegursu/drugtarget', '64630f7', 'drug_indication.tsv', 755678, '2da87919e94da16f2824cd104b05e7c853822a7eeb9c40d555827c96843ab7f1'),
  entry('drugcentral/drug_target.tsv', 'olegursu/drugtarget', '64630f7', 'drug_target.tsv', 444587, '9c21962c0c5753bc6f012022d37384991d01df3ab4fde863aa4e62a30bc456be'),
  entry('drugcentral/identifiers.tsv', 'olegursu/drugtarget', '64630f7', 'identifiers.tsv', 2579009, '094929bd3fe7004f2389b85f88486e17aa4693cf303808e3cd1b1e47792ae321'),
  entry('drugcentral/idtype.tsv', 'olegursu/drugtarget', '64630f7', 'idtype.tsv', 1703, 'c5c7169f47672042274c5bc507e113a0d558b68f4abbbad79a5aa43a57f881c8'),
  entry('drugcentral/pharm_class.tsv', 'olegursu/drugtarget', '64630f7', 'pharm_class.tsv', 1002164, 'da3de40a9946f23e0d01d5a5e6fd10eb04e167b4a505aba0367f1a53dbcbe6d1'),
  entry('drugcentral/rephetio/classes.tsv', 'dhimmel/drugcentral', '0e085dd', 'rephetio/classes.tsv', 139307, '683ac25a986e25b46036f1f4b48cb7e0d0f2e7598baec57051f6fb0507aa3590'),
  entry('drugcentral/rephetio/drug-to-class.tsv', 'dhimmel/drugcentral', '0e085dd', 'rephetio/drug-to-class.tsv', 574332, '9b6fb462b7c5db1265063e33403b987fa5196f06d402262cb9f8d96508791774'),
  entry('drugcentral/rephetio/indications.tsv', 'dhimmel/drugcentral', '0e085dd', 'rephetio/indications.tsv', 33309, 'dc33620bc460b1bc26c905d2eb4acb44075d962db626973e251f69d551a66a4d'),
  entry('drugcentral/rephetio/targets.tsv', 'dhimmel/drugcentral', '0e085dd', 'rephetio/targets.tsv', 351122, 'e431b9a57648b7f5cca0b03d1f4867dd6e9c5dcda48638dec8096debac919eb0'),
  entry('hsdn/combined_data.csv', 'Natasha-R/DS_Linked_Open_Data_and_Knowledge_Graphs_2022_Natasha-Randall', 'HEAD', 'data/combined_data.csv', 2212994, '0fec512c4e0858702ae7dbda6ff7143de011913dac6224e1be846858aa0ec5b0'),
  entry('hsdn/dbpedia_data.csv', 'Natasha-R/DS_Linked_Open_Data_and_Knowledge_Graphs_2022_Natasha-Randall', 'HEAD', 'data/dbpedia_data.csv', 73537, '41b77cdfa19d5f9413fb1db6564bbd472d26c5224c77b611de52f8c72e7a7754'),
  entry('hsdn/medical_records_data.csv', 'Natasha-R/DS_Linked_Open_Data_and_Knowledge_Graphs_2022_Natasha-Randall', 'HEAD', 'data/medical_records_data.csv', 89125, '5674088e2d3819f8206ac727fbf13d7c49a45a12c45a0bb7f0618ca662f86997'),
  entry('hsdn/symptoms-DO.tsv', 'dhimmel/hsdn', 'c8a8221a5b25d086760e3deb24ec4a66006adc37', 'data/symptoms-DO.tsv', 1013110, 'c238f5f7c56eea8f1114d7dbe0fd5c3f5606a85bcee57c6689a63b5da4939e71'),
  entry('pharmacotherapydb/diseases.tsv', 'dhimmel/indications', 'HEAD', 'catalog/diseases.tsv', 3635, 'bcc14a8c31e94f579597ae3d9c23668be8d1da8774e18957f5c07fc59c1afbd4', 'catalog/README.md lists this file; no commit given in SOURCES.md'),
  entry('pharmacotherapydb/drugs.tsv', 'dhimmel/indications', 'HEAD', 'catalog/drugs.tsv', 16975, 'dc79c39d860b249989fed09db7c0142eb170547349b2eea6e065000a12d572a4', 'catalog/README.md lists this file; no commit given in SOURCES.md'),
  entry('pharmacotherapydb/indications.tsv', 'dhimmel/indications', 'HEAD', 'catalog/indications.tsv', 76754, 'bc956b0092fab88975a07932b89382a0ed593d3d21df23395440cfd9a067a917', 'catalog/README.md lists this file; no commit given in SOURCES.md'),
  entry('sider4/LICENSE.md', 'dhimmel/SIDER4', 'be3adebc0d845baaddb907a880890cb5e85f5801', 'LICENSE.md', 1124, 'df85132c0b9f49a4bfca04308bb9b7019fdcf143f40006c4c08d911c3b93de1a'),
  entry('sider4/indications.tsv', 'dhimmel/SIDER4', 'be3adebc0d845baaddb907a880890cb5e85f5801', 'data/indication.tsv', 1836351, 'abf0e634763d2361fcfe3b3127c8b27f1f31edf4768fabebd789ba6738f2047d', 'the indexed data/indication.tsv (another commit) differs from the mirror; checksum decides'),
  entry('sider4/meddra_all_indications.tsv.gz', 'dhimmel/SIDER4', 'be3adebc0d845baaddb907a880890cb5e85f5801', 'download/meddra_all_indications.tsv.gz', 344689, '3e019c1baec86a5ce056e428da803e821c2708ef22522950a738f330b5985d02'),
  entry('sider4/meddra_all_se.tsv.gz', 'dhimmel/SIDER4', 'be3adebc0d845baaddb907a880890cb5e85f5801', 'download/meddra_all_se.tsv.gz', 2381171, '119b2f5319a9398da83e5fe3419889010dbacf8d3eef590251b00c025e2b3f99'),
  entry('sider4/meddra_freq.tsv.gz', 'dhimmel/SIDER4', 'be3adebc0d845baaddb907a880890cb5e85f5801', 'download/meddra_freq.tsv.gz', 2058445, 'fcdfbf479c6b568dfca557a3eb2cdbe49c4a3291090999c0de0bd7092feaec7f'),
  entry('sider4/side-effect-terms.tsv', 'dhimmel/SIDER4', 'be3adebc0d845baaddb907a880890cb5e85f5801', 'data/side-effect-terms.tsv', 165470, '0f70cdff145fb811fd767064860ceae526fec269278a78e9a6ede723e2991cdc'),
  entry('wikidata/WikiDataDiseaseData.csv', 'sharmasharad795/Medi_Knowledge_Graph', 'HEAD', 'OutputFiles/WikiDataDiseaseData.csv', 2953002, '1f61a38a1f1ea2ea9f8651d603ba4fbe5becd3772f07031a8426d08abc7b9cbd'),
  entry('wikidata/WikiDataMedicineData.csv', 'sharmasharad795/Medi_Knowledge_Graph', 'HEAD', 'OutputFiles/WikiDataMedicineData.csv', 500680, '841d37b56fd0d9da1e77cd75888d68aecbd8effd78f3c426a8407bf87b7d5f5b'),
  entry('wikidata/diseases_info_en_2023.csv', 'paulaonta/InfoExtractor', 'HEAD', 'diseases_info_en_2023.csv', 1531271, 'dec68fe2dd5a1d48aff96261c92488d831676900d07aaf0b45e1bb7c94b1c6ea', 'path not found in the code index; repository root assumed'),
  entry('wikidata/diseases_info_en_nci.csv', 'paulaonta/InfoExtractor', 'HEAD', 'emaitza (copia)/diseases_info_en_nci.csv', 3582480, 'f7f913a87e050b576ac5ef2b026288e5c0169b0d72f26dddadefca5373f5ab5c'),
];

export const defaults = {
  /** Attempts per file for transient failures (network errors, HTTP 429 and 5xx). */
  retries: 4,
  /** First backoff delay; doubled after each failed attempt. */
  backoffMs: 1000,
  /** Per-request timeout. */
  timeoutMs: 120_000,
};

export interface DownloadOptions {
  /** fetch to use (tests, proxies); default the global fetch. */
  fetchImpl?: typeof fetch;
  /** Fetch `${baseUrlOverride}/${entry.path}` instead of each entry's origin (a mirror). */
  baseUrlOverride?: string;
  onProgress?: (file: string, done: number, total: number) => void;
  /** Files to fetch; default MANIFEST. */
  manifest?: ManifestEntry[];
  retries?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

export interface DownloadResult {
  /** Files fetched now. */
  downloaded: string[];
  /** Files already present with the right checksum. */
  present: string[];
}

/** sha256 (hex) of a file's bytes. */
export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

class TransientError extends Error {}

async function fetchOnce(url: string, fetchImpl: typeof fetch, timeoutMs: number): Promise<Uint8Array> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetchImpl(url, { signal: ac.signal, redirect: 'follow' });
    } catch (e) {
      throw new TransientError(`${url}: ${(e as Error).message}`);
    }
    if (res.status === 429 || res.status >= 500) throw new TransientError(`${url}: HTTP ${res.status}`);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      throw new TransientError(`${url}: body: ${(e as Error).message}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Fetches with retries and exponential backoff on transient failures (network errors, HTTP 429 and 5xx). */
export async function fetchWithRetry(url: string, fetchImpl: typeof fetch, o: typeof defaults): Promise<Uint8Array> {
  let delay = o.backoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(url, fetchImpl, o.timeoutMs);
    } catch (e) {
      if (!(e instanceof TransientError) || attempt >= o.retries) throw new Error(`${(e as Error).message} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`);
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
}

/**
 * Downloads every manifest file that is missing from `dest` or fails its checksum, verifies the
 * sha256 of what arrived, and writes it atomically; files already present and correct are kept
 * (so an interrupted download resumes). Every file is tried; failures are thrown together at the
 * end, each naming the file (and, for a checksum mismatch, the expected and received sha256).
 */
export async function downloadSources(dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const o = { retries: opts.retries ?? defaults.retries, backoffMs: opts.backoffMs ?? defaults.backoffMs, timeoutMs: opts.timeoutMs ?? defaults.timeoutMs };
  const manifest = opts.manifest ?? MANIFEST;
  const fetchImpl = opts.fetchImpl ?? fetch;
  const result: DownloadResult = { downloaded: [], present: [] };
  const failures: string[] = [];
  let done = 0;
  for (const e of manifest) {
    const file = path.join(dest, ...e.path.split('/'));
    if (fs.existsSync(file) && sha256File(file) === e.sha256) {
      result.present.push(e.path);
    } else {
      const url = opts.baseUrlOverride ? `${opts.baseUrlOverride.replace(/\/+$/, '')}/${e.path.split('/').map(encodeURIComponent).join('/')}` : e.url;
      try {
        const bytes = await fetchWithRetry(url, fetchImpl, o);
        const got = crypto.createHash('sha256').update(bytes).digest('hex');
        if (got !== e.sha256) throw new Error(`${e.path}: checksum mismatch: expected sha256 ${e.sha256}, got ${got} (${bytes.length} bytes from ${url})`);
        writeFileAtomic(file, bytes);
        result.downloaded.push(e.path);
      } catch (err) {
        const msg = (err as Error).message;
        failures.push(msg.startsWith(e.path) ? msg : `${e.path}: ${msg}`);
      }
    }
    done += 1;
    opts.onProgress?.(e.path, done, manifest.length);
  }
  if (failures.length)
    throw new Error(`download: ${failures.length} of ${manifest.length} file(s) failed (rerun to resume; files already fetched are kept):\n  ${failures.join('\n  ')}`);
  return result;
}

export interface VerifyResult {
  ok: string[];
  missing: string[];
  bad: { path: string; expected: string; got: string }[];
}

/** Checks a local copy against the manifest: which files are present and correct, missing, or different. */
export function verifySources(dir: string, manifest: ManifestEntry[] = MANIFEST): VerifyResult {
  const out: VerifyResult = { ok: [], missing: [], bad: [] };
  for (const e of manifest) {
    const file = path.join(dir, ...e.path.split('/'));
    if (!fs.existsSync(file)) {
      out.missing.push(e.path);
      continue;
    }
    const got = sha256File(file);
    if (got === e.sha256) out.ok.push(e.path);
    else out.bad.push({ path: e.path, expected: e.sha256, got });
  }
  return out;
}
