// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// The delayed-labels signal: predictions recorded with an id wait in a bounded store (<see cref="PendingPredictions"/>)
/// until their label arrives; a joined label is recorded into the classification or regression signal, and its
/// delay into a histogram. What became of every prediction and label is counted.
/// </summary>
/// <remarks>
/// A monitor with class labels keeps class predictions only, one without them value predictions only: a prediction
/// or label of the other kind is rejected before it reaches the store (<see cref="RejectionReason.KindMismatch"/>
/// here; the monitor rejects a class prediction or label without labels as <see cref="RejectionReason.NoLabelsDeclared"/>),
/// so it never consumes a prediction, counts as joined or records a delay.
/// </remarks>
internal sealed class LabelsSignal : Signal
{
    /// <summary>The <c>le</c> boundaries of the label delay, in seconds: 1 s to 30 days.</summary>
    public static readonly double[] DelayBoundaries = [1, 10, 60, 600, 3600, 21600, 86400, 604800, 2592000];

    /// <summary>
    /// Label delays: from 1 ms, where a click arrives, to 366 days, past the longest <see cref="ModelMonitorOptions.PendingTimeToLive"/>
    /// (365 days), so that no joined label's delay is ever clamped.
    /// </summary>
    private static readonly HistogramLayout DelayLayout = HistogramLayout.ForDurations(TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(366), 2);

    private readonly PendingPredictions _pending;
    private bool _pendingAtLastRead; // written by the serialized readers
    private LabelSnapshot? _reusedLabels; // what publishing readings refill (readers are serialized)
    private LabelDelayPart[]? _reusedDelays;
    private readonly WindowedHistogram _delay;
    private readonly ClassificationSignal? _classification;
    private readonly RegressionSignal _regression;

    public LabelsSignal(SignalContext context, int capacity, TimeSpan timeToLive, ClassificationSignal? classification, RegressionSignal regression)
        : base(context)
    {
        _pending = new PendingPredictions(capacity, timeToLive, context.Time);
        _delay = new WindowedHistogram(context, DelayLayout, DelayBoundaries);
        _classification = classification;
        _regression = regression;
    }

    public override SignalInstruments Instruments => LabelsInstruments.Instance;

    /// <inheritdoc/>
    /// <remarks>
    /// Pending predictions expire as time passes, unrecorded: polled while any was pending at the last reading. Every
    /// prediction added marks the signal, so one added since is read anyway; and a flag, not a sum over the store's
    /// segments, which a pass over a thousand monitors would pay a cache miss per segment for.
    /// </remarks>
    public override bool IsPolled => _pendingAtLastRead;

    public PendingPredictions Pending => _pending;

    public WindowedHistogram Delay => _delay;

    /// <summary>Keeps a validated class prediction until its label arrives.</summary>
    public void AddClass(PredictionId id, int predictedClass, float[]? probabilities)
    {
        _pending.Add(id, new PendingPrediction(predictedClass, 0, probabilities, Context.Time.GetTimestamp()));
        MarkChanged();
    }

    /// <summary>Keeps a regression prediction until its actual value arrives; non-finite values, and any value on a model with class labels, are rejected.</summary>
    public void AddValue(PredictionId id, double predictedValue)
    {
        if (!double.IsFinite(predictedValue))
        {
            Context.Reject(RejectionReason.InvalidValue);
            return;
        }

        if (_classification is not null)
        {
            // A classifier's labels are classes: no label could ever join this prediction, it would only take room.
            Context.Reject(RejectionReason.KindMismatch);
            return;
        }

        _pending.Add(id, new PendingPrediction(-1, predictedValue, null, Context.Time.GetTimestamp()));
        MarkChanged();
    }

    /// <summary>Joins a validated class label (the monitor has class labels) with its prediction and records the pair; false when not joined.</summary>
    public bool JoinClass(PredictionId id, int actualClass)
    {
        if (!Join(id, out PendingPrediction prediction))
        {
            return false;
        }

        if (prediction.Probabilities is { } probabilities)
        {
            _classification!.RecordProbabilities<float>(probabilities, actualClass);
        }

        _classification!.Record(prediction.PredictedClass, actualClass);
        return true;
    }

    /// <summary>Joins an actual value with its regression prediction and records the pair; false when not joined.</summary>
    public bool JoinValue(PredictionId id, double actualValue)
    {
        if (!double.IsFinite(actualValue))
        {
            Context.Reject(RejectionReason.InvalidValue);
            return false;
        }

        if (_classification is not null)
        {
            // A value for a classifier can join nothing (its pending predictions are classes): rejected at once.
            Context.Reject(RejectionReason.KindMismatch);
            return false;
        }

        if (!Join(id, out PendingPrediction prediction))
        {
            return false;
        }

        _regression.Record(prediction.PredictedValue, actualValue);
        return true;
    }

    /// <inheritdoc/>
    protected override bool ReusesParts => true;

    public override void Read(SnapshotBuilder snapshot)
    {
        // Expiry is lazy on the write path; sweep here so that a quiet model's old predictions still expire.
        _pending.ExpireOld();
        _pendingAtLastRead = _pending.Count > 0;

        // A publishing reading refills the snapshots of the last one (the delay histogram's too); any other builds new ones.
        bool reuse = snapshot.Reuses;
        (LatencySnapshot delay, LatencySnapshot[] windows) = _delay.Read(snapshot.Now, reuse: reuse);
        LabelSnapshot labels = reuse ? _reusedLabels ??= new LabelSnapshot() : new LabelSnapshot();
        labels.Fill(
            _pending.Count,
            _pending.Joined,
            _pending.Expired,
            _pending.Evicted,
            _pending.Replaced,
            _pending.UnknownId,
            _pending.DuplicateLabel,
            _pending.LateLabel,
            _pending.InvalidId,
            delay,
            windows[0]);
        snapshot.Cumulative.Add(labels);
        LabelDelayPart[]? parts = reuse ? _reusedDelays ??= new LabelDelayPart[windows.Length] : null;
        for (int w = 0; w < windows.Length; w++)
        {
            LabelDelayPart part = parts is null ? new LabelDelayPart() : parts[w] ??= new LabelDelayPart();
            part.Delay = windows[w];
            snapshot.Windows[w].Add(part);
        }

    }

    private bool Join(PredictionId id, out PendingPrediction prediction)
    {
        if (_pending.TryJoin(id, out prediction) != JoinResult.Joined)
        {
            MarkChanged();
            return false;
        }

        TimeSpan delay = Context.Time.GetElapsedTime(prediction.Timestamp);
        _delay.Histogram.Record(HistogramLayout.ToStopwatchTicks(delay));
        MarkChanged();
        return true;
    }
}

/// <summary>A window's label delays (a wrapper, so that a snapshot's parts stay one per type); refilled only by publishing readings.</summary>
internal sealed class LabelDelayPart
{
    public LatencySnapshot Delay { get; set; } = null!;
}
