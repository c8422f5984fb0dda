// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Text;

namespace ModelMetrics.Onnx.Tests;

/// <summary>
/// Writes ONNX models (onnx.proto's ModelProto) as protobuf bytes with only the fields the tests need, so that the tests
/// build real models themselves: nothing is downloaded, no Python is needed. Field numbers are those of onnx.proto.
/// </summary>
internal static class OnnxModelWriter
{
    // TensorProto.DataType
    public const int Float = 1;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int String = 8;

    /// <summary>A graph node: an operator with inputs, outputs and attributes.</summary>
    public sealed record Node(string OpType, string[] Inputs, string[] Outputs, string Domain = "", params Attribute[] Attributes);

    /// <summary>A node attribute (AttributeProto) of one of the kinds the tests use.</summary>
    public sealed record Attribute(string Name, long? Int = null, long[]? Ints = null, string[]? Strings = null);

    /// <summary>A float initializer (a constant tensor).</summary>
    public sealed record Initializer(string Name, long[] Dimensions, float[] Values);

    /// <summary>A graph input or output with its type (TypeProto as already encoded bytes).</summary>
    public sealed record Value(string Name, byte[] Type);

    /// <summary>TypeProto of a tensor; a dimension below 0 is the symbolic batch dimension "N".</summary>
    public static byte[] Tensor(int elementType, params long[] dimensions)
    {
        var shape = new ProtoWriter();
        foreach (long dimension in dimensions)
        {
            var dim = new ProtoWriter();
            if (dimension < 0)
            {
                dim.String(2, "N");              // Dimension.dim_param
            }
            else
            {
                dim.Varint(1, dimension);        // Dimension.dim_value
            }

            shape.Message(1, dim);               // TensorShapeProto.dim
        }

        var tensor = new ProtoWriter();
        tensor.Varint(1, elementType);           // TypeProto.Tensor.elem_type
        tensor.Message(2, shape);                // TypeProto.Tensor.shape
        var type = new ProtoWriter();
        type.Message(1, tensor);                 // TypeProto.tensor_type
        return type.ToArray();
    }

    /// <summary>TypeProto of a sequence of maps from <paramref name="keyType"/> to float tensors (what ZipMap returns).</summary>
    public static byte[] SequenceOfMaps(int keyType)
    {
        var valueTensor = new ProtoWriter();
        valueTensor.Varint(1, Float);
        var valueType = new ProtoWriter();
        valueType.Message(1, valueTensor);
        var map = new ProtoWriter();
        map.Varint(1, keyType);                  // TypeProto.Map.key_type
        map.Bytes(2, valueType.ToArray());       // TypeProto.Map.value_type
        var mapType = new ProtoWriter();
        mapType.Message(5, map);                 // TypeProto.map_type
        var sequence = new ProtoWriter();
        sequence.Bytes(1, mapType.ToArray());    // TypeProto.Sequence.elem_type
        var type = new ProtoWriter();
        type.Message(4, sequence);               // TypeProto.sequence_type
        return type.ToArray();
    }

    /// <summary>Writes a ModelProto (IR version 8, opsets ai.onnx 13 and ai.onnx.ml 2).</summary>
    public static byte[] Model(IEnumerable<Node> nodes, IEnumerable<Initializer> initializers, IEnumerable<Value> inputs, IEnumerable<Value> outputs)
    {
        var graph = new ProtoWriter();
        foreach (Node node in nodes)
        {
            var n = new ProtoWriter();
            foreach (string input in node.Inputs)
            {
                n.String(1, input);              // NodeProto.input
            }

            foreach (string output in node.Outputs)
            {
                n.String(2, output);             // NodeProto.output
            }

            n.String(4, node.OpType);            // NodeProto.op_type
            foreach (Attribute attribute in node.Attributes)
            {
                n.Message(5, WriteAttribute(attribute)); // NodeProto.attribute
            }

            if (node.Domain.Length > 0)
            {
                n.String(7, node.Domain);        // NodeProto.domain
            }

            graph.Message(1, n);                 // GraphProto.node
        }

        graph.String(2, "test_graph");           // GraphProto.name
        foreach (Initializer initializer in initializers)
        {
            var t = new ProtoWriter();
            foreach (long dimension in initializer.Dimensions)
            {
                t.Varint(1, dimension);          // TensorProto.dims
            }

            t.Varint(2, Float);                  // TensorProto.data_type
            t.String(8, initializer.Name);       // TensorProto.name
            byte[] raw = new byte[initializer.Values.Length * sizeof(float)];
            Buffer.BlockCopy(initializer.Values, 0, raw, 0, raw.Length);
            t.Bytes(9, raw);                     // TensorProto.raw_data (little-endian, as on the test machines)
            graph.Message(5, t);                 // GraphProto.initializer
        }

        foreach (Value input in inputs)
        {
            graph.Message(11, WriteValue(input)); // GraphProto.input
        }

        foreach (Value output in outputs)
        {
            graph.Message(12, WriteValue(output)); // GraphProto.output
        }

        var model = new ProtoWriter();
        model.Varint(1, 8);                      // ModelProto.ir_version
        model.String(2, "ModelMetrics.Onnx.Tests"); // ModelProto.producer_name
        model.Message(7, graph);                 // ModelProto.graph
        model.Message(8, OpsetImport(string.Empty, 13)); // ModelProto.opset_import
        model.Message(8, OpsetImport("ai.onnx.ml", 2));
        return model.ToArray();
    }

    private static ProtoWriter OpsetImport(string domain, long version)
    {
        var opset = new ProtoWriter();
        opset.String(1, domain);                 // OperatorSetIdProto.domain
        opset.Varint(2, version);                // OperatorSetIdProto.version
        return opset;
    }

    private static ProtoWriter WriteValue(Value value)
    {
        var v = new ProtoWriter();
        v.String(1, value.Name);                 // ValueInfoProto.name
        v.Bytes(2, value.Type);                  // ValueInfoProto.type
        return v;
    }

    private static ProtoWriter WriteAttribute(Attribute attribute)
    {
        var a = new ProtoWriter();
        a.String(1, attribute.Name);             // AttributeProto.name
        if (attribute.Int is long i)
        {
            a.Varint(3, i);                      // AttributeProto.i
            a.Varint(20, 2);                     // AttributeProto.type = INT
        }
        else if (attribute.Ints is { } ints)
        {
            foreach (long value in ints)
            {
                a.Varint(8, value);              // AttributeProto.ints
            }

            a.Varint(20, 7);                     // INTS
        }
        else if (attribute.Strings is { } strings)
        {
            foreach (string value in strings)
            {
                a.String(9, value);              // AttributeProto.strings
            }

            a.Varint(20, 8);                     // STRINGS
        }

        return a;
    }

    /// <summary>The protobuf wire format: varints (wire type 0) and length-delimited fields (wire type 2).</summary>
    private sealed class ProtoWriter
    {
        private readonly List<byte> _bytes = [];

        public void Varint(int field, long value)
        {
            WriteRaw((ulong)field << 3);
            WriteRaw((ulong)value);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public void Bytes(int field, byte[] value)
        {
            WriteRaw(((ulong)field << 3) | 2);
            WriteRaw((ulong)value.Length);
            _bytes.AddRange(value);
        }

        public byte[] ToArray() => [.. _bytes];

        private void WriteRaw(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.Add((byte)value);
        }
    }
}
