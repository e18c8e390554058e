/**
 * Kernels the wasm backend lacks or runs slowly, registered by `registerWasmKernels()`.
 *
 * - `UnsortedSegmentSum`: missing on wasm 4.22, so the gradient of `tf.gather` (embeddings)
 *   failed there. A plain loop over the wasm heap.
 * - `OneHot`: the wasm kernel ignores `dtype` and writes int32 bits, so a float32 one-hot read as
 *   denormals (1.4e-45); the fix runs it as int32 and converts.
 * - `Identity`: shares memory by reference count instead of copying (autodiff clones every
 *   tensor it saves for the backward pass).
 * - `Cast`: a same-dtype cast (the Multiply gradient casts dy's partner) shares memory too.
 * - `BatchMatMul`: the wasm kernel sends every matmul that is transposed or batched (> 1 batch)
 *   to a naive triple loop (≈ 1 GFLOP/s); only un-transposed 2-D products reach XNNPACK
 *   (≈ 18 GFLOP/s). Autodiff of `x·Wᵀ` produces exactly those slow shapes. The override
 *   transposes explicitly (wasm `Transpose`, memory-bound), folds a broadcast batch into rows,
 *   and runs a true batch (attention) as one XNNPACK call per slice on zero-copy views of
 *   the heap. Anything else (odd broadcasts, tiny products) goes to the original kernel.
 *
 * Other backends are untouched.
 */
import * as tf from '@tensorflow/tfjs-core';
// Autodiff of the ops below: the gradient registrations ship with the @tensorflow/tfjs bundle
// (CommonJS, so it loads in tslab notebooks too; tfjs-core's own register_all_gradients is ESM only).
require('@tensorflow/tfjs');

/** The parts of tfjs-backend-wasm's BackendWasm that the kernels use. */
interface WasmHeapBackend {
  wasm: {
    HEAPU8: Uint8Array;
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number }; delete(dataId: object): boolean };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export const defaults = {
  /** Batched products whose per-slice work (M·K·N) is below this go to the original kernel. */
  minSliceWork: 4096,
};

/** What `registerWasmKernels` did. */
export interface KernelRegistration {
  registered: string[];
  skipped: string[];
}

let originalBatchMatMul: tf.KernelConfig | undefined;
let cwrapped: ((...args: unknown[]) => void) | undefined;

function asWasm(backend: unknown): WasmHeapBackend {
  return backend as WasmHeapBackend;
}

/** Output shape of UnsortedSegmentSum: [numSegments, ...x.shape after segmentIds' rank]. */
function segmentOutShape(x: tf.TensorInfo, ids: tf.TensorInfo, numSegments: number): number[] {
  return [numSegments, ...x.shape.slice(ids.shape.length)];
}

/**
 * UnsortedSegmentSum on the wasm heap: out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]; ids outside
 * [0, numSegments) are dropped, as in TensorFlow.
 */
