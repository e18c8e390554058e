/**
 * A minimal ONNX model writer: the protobuf wire format of ModelProto (onnx/onnx.proto3) for
 * graphs of standard operators, with no dependency. Enough to describe the policy's forward pass
 * for a native runtime (src/model/onnxLlama.ts, src/model/ort.ts): nodes with int / float / ints
 * attributes, int64 constant initializers, typed inputs and outputs with symbolic dimensions.
 */

/** ONNX TensorProto.DataType values used here. */
export const ONNX_TYPE = { float: 1, int32: 6, int64: 7 } as const;
export type OnnxElem = keyof typeof ONNX_TYPE;

/** A node attribute: an int, ints, a float ({f}) or a string ({s}). */
export type AttrValue = number | number[] | { f: number } | { s: string };

/** Protobuf writer (little-endian, varints as unsigned 64-bit with JS-number precision). */
class Pb {
  private parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  varint(n: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(n));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      out.push(byte);
    } while (v > 0n);
    this.push(Uint8Array.from(out));
    return this;
  }

  private key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, n: number): this {
    return this.key(field, 0).varint(n);
  }

  float(field: number, x: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    this.key(field, 5).push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2).varint(b.length).push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }

  /** Packed repeated varints. */
  packed(field: number, ns: readonly number[]): this {
    const inner = new Pb();
    for (const n of ns) inner.varint(n);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** A tensor's element type and shape; a string dimension is symbolic. */
export interface ValueInfo {
  name: string;
  elem: OnnxElem;
  dims: (number | string)[];
}

function valueInfo(v: ValueInfo): Pb {
  const shape = new Pb();
  for (const d of v.dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().string(2, d));
  const tensorType = new Pb().int(1, ONNX_TYPE[v.elem]).msg(2, shape);
  return new Pb().string(1, v.name).msg(2, new Pb().msg(1, tensorType));
}

function attribute(name: string, v: AttrValue): Pb {
  const a = new Pb().string(1, name);
  if (typeof v === 'number') return a.int(3, v).int(20, 2); // INT
  if (Array.isArray(v)) return a.packed(8, v).int(20, 7); // INTS
  if ('s' in v) return a.string(4, v.s).int(20, 3); // STRING
  return a.float(2, v.f).int(20, 1); // FLOAT
}

/** Builds one graph: inputs, int64 constants, nodes (outputs named automatically), outputs. */
export class OnnxGraph {
  private readonly nodes: Pb[] = [];
  private readonly inits: Pb[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private count = 0;

  constructor(readonly name: string) {}

  /** Declares a graph input; returns its name. */
  input(name: string, elem: OnnxElem, dims: (number | string)[]): string {
    this.inputs.push({ name, elem, dims });
    return name;
  }

  /** Declares the node output `name` (named so when the node was added) a graph output, without a copy. */
  declareOutput(name: string, elem: OnnxElem, dims: (number | string)[]): void {
    this.outputs.push({ name, elem, dims });
  }

  /** Declares `value` (a node output) as the graph output `name` through an Identity node (a copy). */
  output(value: string, name: string, elem: OnnxElem, dims: (number | string)[]): void {
    this.node('Identity', [value], {}, name);
    this.outputs.push({ name, elem, dims });
  }

  /** An int64 constant (shapes, axes, slice bounds); returns its name. */
  ints(values: readonly number[], dims: number[] = [values.length]): string {
    const name = `c${this.count++}`;
    const raw = new Uint8Array(values.length * 8);
    const dv = new DataView(raw.buffer);
    values.forEach((x, i) => dv.setBigInt64(i * 8, BigInt(x), true));
    const t = new Pb();
    for (const d of dims) t.int(1, d);
    this.inits.push(t.int(2, ONNX_TYPE.int64).string(8, name).bytes(9, raw));
    return name;
  }

  /** A float32 scalar constant; returns its name. */
  scalar(x: number): string {
    const name = `c${this.count++}`;
    const raw = new Uint8Array(4);
    new DataView(raw.buffer).setFloat32(0, x, true);
    this.inits.push(new Pb().int(2, ONNX_TYPE.float).string(8, name).bytes(9, raw));
    return name;
  }

  /** Adds a node of operator `op` (default domain); returns its (first) output's name. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const o = out ?? `t${this.count++}`;
    const n = new Pb();
    for (const i of inputs) n.string(1, i);
    n.string(2, o).string(3, `n${this.count++}`).string(4, op);
    for (const [k, v] of Object.entries(attrs)) n.msg(5, attribute(k, v));
    this.nodes.push(n);
    return o;
  }

  /** The serialized ModelProto (IR version 8, ONNX opset `opset`). */
  toModel(opset = 17): Uint8Array {
    const g = new Pb();
    for (const n of this.nodes) g.msg(1, n);
    g.string(2, this.name);
    for (const t of this.inits) g.msg(5, t);
    for (const v of this.inputs) g.msg(11, valueInfo(v));
    for (const v of this.outputs) g.msg(12, valueInfo(v));
    const opsetId = new Pb().string(1, '').int(2, opset);
    return new Pb().int(1, 8).string(2, 'fleming-workbench').msg(7, g).msg(8, opsetId).finish();
  }
}
