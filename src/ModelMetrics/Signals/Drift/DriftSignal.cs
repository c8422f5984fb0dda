// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// The output-drift signal: predicted classes and top-class probability bins counted as predictions are made
/// (before any label), compared per window with a reference by PSI. Exists only for a classifier.
/// </summary>
internal sealed class DriftSignal : Signal
{
    /// <summary>The number of equal-width bins of the top-class probability used for score drift.</summary>
    public const int ScoreBins = 10;

    private readonly StripedCells _predicted;
    private readonly StripedCells _scores = new(ScoreBins);
    private readonly WindowedCells<long> _predictedWindows;
    private readonly WindowedCells<long> _scoreWindows;
    private DriftReference? _reference;
    private Reused? _reused; // what publishing readings refill (readers are serialized)

    public DriftSignal(SignalContext context, int classCount)
        : base(context)
    {
        _predicted = new StripedCells(classCount);
        _predictedWindows = context.CreateWindows<long>(classCount);
        _scoreWindows = context.CreateWindows<long>(ScoreBins);
        PsiTags = Array.ConvertAll(context.WindowTags, w => (Tags.With(w, DriftInstruments.Signal, "predicted_class"), Tags.With(w, DriftInstruments.Signal, "score")));
    }

    public override SignalInstruments Instruments => DriftInstruments.Instance;

    /// <inheritdoc/>
    /// <remarks>Every count and every new reference marks the signal changed.</remarks>
    public override bool IsPolled => false;

    /// <summary>Gets, per window, the attribute sets of the two drift signals.</summary>
    public (KeyValuePair<string, object?>[] Class, KeyValuePair<string, object?>[] Score)[] PsiTags { get; }

    /// <summary>Counts a prediction of a validated class index.</summary>
    public void Count(int predictedClass)
    {
        _predicted.Increment(predictedClass);
        MarkChanged();
    }

    /// <summary>Counts a probabilistic prediction: its class, and its top probability in one of ten bins.</summary>
    public void Count(int predictedClass, double topProbability)
    {
        _scores.Increment(Math.Clamp((int)(topProbability * ScoreBins), 0, ScoreBins - 1));
        Count(predictedClass);
    }

    /// <summary>Makes the predictions counted so far the reference.</summary>
    /// <exception cref="InvalidOperationException">No prediction was counted yet.</exception>
    public void CaptureReference()
    {
        long[] classes = new long[_predicted.Length];
        _predicted.AddTo(classes);
        long[] scores = new long[ScoreBins];
        _scores.AddTo(scores);
        double[] classShares = DriftReference.ToShares(classes)
            ?? throw new InvalidOperationException("No prediction was counted yet; record predictions with RecordPrediction first.");
        Volatile.Write(ref _reference, new DriftReference(classShares, DriftReference.ToShares(scores)));
        MarkChanged();
    }

    /// <summary>Sets the reference to known class shares, normalized.</summary>
    public void SetReference(IReadOnlyList<double> classShares)
    {
        ArgumentNullException.ThrowIfNull(classShares);
        if (classShares.Count != _predicted.Length)
        {
            throw new ArgumentException($"classShares must hold one weight per declared class ({_predicted.Length}).", nameof(classShares));
        }

        double total = 0;
        foreach (double share in classShares)
        {
            if (!double.IsFinite(share) || share < 0)
            {
                throw new ArgumentException("classShares must be finite and non-negative.", nameof(classShares));
            }

            total += share;
        }

        if (total <= 0)
        {
            throw new ArgumentException("classShares must not all be zero.", nameof(classShares));
        }

        double[] normalized = new double[classShares.Count];
        for (int i = 0; i < normalized.Length; i++)
        {
            normalized[i] = classShares[i] / total;
        }

        Volatile.Write(ref _reference, new DriftReference(normalized, null));
        MarkChanged();
    }

    /// <inheritdoc/>
    protected override bool ReusesParts => true;

    public override void Read(SnapshotBuilder snapshot)
    {
        // A publishing reading refills the arrays and snapshots of the last one; any other builds new ones a user may keep.
        Reused? reused = snapshot.Reuses ? _reused ??= new Reused(_predicted.Length, Context.Windows.Length) : null;
        long[] predicted = reused?.Predicted ?? new long[_predicted.Length];
        long[] scores = reused?.Scores ?? new long[ScoreBins];
        Array.Clear(predicted);
        Array.Clear(scores);
        _predicted.AddTo(predicted);
        _scores.AddTo(scores);

        // The windows advance on every read, whether or not a reference is set yet.
        long[][] predictedWindows = _predictedWindows.Read(snapshot.Now, predicted, reused?.PredictedWindows);
        long[][] scoreWindows = _scoreWindows.Read(snapshot.Now, scores, reused?.ScoreWindows);

        if (Volatile.Read(ref _reference) is not { } reference)
        {
            return;
        }

        for (int w = 0; w < predictedWindows.Length; w++)
        {
            if (DriftReference.ToShares(predictedWindows[w], reused?.ClassShares[w]) is { } shares)
            {
                long predictions = 0;
                foreach (long count in predictedWindows[w])
                {
                    predictions += count;
                }

                DriftSnapshot part = reused is null ? new DriftSnapshot() : reused.Parts[w] ??= new DriftSnapshot();
                part.Fill(predictions, shares, reference, DriftReference.ToShares(scoreWindows[w], reused?.ScoreShares[w]));
                snapshot.Windows[w].Add(part);
            }
        }
    }

    /// <summary>What publishing readings refill: the counts read, each window's, their shares and the snapshots (one per window).</summary>
    private sealed class Reused(int classes, int windows)
    {
        public long[] Predicted { get; } = new long[classes];

        public long[] Scores { get; } = new long[ScoreBins];

        public long[][] PredictedWindows { get; } = Array.ConvertAll(new int[windows], _ => new long[classes]);

        public long[][] ScoreWindows { get; } = Array.ConvertAll(new int[windows], _ => new long[ScoreBins]);

        public double[][] ClassShares { get; } = Array.ConvertAll(new int[windows], _ => new double[classes]);

        public double[][] ScoreShares { get; } = Array.ConvertAll(new int[windows], _ => new double[ScoreBins]);

        public DriftSnapshot?[] Parts { get; } = new DriftSnapshot?[windows];
    }
}
