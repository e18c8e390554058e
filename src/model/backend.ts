/**
 * TensorFlow.js backend selection, best first: tensorflow (@tensorflow/tfjs-node-gpu or
 * @tensorflow/tfjs-node, optional: their install downloads libtensorflow), webgpu (Dawn through
 * the `webgpu` package with @tensorflow/tfjs-backend-webgpu), wasm (SIMD, the default here), cpu.
 * Every attempt is recorded with the reason it was or was not used, so a notebook or log can say
 * which backend runs and why. FLEMING_BACKEND or the `prefer` argument overrides the order.
 * A software WebGPU adapter (Mesa llvmpipe) is skipped unless webgpu is asked for by name.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmKernels } from './kernels';
import { describeAdapter, registerWebGPU } from './dawn';
import { inferenceChoice, useOrt } from './ort';
import { trainingChoice, trainingRuntime } from './ortTrain';

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

/** Whether the machine shows a GPU device node Dawn could open (NVIDIA, a DRM render node, AMD's KFD). */
export function gpuDeviceVisible(dev = '/dev'): boolean {
  try {
    const names = fs.readdirSync(dev);
    if (names.some((n) => /^nvidia\d+$/.test(n)) || names.includes('kfd')) return true;
    return fs.existsSync(`${dev}/dri`) && fs.readdirSync(`${dev}/dri`).some((n) => n.startsWith('renderD'));
  } catch {
    return false;
  }
}

/** @param requested the caller asked for this backend (a software WebGPU adapter is used only then) */
async function tryBackend(name: BackendName, requested: boolean): Promise<BackendAttempt> {
  switch (name) {
    case 'tensorflow': {
      const why: string[] = [];
      for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
        const r = tryRequire(pkg);
        if (r.ok && (await tf.setBackend('tensorflow'))) return { name, ok: true, reason: `${pkg} loaded (native libtensorflow)` };
        why.push(`${pkg}: ${r.ok ? 'loaded, but the tensorflow backend did not start' : /Cannot find module/.test(r.error ?? '') ? 'not installed' : r.error}`);
      }
      return { name, ok: false, reason: `${why.join('; ')} (optional: needs libtensorflow, see environment.md)` };
    }
    case 'webgpu': {
      // Dawn prints Vulkan/EGL warnings from native code whenever it looks for an adapter: look only
      // when asked to, or when a GPU device node exists (a software adapter is never chosen unasked).
      if (!requested && !process.env.FLEMING_DAWN_OPTIONS && !gpuDeviceVisible())
        return { name, ok: false, reason: 'no GPU device (/dev/nvidia*, /dev/dri/renderD*, /dev/kfd); FLEMING_BACKEND=webgpu tries Dawn anyway (a software adapter: for tests, not speed)' };
      const gpu = tryRequire('webgpu');
      if (!gpu.ok) return { name, ok: false, reason: `the \`webgpu\` (Dawn) package failed to load: ${gpu.error}` };
      const be = tryRequire('@tensorflow/tfjs-backend-webgpu');
      if (!be.ok) return { name, ok: false, reason: `@tensorflow/tfjs-backend-webgpu failed to load: ${be.error}` };
      try {
        const adapter = await registerWebGPU();
        if (adapter.software && !requested)
          return { name, ok: false, reason: `only a software adapter: ${describeAdapter(adapter)}; used when requested (FLEMING_BACKEND=webgpu)` };
        const ok = await tf.setBackend('webgpu');
        if (!ok || tf.getBackend() !== 'webgpu') return { name, ok: false, reason: `the webgpu backend failed to start on ${describeAdapter(adapter)}` };
        return { name, ok: true, reason: `WebGPU through Dawn on ${describeAdapter(adapter)}; reads are asynchronous` };
      } catch (e) {
        return { name, ok: false, reason: `WebGPU failed to initialise: ${(e as Error).message.split('\n')[0]}` };
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
    const a = await tryBackend(name, name === wanted);
    attempts.push(a);
    if (a.ok) {
      await tf.ready();
      const why = wanted && name !== wanted ? `requested ${wanted} was unavailable; ${a.reason}` : wanted ? `requested; ${a.reason}` : a.reason;
      return { name, reason: why, attempts, tfjsVersion: tf.version_core };
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`);
}

/**
 * Makes sure a backend is running before a stage touches tensors: selects one (the run's
 * `backend` setting first, when given) unless one is active already and it is the requested
 * one, and logs the choice. Every stage that runs the policy starts with this.
 */
export async function ensureBackend(prefer: string, log: (message: string) => void): Promise<void> {
  if (tf.engine().backendName && !(prefer && tf.getBackend() !== prefer)) return;
  const b = await selectBackend(prefer || undefined);
  const inf = inferenceChoice();
  const sampling = useOrt() ? inf.reason : inf.runtime === 'onnxruntime' ? `TensorFlow.js (${b.name}: a GPU backend keeps sampling)` : inf.reason;
  const trains = trainingRuntime() === 'onnxruntime' ? `onnxruntime-node (native CPU${trainingChoice() === 'auto' ? ', auto' : ''})` : `TensorFlow.js${trainingChoice() === 'tfjs' ? ' (requested)' : ''}`;
  log(`backend ${b.name} (${b.reason}); sampling on ${sampling}; training on ${trains}`);
}

export { syncReadsAvailable } from './reads';
