/**
 * The agent's resumable state, kept as a journal: after every batch one record (the facts found,
 * the entries processed and enqueued, skips) is appended to `<stateFile>.journal.jsonl`, then
 * the small state file, naming how many journal lines are committed, is rewritten atomically.
 * Resuming replays the committed records; lines written after the last committed state (a run
 * killed between the two writes) are cut off. Appending keeps each batch's write small even
 * when the frontier holds hundreds of thousands of titles.
 */
import * as fs from 'node:fs';
import { InputError, readJson, writeFileAtomic } from '../../core/io';
import type { GraphBuilder } from '../graph';
import type { NodeType, Relation, Xrefs } from '../schema';

/** A pending unit of work: `wp:<Wikipedia title>` or `wd:<Q-id>`, with the types its claim gave it. */
export interface FrontierEntry {
  key: string;
  depth: number;
  /** Node types implied by the claims this entry was reached through (empty for links and seeds). */
  via: NodeType[];
}

/** One discovered fact; replaying facts in order rebuilds the agent's part of the graph. */
export type Fact =
  | { k: 'node'; q: string; type: NodeType; name: string; synonyms: string[]; xrefs: Xrefs }
  | { k: 'edge'; from: [NodeType, string]; relation: Relation; to: [NodeType, string]; ref: string };

/** Everything one batch changed; the journal holds one per committed batch. */
export interface BatchRecord {
  /** How many entries at the head of the current BFS level the batch consumed. */
  processed: number;
  facts: Fact[];
  /** New frontier entries (one level deeper). */
  entries: FrontierEntry[];
  /** Keys marked as enqueued without an entry (`wp:` titles of expanded items). */
  enqueued: string[];
  /** Q-ids expanded. */
  expanded: string[];
  /** Extra claim types for entries already pending. */
  viaMerges: [string, NodeType[]][];
  skipped: Record<string, number>;
  duplicates: number;
}

export interface AgentState {
  version: 2;
  seeds: string[];
  /** Committed lines of the journal (= batches). */
  batches: number;
}

/** The journal beside a state file. */
export function journalFile(stateFile: string): string {
  return `${stateFile}.journal.jsonl`;
}

/** Appends a batch record to the journal, then commits it by rewriting the state file atomically. */
export function commitBatch(stateFile: string, state: AgentState, record: BatchRecord): void {
  fs.appendFileSync(journalFile(stateFile), JSON.stringify(record) + '\n');
  writeFileAtomic(stateFile, JSON.stringify(state) + '\n');
}

/** Writes the state file of a run that has not committed a batch yet (and clears any journal). */
export function startState(stateFile: string, seeds: string[]): AgentState {
  removeState(stateFile);
  const state: AgentState = { version: 2, seeds: [...seeds], batches: 0 };
  writeFileAtomic(stateFile, JSON.stringify(state) + '\n');
  return state;
}

/**
 * Loads a saved state and its committed batch records, cutting off journal lines beyond the
 * committed count. Undefined when there is no state file.
 */
export function loadState(stateFile: string): { state: AgentState; records: BatchRecord[] } | undefined {
  if (!fs.existsSync(stateFile)) return undefined;
  const state = readJson<AgentState>(stateFile);
  if (state.version !== 2) throw new InputError(stateFile, 1, `unknown state version ${String(state.version)}`);
  const file = journalFile(stateFile);
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : [];
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < state.batches) throw new InputError(file, lines.length, `state expects ${state.batches} journal lines, the journal has ${lines.length}`);
  const records: BatchRecord[] = [];
  for (let i = 0; i < state.batches; i++) {
    try {
      records.push(JSON.parse(lines[i]) as BatchRecord);
    } catch (e) {
      throw new InputError(file, i + 1, `invalid JSON (${(e as Error).message})`);
    }
  }
  if (lines.length > state.batches) writeFileAtomic(file, lines.slice(0, state.batches).map((l) => l + '\n').join(''));
  return { state, records };
}

/** Removes a state file and its journal. */
export function removeState(stateFile: string): void {
  for (const f of [stateFile, journalFile(stateFile)]) if (fs.existsSync(f)) fs.unlinkSync(f);
}

/** Applies facts to a GraphBuilder, remembering node ids by (type, Q-id) and which edges exist. */
export class FactSink {
  readonly nodeIds = new Map<string, string>();
  readonly edgeKeys = new Set<string>();
  rejectedEdges = 0;

  constructor(
    private readonly builder: GraphBuilder,
    private readonly source: string,
  ) {}

  /** Whether a (type, Q-id) node was already added. */
  hasNode(type: NodeType, q: string): boolean {
    return this.nodeIds.has(`${type}|${q}`);
  }

  apply(facts: readonly Fact[]): void {
    for (const f of facts) {
      if (f.k === 'node') {
        const id = this.builder.addNode({ type: f.type, name: f.name, synonyms: f.synonyms, xrefs: f.xrefs, source: this.source });
        this.nodeIds.set(`${f.type}|${f.q}`, id);
        continue;
      }
      const s = this.nodeIds.get(`${f.from[0]}|${f.from[1]}`);
      const t = this.nodeIds.get(`${f.to[0]}|${f.to[1]}`);
      if (!s || !t) throw new Error(`fact edge ${f.from.join(':')} -${f.relation}-> ${f.to.join(':')} names a node not added before it`);
      if (this.builder.addEdge(s, f.relation, t, this.source, { refs: [f.ref] })) this.edgeKeys.add(`${s}\u0000${f.relation}\u0000${t}`);
      else this.rejectedEdges += 1;
    }
  }
}
