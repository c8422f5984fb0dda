// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading;

namespace QuickStart;

/// <summary>
/// Draws iris-like flowers: three classes, four features (sepal length and width, petal length and
/// width, in cm), each a Gaussian around the class mean with the spread of the real iris data set.
/// </summary>
/// <remarks>
/// Thread-safe: the means are immutable, and each caller brings its own <see cref="Random"/>.
/// <see cref="StartDrift"/> simulates concept drift: from then on versicolor flowers grow petals
/// almost as large as virginica's, so the model, trained before, starts calling them virginica.
/// </remarks>
internal sealed class DataGenerator
{
    public static readonly string[] ClassNames = ["setosa", "versicolor", "virginica"];

    public const int FeatureCount = 4;

    private static readonly float[][] Means =
    [
        [5.01f, 3.43f, 1.46f, 0.25f],
        [5.94f, 2.77f, 4.26f, 1.33f],
        [6.59f, 2.97f, 5.55f, 2.03f],
    ];

    private static readonly float[][] StandardDeviations =
    [
        [0.35f, 0.38f, 0.17f, 0.11f],
        [0.52f, 0.31f, 0.47f, 0.20f],
        [0.64f, 0.32f, 0.55f, 0.27f],
    ];

    // After the drift, versicolor's petals are 0.9 cm longer and 0.45 cm wider.
    private static readonly float[][] DriftedMeans =
    [
        Means[0],
        [5.94f, 2.77f, 5.16f, 1.78f],
        Means[2],
    ];

    private float[][] _means = Means;

    /// <summary>Gets a value indicating whether <see cref="StartDrift"/> was called.</summary>
    public bool IsDrifting => Volatile.Read(ref _means) != Means;

    /// <summary>Makes every flower drawn from now on come from the drifted distribution.</summary>
    public void StartDrift() => Volatile.Write(ref _means, DriftedMeans);

    /// <summary>Draws one flower into <paramref name="features"/> and returns its true class.</summary>
    public int Next(Random random, float[] features)
    {
        int label = random.Next(ClassNames.Length);
        float[] mean = Volatile.Read(ref _means)[label];
        float[] sd = StandardDeviations[label];
        for (int i = 0; i < FeatureCount; i++)
        {
            features[i] = mean[i] + (sd[i] * NextGaussian(random));
        }

        return label;
    }

    /// <summary>Draws a labelled data set of <paramref name="count"/> flowers.</summary>
    public (float[][] Features, int[] Labels) NextDataSet(Random random, int count)
    {
        var features = new float[count][];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            features[i] = new float[FeatureCount];
            labels[i] = Next(random, features[i]);
        }

        return (features, labels);
    }

    /// <summary>A standard normal value (Box-Muller; .NET's <see cref="Random"/> has no Gaussian).</summary>
    private static float NextGaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(); // (0, 1]: keeps Log away from 0
        double u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
