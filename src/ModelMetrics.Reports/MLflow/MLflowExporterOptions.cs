// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;
using System.Net.Http;

namespace ModelMetrics.Reports;

/// <summary>Options of an <see cref="MLflowExporter"/>.</summary>
public sealed class MLflowExporterOptions
{
    /// <summary>Gets or sets the tracking server, such as <c>http://mlflow:5000</c> (the REST API is under <c>/api/2.0/mlflow/</c>).</summary>
    /// <value>Required: an absolute http or https URI.</value>
    public Uri? TrackingUri { get; set; }

    /// <summary>Gets or sets the experiment the runs go to; created if it does not exist.</summary>
    /// <value>The default value is <c>ModelMetrics</c>; 1 to 500 characters.</value>
    public string ExperimentName { get; set; } = "ModelMetrics";

    /// <summary>Gets or sets how often every monitor's figures are logged.</summary>
    /// <value>The default value is 60 seconds; 1 second to 1 day.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets the HTTP client (for authentication headers, a proxy or a handler); not disposed by the exporter.</summary>
    /// <value>The default value is <see langword="null"/>: the exporter creates (and disposes) its own.</value>
    public HttpClient? HttpClient { get; set; }

    /// <summary>Gets or sets how long one request may take before it counts as failed (and is retried).</summary>
    /// <value>The default value is 10 seconds; 100 ms to 5 minutes.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how many times a request is tried when the server answers 429 or 5xx or cannot be reached.</summary>
    /// <value>The default value is 4; 1 to 10.</value>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Gets or sets the wait before the first retry; it doubles with each retry (a <c>Retry-After</c> header takes precedence, up to 1 minute).</summary>
    /// <value>The default value is 1 second; 1 ms to 1 minute.</value>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the registry whose monitors are logged (one run per model version).</summary>
    /// <value>The default value is <see cref="ModelMonitorRegistry.Default"/>.</value>
    [Experimental("MMEXP001")]
    public ModelMonitorRegistry Registry { get; set; } = ModelMonitorRegistry.Default;

    /// <summary>Gets or sets the clock of the interval, the retries and the metrics' timestamps.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal MLflowExporterOptions Validated()
    {
        if (TrackingUri is null || !TrackingUri.IsAbsoluteUri || (TrackingUri.Scheme != Uri.UriSchemeHttp && TrackingUri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The tracking URI must be an absolute http or https URI.", nameof(TrackingUri));
        }

        if (string.IsNullOrWhiteSpace(ExperimentName) || ExperimentName.Length > 500)
        {
            throw new ArgumentException("The experiment name must have 1 to 500 characters and not be blank.", nameof(ExperimentName));
        }

        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("The interval must be from 1 second to 1 day.", nameof(Interval));
        }

        if (RequestTimeout < TimeSpan.FromMilliseconds(100) || RequestTimeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException("The request timeout must be from 100 ms to 5 minutes.", nameof(RequestTimeout));
        }

        if (MaxAttempts is < 1 or > 10)
        {
            throw new ArgumentException("The attempts must be from 1 to 10.", nameof(MaxAttempts));
        }

        if (RetryDelay < TimeSpan.FromMilliseconds(1) || RetryDelay > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException("The retry delay must be from 1 ms to 1 minute.", nameof(RetryDelay));
        }

        if (Registry is null)
        {
            throw new ArgumentException("The registry must not be null.", nameof(Registry));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException("The time provider must not be null.", nameof(TimeProvider));
        }

        return (MLflowExporterOptions)MemberwiseClone();
    }
}
