// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace ModelMetrics.Reports.TensorBoard;

/// <summary>
/// Encodes TensorBoard's <c>Event</c> and <c>Summary</c> protocol buffers by hand (the handful of fields a scalar
/// needs) and frames them as TFRecords: length, masked CRC-32C of the length, data, masked CRC-32C of the data.
/// </summary>
/// <remarks>
/// From tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto: <c>Event</c> { double wall_time = 1;
/// int64 step = 2; string file_version = 3; Summary summary = 5; }, <c>Summary</c> { repeated Value value = 1; },
/// <c>Summary.Value</c> { string tag = 1; float simple_value = 2; }.
/// </remarks>
internal static class TfRecordWriter
{
    private const uint MaskDelta = 0xa282ead8;

    /// <summary>Appends the record of an <c>Event</c> carrying <paramref name="fileVersion"/>.</summary>
    public static void AppendFileVersion(MemoryStream output, double wallTime, string fileVersion)
    {
        var data = new MemoryStream();
        WriteTag(data, 1, 1);
        WriteDouble(data, wallTime);
        WriteTag(data, 3, 2);
        WriteBytes(data, Encoding.UTF8.GetBytes(fileVersion));
        AppendRecord(output, data.GetBuffer().AsSpan(0, (int)data.Length));
    }

    /// <summary>Appends the record of an <c>Event</c> with a <c>Summary</c> of scalar values.</summary>
    public static void AppendScalars(MemoryStream output, double wallTime, long step, IReadOnlyList<KeyValuePair<string, float>> scalars)
    {
        var summary = new MemoryStream();
        var value = new MemoryStream();
        Span<byte> f = stackalloc byte[4];
        foreach (KeyValuePair<string, float> scalar in scalars)
        {
            value.SetLength(0);
            WriteTag(value, 1, 2);
            WriteBytes(value, Encoding.UTF8.GetBytes(scalar.Key));
            WriteTag(value, 2, 5);
            BinaryPrimitives.WriteSingleLittleEndian(f, scalar.Value);
            value.Write(f);
            WriteTag(summary, 1, 2);
            WriteBytes(summary, value.GetBuffer().AsSpan(0, (int)value.Length));
        }

        var data = new MemoryStream();
        WriteTag(data, 1, 1);
        WriteDouble(data, wallTime);
        WriteTag(data, 2, 0);
        WriteVarint(data, (ulong)step);
        WriteTag(data, 5, 2);
        WriteBytes(data, summary.GetBuffer().AsSpan(0, (int)summary.Length));
        AppendRecord(output, data.GetBuffer().AsSpan(0, (int)data.Length));
    }

    public static void AppendRecord(MemoryStream output, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc(header[..8]));
        output.Write(header);
        output.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc(data));
        output.Write(footer);
    }

    /// <summary>TFRecord's mask: rotate the CRC right by 15 bits and add a constant (so a CRC of CRCs is not trivial).</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C.Compute(data);
        return unchecked(((crc >> 15) | (crc << 17)) + MaskDelta);
    }

    private static void WriteTag(MemoryStream stream, int field, int wireType) => WriteVarint(stream, (ulong)((field << 3) | wireType));

    private static void WriteVarint(MemoryStream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }

    private static void WriteDouble(MemoryStream stream, double value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WriteBytes(MemoryStream stream, ReadOnlySpan<byte> bytes)
    {
        WriteVarint(stream, (ulong)bytes.Length);
        stream.Write(bytes);
    }
}

/// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven: a few kilobytes per export.</summary>
internal static class Crc32C
{
    private static readonly uint[] Table = CreateTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint crc = i;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }

            table[i] = crc;
        }

        return table;
    }
}
