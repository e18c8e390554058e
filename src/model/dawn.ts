/**
 * The webgpu backend in Node: Dawn (the `webgpu` npm package) provides `navigator.gpu`, and
 * @tensorflow/tfjs-backend-webgpu runs on the device we open, not on the one its own factory
 * would ask for (it cannot request the compatibility feature level that software adapters need).
 *
 * Dawn setups tried in order, first adapter wins:
 * 1. `FLEMING_DAWN_OPTIONS` when set: Dawn options separated by `;`, e.g.
 *    `backend=vulkan;adapter=NVIDIA H100 80GB HBM3` (pass `adapter=?` to have Dawn list them);
 * 2. otherwise Dawn's default (Vulkan on Linux: an NVIDIA GPU through its Vulkan ICD), core
 *    feature level, high-performance adapter;
 * 3. then `backend=opengles` at the compatibility feature level, with EGL_PLATFORM=surfaceless
 *    (Mesa's llvmpipe: a software adapter, for tests, not for speed).
 * Each setup tries the core feature level first, then compatibility.
 *
 * Kernels replaced on webgpu (`registerWebGPUKernels`):
 * - `AddN`: tfjs binds every input as a storage buffer in one shader, so more than
 *   maxStorageBuffersPerShaderStage − 1 inputs (7 at WebGPU's default limit) fail validation;
 *   the global gradient norm sums one term per parameter. The replacement sums in chunks.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The adapter the webgpu backend runs on. */
export interface WebGPUAdapter {
  /** Dawn options that found it. */
  options: string[];
  featureLevel: 'core' | 'compatibility';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader) or Dawn's fallback adapter. */
  software: boolean;
}

