/**
 * Checking settings before anything runs: each setting's type comes from its default (a number,
 * a string, a boolean, a list of names, a map of weights, a nested section), and `limits` beside
 * the defaults add what a type cannot say (an integer, a range, one of a few names). A bad value
 * gets one error naming the key, what it allows and its default:
 *
 *   rlvr.lr must be a number > 0 (default 0.00003); got "abc"
 */

/** What a number may be. */
export interface NumberLimit {
  kind: 'number';
  int: boolean;
  min?: number;
  max?: number;
  /** Strict bounds: > gt, < lt. */
  gt?: number;
  lt?: number;
}

/** One of a few names (a string setting, or each item of a list of names). */
export interface OneOf {
  kind: 'oneOf';
  values: readonly string[];
}

/** A string that must match a pattern, described in words. */
export interface Pattern {
  kind: 'pattern';
  re: RegExp;
  says: string;
}

/** A map of names to numbers (reward weights, item-type mix): which names, and what each number may be. */
export interface MapOf {
  kind: 'map';
  keys: readonly string[];
  value: NumberLimit;
}

/** An optional setting (absent from the defaults): a string, or an endpoint object. */
export interface Optional {
  kind: 'optional';
  shape: 'string' | 'endpoint';
}

export type Limit = NumberLimit | OneOf | Pattern | MapOf | Optional | { [key: string]: Limit };

/** The limits of a settings section: any of its keys, nested sections as nested objects. */
export type Limits<T> = { [K in keyof T]?: Limit };

/** An integer in [min, max]. */
export const int = (min?: number, max?: number): NumberLimit => ({ kind: 'number', int: true, min, max });
/** A real number within the given bounds (min/max inclusive, gt/lt strict). */
export const num = (b: { min?: number; max?: number; gt?: number; lt?: number } = {}): NumberLimit => ({ kind: 'number', int: false, ...b });
/** One of these names; the type argument checks that each is a value of the setting's type. */
export const oneOf = <T extends string>(...values: T[]): OneOf => ({ kind: 'oneOf', values });
export const pattern = (re: RegExp, says: string): Pattern => ({ kind: 'pattern', re, says });
export const mapOf = (keys: readonly string[], value: NumberLimit): MapOf => ({ kind: 'map', keys, value });
export const optional = (shape: Optional['shape']): Optional => ({ kind: 'optional', shape });

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isLimit = (l: Limit | undefined, kind: string): boolean => l !== undefined && (l as { kind?: unknown }).kind === kind;

/** "a number > 0", "an integer in 1..10", "one of none, std": what a value may be. */
export function describe(def: unknown, limit: Limit | undefined): string {
  if (limit && isLimit(limit, 'number')) {
    const l = limit as NumberLimit;
    const what = l.int ? 'an integer' : 'a number';
    const lo = l.gt !== undefined ? `> ${l.gt}` : l.min !== undefined ? `≥ ${l.min}` : '';
    const hi = l.lt !== undefined ? `< ${l.lt}` : l.max !== undefined ? `≤ ${l.max}` : '';
    return [what, lo && hi ? `${lo} and ${hi}` : lo || hi].filter(Boolean).join(' ');
  }
  if (limit && isLimit(limit, 'oneOf')) {
    const names = (limit as OneOf).values.map((v) => (v === '' ? '"" (none)' : v)).join(', ');
    return Array.isArray(def) ? `a list (in JSON: ["${(limit as OneOf).values[0]}", ...]) of names from ${names}` : `one of ${names}`;
  }
  if (limit && isLimit(limit, 'pattern')) return `a string of ${(limit as Pattern).says}`;
  if (limit && isLimit(limit, 'map')) {
    const m = limit as MapOf;
    return `a map whose names are among ${m.keys.join(', ')} and whose values are each ${describe(0, m.value)}`;
  }
  if (limit && isLimit(limit, 'optional')) {
    return (limit as Optional).shape === 'string' ? 'a string' : 'an endpoint {baseUrl, model, apiKeyEnv, maxConcurrency}';
  }
  if (Array.isArray(def)) return 'a list of names (in JSON: ["a", "b"])';
  if (typeof def === 'boolean') return 'true or false';
  return typeof def === 'number' ? 'a number' : typeof def === 'string' ? 'a string' : 'a section';
}

