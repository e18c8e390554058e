/**
 * TensorFlow.js backend selection, best first: tensorflow (@tensorflow/tfjs-node-gpu or
 * @tensorflow/tfjs-node, optional: their install downloads libtensorflow), webgpu (Dawn through
 * the `webgpu` package with @tensorflow/tfjs-backend-webgpu), wasm (SIMD, the default here), cpu.
 * Every attempt is recorded with the reason it was or was not used, so a notebook or log can say
 * which backend runs and why. FLEMING_BACKEND or the `prefer` argument overrides the order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmKernels } from './kernels';

export const BACKEND_ORDER = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  reason: string;
}

export interface BackendChoice {
  name: BackendName;
  reason: string;
  attempts: BackendAttempt[];
  tfjsVersion: string;
}

function tryRequire(id: string): { ok: boolean; mod?: unknown; error?: string } {
  try {
    return { ok: true, mod: require(id) };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    return { ok: false, error: msg };
  }
}

async function tryBackend(name: BackendName): Promise<BackendAttempt> {
  switch (name) {
    case 'tensorflow': {
      for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
        const r = tryRequire(pkg);
        if (r.ok && (await tf.setBackend('tensorflow'))) return { name, ok: true, reason: `${pkg} loaded (native libtensorflow)` };
      }
      return { name, ok: false, reason: 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (optional: needs libtensorflow, see environment.md)' };
    }
    case 'webgpu': {
      const gpu = tryRequire('webgpu');
      if (!gpu.ok) return { name, ok: false, reason: 'the `webgpu` (Dawn) package is not installed' };
      const be = tryRequire('@tensorflow/tfjs-backend-webgpu');
      if (!be.ok) return { name, ok: false, reason: '@tensorflow/tfjs-backend-webgpu is not installed' };
      try {
        const ok = await tf.setBackend('webgpu');
        return ok ? { name, ok: true, reason: 'WebGPU adapter found through Dawn' } : { name, ok: false, reason: 'no WebGPU adapter' };
      } catch (e) {
        return { name, ok: false, reason: `WebGPU failed to initialise: ${(e as Error).message}` };
      }
    }
    case 'wasm': {
      const r = tryRequire('@tensorflow/tfjs-backend-wasm');
      if (!r.ok) return { name, ok: false, reason: `@tensorflow/tfjs-backend-wasm failed to load: ${r.error}` };
      try {
        const ok = await tf.setBackend('wasm');
        if (!ok) return { name, ok: false, reason: 'wasm backend failed to initialise' };
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        const k = registerWasmKernels(); // missing/slow kernels (src/model/kernels.ts)
        const extra = k.registered.length ? `; workbench kernels: ${k.registered.join(', ')}` : '';
        return { name, ok: true, reason: `WebAssembly backend (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'})${extra}` };
      } catch (e) {
        return { name, ok: false, reason: `wasm failed: ${(e as Error).message}` };
      }
    }
    case 'cpu': {
      require('@tensorflow/tfjs-backend-cpu');
      const ok = await tf.setBackend('cpu');
      return ok ? { name, ok: true, reason: 'plain JavaScript backend (always available, slowest)' } : { name, ok: false, reason: 'cpu backend failed' };
    }
  }
}

/**
 * Selects the first backend that works, in BACKEND_ORDER, or `prefer` (or $FLEMING_BACKEND)
 * first when given; returns the choice with the reason for every attempt.
 */
export async function selectBackend(prefer?: BackendName | string): Promise<BackendChoice> {
  const wanted = (prefer ?? process.env.FLEMING_BACKEND) as BackendName | undefined;
  if (wanted && !(BACKEND_ORDER as readonly string[]).includes(wanted))
    throw new Error(`unknown backend "${wanted}" (choose ${BACKEND_ORDER.join(', ')})`);
  const order: BackendName[] = wanted ? [wanted, ...BACKEND_ORDER.filter((b) => b !== wanted)] : [...BACKEND_ORDER];
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const a = await tryBackend(name);
    attempts.push(a);
    if (a.ok) {
      await tf.ready();
      const why = wanted && name !== wanted ? `requested ${wanted} was unavailable; ${a.reason}` : wanted ? `requested; ${a.reason}` : a.reason;
      return { name, reason: why, attempts, tfjsVersion: tf.version_core };
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`);
}
