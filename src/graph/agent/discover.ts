/**
 * `fleming discover`: the discovery agent run from seed articles into <run>/graph/discovered/
 * (the graph files, result.json, stats.json, and the agent's resumable state).
 *
 * Run: `fleming discover --seeds "Tuberculosis,Asthma" --max-entities 500 --run runs/x` (network).
 */
import * as path from 'node:path';
import { writeJson } from '../../core/io';
import type { RunContext } from '../../core/run';
import { GraphBuilder } from '../graph';
import { graphStats } from '../stats';
import { AgentResult, runDiscoveryAgent } from './agent';
import { AgentConfig, defaults } from './config';

/** The command line's choices for `fleming discover`; unset ones take the defaults below. */
export interface DiscoverOptions {
  seeds?: string[];
  maxEntities?: number;
  maxDepth?: number;
  rps?: number;
}

/** What a discover run wrote, for the command's closing line. */
export interface DiscoverSummary {
  /** The output directory. */
  out: string;
  /** Nodes and edges of the saved graph. */
  entities: number;
  edges: number;
  result: AgentResult;
}

/**
 * The agent's settings for a discover run writing to `out`. The API endpoints and the response
 * cache can be pointed elsewhere (a mirror, or a local test server) through the environment.
 */
export function discoverConfig(opts: DiscoverOptions, out: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return {
    ...defaults,
    seeds: opts.seeds ?? ['Tuberculosis', 'Type 2 diabetes', 'Asthma'],
    maxEntities: opts.maxEntities ?? 2000,
    maxDepth: opts.maxDepth ?? 2,
    requestsPerSecond: opts.rps ?? defaults.requestsPerSecond,
    stateFile: path.join(out, 'agent-state.json'),
    wikipediaApi: env.FLEMING_WIKIPEDIA_API ?? defaults.wikipediaApi,
    wikidataApi: env.FLEMING_WIKIDATA_API ?? defaults.wikidataApi,
    cacheDir: env.FLEMING_AGENT_CACHE ?? defaults.cacheDir,
  };
}

/** Runs the agent into the run's graph/discovered/ folder, logging each batch, and saves the graph, result and stats. */
export async function runDiscover(ctx: RunContext, opts: DiscoverOptions): Promise<DiscoverSummary> {
  const out = path.join(ctx.stageDir('graph'), 'discovered');
  const builder = new GraphBuilder();
  const result = await runDiscoveryAgent(discoverConfig(opts, out), builder, {
    onProgress: (p) => ctx.log(`discover: batch ${p.batch} depth ${p.depth}: ${p.entities} entities, ${p.edges} edges, ${p.pending} pending, ${p.requests} requests (${p.cacheHits} cached)`),
  });
  const graph = builder.build();
  await graph.save(out);
  writeJson(path.join(out, 'result.json'), result);
  writeJson(path.join(out, 'stats.json'), graphStats(graph));
  return { out, entities: graph.nodes.length, edges: graph.edges.length, result };
}
