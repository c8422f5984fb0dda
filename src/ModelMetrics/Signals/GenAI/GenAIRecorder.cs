// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Records the calls of a generative model into its monitor (<see cref="ModelMonitor.GenAI"/>, present when
/// <see cref="ModelMonitorOptions.GenAI"/> is set): start each call with <see cref="StartCall"/>, and record what users
/// thought of a response with <see cref="RecordFeedback(PredictionId, bool)"/>. Thread-safe; never throws.
/// </summary>
public sealed class GenAIRecorder
{
    private readonly GenAISignal _signal;

    internal GenAIRecorder(GenAISignal signal) => _signal = signal;

    /// <summary>Gets the operation name the calls are published with (<c>gen_ai.operation.name</c>).</summary>
    public string OperationName => _signal.OperationName;

    /// <summary>Gets the provider name the calls are published with (<c>gen_ai.provider.name</c>), or <see langword="null"/>.</summary>
    public string? ProviderName => _signal.ProviderName;

    internal GenAISignal Signal => _signal;

    /// <summary>Starts a call: counts it in flight and returns the handle that records its chunks and its end.</summary>
    /// <param name="requestModel">The model asked for (<c>gen_ai.request.model</c>; capped, see <see cref="GenAIOptions.MaxModelIds"/>), or <see langword="null"/>.</param>
    /// <returns>The call, to end exactly once.</returns>
    public GenAICall StartCall(string? requestModel = null) => _signal.Start(requestModel);

    /// <summary>
    /// Records a user's thumbs up or down for the response completed with <paramref name="responseId"/>
    /// (<see cref="GenAICall.Complete"/>): joined with it like a delayed label, counted per window. Feedback for an
    /// unknown, expired or already rated response is counted by why, and otherwise ignored (the first feedback wins).
    /// </summary>
    /// <param name="responseId">The id the response was completed with.</param>
    /// <param name="positive"><see langword="true"/> for a thumbs up.</param>
    /// <returns><see langword="true"/> when the feedback was joined with its response.</returns>
    public bool RecordFeedback(PredictionId responseId, bool positive) => _signal.RecordFeedback(responseId, positive, double.NaN);

    /// <summary>
    /// Records a user's score from 0 (worst) to 1 (best) for the response completed with <paramref name="responseId"/>:
    /// positive when at least 0.5, and summed for the mean score. A score outside [0, 1] is rejected (<c>invalid_value</c>).
    /// </summary>
    /// <param name="responseId">The id the response was completed with.</param>
    /// <param name="score">The score, from 0 to 1.</param>
    /// <returns><see langword="true"/> when the feedback was joined with its response.</returns>
    public bool RecordFeedback(PredictionId responseId, double score)
    {
        if (!(score >= 0 && score <= 1))
        {
            _signal.RejectFeedback();
            return false;
        }

        return _signal.RecordFeedback(responseId, score >= 0.5, score);
    }
}
