/**
 * Settings of the knowledge-graph stage (`fleming graph`, src/graph/stage.ts): the run config's
 * `graph` section. Each field is documented once, at its default below; presets and `--set`
 * overrides are applied by src/core/config.ts.
 */
import { int, oneOf, optional, type Limits } from '../core/schema';

export interface GraphConfig {
  kg: 'seed' | 'open';
  sourcesDir?: string;
  includeSider: boolean;
  strict: boolean;
  focus: { diseases: number; fromScratch: number };
}

export const defaults: GraphConfig = {
  kg: 'seed', // 'seed': the hand-written graph in data/seed (embedded default); 'open': built from the open sources
  // sourcesDir (optional): directory with the open sources (kg-sources layout); default $FLEMING_SOURCES or .cache/kg-sources
  includeSider: false, // include SIDER side effects (CC BY-NC-SA: outputs become non-commercial)
  strict: false, // stop at the first malformed source row instead of counting it (--strict does so for one command)
  // A focused world (src/graph/focus.ts): N anchor diseases (a seeded shuffle of those with a symptom or finding, a
  // test and a treatment) and their closed neighbourhood. Which applies is the run's world (src/graph/world.ts):
  focus: {
    diseases: 0, // set by the user: this focus on every route (seed or open graph, released Base or not); 0 = none
    fromScratch: 0, // the focus of a run that pretrains its own Base on the seed graph (no released Base applies); the default preset sets 25; 0 = the whole graph
  },
};

/** What each setting may be, beyond the type of its default (src/core/schema.ts). */
export const limits: Limits<GraphConfig> = {
  kg: oneOf<GraphConfig['kg']>('seed', 'open'),
  sourcesDir: optional('string'),
  focus: { diseases: int(0), fromScratch: int(0) },
};
