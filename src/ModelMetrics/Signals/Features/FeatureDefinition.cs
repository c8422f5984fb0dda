// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Frozen;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>
/// One input feature of a model, declared in <see cref="ModelMonitorOptions.Features"/>: numeric (optionally with a
/// declared range) or categorical (with its categories). Its name becomes the attribute <c>model.feature</c>; its values
/// never become attributes. Immutable.
/// </summary>
/// <remarks>
/// A feature's value is recorded as a <see cref="double"/> (<see cref="ModelMonitor.RecordFeatures"/>): a numeric value
/// as itself, a categorical one as the index of its category (<see cref="ValueOf"/>); NaN is a missing value.
/// </remarks>
public sealed class FeatureDefinition
{
    /// <summary>The name under which values of undeclared categories are counted: <c>_OTHER</c>.</summary>
    public const string OtherCategory = "_OTHER";

    /// <summary>The most categories a categorical feature declares: 1024.</summary>
    public const int MaxCategories = 1024;

    private const int MaxNameLength = 255;

    private readonly FrozenDictionary<string, int>? _categoryIndex;

    private FeatureDefinition(string name, double minimum, double maximum, string[]? categories)
    {
        Name = name;
        Minimum = minimum;
        Maximum = maximum;
        if (categories is not null)
        {
            Categories = Array.AsReadOnly(categories);
            var index = new Dictionary<string, int>(categories.Length, StringComparer.Ordinal);
            for (int i = 0; i < categories.Length; i++)
            {
                index[categories[i]] = i;
            }

            _categoryIndex = index.ToFrozenDictionary(StringComparer.Ordinal);
        }
    }

    /// <summary>Gets the feature's name, published as the attribute <c>model.feature</c>.</summary>
    public string Name { get; }

    /// <summary>Gets a value indicating whether the feature is categorical (<see cref="Categories"/> is set).</summary>
    public bool IsCategorical => Categories is not null;

    /// <summary>Gets the smallest valid value of a numeric feature; smaller values are counted as invalid (not recorded).</summary>
    /// <value><see cref="double.NegativeInfinity"/> when no range was declared (only −∞ itself is then invalid).</value>
    public double Minimum { get; }

    /// <summary>Gets the largest valid value of a numeric feature; larger values are counted as invalid (not recorded).</summary>
    /// <value><see cref="double.PositiveInfinity"/> when no range was declared (only +∞ itself is then invalid).</value>
    public double Maximum { get; }

    /// <summary>Gets the declared categories of a categorical feature in index order, or <see langword="null"/> for a numeric one.</summary>
    public IReadOnlyList<string>? Categories { get; }

    /// <summary>Declares a numeric feature, optionally with the range of its valid values.</summary>
    /// <param name="name">The feature's name: non-empty, at most 255 characters.</param>
    /// <param name="minimum">The smallest valid value (inclusive); values below it are counted as invalid.</param>
    /// <param name="maximum">The largest valid value (inclusive); values above it are counted as invalid.</param>
    /// <returns>The definition.</returns>
    /// <exception cref="ArgumentException">The name is empty or too long, or the range is NaN or empty.</exception>
    public static FeatureDefinition Numeric(string name, double minimum = double.NegativeInfinity, double maximum = double.PositiveInfinity)
    {
        ValidateName(name, nameof(name));
        if (double.IsNaN(minimum) || double.IsNaN(maximum) || !(minimum < maximum))
        {
            throw new ArgumentException($"The range of feature '{name}' must have a minimum below its maximum (was {minimum} to {maximum}).", nameof(minimum));
        }

        return new FeatureDefinition(name, minimum, maximum, null);
    }

    /// <summary>Declares a categorical feature; values of other categories are counted as <see cref="OtherCategory"/>.</summary>
    /// <param name="name">The feature's name: non-empty, at most 255 characters.</param>
    /// <param name="categories">1 to 1024 distinct, non-empty categories of at most 255 characters, other than <c>_OTHER</c>.</param>
    /// <returns>The definition.</returns>
    /// <exception cref="ArgumentException">The name or a category is invalid.</exception>
    public static FeatureDefinition Categorical(string name, IReadOnlyList<string> categories)
    {
        ValidateName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(categories);
        if (categories.Count is 0 or > MaxCategories)
        {
            throw new ArgumentException($"Feature '{name}' must declare 1 to {MaxCategories} categories; it has {categories.Count}.", nameof(categories));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string category in categories)
        {
            if (string.IsNullOrEmpty(category) || category.Length > MaxNameLength || category == OtherCategory)
            {
                throw new ArgumentException($"Feature '{name}' must declare non-empty categories of at most {MaxNameLength} characters, other than '{OtherCategory}'.", nameof(categories));
            }

            if (!seen.Add(category))
            {
                throw new ArgumentException($"Feature '{name}' declares the category '{category}' more than once.", nameof(categories));
            }
        }

        return new FeatureDefinition(name, double.NegativeInfinity, double.PositiveInfinity, [.. categories]);
    }

    /// <summary>
    /// Returns the value that records <paramref name="category"/> for this categorical feature: its index in
    /// <see cref="Categories"/> (one lookup in a frozen table, no allocation), −1 for a category not declared (recorded as
    /// <c>_OTHER</c>), or NaN for <see langword="null"/> (recorded as missing).
    /// </summary>
    /// <param name="category">The category, or <see langword="null"/> when the input has none.</param>
    /// <returns>The value to record.</returns>
    public double ValueOf(string? category) =>
        category is null ? double.NaN : _categoryIndex is not null && _categoryIndex.TryGetValue(category, out int index) ? index : -1;

    /// <inheritdoc />
    public override string ToString() => IsCategorical ? $"{Name} (categorical, {Categories!.Count} categories)" : $"{Name} (numeric)";

    private static void ValidateName(string name, string paramName)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength)
        {
            throw new ArgumentException($"A feature name must be a non-empty string of at most {MaxNameLength} characters.", paramName);
        }
    }
}
