// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>Why a generative model stopped producing output (published as the <c>finish_reason</c> attribute).</summary>
/// <remarks>A call that fails is counted under <c>error</c> with its <c>error.type</c>, not under one of these.</remarks>
public enum GenAIFinishReason
{
    /// <summary>The provider reported no reason, or one not listed here: published as <c>unknown</c>.</summary>
    Unknown,

    /// <summary>The model reached a natural stop or a stop sequence: <c>stop</c>.</summary>
    Stop,

    /// <summary>The model reached the output token limit: <c>length</c>.</summary>
    Length,

    /// <summary>A content filter removed or stopped the output: <c>content_filter</c>.</summary>
    ContentFilter,

    /// <summary>The model asked for tool calls: <c>tool_calls</c>.</summary>
    ToolCalls,
}