/** The reason `v` is not allowed for a setting with this default and limit, or null when it is. */
function problem(v: unknown, def: unknown, limit: Limit | undefined): string | null {
  if (limit && isLimit(limit, 'optional')) {
    if (v === undefined) return null;
    if ((limit as Optional).shape === 'string') return typeof v === 'string' && v !== '' ? null : 'bad';
    if (!isPlainObject(v)) return 'bad';
    const unknown = Object.keys(v).filter((k) => !['baseUrl', 'model', 'apiKeyEnv', 'maxConcurrency'].includes(k));
    if (unknown.length) return `unknown field ${unknown.join(', ')}`;
    for (const k of ['baseUrl', 'model', 'apiKeyEnv']) if (typeof v[k] !== 'string' || v[k] === '') return `${k} is not a non-empty string`;
    return Number.isInteger(v.maxConcurrency) && (v.maxConcurrency as number) >= 1 ? null : 'maxConcurrency is not an integer ≥ 1';
  }
  if (limit && isLimit(limit, 'map')) {
    const m = limit as MapOf;
    if (!isPlainObject(v)) return 'bad';
    for (const [k, x] of Object.entries(v)) {
      if (!m.keys.includes(k)) return `unknown name "${k}"`;
      if (problem(x, 0, m.value)) return `${k}: ${JSON.stringify(x)} is not ${describe(0, m.value)}`;
    }
    return null;
  }
  if (Array.isArray(def)) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return 'bad';
    const names = limit && isLimit(limit, 'oneOf') ? (limit as OneOf).values : null;
    const odd = names ? v.find((x) => !names.includes(x as string)) : undefined;
    return odd === undefined ? null : `unknown name "${odd}"`;
  }
  if (typeof def === 'number') {
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'bad';
    const l = limit as NumberLimit | undefined;
    if (!l) return null;
    const ok = (!l.int || Number.isInteger(v)) && (l.min === undefined || v >= l.min) && (l.max === undefined || v <= l.max) && (l.gt === undefined || v > l.gt) && (l.lt === undefined || v < l.lt);
    return ok ? null : 'bad';
  }
  if (typeof def === 'string') {
    if (typeof v !== 'string') return 'bad';
    if (limit && isLimit(limit, 'oneOf')) return (limit as OneOf).values.includes(v) ? null : 'bad';
    if (limit && isLimit(limit, 'pattern')) return (limit as Pattern).re.test(v) ? null : 'bad';
    return null;
  }
  if (typeof def === 'boolean') return typeof v === 'boolean' ? null : 'bad';
  return null;
}

/**
 * Checks every setting of `cfg` against its default in `defaults` and its limit in `limits`
 * (sections recursively); throws one Error at the first bad value or unknown key.
 */
export function checkSettings(cfg: unknown, defaults: unknown, limits: Record<string, Limit | undefined>, prefix = ''): void {
  if (!isPlainObject(cfg) || !isPlainObject(defaults)) return;
  for (const [k, v] of Object.entries(cfg)) {
    const at = prefix ? `${prefix}.${k}` : k;
    const def = defaults[k];
    const limit = limits[k];
    if (def === undefined && !(limit && isLimit(limit, 'optional'))) throw new Error(`unknown config key "${at}"`);
    const nested = isPlainObject(def) && !(limit && isLimit(limit, 'map'));
    if (nested) {
      if (!isPlainObject(v)) throw new Error(`${at} must be a section {${Object.keys(def).join(', ')}}; got ${JSON.stringify(v)}`);
      checkSettings(v, def, (limit as Record<string, Limit | undefined>) ?? {}, at);
      continue;
    }
    const why = problem(v, def, limit);
    if (why === null) continue;
    const shown = def === undefined ? '' : ` (default ${JSON.stringify(def)})`;
    throw new Error(`${at} must be ${describe(def, limit)}${shown}; got ${JSON.stringify(v)}${why === 'bad' ? '' : `: ${why}`}`);
  }
}
