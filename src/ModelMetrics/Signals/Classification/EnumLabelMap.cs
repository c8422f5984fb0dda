// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace ModelMetrics.Signals;

/// <summary>
/// Maps the values of one enum type to declared label indices, built once per enum type by member name
/// (ignoring case), so that recording an enum label is an array lookup.
/// </summary>
internal sealed class EnumLabelMap
{
    /// <summary>The enum member has no declared label of the same name.</summary>
    public const int Unknown = -1;

    /// <summary>The value is not a defined member of the enum.</summary>
    public const int Undefined = -2;

    private const int MaxDenseRange = 1024;

    private readonly long _minValue;
    private readonly int[]? _dense;
    private readonly Dictionary<long, int>? _sparse;

    private EnumLabelMap(Type enumType, Dictionary<long, int> indices)
    {
        EnumType = enumType;
        if (indices.Count == 0)
        {
            _dense = [];
            return;
        }

        long min = long.MaxValue, max = long.MinValue;
        foreach (long value in indices.Keys)
        {
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        // Note: unchecked and unsigned, the span of an enum over the whole Int64 range overflows a long.
        if (unchecked((ulong)(max - min)) < MaxDenseRange)
        {
            _minValue = min;
            _dense = new int[max - min + 1];
            Array.Fill(_dense, Undefined);
            foreach ((long value, int index) in indices)
            {
                _dense[value - min] = index;
            }
        }
        else
        {
            _sparse = indices;
        }
    }

    public Type EnumType { get; }

    public static EnumLabelMap Create<TEnum>(FrozenDictionary<string, int> labelIndex)
        where TEnum : struct, Enum
    {
        var ignoringCase = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach ((string label, int index) in labelIndex)
        {
            ignoringCase.TryAdd(label, index);
        }

        var indices = new Dictionary<long, int>();
        foreach (TEnum value in Enum.GetValues<TEnum>())
        {
            // An exact match first: with labels "cat" and "Cat", Animal.Cat is "Cat"; case is ignored only when no
            // label matches exactly.
            string? name = Enum.GetName(value);
            indices[ToInt64(value)] = name is null ? Unknown
                : labelIndex.TryGetValue(name, out int exact) ? exact
                : ignoringCase.TryGetValue(name, out int index) ? index : Unknown;
        }

        return new EnumLabelMap(typeof(TEnum), indices);
    }

    /// <summary>Reads an enum's numeric value without boxing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ToInt64<TEnum>(TEnum value)
        where TEnum : struct, Enum => Unsafe.SizeOf<TEnum>() switch
        {
            1 => Unsafe.As<TEnum, byte>(ref value),
            2 => Unsafe.As<TEnum, short>(ref value),
            4 => Unsafe.As<TEnum, int>(ref value),
            _ => Unsafe.As<TEnum, long>(ref value),
        };

    /// <summary>Returns the label index, <see cref="Unknown"/> or <see cref="Undefined"/>.</summary>
    public int IndexOf(long value)
    {
        if (_dense is not null)
        {
            ulong offset = (ulong)(value - _minValue);
            return offset < (ulong)_dense.Length ? _dense[offset] : Undefined;
        }

        return _sparse!.TryGetValue(value, out int index) ? index : Undefined;
    }
}
