/**
 * int8 ONNX graph → the float32 graph of the same weights.
 *
 * Why: the u8s8 MobileNetV2 answers differently on x86-64 CPUs without VNNI (their 8-bit dot products saturate), so
 * the same photo would get another breed on another instance type. The float graph computes what the int8 graph
 * means, identically everywhere: each QLinear* op becomes its float op over dequantized weights
 * ((w − zero point) × scale; int32 bias × input scale × weight scale), and its output is clamped to the range its
 * 8-bit output could hold — that clamp is where the quantizer fused the ReLU6s and the logits' range.
 *
 * Deterministic: the same input bytes give the same output bytes (fixed order, IEEE arithmetic), so the derived file
 * can be pinned by sha256 in its manifest.
 */
import onnxProto from 'onnx-proto';
import { ModelError } from './errors.ts';

const { onnx } = onnxProto;
type Tensor = onnxProto.onnx.ITensorProto;
type NodeSpec = onnxProto.onnx.INodeProto;

const DataType = onnx.TensorProto.DataType;

/** The range of an 8-bit value: uint8 or int8, by the zero point's type. */
function quantRange(zeroPointType: number): [number, number] {
  if (zeroPointType === DataType.UINT8) return [0, 255];
  if (zeroPointType === DataType.INT8) return [-128, 127];
  throw new ModelError(`unsupported quantized type ${zeroPointType} (expected uint8 or int8)`);
}

/** A tensor's values as numbers, whichever field (raw bytes or a typed list) holds them. */
function tensorValues(t: Tensor): number[] {
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read: Record<number, [number, (offset: number) => number]> = {
      [DataType.FLOAT]: [4, (o) => view.getFloat32(o, true)],
      [DataType.UINT8]: [1, (o) => view.getUint8(o)],
      [DataType.INT8]: [1, (o) => view.getInt8(o)],
      [DataType.INT32]: [4, (o) => view.getInt32(o, true)],
      [DataType.INT64]: [8, (o) => Number(view.getBigInt64(o, true))],
    };
    const reader = read[t.dataType ?? DataType.UNDEFINED];
    if (reader === undefined) throw new ModelError(`initializer ${t.name}: unsupported data type ${t.dataType}`);
    const [size, at] = reader;
    return Array.from({ length: raw.length / size }, (_, i) => at(i * size));
  }
  if (t.dataType === DataType.FLOAT) return [...(t.floatData ?? [])];
  if (t.dataType === DataType.INT64) return (t.int64Data ?? []).map(Number);
  return [...(t.int32Data ?? [])];
}

