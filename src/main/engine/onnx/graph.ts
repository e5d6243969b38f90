/**
 * Small builders for ONNX protobuf pieces (attributes, tensors, value infos,
 * the model wrapper) shared by the inference export and the training graph.
 */
import onnxProto, { type onnx as Onnx } from 'onnx-proto';

// onnx-proto is CommonJS: Node's ESM loader only offers its default export.
export const { onnx } = onnxProto;
export type { Onnx };

const OPSET = 13;

export function attrInts(name: string, ints: number[]): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}
export function attrInt(name: string, i: number): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}
export function attrFloat(name: string, f: number): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f };
}
export function attrString(name: string, s: string): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(s) };
}

export function initializer(name: string, data: Float32Array, dims: number[]): Onnx.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

export function int64Initializer(name: string, values: number[]): Onnx.ITensorProto {
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values };
}

export function valueInfo(name: string, dims: (number | string)[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** ONNX Runtime's own domain of blocked-layout (NCHWc) CPU ops: ReorderInput, ReorderOutput, Conv. */
export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/** The model around `graph`, importing ONNX's opset and (version 1) every other domain its nodes use. */
export function encodeModel(graph: Onnx.IGraphProto, producer: string): Uint8Array {
  const domains = new Set((graph.node ?? []).map((n) => n.domain).filter((d): d is string => !!d));
  const opsetImport = [{ domain: '', version: OPSET }, ...[...domains].map((domain) => ({ domain, version: 1 }))];
  const model: Onnx.IModelProto = { irVersion: 8, producerName: producer, opsetImport, graph };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