function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const x = args.inputs.x as tf.TensorInfo;
  const ids = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = Number((args.attrs ?? {}).numSegments);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (wasm): unsupported dtype ${x.dtype}`);
  const n = tf.util.sizeFromShape(ids.shape);
  const inner = n === 0 ? 0 : tf.util.sizeFromShape(x.shape) / n;
  const out = backend.makeOutput(segmentOutShape(x, ids, numSegments), x.dtype);
  // Views after the allocation: a heap growth detaches older views.
  const xs = backend.typedArrayFromHeap(x);
  const is = backend.typedArrayFromHeap(ids);
  const os = backend.typedArrayFromHeap(out);
  os.fill(0);
  for (let i = 0; i < n; i++) {
    const s = is[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) os[dst + j] += xs[src + j];
  }
  return out;
}

let originalOneHot: tf.KernelConfig | undefined;

/** OneHot on wasm: the C++ kernel always writes int32 bits, so a float32 one-hot came out as denormals. */
function oneHotFixed(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const attrs = args.attrs ?? {};
  const orig = originalOneHot as tf.KernelConfig;
  if (attrs.dtype === 'int32') return orig.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const ints = orig.kernelFunc({ ...args, attrs: { ...attrs, dtype: 'int32' } } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const out = backend.makeOutput(ints.shape, attrs.dtype as tf.DataType);
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(ints));
  backend.disposeData(ints.dataId);
  return out;
}

/**
 * Identity on wasm without a copy: the output shares the input's memory through the backend's
 * reference count (as the cpu backend does). Autodiff clones every tensor it saves for the
 * backward pass, so the copying kernel doubled activation memory and time.
 */
function identityShared(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as WasmHeapBackend & { incRef(dataId: object): void };
  const x = args.inputs.x as tf.TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

let originalCast: tf.KernelConfig | undefined;

/** Cast on wasm: a cast to the same dtype (autodiff's Multiply gradient does one) shares memory instead of copying. */
function castShared(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if ((args.attrs ?? {}).dtype === x.dtype) return identityShared(args);
  return (originalCast as tf.KernelConfig).kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

/** Calls the wasm `Transpose` kernel; the result belongs to the caller (disposeData). */
function transposeLast2(backend: WasmHeapBackend, x: tf.TensorInfo): tf.TensorInfo {
  const k = tf.getKernel('Transpose', 'wasm');
  if (!k) throw new Error('wasm Transpose kernel is not registered');
  const [batch, r, c] = x.shape;
  const x3: tf.TensorInfo = { dataId: x.dataId, shape: [batch, r, c], dtype: x.dtype };
  return k.kernelFunc({ inputs: { x: x3 }, backend: backend as unknown as tf.KernelBackend, attrs: { perm: [0, 2, 1] } }) as tf.TensorInfo;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** A tensor registered over existing heap memory (no copy); release with `releaseView`. */
function heapView(backend: WasmHeapBackend, shape: number[], offset: number): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32', offset);
}

function releaseView(backend: WasmHeapBackend, t: tf.TensorInfo): void {
  const { id } = backend.dataIdMap.get(t.dataId);
  backend.wasm.tfjs.disposeData(id); // also drops XNNPACK operators cached on it; memory is not freed
  backend.dataIdMap.delete(t.dataId);
}

/** out[1,M,N] = a[1,M,K] · b[1,K,N] through XNNPACK (the un-transposed 2-D fast path). */
function xnnMatMul(backend: WasmHeapBackend, a: tf.TensorInfo, b: tf.TensorInfo, out: tf.TensorInfo): void {
  if (!cwrapped) cwrapped = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
  const m = backend.dataIdMap;
  cwrapped(m.get(a.dataId).id, shapeBytes(a.shape), 3, m.get(b.dataId).id, shapeBytes(b.shape), 3, 0, 0, m.get(out.dataId).id);
}

/**
 * BatchMatMul on wasm with every product sent to XNNPACK's 2-D path: transposes are made
 * explicit, a batch that broadcasts against a single `b` is folded into rows, and a real
 * batch runs slice by slice on zero-copy heap views.
 */
function fastBatchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const a = args.inputs.a as tf.TensorInfo;
  const b = args.inputs.b as tf.TensorInfo;
  const transposeA = Boolean((args.attrs ?? {}).transposeA);
  const transposeB = Boolean((args.attrs ?? {}).transposeB);
  const orig = originalBatchMatMul as tf.KernelConfig;
  const fallback = () => orig.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback();
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb) return fallback(); // let the original raise its error
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  const sameBatch = batchA === batchB;
  const broadcastB = batchB === 1;
  const broadcastA = batchA === 1;
  if (!(sameBatch || broadcastA || broadcastB)) return fallback();
  if (M * N * K === 0) return fallback();
  const trivial = !transposeA && !transposeB && batchA === 1 && batchB === 1;
  if (trivial) return fallback(); // already XNNPACK
  if (batch > 1 && !(broadcastB && !transposeA) && M * K * N < defaults.minSliceWork) return fallback();

  const temps: tf.TensorInfo[] = [];
  const views: tf.TensorInfo[] = [];
  try {
    // Explicit transposes: a3 is [batchA, M, K], b3 is [batchB, K, N], both contiguous.
    let a3: tf.TensorInfo = { dataId: a.dataId, shape: [batchA, transposeA ? K : M, transposeA ? M : K], dtype: 'float32' };
    let b3: tf.TensorInfo = { dataId: b.dataId, shape: [batchB, transposeB ? N : K, transposeB ? K : N], dtype: 'float32' };
    if (transposeA) temps.push((a3 = transposeLast2(backend, a3)));
    if (transposeB) temps.push((b3 = transposeLast2(backend, b3)));
    const out = backend.makeOutput([batch, M, N], 'float32');
    const aOff = backend.dataIdMap.get(a3.dataId).memoryOffset;
    const bOff = backend.dataIdMap.get(b3.dataId).memoryOffset;
    const oOff = backend.dataIdMap.get(out.dataId).memoryOffset;
    if (batch === 1 || broadcastB) {
      // Rows of every batch of `a` against one `b`: a single [batch·M, K]·[K, N] product.
      const av = heapView(backend, [1, batchA * M, K], aOff);
      views.push(av);
      const bv = heapView(backend, [1, K, N], bOff);
      views.push(bv);
      const ov = heapView(backend, [1, batch * M, N], oOff);
      views.push(ov);
      xnnMatMul(backend, av, bv, ov);
    } else {
      for (let s = 0; s < batch; s++) {
        const av = heapView(backend, [1, M, K], aOff + (broadcastA ? 0 : s * M * K * 4));
        const bv = heapView(backend, [1, K, N], bOff + s * K * N * 4);
        const ov = heapView(backend, [1, M, N], oOff + s * M * N * 4);
        xnnMatMul(backend, av, bv, ov);
        releaseView(backend, av);
        releaseView(backend, bv);
        releaseView(backend, ov);
      }
    }
    return { dataId: out.dataId, shape: [...outer, M, N], dtype: 'float32' };
  } finally {
    for (const v of views) releaseView(backend, v);
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * Registers the wasm kernels above (idempotent). Call after `@tensorflow/tfjs-backend-wasm`
 * is loaded (selectBackend does); returns what was registered and what was skipped and why.
 */
export function registerWasmKernels(): KernelRegistration {
  const registered: string[] = [];
  const skipped: string[] = [];
  try {
    require('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    return { registered, skipped: [`all: @tensorflow/tfjs-backend-wasm is not available (${(e as Error).message.split('\n')[0]})`] };
  }
  const seg = tf.getKernel('UnsortedSegmentSum', 'wasm');
  if (!seg) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc });
    registered.push('UnsortedSegmentSum');
  } else if (seg.kernelFunc === (unsortedSegmentSum as unknown as tf.KernelFunc)) skipped.push('UnsortedSegmentSum: already registered');
  else skipped.push('UnsortedSegmentSum: the wasm backend already has one');

  const id = tf.getKernel('Identity', 'wasm');
  if (!id) skipped.push('Identity: no original wasm kernel to replace');
  else if (id.kernelFunc === (identityShared as unknown as tf.KernelFunc)) skipped.push('Identity: already registered');
  else {
    tf.unregisterKernel('Identity', 'wasm');
    tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identityShared as unknown as tf.KernelFunc });
    registered.push('Identity');
  }

  const cast = tf.getKernel('Cast', 'wasm');
  if (!cast) skipped.push('Cast: no original wasm kernel to wrap');
  else if (cast.kernelFunc === (castShared as unknown as tf.KernelFunc)) skipped.push('Cast: already registered');
  else {
    originalCast = cast;
    tf.unregisterKernel('Cast', 'wasm');
    tf.registerKernel({ kernelName: 'Cast', backendName: 'wasm', setupFunc: cast.setupFunc, kernelFunc: castShared as unknown as tf.KernelFunc });
    registered.push('Cast');
  }

  const oh = tf.getKernel('OneHot', 'wasm');
  if (!oh) skipped.push('OneHot: no original wasm kernel to wrap');
  else if (oh.kernelFunc === (oneHotFixed as unknown as tf.KernelFunc)) skipped.push('OneHot: already registered');
  else {
    originalOneHot = oh;
    tf.unregisterKernel('OneHot', 'wasm');
    tf.registerKernel({ kernelName: 'OneHot', backendName: 'wasm', setupFunc: oh.setupFunc, kernelFunc: oneHotFixed as unknown as tf.KernelFunc });
    registered.push('OneHot');
  }

  const mm = tf.getKernel('BatchMatMul', 'wasm');
  if (!mm) skipped.push('BatchMatMul: no original wasm kernel to wrap');
  else if (mm.kernelFunc === (fastBatchMatMul as unknown as tf.KernelFunc)) skipped.push('BatchMatMul: already registered');
  else {
    originalBatchMatMul = mm;
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', setupFunc: mm.setupFunc, kernelFunc: fastBatchMatMul as unknown as tf.KernelFunc });
    registered.push('BatchMatMul');
  }
  return { registered, skipped };
}

/** Puts back the original wasm BatchMatMul (for benchmarks that compare both). */
export function unregisterFastMatMul(): boolean {
  const mm = tf.getKernel('BatchMatMul', 'wasm');
  if (!originalBatchMatMul || !mm || mm.kernelFunc !== (fastBatchMatMul as unknown as tf.KernelFunc)) return false;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel(originalBatchMatMul);
  return true;
}