/** Minimal view of the WebGPU objects used here (the `webgpu` package ships no CommonJS types). */
interface GpuAdapterLike {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  features: Set<string>;
  limits: Record<string, number>;
  requestDevice(d: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<unknown>;
}
interface GpuLike {
  requestAdapter(o: { featureLevel?: string; powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

/** Human summary of an adapter, e.g. "NVIDIA … (vulkan, core)". */
export function describeAdapter(a: WebGPUAdapter): string {
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const opts = a.options.length ? a.options.join(';') : 'Dawn default';
  return `${name}${a.description ? ` [${a.description}]` : ''} (${opts}, ${a.featureLevel} feature level${a.software ? ', software: for tests, not speed' : ''})`;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe/i;

/** The Dawn option sets to try, from FLEMING_DAWN_OPTIONS or the defaults above. */
export function dawnOptionSets(env: NodeJS.ProcessEnv = process.env): string[][] {
  const given = env.FLEMING_DAWN_OPTIONS?.trim();
  if (given) return [given.split(';').map((s) => s.trim()).filter(Boolean)];
  return [[], ['backend=opengles']];
}

/** The parts of tfjs-backend-webgpu's WebGPUBackend used here. */
interface WebGPUBackendLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
}

let originalAddN: tf.KernelConfig | undefined;

/** AddN in chunks that fit the storage-buffer limit, then AddN of the partial sums. */
function addNChunked(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const orig = originalAddN as tf.KernelConfig;
  const backend = args.backend as WebGPUBackendLike;
  const xs = args.inputs as unknown as tf.TensorInfo[];
  const max = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
  const call = (inputs: tf.TensorInfo[]) => orig.kernelFunc({ ...args, inputs: inputs as unknown as tf.NamedTensorInfoMap } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  if (xs.length <= max) return call(xs);
  const partials: tf.TensorInfo[] = [];
  for (let i = 0; i < xs.length; i += max) partials.push(call(xs.slice(i, i + max)));
  const out = addNChunked({ ...args, inputs: partials as unknown as tf.NamedTensorInfoMap });
  for (const p of partials) backend.disposeData(p.dataId);
  return out;
}

/** Replaces the webgpu kernels listed in the file comment (idempotent); returns their names. */
export function registerWebGPUKernels(): string[] {
  const registered: string[] = [];
  const k = tf.getKernel('AddN', 'webgpu');
  if (k && k.kernelFunc !== (addNChunked as unknown as tf.KernelFunc)) {
    originalAddN = k;
    tf.unregisterKernel('AddN', 'webgpu');
    tf.registerKernel({ ...k, kernelFunc: addNChunked as unknown as tf.KernelFunc });
  }
  if (tf.getKernel('AddN', 'webgpu')?.kernelFunc === (addNChunked as unknown as tf.KernelFunc)) registered.push('AddN');
  return registered;
}

let active: { adapter: WebGPUAdapter; gpu: GpuLike } | undefined;

/** The adapter found by the last successful `registerWebGPU`, if any. */
export function webgpuAdapter(): WebGPUAdapter | undefined {
  return active?.adapter;
}

type Dawn = { create: (o: string[]) => GpuLike; globals: Record<string, unknown> };

async function loadDawn(): Promise<Dawn> {
  // An ES module: require() loads it on Node ≥ 20.19 (also inside tslab, whose compiled
  // import() does not); import() is the fallback for older Node.
  try {
    const m = require('webgpu') as Dawn;
    if (typeof m.create === 'function') return m;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw e;
  }
  const m = (await import('webgpu' as string)) as Dawn & { default?: Dawn };
  return typeof m.create === 'function' ? m : (m.default as Dawn);
}

/**
 * Finds an adapter through Dawn, installs `navigator.gpu` and the WebGPU globals, and registers
 * the tfjs `webgpu` backend on that adapter (replacing the package's own factory). Does not
 * switch backends. Idempotent: a second call returns the first adapter.
 * @throws when the packages are missing or no adapter is found (the message lists what was tried)
 */
export async function registerWebGPU(): Promise<WebGPUAdapter> {
  if (active) return active.adapter;
  const { create, globals } = await loadDawn();
  Object.assign(globalThis, globals);
  const tried: string[] = [];
  for (const options of dawnOptionSets()) {
    if (options.includes('backend=opengles') || options.includes('backend=opengl')) process.env.EGL_PLATFORM ??= 'surfaceless';
    let gpu: GpuLike;
    try {
      gpu = create(options);
    } catch (e) {
      tried.push(`[${options.join(';') || 'default'}]: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    for (const featureLevel of ['core', 'compatibility'] as const) {
      const a = await gpu.requestAdapter({ featureLevel, powerPreference: 'high-performance' });
      if (!a) {
        tried.push(`[${options.join(';') || 'default'}] ${featureLevel}: no adapter`);
        continue;
      }
      const info = a.info;
      const adapter: WebGPUAdapter = {
        options,
        featureLevel,
        vendor: info.vendor,
        architecture: info.architecture,
        device: info.device,
        description: info.description,
        software: Boolean(info.isFallbackAdapter) || SOFTWARE.test(`${info.device} ${info.description}`),
      };
      const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: GpuLike };
      Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
      // Loading the package registers its own factory when navigator.gpu exists: replace it.
      const { WebGPUBackend } = require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
      if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
      tf.registerBackend('webgpu', async () => {
        const lim = a.limits;
        const device = await a.requestDevice({
          requiredFeatures: a.features.has('timestamp-query') ? ['timestamp-query'] : [],
          requiredLimits: {
            maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
            maxComputeWorkgroupsPerDimension: lim.maxComputeWorkgroupsPerDimension,
            maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
            maxBufferSize: lim.maxBufferSize,
            maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
            maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
            maxStorageBuffersPerShaderStage: lim.maxStorageBuffersPerShaderStage,
          },
        });
        return new WebGPUBackend(device as ConstructorParameters<typeof WebGPUBackend>[0], info as unknown as ConstructorParameters<typeof WebGPUBackend>[1]);
      }, 3);
      registerWebGPUKernels();
      active = { adapter, gpu };
      return adapter;
    }
  }
  throw new Error(`no WebGPU adapter through Dawn (tried ${tried.join('; ')})`);
}