function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor & { name: string } {
  const data = Float32Array.from(values);
  return {
    name,
    dims: [...dims],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** Name of the float value standing for quantized value `name`. */
const floatName = (name: string): string => `${name}:float`;

class Dequantizer {
  private readonly initializers = new Map<string, Tensor>();
  private readonly created = new Map<string, Tensor>();
  readonly nodes: NodeSpec[] = [];
  readonly initializerNames: ReadonlySet<string>;

  constructor(initializers: readonly Tensor[]) {
    for (const t of initializers) this.initializers.set(t.name ?? '', t);
    this.initializerNames = new Set(this.initializers.keys());
  }

  initializer(name: string): Tensor {
    const t = this.initializers.get(name);
    if (t === undefined) throw new ModelError(`expected an initializer named "${name}"`);
    return t;
  }

  values(name: string): number[] {
    return tensorValues(this.initializer(name));
  }

  scalar(name: string): number {
    const [value, ...rest] = this.values(name);
    if (value === undefined || rest.length > 0) throw new ModelError(`"${name}" must be a scalar`);
    return value;
  }

  private add(tensor: Tensor & { name: string }): string {
    this.created.set(tensor.name, tensor);
    return tensor.name;
  }

  /**
   * The float value for quantized input (value, scale, zero point): a dequantized initializer for weights (scales
   * per tensor, or per channel along `axis`), the float twin of the producing op for activations.
   */
  floatInput(value: string, scale: string, zeroPoint: string, axis = 0): string {
    const weights = this.initializers.get(value);
    if (weights === undefined) return floatName(value);
    const name = floatName(value);
    if (this.created.has(name)) return name;
    const q = tensorValues(weights);
    const scales = this.values(scale);
    const zeros = this.values(zeroPoint);
    const dims = (weights.dims ?? []).map(Number);
    // Elements sharing one scale: the product of the dims after `axis` (per channel), or all of them.
    const perChannel = scales.length > 1;
    const inner = perChannel ? dims.slice(axis + 1).reduce((a, b) => a * b, 1) : q.length;
    const channels = perChannel ? (dims[axis] ?? 1) : 1;
    if (perChannel && scales.length !== channels) {
      throw new ModelError(`${value}: ${scales.length} scales for ${channels} channels`);
    }
    const out = q.map((v, i) => {
      const c = Math.floor(i / inner) % channels;
      return (v - (zeros[perChannel ? c : 0] ?? 0)) * (scales[perChannel ? c : 0] as number);
    });
    return this.add(floatTensor(name, dims, out));
  }

  /** int32 bias quantized with scale input scale × weight scale (per output channel). */
  floatBias(bias: string, inputScale: string, weightScale: string): string {
    const name = floatName(bias);
    const xs = this.scalar(inputScale);
    const ws = this.values(weightScale);
    const b = this.values(bias);
    return this.add(
      floatTensor(
        name,
        (this.initializer(bias).dims ?? []).map(Number),
        b.map((v, m) => v * xs * (ws.length > 1 ? (ws[m] as number) : (ws[0] as number))),
      ),
    );
  }

  /** Emits `op` writing a temporary, then the clamp to what the 8-bit output (scale, zero point) could hold. */
  emitClamped(op: NodeSpec, output: string, scale: string, zeroPoint: string): void {
    const s = this.scalar(scale);
    const z = this.scalar(zeroPoint);
    const [qMin, qMax] = quantRange(this.initializer(zeroPoint).dataType ?? DataType.UNDEFINED);
    const unclamped = `${output}:unclamped`;
    this.nodes.push({ ...op, output: [unclamped] });
    const min = this.add(floatTensor(`${output}:min`, [], [(qMin - z) * s]));
    const max = this.add(floatTensor(`${output}:max`, [], [(qMax - z) * s]));
    this.nodes.push({
      opType: 'Clip',
      input: [unclamped, min, max],
      output: [floatName(output)],
      name: `${op.name}:clip`,
    });
  }

  /** Initializers the new nodes use: the created ones and any original float/int ones passed through. */
  usedInitializers(): Tensor[] {
    const used = new Set(this.nodes.flatMap((n) => n.input ?? []));
    const isUsed = (t: Tensor) => used.has(t.name ?? '');
    const kept = [...this.created.values()].filter(isUsed);
    const passed = [...this.initializers.values()].filter((t) => isUsed(t) && !this.created.has(t.name ?? ''));
    return [...passed, ...kept];
  }
}

function node(opType: string, name: string, input: string[], attribute: NodeSpec['attribute'] = []): NodeSpec {
  return { opType, name, input, output: [], attribute };
}

function rewrite(d: Dequantizer, n: NodeSpec, index: number): void {
  const name = n.name || `${n.opType}_${index}`;
  const inputs = n.input ?? [];
  const outputs = n.output ?? [];
  const input = (i: number): string => inputs[i] ?? '';
  const output = outputs[0] ?? '';
  switch (n.opType) {
    case 'QuantizeLinear': {
      // Quantizing the input clamps it to the 8-bit range (its rounding is the only thing the float graph drops).
      d.emitClamped(node('Identity', name, [input(0)]), output, input(1), input(2));
      return;
    }
    case 'DequantizeLinear':
      d.nodes.push({ opType: 'Identity', name, input: [floatName(input(0))], output: [output] });
      return;
    case 'QLinearConv': {
      const inputs = [floatName(input(0)), d.floatInput(input(3), input(4), input(5), 0)];
      if (input(8) !== '') inputs.push(d.floatBias(input(8), input(1), input(4)));
      d.emitClamped(node('Conv', name, inputs, n.attribute), output, input(6), input(7));
      return;
    }
    case 'QLinearMatMul': {
      const a = d.floatInput(input(0), input(1), input(2));
      const b = d.floatInput(input(3), input(4), input(5), 1);
      d.emitClamped(node('MatMul', name, [a, b]), output, input(6), input(7));
      return;
    }
    case 'QLinearAdd': {
      const a = d.floatInput(input(0), input(1), input(2));
      const b = d.floatInput(input(3), input(4), input(5));
      d.emitClamped(node('Add', name, [a, b]), output, input(6), input(7));
      return;
    }
    case 'QLinearGlobalAveragePool': {
      const channelsLast = n.attribute?.find((a) => a.name === 'channels_last');
      if (channelsLast !== undefined && Number(channelsLast.i) !== 0) {
        throw new ModelError('QLinearGlobalAveragePool with channels_last=1 is not supported');
      }
      d.emitClamped(node('GlobalAveragePool', name, [floatName(input(0))]), output, input(3), input(4));
      return;
    }
    default: {
      if ((n.opType ?? '').startsWith('QLinear') || (n.domain ?? '') !== '') {
        throw new ModelError(`cannot dequantize operator ${n.domain ? `${n.domain}.` : ''}${n.opType}`);
      }
      // Shape arithmetic and reshapes pass through; a quantized operand is read as its float twin.
      const quantized = (v: string) => v.endsWith('_quantized') && !d.initializerNames.has(v);
      d.nodes.push({
        ...n,
        name,
        input: inputs.map((v) => (quantized(v) ? floatName(v) : v)),
        output: outputs.map((v) => (v.endsWith('_quantized') ? floatName(v) : v)),
      });
    }
  }
}

/** The float32 graph of an int8 (QLinear*) ONNX model, as bytes. */
export function dequantizeModel(bytes: Uint8Array): Uint8Array {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelError(`not an ONNX model: ${(error as Error).message}`);
  }
  const graph = model.graph;
  if (!graph) throw new ModelError('the ONNX model has no graph');
  const d = new Dequantizer(graph.initializer ?? []);
  (graph.node ?? []).forEach((n, i) => {
    rewrite(d, n, i);
  });
  const derived = onnx.ModelProto.create({
    irVersion: model.irVersion,
    opsetImport: (model.opsetImport ?? []).filter((o) => (o.domain ?? '') === ''),
    producerName: 'dog-breeds dequantize',
    producerVersion: '1',
    docString: `float32 graph derived from an int8 QLinear graph (${model.producerName ?? 'unknown producer'})`,
    graph: onnx.GraphProto.create({
      name: graph.name,
      node: d.nodes,
      initializer: d.usedInitializers(),
      input: (graph.input ?? []).filter((i) => !d.initializerNames.has(i.name ?? '')),
      output: graph.output,
    }),
  });
  return onnx.ModelProto.encode(derived).finish();
}
