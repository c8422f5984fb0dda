// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ModelMetrics.MLNet;

/// <summary>What an ML.NET model predicts, told by its output schema.</summary>
internal enum MLNetModelKind
{
    /// <summary><c>Score</c> is a vector of one score per class (slot names: the classes), <c>PredictedLabel</c> a key.</summary>
    Multiclass,

    /// <summary><c>PredictedLabel</c> is a Boolean, <c>Score</c> one float, <c>Probability</c> one float when calibrated.</summary>
    Binary,

    /// <summary><c>Score</c> is one float and there is no <c>PredictedLabel</c>.</summary>
    Regression,
}

/// <summary>
/// Reads an ML.NET output row (the user's <typeparamref name="TOutput"/>) and records it into a monitor through the
/// monitor's public API: class probabilities in the monitor's label order, the predicted class, a binary model's
/// probability, or a regression value. Everything that can be checked once (the kind of model, which members hold which
/// columns, the map from the model's classes to the monitor's) is checked at construction.
/// </summary>
/// <typeparam name="TOutput">The model's output row.</typeparam>
internal sealed class MLNetOutputReader<TOutput>
    where TOutput : class
{
    /// <summary>Columns ML.NET's trainers write, by their default names (<c>DefaultColumnNames</c>).</summary>
    internal const string ScoreColumn = "Score";
    internal const string PredictedLabelColumn = "PredictedLabel";
    internal const string ProbabilityColumn = "Probability";

    // The monitor's own tolerance for a probability vector's sum (ModelMonitor.RecordPrediction rejects beyond it).
    private const float SumTolerance = 0.001f;

    // Note: class vectors up to this length are reordered on the stack; longer ones in a rented array (no allocation either way).
    private const int StackClasses = 256;

    private readonly ModelMonitor _monitor;
    private readonly Func<TOutput, float[]?>? _scores;
    private readonly int[]? _slotToClass;
    private readonly int _classCount;
    private readonly Func<TOutput, uint>? _keyLabel;
    private readonly int[]? _keyToClass;
    private readonly Func<TOutput, string?>? _textLabel;
    private readonly Func<TOutput, bool>? _boolLabel;
    private readonly Func<TOutput, float>? _score;

    private MLNetOutputReader(ModelMonitor monitor, MLNetModelKind kind, DataViewSchema schema)
    {
        _monitor = monitor;
        Kind = kind;
        _classCount = monitor.ClassLabels.Count;
        switch (kind)
        {
            case MLNetModelKind.Multiclass:
                RequireClasses(monitor, 2);
                _scores = Getter<float[]?>(ScoreColumn);
                _slotToClass = MapClasses(schema[ScoreColumn], monitor, slotNames: true);
                if (Member(PredictedLabelColumn) is not null && schema.GetColumnOrNull(PredictedLabelColumn) is { } label)
                {
                    if (label.Type is KeyDataViewType)
                    {
                        _keyLabel = Getter<uint>(PredictedLabelColumn);
                        _keyToClass = MapClasses(label, monitor, slotNames: false);
                    }
                    else
                    {
                        _textLabel = Getter<string?>(PredictedLabelColumn);
                    }
                }

                if (_scores is null && _keyLabel is null && _textLabel is null)
                {
                    throw new ArgumentException(
                        $"{typeof(TOutput).Name} has neither a float[] member for the column '{ScoreColumn}' nor one for '{PredictedLabelColumn}' (a uint key or a string): nothing to record.");
                }

                break;

            case MLNetModelKind.Binary:
                RequireClasses(monitor, 2);
                if (monitor.ClassLabels.Count != 2)
                {
                    throw new ArgumentException(
                        $"A binary ML.NET model needs a monitor with two ClassLabels (false first, then true); '{monitor.ModelName}' declares {monitor.ClassLabels.Count}.",
                        nameof(monitor));
                }

                _score = schema.GetColumnOrNull(ProbabilityColumn) is not null ? Getter<float>(ProbabilityColumn) : null;
                _boolLabel = Getter<bool>(PredictedLabelColumn);
                if (_score is null && _boolLabel is null)
                {
                    throw new ArgumentException(
                        $"{typeof(TOutput).Name} has neither a float member for the column '{ProbabilityColumn}' nor a bool one for '{PredictedLabelColumn}': nothing to record.");
                }

                break;

            default:
                if (monitor.ClassLabels.Count != 0)
                {
                    throw new ArgumentException(
                        $"A regression ML.NET model needs a monitor without ClassLabels; '{monitor.ModelName}' declares {monitor.ClassLabels.Count}.",
                        nameof(monitor));
                }

                _score = Getter<float>(ScoreColumn)
                    ?? throw new ArgumentException($"{typeof(TOutput).Name} has no float member for the column '{ScoreColumn}': nothing to record.");
                break;
        }
    }

    /// <summary>Gets the kind of model.</summary>
    public MLNetModelKind Kind { get; }

    /// <summary>Creates a reader of <paramref name="schema"/>'s rows that records into <paramref name="monitor"/>.</summary>
    /// <param name="schema">The model's output schema.</param>
    /// <param name="monitor">Where predictions are recorded.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="ArgumentException">The model is of no known kind, the monitor does not fit it, or <typeparamref name="TOutput"/> has no member to read.</exception>
    public static MLNetOutputReader<TOutput> Create(DataViewSchema schema, ModelMonitor monitor)
    {
        DataViewSchema.Column score = schema.GetColumnOrNull(ScoreColumn)
            ?? throw new ArgumentException($"The model's output has no '{ScoreColumn}' column: it is not a classifier or regression model of ML.NET.", nameof(schema));
        DataViewSchema.Column? label = schema.GetColumnOrNull(PredictedLabelColumn);
        MLNetModelKind kind = score.Type switch
        {
            VectorDataViewType { ItemType: NumberDataViewType item } when item.RawType == typeof(float) => MLNetModelKind.Multiclass,
            NumberDataViewType { RawType: var raw } when raw == typeof(float) && label?.Type is BooleanDataViewType => MLNetModelKind.Binary,
            NumberDataViewType { RawType: var raw } when raw == typeof(float) && label is null => MLNetModelKind.Regression,
            _ => throw new ArgumentException(
                $"The model's output ('{ScoreColumn}': {score.Type}, '{PredictedLabelColumn}': {label?.Type.ToString() ?? "none"}) is not a multiclass, binary or regression model of ML.NET.",
                nameof(schema)),
        };
        return new MLNetOutputReader<TOutput>(monitor, kind, schema);
    }

    /// <summary>
    /// Records one output: for drift only, or with <paramref name="id"/> for a label to come when <paramref name="withId"/>
    /// (an invalid id is then counted by the monitor). Throws nothing the monitor would not: bad values are its rejections.
    /// </summary>
    /// <param name="output">The model's output.</param>
    /// <param name="id">The prediction's id.</param>
    /// <param name="withId">Whether to record with the id.</param>
    public void Record(TOutput output, in PredictionId id, bool withId)
    {
        switch (Kind)
        {
            case MLNetModelKind.Multiclass:
                RecordClasses(output, id, withId);
                break;
            case MLNetModelKind.Binary:
                if (_score is not null)
                {
                    float p = _score(output);
                    if (withId)
                    {
                        _monitor.RecordBinaryPrediction(id, p);
                    }
                    else
                    {
                        _monitor.RecordPrediction([1f - p, p]);
                    }
                }
                else
                {
                    RecordClass(_boolLabel!(output) ? 1 : 0, id, withId);
                }

                break;
            default:
                // A regression value is only worth keeping for its label (there is no value drift on the monitor).
                if (withId)
                {
                    _monitor.RecordRegressionPrediction(id, _score!(output));
                }

                break;
        }
    }

    private void RecordClasses(TOutput output, in PredictionId id, bool withId)
    {
        float[]? scores = _scores?.Invoke(output);
        if (scores is not null && scores.Length == _slotToClass!.Length)
        {
            float[]? rented = null;
            Span<float> probabilities = _classCount <= StackClasses
                ? stackalloc float[_classCount]
                : (rented = ArrayPool<float>.Shared.Rent(_classCount)).AsSpan(0, _classCount);
            try
            {
                probabilities.Clear();
                double sum = 0;
                bool valid = true;
                int best = 0;
                for (int slot = 0; slot < scores.Length; slot++)
                {
                    float score = scores[slot];
                    probabilities[_slotToClass[slot]] = score;
                    sum += score;
                    valid &= score is >= 0f and <= 1f;
                    best = score > scores[best] ? slot : best;
                }

                if (valid && Math.Abs(sum - 1) <= SumTolerance)
                {
                    if (withId)
                    {
                        _monitor.RecordPrediction(id, probabilities);
                    }
                    else
                    {
                        _monitor.RecordPrediction(probabilities);
                    }

                    return;
                }

                // Scores that are not probabilities (an uncalibrated one-versus-all, distances): only the class is
                // recorded, the model's own PredictedLabel when the output has it (a clustering model's is the nearest
                // centroid, not the highest score), else the highest score's class, as ML.NET's multiclass trainers pick.
                if (_keyLabel is null && _textLabel is null)
                {
                    RecordClass(_slotToClass[best], id, withId);
                    return;
                }
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<float>.Shared.Return(rented);
                }
            }
        }
        else if (_keyLabel is null && _textLabel is null)
        {
            // A null or wrong-length vector: the monitor rejects it and counts why.
            _monitor.RecordPrediction(scores);
            return;
        }

        RecordClass(PredictedClass(output), id, withId);
    }

    private int PredictedClass(TOutput output)
    {
        if (_keyLabel is not null)
        {
            // ML.NET keys count from 1; 0 is a missing value. Out of range is -1, which the monitor rejects and counts.
            uint key = _keyLabel(output);
            return key >= 1 && key <= _keyToClass!.Length ? _keyToClass[key - 1] : -1;
        }

        return _textLabel!(output) is { } text ? _monitor.GetLabelIndex(text) : -1;
    }

    private void RecordClass(int predictedClass, in PredictionId id, bool withId)
    {
        if (withId)
        {
            _monitor.RecordPrediction(id, predictedClass);
        }
        else
        {
            _monitor.RecordPrediction(predictedClass);
        }
    }

    private static void RequireClasses(ModelMonitor monitor, int minimum)
    {
        if (monitor.ClassLabels.Count < minimum)
        {
            throw new ArgumentException(
                $"An ML.NET classifier needs a monitor with ClassLabels (the model's class names); '{monitor.ModelName}' declares none.",
                nameof(monitor));
        }
    }

    /// <summary>
    /// Maps the model's classes (a score vector's slot names, or a key's values) to the monitor's label indices by name;
    /// without names, slot i is class i, which needs as many classes as the monitor declares.
    /// </summary>
    private static int[] MapClasses(DataViewSchema.Column column, ModelMonitor monitor, bool slotNames)
    {
        string[]? names = null;
        int count;
        if (slotNames)
        {
            count = ((VectorDataViewType)column.Type).Size;
            if (column.HasSlotNames())
            {
                VBuffer<ReadOnlyMemory<char>> buffer = default;
                column.GetSlotNames(ref buffer);
                names = [.. buffer.DenseValues().Select(name => name.ToString())];
            }
        }
        else
        {
            count = checked((int)((KeyDataViewType)column.Type).Count);
            if (column.HasKeyValues(TextDataViewType.Instance))
            {
                VBuffer<ReadOnlyMemory<char>> buffer = default;
                column.GetKeyValues(ref buffer);
                names = [.. buffer.DenseValues().Select(name => name.ToString())];
            }
        }

        if (names is null)
        {
            if (count != monitor.ClassLabels.Count)
            {
                throw new ArgumentException(
                    $"The model's '{column.Name}' has {count} classes without names, and the monitor '{monitor.ModelName}' declares {monitor.ClassLabels.Count} ClassLabels: " +
                    "without names class i is label i, so the counts must match (train with a label mapped by MapValueToKey to name them).",
                    nameof(monitor));
            }

            return [.. Enumerable.Range(0, count)];
        }

        var map = new int[names.Length];
        List<string>? unknown = null;
        for (int i = 0; i < names.Length; i++)
        {
            map[i] = monitor.GetLabelIndex(names[i]);
            if (map[i] < 0)
            {
                (unknown ??= []).Add(names[i]);
            }
        }

        if (unknown is not null)
        {
            throw new ArgumentException(
                $"The model's classes {string.Join(", ", unknown.Select(n => $"'{n}'"))} are not among the ClassLabels of the monitor '{monitor.ModelName}' ({string.Join(", ", monitor.ClassLabels)}).",
                nameof(monitor));
        }

        return map;
    }

    /// <summary>The public field or readable property that ML.NET maps to <paramref name="column"/> (by <see cref="ColumnNameAttribute"/> or name).</summary>
    private static MemberInfo? Member(string column)
    {
        foreach (MemberInfo member in typeof(TOutput).GetMembers(BindingFlags.Public | BindingFlags.Instance))
        {
            if (member is FieldInfo or PropertyInfo { CanRead: true } && !member.IsDefined(typeof(NoColumnAttribute), inherit: true)
                && ColumnName(member) == column)
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>The column ML.NET maps a member to: the name given to its <see cref="ColumnNameAttribute"/> (whose Name is not public), else its own.</summary>
    private static string ColumnName(MemberInfo member)
    {
        foreach (CustomAttributeData attribute in member.GetCustomAttributesData())
        {
            if (attribute.AttributeType == typeof(ColumnNameAttribute) && attribute.ConstructorArguments is [{ Value: string name }])
            {
                return name;
            }
        }

        return member.Name;
    }

    /// <summary>A compiled getter of the member for <paramref name="column"/>, or null when there is none.</summary>
    private static Func<TOutput, T>? Getter<T>(string column)
    {
        if (Member(column) is not { } member)
        {
            return null;
        }

        Type type = member is FieldInfo field ? field.FieldType : ((PropertyInfo)member).PropertyType;
        if (type != typeof(T))
        {
            throw new ArgumentException(
                $"{typeof(TOutput).Name}.{member.Name} holds the column '{column}' as {type.Name}; ModelMetrics reads it as {typeof(T).Name}.");
        }

        ParameterExpression row = Expression.Parameter(typeof(TOutput), "row");
        return Expression.Lambda<Func<TOutput, T>>(Expression.MakeMemberAccess(row, member), row).Compile();
    }
}
