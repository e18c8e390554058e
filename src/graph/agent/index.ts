/**
 * The knowledge-graph discovery agent: Wikipedia links and Wikidata claims → typed graph facts.
 *
 * | file | what it holds |
 * |---|---|
 * | agent.ts | `runDiscoveryAgent(config, builder, ctx)`: the BFS loop, budgets, resume, the result |
 * | batch.ts | one batch: titles → items → typed nodes → claim edges → links (internal) |
 * | crawl.ts | the BFS frontier in memory, level by level (internal) |
 * | discover.ts | `runDiscover(ctx, options)`: `fleming discover` into <run>/graph/discovered/ |
 * | config.ts | `AgentConfig`, `defaults`, `CLAIM_RULES`, `XREF_PROPERTIES`, `examinationType` |
 * | claims.ts | `entityTypes`, `nodeFact`, `claimTargetType`: pure mapping rules |
 * | wikipedia.ts | `resolveTitles`, `fetchLinks`, `queryAll` (MediaWiki `continue`) |
 * | wikidata.ts | `summarizeEntity`, `EntityStore` (wbgetentities batches, pathogen rule) |
 * | http.ts | `ApiClient` (cache, rate limit, retries), `RateLimiter`, `ResponseCache` |
 * | state.ts | resumable state: small state file + append-only batch journal, `FactSink` |
 */
export * from './agent';
export * from './claims';
export * from './config';
export * from './discover';
export * from './http';
export * from './state';
export * from './wikidata';
export * from './wikipedia';
