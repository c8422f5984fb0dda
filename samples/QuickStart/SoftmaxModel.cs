// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace QuickStart;

/// <summary>
/// Multinomial logistic regression (softmax regression), trained by mini-batch gradient descent on the
/// cross-entropy loss. Small enough to read in one sitting; real enough to be wrong when the data drifts.
/// </summary>
/// <remarks>
/// <see cref="Predict"/> only reads the trained weights, so one model serves any number of threads, and
/// it allocates nothing.
/// </remarks>
internal sealed class SoftmaxModel
{
    private readonly int _classCount;
    private readonly int _featureCount;

    // Row c holds class c's weights, one per feature, then its bias.
    private readonly float[] _weights;

    // Features are standardized with the training set's mean and standard deviation, so that one learning
    // rate suits all of them.
    private readonly float[] _mean;
    private readonly float[] _scale;

    private SoftmaxModel(int classCount, int featureCount, float[] mean, float[] scale)
    {
        _classCount = classCount;
        _featureCount = featureCount;
        _weights = new float[classCount * (featureCount + 1)];
        _mean = mean;
        _scale = scale;
    }

    /// <summary>Trains a model on <paramref name="features"/> and their <paramref name="labels"/> (0 to <paramref name="classCount"/> - 1).</summary>
    public static SoftmaxModel Train(float[][] features, int[] labels, int classCount, Random random, int epochs = 30, int batchSize = 32, float learningRate = 0.5f)
    {
        int n = features.Length;
        int d = features[0].Length;
        var (mean, scale) = Standardization(features);
        var model = new SoftmaxModel(classCount, d, mean, scale);

        int[] order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        float[] x = new float[d];
        float[] probabilities = new float[classCount];
        float[] gradient = new float[model._weights.Length];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            for (int start = 0; start < n; start += batchSize)
            {
                int end = Math.Min(start + batchSize, n);
                Array.Clear(gradient);
                for (int b = start; b < end; b++)
                {
                    int sample = order[b];
                    model.Standardize(features[sample], x);
                    model.Probabilities(x, probabilities);

                    // d(cross-entropy)/d(logit c) = p(c) - [c is the true class].
                    for (int c = 0; c < classCount; c++)
                    {
                        float error = probabilities[c] - (c == labels[sample] ? 1f : 0f);
                        int row = c * (d + 1);
                        for (int j = 0; j < d; j++)
                        {
                            gradient[row + j] += error * x[j];
                        }

                        gradient[row + d] += error;
                    }
                }

                float step = learningRate / (end - start);
                for (int w = 0; w < gradient.Length; w++)
                {
                    model._weights[w] -= step * gradient[w];
                }
            }
        }

        return model;
    }

    /// <summary>Returns the most probable class of one input.</summary>
    public int Predict(float[] features)
    {
        ArgumentNullException.ThrowIfNull(features);

        // The arg-max of the logits is the arg-max of the probabilities: no exponentials needed here.
        int best = 0;
        float bestLogit = float.NegativeInfinity;
        for (int c = 0; c < _classCount; c++)
        {
            int row = c * (_featureCount + 1);
            float logit = _weights[row + _featureCount];
            for (int j = 0; j < _featureCount; j++)
            {
                logit += _weights[row + j] * ((features[j] - _mean[j]) * _scale[j]);
            }

            if (logit > bestLogit)
            {
                bestLogit = logit;
                best = c;
            }
        }

        return best;
    }

    /// <summary>Returns the fraction of <paramref name="features"/> predicted as their label.</summary>
    public double Accuracy(float[][] features, int[] labels)
    {
        int correct = 0;
        for (int i = 0; i < features.Length; i++)
        {
            if (Predict(features[i]) == labels[i])
            {
                correct++;
            }
        }

        return (double)correct / features.Length;
    }

    private static (float[] Mean, float[] Scale) Standardization(float[][] features)
    {
        int d = features[0].Length;
        float[] mean = new float[d];
        float[] scale = new float[d];
        for (int j = 0; j < d; j++)
        {
            double sum = 0, sumOfSquares = 0;
            foreach (float[] row in features)
            {
                sum += row[j];
                sumOfSquares += row[j] * (double)row[j];
            }

            double m = sum / features.Length;
            double variance = Math.Max((sumOfSquares / features.Length) - (m * m), 1e-12);
            mean[j] = (float)m;
            scale[j] = (float)(1 / Math.Sqrt(variance));
        }

        return (mean, scale);
    }

    private void Standardize(float[] features, float[] x)
    {
        for (int j = 0; j < _featureCount; j++)
        {
            x[j] = (features[j] - _mean[j]) * _scale[j];
        }
    }

    private void Probabilities(float[] x, float[] probabilities)
    {
        float max = float.NegativeInfinity;
        for (int c = 0; c < _classCount; c++)
        {
            int row = c * (_featureCount + 1);
            float logit = _weights[row + _featureCount];
            for (int j = 0; j < _featureCount; j++)
            {
                logit += _weights[row + j] * x[j];
            }

            probabilities[c] = logit;
            max = Math.Max(max, logit);
        }

        // Subtracting the largest logit keeps exp from overflowing; it cancels out in the ratio.
        float total = 0;
        for (int c = 0; c < _classCount; c++)
        {
            probabilities[c] = MathF.Exp(probabilities[c] - max);
            total += probabilities[c];
        }

        for (int c = 0; c < _classCount; c++)
        {
            probabilities[c] /= total;
        }
    }
}
