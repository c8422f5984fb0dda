// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

#pragma warning disable CA1050, CA1064, CA1032, CA1710, IDE1006, CS8981 // Note: the point is a global, lower-case type named like a reserved value.

/// <summary>An exception type in the global namespace named like the reserved outcome <c>timeout</c> (issue 18, item 12).</summary>
public sealed class timeout : Exception
{
}
