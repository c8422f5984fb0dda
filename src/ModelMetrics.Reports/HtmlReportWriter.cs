// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;

namespace ModelMetrics.Reports;

/// <summary>
/// Renders a <see cref="ReportData"/> as one self-contained HTML page: inline CSS, inline SVG, no request to
/// anywhere (a Content-Security-Policy in the page forbids it), readable without colour: every figure is a number in
/// a table cell with a header, charts repeat what the tables say and carry titles.
/// </summary>
/// <remarks>
/// Every figure's cell carries <c>data-key</c> (unique within its model's <c>section[data-model][data-version]</c>),
/// so the page can be read by a script or a test without parsing its layout.
/// </remarks>
internal sealed class HtmlReportWriter
{
    private const string Css =
        ":root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--bar:#3b6fb6;--head:#f3f5f7;--mark:#b4460b}" +
        "@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#30363d;--bar:#6ca4f8;--head:#161b22;--mark:#f0883e}}" +
        "*{box-sizing:border-box}" +
        "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}" +
        "header,main{max-width:1200px;margin:0 auto;padding:0 16px}" +
        "h1{font-size:1.5rem;margin:16px 0 4px}h2{font-size:1.3rem;margin:32px 0 8px;border-bottom:2px solid var(--line)}h3{font-size:1.05rem;margin:20px 0 6px}" +
        ".meta{color:var(--muted);margin:0 0 8px}nav a{margin-right:12px;display:inline-block}" +
        ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:8px;margin:8px 0;padding:0}" +
        ".cards div{border:1px solid var(--line);border-radius:6px;padding:6px 8px}" +
        ".cards dt{color:var(--muted);font-size:.85rem}.cards dd{margin:0;font-size:1.2rem;font-variant-numeric:tabular-nums}" +
        ".scroll{overflow-x:auto;max-width:100%}" +
        "table{border-collapse:collapse;margin:4px 0 12px;font-variant-numeric:tabular-nums}" +
        "th,td{border:1px solid var(--line);padding:3px 8px;text-align:right;white-space:nowrap}" +
        "th{background:var(--head);font-weight:600}th[scope=row]{text-align:left}" +
        "caption{text-align:left;color:var(--muted);padding:2px 0}" +
        "svg{max-width:100%;height:auto;display:block}figure svg{min-width:540px}svg text{fill:var(--fg);font-size:11px}" +
        ".axis{stroke:var(--muted)}.bar{fill:var(--bar)}.mark{stroke:var(--mark);stroke-width:1.5;stroke-dasharray:4 3}" +
        ".note{color:var(--muted);font-size:.9rem}";

    // Note: the live page replaces its <main> with the one of a fresh copy of itself; no data format to keep in step.
    private const string RefreshScript =
        "(function(){var ms=__MS__;var s=document.getElementById('refresh-status');" +
        "function tick(){fetch(location.href,{cache:'no-store'}).then(function(r){if(!r.ok){throw new Error('HTTP '+r.status);}return r.text();})" +
        ".then(function(t){var m=new DOMParser().parseFromString(t,'text/html').getElementById('report');" +
        "if(m){document.getElementById('report').replaceWith(m);var d=document.documentElement.dataset;d.refreshes=String((+d.refreshes||0)+1);s.textContent='';}})" +
        ".catch(function(e){s.textContent='Refresh failed ('+e.message+'); showing the last figures.';})" +
        ".finally(function(){setTimeout(tick,ms);});}setTimeout(tick,ms);})();";

    private readonly StringBuilder _html = new(64 * 1024);
    private string _scope = string.Empty;
    private int _charts;

    private HtmlReportWriter()
    {
    }

    /// <summary>Renders the page; with a positive <paramref name="refresh"/> it reloads its figures every interval.</summary>
    public static string Render(ReportData data, TimeSpan refresh)
    {
        var writer = new HtmlReportWriter();
        writer.Page(data, refresh);
        return writer._html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string ModelId(ModelMonitorSnapshot model) =>
        "model-" + new string((model.ModelName + "-" + (model.ModelVersion ?? string.Empty)).Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    private static string VersionText(ModelMonitorSnapshot model) => model.ModelVersion ?? "(no version)";

    private void Page(ReportData data, TimeSpan refresh)
    {
        bool live = refresh > TimeSpan.Zero;
        // Nothing may be fetched from anywhere but the page's own origin (the live page's refresh).
        string policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'" +
            (live ? "; script-src 'unsafe-inline'; connect-src 'self'" : string.Empty);
        _html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(policy).Append("\">")
            .Append("<title>").Append(Encode(data.Title)).Append("</title><style>").Append(Css).Append("</style></head>\n<body>")
            .Append("<header><h1>").Append(Encode(data.Title)).Append("</h1>");
        if (data.Models.Count > 0)
        {
            _html.Append("<nav aria-label=\"Models\">");
            foreach (ModelMonitorSnapshot model in data.Models)
            {
                _html.Append("<a href=\"#").Append(ModelId(model)).Append("\">").Append(Encode(model.ModelName)).Append(' ')
                    .Append(Encode(VersionText(model))).Append("</a>");
            }

            _html.Append("</nav>");
        }

        if (live)
        {
            _html.Append("<p class=\"meta\">Refreshes every ").Append(Format.Decimal2(refresh.TotalSeconds))
                .Append(" s. <span id=\"refresh-status\" role=\"status\"></span></p>");
        }

        _html.Append("</header>\n<main id=\"report\"><p class=\"meta\">Generated <time data-key=\"generated\" datetime=\"")
            .Append(data.Generated.ToString("O", CultureInfo.InvariantCulture)).Append("\">")
            .Append(data.Generated.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append(" UTC</time>; ")
            .Append(Format.Count(data.Models.Count)).Append(data.Models.Count == 1 ? " model" : " models")
            .Append(". Durations in milliseconds unless marked; ratios from 0 to 1.</p>\n");
        if (data.Models.Count == 0)
        {
            _html.Append("<p>No monitor is registered yet.</p>");
        }

        if (data.Rules is not null)
        {
            Rules(data.Rules);
        }

        foreach (ModelMonitorSnapshot model in data.Models)
        {
            Model(model);
        }

        if (data.Resources is not null)
        {
            Resources(data.Resources);
        }

        _html.Append("</main>\n");
        if (live)
        {
            _html.Append("<script>")
                .Append(RefreshScript.Replace("__MS__", ((long)refresh.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
                .Append("</script>");
        }

        _html.Append("</body></html>\n");
    }

    private void Model(ModelMonitorSnapshot model)
    {
        _scope = string.Empty;
        _html.Append("<section id=\"").Append(ModelId(model)).Append("\" data-model=\"").Append(Encode(model.ModelName))
            .Append("\" data-version=\"").Append(Encode(model.ModelVersion ?? string.Empty)).Append("\">")
            .Append("<h2>").Append(Encode(model.ModelName)).Append(" <small>version ").Append(Encode(VersionText(model))).Append("</small></h2>");

        _html.Append("<dl class=\"cards\">");
        Card("Calls", "calls", Format.Count(model.Calls));
        Card("Succeeded", "succeeded", Format.Count(model.Succeeded));
        Card("Failed", "failed", Format.Count(model.Failed));
        Card("Error ratio", "failure-ratio", Format.Ratio(model.FailureRate));
        Card("In flight", "in-flight", Format.Count(model.InFlight));
        Card("Items", "items", Format.Count(model.Items));
        if (model.Classification is { } c)
        {
            Card("Accuracy", "accuracy", Format.Ratio(c.Accuracy));
            Card("Macro F1", "macro-f1", Format.Ratio(c.MacroF1));
        }

        _html.Append("</dl>");

        if (model.Calls + model.InFlight > 0)
        {
            Latency(model);
            Throughput(model);
            Errors(model);
        }
        else
        {
            _html.Append("<p class=\"note\">No call recorded through the calls signal yet.</p>");
        }

        if (model.Classification is not null)
        {
            Classification(model);
        }

        if (model.Regression is not null)
        {
            Regression(model);
        }

        Drift(model);
        Labels(model);
        if (model.CpuTime is not null)
        {
            CpuTime(model);
        }

        if (model.GenAI is not null)
        {
            GenAI(model);
        }

        _html.Append("</section>\n");
    }

    private void Card(string title, string key, string value) =>
        _html.Append("<div><dt>").Append(title).Append("</dt><dd data-key=\"").Append(_scope).Append(key).Append("\">").Append(value).Append("</dd></div>");

    private void TableStart(string caption, params string[] headers)
    {
        _html.Append("<div class=\"scroll\"><table><caption>").Append(caption).Append("</caption><thead><tr>");
        foreach (string header in headers)
        {
            _html.Append("<th scope=\"col\">").Append(header).Append("</th>");
        }

        _html.Append("</tr></thead><tbody>");
    }

    private void TableEnd() => _html.Append("</tbody></table></div>");

    private void RowHeader(string text) => _html.Append("<tr><th scope=\"row\">").Append(Encode(text)).Append("</th>");

    private void Cell(string key, string value) =>
        _html.Append("<td data-key=\"").Append(Encode(_scope + key)).Append("\">").Append(value).Append("</td>");

    private static IEnumerable<(string Name, string Key, T Value)> PerWindow<T>(ModelMonitorSnapshot model, Func<WindowSnapshot, T> window, T cumulative)
    {
        foreach (WindowSnapshot w in model.Windows)
        {
            yield return ("last " + Format.Window(w.Window), Format.WindowKey(w.Window), window(w));
        }

        yield return ("since start", "all", cumulative);
    }

    private void Latency(ModelMonitorSnapshot model)
    {
        _html.Append("<h3>Latency</h3>");
        if (model.Latency.Count > 0)
        {
            LatencyChart(model.Latency);
        }

        TableStart("Call duration (ms) by window", "window", "calls", "mean", "p50", "p90", "p95", "p99", "p99.9", "max");
        foreach ((string name, string key, LatencySnapshot latency) in PerWindow(model, w => w.Latency, model.Latency))
        {
            LatencyRow(name, "latency." + key + ".", latency);
        }

        TableEnd();
        if (model.TimeToFirstChunk.Count > 0)
        {
            TableStart("Time to first chunk of streamed calls (ms) by window", "window", "calls", "mean", "p50", "p90", "p95", "p99", "p99.9", "max");
            foreach ((string name, string key, LatencySnapshot latency) in PerWindow(model, w => w.TimeToFirstChunk, model.TimeToFirstChunk))
            {
                LatencyRow(name, "ttfc." + key + ".", latency);
            }

            TableEnd();
        }
    }

    private void LatencyRow(string name, string prefix, LatencySnapshot latency)
    {
        RowHeader(name);
        Cell(prefix + "count", Format.Count(latency.Count));
        Cell(prefix + "mean", Format.Milliseconds(latency.Mean));
        Cell(prefix + "p50", Format.Milliseconds(latency.P50));
        Cell(prefix + "p90", Format.Milliseconds(latency.P90));
        Cell(prefix + "p95", Format.Milliseconds(latency.P95));
        Cell(prefix + "p99", Format.Milliseconds(latency.P99));
        Cell(prefix + "p999", Format.Milliseconds(latency.P999));
        Cell(prefix + "max", Format.Milliseconds(latency.Max));
        _html.Append("</tr>");
    }

    /// <summary>The distribution since start: HDR buckets gathered into 10 bins per decade on a log axis, with p50 and p99 marked.</summary>
    private void LatencyChart(LatencySnapshot latency)
    {
        const double Left = 48, Top = 12, Width = 660, Height = 160;
        const int BinsPerDecade = 10;
        _charts++;
        var bins = new SortedDictionary<int, long>();
        foreach (LatencyBucket bucket in latency.GetBuckets())
        {
            double middle = Math.Max((bucket.LowerBound + bucket.UpperBound) / 2, 1e-9);
            int bin = (int)Math.Floor(Math.Log10(middle) * BinsPerDecade);
            bins[bin] = bins.GetValueOrDefault(bin) + bucket.Count;
        }

        int firstDecade = (int)Math.Floor((double)bins.Keys.First() / BinsPerDecade);
        int lastDecade = (int)Math.Floor((double)bins.Keys.Last() / BinsPerDecade) + 1;
        double span = lastDecade - firstDecade;
        long tallest = bins.Values.Max();
        double X(double log10) => Left + ((log10 - firstDecade) / span * Width);

        _html.Append("<figure class=\"scroll\" style=\"margin:0\"><svg viewBox=\"0 0 720 210\" width=\"720\" role=\"img\" aria-labelledby=\"")
            .Append(ChartId("t")).Append("\"><title id=\"").Append(ChartId("t")).Append("\">Distribution of ")
            .Append(Format.Count(latency.Count)).Append(" call durations since start, log scale; p50 ")
            .Append(Format.Milliseconds(latency.P50)).Append(" ms, p99 ").Append(Format.Milliseconds(latency.P99)).Append(" ms</title>");
        _html.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top + Height}\" x2=\"{Left + Width}\" y2=\"{Top + Height}\"/>");
        _html.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + Height}\"/>");
        _html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 4}\" y=\"{Top + 8}\" text-anchor=\"end\">{Format.Count(tallest)}</text>");
        _html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 4}\" y=\"{Top + Height}\" text-anchor=\"end\">0</text>");
        for (int decade = firstDecade; decade <= lastDecade; decade++)
        {
            double x = X(decade);
            _html.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{x:F1}\" y1=\"{Top + Height}\" x2=\"{x:F1}\" y2=\"{Top + Height + 4}\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{Top + Height + 16}\" text-anchor=\"middle\">{DurationLabel(Math.Pow(10, decade))}</text>");
        }

        foreach ((int bin, long count) in bins)
        {
            double x0 = X((double)bin / BinsPerDecade), x1 = X((double)(bin + 1) / BinsPerDecade);
            double h = Math.Max(1, count * Height / tallest);
            _html.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{x0 + 0.5:F1}\" y=\"{Top + Height - h:F1}\" width=\"{Math.Max(1, x1 - x0 - 1):F1}\" height=\"{h:F1}\">")
                .Append("<title>").Append(DurationLabel(Math.Pow(10, (double)bin / BinsPerDecade))).Append(" to ")
                .Append(DurationLabel(Math.Pow(10, (double)(bin + 1) / BinsPerDecade))).Append(": ").Append(Format.Count(count)).Append(" calls</title></rect>");
        }

        foreach ((string name, double value) in new[] { ("p50", latency.P50), ("p99", latency.P99) })
        {
            double x = X(Math.Log10(Math.Max(value, 1e-9)));
            _html.Append(CultureInfo.InvariantCulture, $"<line class=\"mark\" x1=\"{x:F1}\" y1=\"{Top}\" x2=\"{x:F1}\" y2=\"{Top + Height}\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 3:F1}\" y=\"{(name == "p50" ? Top + 10 : Top + 24)}\">{name}</text>");
        }

        _html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (Width / 2)}\" y=\"{Top + Height + 34}\" text-anchor=\"middle\">call duration (log scale); bar height: calls</text>");
        _html.Append("</svg></figure>");
    }

    private string ChartId(string part) => "chart-" + _charts.ToString(CultureInfo.InvariantCulture) + part;

    private static string DurationLabel(double seconds)
    {
        // Rounded to 3 significant digits: axis ticks and bin edges, not measured values.
        static string N(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
        return seconds < 1e-3 ? N(seconds * 1e6) + " µs"
            : seconds < 1 ? N(seconds * 1e3) + " ms"
            : N(seconds) + " s";
    }

    private void Throughput(ModelMonitorSnapshot model)
    {
        _html.Append("<h3>Throughput and errors</h3>");
        TableStart("Calls by window (rate: calls per second of the window)", "window", "calls", "rate (/s)", "succeeded", "failed", "error ratio", "items");
        foreach (WindowSnapshot w in model.Windows)
        {
            string key = "throughput." + Format.WindowKey(w.Window) + ".";
            RowHeader("last " + Format.Window(w.Window));
            Cell(key + "calls", Format.Count(w.Calls));
            Cell(key + "rate", Format.Decimal2(w.Calls / w.Window.TotalSeconds));
            Cell(key + "succeeded", Format.Count(w.Succeeded));
            Cell(key + "failed", Format.Count(w.Failed));
            Cell(key + "failure-ratio", Format.Ratio(w.FailureRate));
            Cell(key + "items", Format.Count(w.Items));
            _html.Append("</tr>");
        }

        RowHeader("since start");
        Cell("throughput.all.calls", Format.Count(model.Calls));
        _html.Append("<td>–</td>");
        Cell("throughput.all.succeeded", Format.Count(model.Succeeded));
        Cell("throughput.all.failed", Format.Count(model.Failed));
        Cell("throughput.all.failure-ratio", Format.Ratio(model.FailureRate));
        Cell("throughput.all.items", Format.Count(model.Items));
        _html.Append("</tr>");
        TableEnd();
    }

    private void Errors(ModelMonitorSnapshot model)
    {
        if (model.Failures.Count == 0)
        {
            _html.Append("<p class=\"note\">No failed call.</p>");
            return;
        }

        var headers = new List<string> { "error type" };
        headers.AddRange(model.Windows.Select(w => "last " + Format.Window(w.Window)));
        headers.Add("since start");
        TableStart("Failed calls by error type", [.. headers]);
        foreach (KeyValuePair<string, long> failure in model.Failures.OrderByDescending(f => f.Value).ThenBy(f => f.Key, StringComparer.Ordinal))
        {
            RowHeader(failure.Key);
            foreach (WindowSnapshot w in model.Windows)
            {
                Cell("errors." + failure.Key + "." + Format.WindowKey(w.Window), Format.Count(w.Failures.GetValueOrDefault(failure.Key)));
            }

            Cell("errors." + failure.Key + ".all", Format.Count(failure.Value));
            _html.Append("</tr>");
        }

        TableEnd();
    }

    private void Classification(ModelMonitorSnapshot model)
    {
        ClassificationSnapshot all = model.Classification!;
        _html.Append("<h3>Prediction quality</h3>");
        TableStart("Scores by window (labelled predictions)", "window", "labelled", "accuracy", "macro precision", "macro recall", "macro F1", "weighted F1", "balanced accuracy", "MCC", "log-loss");
        foreach ((string name, string key, ClassificationSnapshot? c) in PerWindow(model, w => w.Classification, model.Classification))
        {
            if (c is null)
            {
                continue;
            }

            string prefix = "quality." + key + ".";
            RowHeader(name);
            Cell(prefix + "total", Format.Count(c.Total));
            Cell(prefix + "accuracy", Format.Ratio(c.Accuracy));
            Cell(prefix + "macro-precision", Format.Ratio(c.MacroPrecision));
            Cell(prefix + "macro-recall", Format.Ratio(c.MacroRecall));
            Cell(prefix + "macro-f1", Format.Ratio(c.MacroF1));
            Cell(prefix + "weighted-f1", Format.Ratio(c.WeightedF1));
            Cell(prefix + "balanced-accuracy", Format.Ratio(c.BalancedAccuracy));
            Cell(prefix + "mcc", Format.Ratio(c.MatthewsCorrelation));
            if (c.ScoredCount > 0)
            {
                Cell(prefix + "log-loss", Format.Ratio(c.LogLoss));
            }
            else
            {
                _html.Append("<td>–</td>");
            }

            _html.Append("</tr>");
        }

        TableEnd();

        TableStart("Per class, since start", "class", "support", "true positives", "false positives", "false negatives", "precision", "recall", "F1");
        for (int i = 0; i < all.Classes.Count; i++)
        {
            ClassMetrics m = all.Classes[i];
            string prefix = "class." + i.ToString(CultureInfo.InvariantCulture) + ".";
            RowHeader(m.Label);
            Cell(prefix + "support", Format.Count(m.Support));
            Cell(prefix + "tp", Format.Count(m.TruePositives));
            Cell(prefix + "fp", Format.Count(m.FalsePositives));
            Cell(prefix + "fn", Format.Count(m.FalseNegatives));
            Cell(prefix + "precision", Format.Ratio(m.Precision));
            Cell(prefix + "recall", Format.Ratio(m.Recall));
            Cell(prefix + "f1", Format.Ratio(m.F1));
            _html.Append("</tr>");
        }

        TableEnd();

        if (all.HasMatrix && all.Total > 0)
        {
            ConfusionMatrix(all);
        }
    }

    /// <summary>The confusion matrix as a table heat map: each cell's count, shaded by its share of the actual class's row (that share in its title).</summary>
    private void ConfusionMatrix(ClassificationSnapshot c)
    {
        int k = c.Labels.Count;
        _html.Append("<div class=\"scroll\"><table class=\"matrix\"><caption>Confusion matrix since start: rows are the actual class, columns the predicted class; shade = share of the row</caption><thead><tr><th scope=\"col\">actual \\ predicted</th>");
        foreach (string label in c.Labels)
        {
            _html.Append("<th scope=\"col\">").Append(Encode(label)).Append("</th>");
        }

        _html.Append("</tr></thead><tbody>");
        for (int actual = 0; actual < k; actual++)
        {
            long row = 0;
            for (int predicted = 0; predicted < k; predicted++)
            {
                row += c.GetCount(predicted, actual);
            }

            RowHeader(c.Labels[actual]);
            for (int predicted = 0; predicted < k; predicted++)
            {
                long count = c.GetCount(predicted, actual);
                double share = row == 0 ? 0 : (double)count / row;
                string style = string.Create(CultureInfo.InvariantCulture, $"background:rgba(59,111,182,{share:F3})") + (share > 0.55 ? ";color:#fff" : string.Empty);
                _html.Append("<td style=\"").Append(style).Append("\" title=\"").Append(Format.Ratio(share)).Append(" of actual ")
                    .Append(Encode(c.Labels[actual])).Append("\" data-key=\"")
                    .Append(Encode(string.Create(CultureInfo.InvariantCulture, $"{_scope}matrix.{actual}.{predicted}"))).Append("\">")
                    .Append(Format.Count(count)).Append("</td>");
            }

            _html.Append("</tr>");
        }

        _html.Append("</tbody></table></div>");
    }

    private void Regression(ModelMonitorSnapshot model)
    {
        _html.Append("<h3>Regression error</h3>");
        TableStart("Errors by window (in the target's unit)", "window", "pairs", "MAE", "RMSE", "mean error", "R²", "MAPE");
        foreach ((string name, string key, RegressionSnapshot? r) in PerWindow(model, w => w.Regression, model.Regression))
        {
            if (r is null)
            {
                continue;
            }

            string prefix = "regression." + key + ".";
            RowHeader(name);
            Cell(prefix + "count", Format.Count(r.Count));
            Cell(prefix + "mae", Format.Ratio(r.MeanAbsoluteError));
            Cell(prefix + "rmse", Format.Ratio(r.RootMeanSquaredError));
            Cell(prefix + "mean-error", Format.Ratio(r.MeanError));
            Cell(prefix + "r2", Format.Ratio(r.RSquared));
            Cell(prefix + "mape", Format.Ratio(r.MeanAbsolutePercentageError));
            _html.Append("</tr>");
        }

        TableEnd();
    }

    private void Drift(ModelMonitorSnapshot model)
    {
        List<WindowSnapshot> windows = model.Windows.Where(w => w.Drift is not null).ToList();
        if (windows.Count == 0)
        {
            return;
        }

        _html.Append("<h3>Drift</h3>");
        TableStart("Population stability index (PSI) against the reference, by window; above 0.25 is usually read as a shift", "window", "predictions", "PSI of predicted classes", "PSI of scores");
        foreach (WindowSnapshot w in windows)
        {
            DriftSnapshot d = w.Drift!;
            string prefix = "drift." + Format.WindowKey(w.Window) + ".";
            RowHeader("last " + Format.Window(w.Window));
            Cell(prefix + "predictions", Format.Count(d.Predictions));
            Cell(prefix + "class-psi", Format.Ratio(d.ClassPsi));
            if (d.ScorePsi is { } scorePsi)
            {
                Cell(prefix + "score-psi", Format.Ratio(scorePsi));
            }
            else
            {
                _html.Append("<td>–</td>");
            }

            _html.Append("</tr>");
        }

        TableEnd();

        DriftSnapshot shortest = windows[0].Drift!;
        IReadOnlyList<string> labels = model.Classification?.Labels ?? [];
        var headers = new List<string> { "class", "reference share" };
        headers.AddRange(windows.Select(w => "last " + Format.Window(w.Window)));
        TableStart("Share of each predicted class", [.. headers]);
        for (int i = 0; i < shortest.ReferenceClassShares.Count; i++)
        {
            RowHeader(i < labels.Count ? labels[i] : "class " + i.ToString(CultureInfo.InvariantCulture));
            Cell("drift.reference." + i.ToString(CultureInfo.InvariantCulture), Format.Ratio(shortest.ReferenceClassShares[i]));
            foreach (WindowSnapshot w in windows)
            {
                IReadOnlyList<double> shares = w.Drift!.ClassShares;
                Cell("drift.share." + i.ToString(CultureInfo.InvariantCulture) + "." + Format.WindowKey(w.Window), i < shares.Count ? Format.Ratio(shares[i]) : "–");
            }

            _html.Append("</tr>");
        }

        TableEnd();
    }

    private void Labels(ModelMonitorSnapshot model)
    {
        LabelSnapshot l = model.Labels;
        if (l.Pending + l.Joined + l.Expired + l.Evicted + l.Replaced + l.UnknownId + l.DuplicateLabel + l.LateLabel + l.InvalidId == 0)
        {
            return;
        }

        _html.Append("<h3>Delayed labels</h3>");
        TableStart("Predictions waiting for their label, and labels received", "pending", "joined", "expired", "evicted", "replaced", "unknown id", "duplicate", "late", "invalid id");
        _html.Append("<tr>");
        Cell("labels.pending", Format.Count(l.Pending));
        Cell("labels.joined", Format.Count(l.Joined));
        Cell("labels.expired", Format.Count(l.Expired));
        Cell("labels.evicted", Format.Count(l.Evicted));
        Cell("labels.replaced", Format.Count(l.Replaced));
        Cell("labels.unknown-id", Format.Count(l.UnknownId));
        Cell("labels.duplicate", Format.Count(l.DuplicateLabel));
        Cell("labels.late", Format.Count(l.LateLabel));
        Cell("labels.invalid-id", Format.Count(l.InvalidId));
        _html.Append("</tr>");
        TableEnd();
        if (l.Delay.Count > 0)
        {
            TableStart("Delay from prediction to label (seconds)", "labels", "p50", "p90", "p99", "max");
            _html.Append("<tr>");
            Cell("labels.delay.count", Format.Count(l.Delay.Count));
            Cell("labels.delay.p50", Format.Seconds(l.Delay.P50));
            Cell("labels.delay.p90", Format.Seconds(l.Delay.P90));
            Cell("labels.delay.p99", Format.Seconds(l.Delay.P99));
            Cell("labels.delay.max", Format.Seconds(l.Delay.Max));
            _html.Append("</tr>");
            TableEnd();
        }
    }

    private void CpuTime(ModelMonitorSnapshot model)
    {
        _html.Append("<h3>CPU time of the model</h3>");
        TableStart("Thread CPU time of sampled calls, by window", "window", "samples", "CPU per call (ms)", "share of the process's CPU");
        foreach ((string name, string key, CpuTimeSnapshot? c) in PerWindow(model, w => w.CpuTime, model.CpuTime))
        {
            if (c is null)
            {
                continue;
            }

            RowHeader(name);
            Cell("cpu." + key + ".samples", Format.Count(c.Samples));
            Cell("cpu." + key + ".per-call", Format.Milliseconds(c.CpuSecondsPerCall));
            Cell("cpu." + key + ".share", Format.Ratio(c.ProcessShare));
            _html.Append("</tr>");
        }

        TableEnd();
    }

    private void GenAI(ModelMonitorSnapshot model)
    {
        _html.Append("<h3>Generative calls (LLM)</h3>");
        TableStart("Calls, tokens and timings by window (ms)", "window", "calls", "failed", "input tokens", "output tokens", "output tokens/s", "TTFT p50", "TTFT p95", "time per output token p50", "duration p50", "duration p99", "cost");
        foreach ((string name, string key, GenAISnapshot? g) in PerWindow(model, w => w.GenAI, model.GenAI))
        {
            if (g is null)
            {
                continue;
            }

            string prefix = "genai." + key + ".";
            RowHeader(name);
            Cell(prefix + "calls", Format.Count(g.Calls));
            Cell(prefix + "failed", Format.Count(g.Failed));
            Cell(prefix + "input-tokens", Format.Count(g.InputTokens));
            Cell(prefix + "output-tokens", Format.Count(g.OutputTokens));
            Cell(prefix + "tokens-per-second", Format.Decimal2(g.OutputTokensPerSecond));
            Cell(prefix + "ttft-p50", Format.Milliseconds(g.TimeToFirstToken.P50));
            Cell(prefix + "ttft-p95", Format.Milliseconds(g.TimeToFirstToken.P95));
            Cell(prefix + "tpot-p50", Format.Milliseconds(g.TimePerOutputToken.P50));
            Cell(prefix + "duration-p50", Format.Milliseconds(g.Duration.P50));
            Cell(prefix + "duration-p99", Format.Milliseconds(g.Duration.P99));
            Cell(prefix + "cost", Format.Ratio(g.Cost) + " " + Encode(g.Currency));
            _html.Append("</tr>");
        }

        TableEnd();
        GenAISnapshot all = model.GenAI!;
        if (all.FinishReasons.Count > 0)
        {
            TableStart("Finish reasons since start", "reason", "calls");
            foreach (KeyValuePair<string, long> reason in all.FinishReasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal))
            {
                RowHeader(reason.Key);
                Cell("genai.finish." + reason.Key, Format.Count(reason.Value));
                _html.Append("</tr>");
            }

            TableEnd();
        }
    }

    /// <summary>The rule set's states first, worst first: what needs attention is at the top of the page.</summary>
    private void Rules(IReadOnlyList<RuleStatus> statuses)
    {
        _scope = "rules.";
        _html.Append("<section id=\"rules\" data-rules=\"\"><h2>Rules and objectives</h2>");
        if (statuses.Count == 0)
        {
            _html.Append("<p>No rule evaluated yet.</p>");
        }
        else
        {
            TableStart("States after the last evaluation", "rule", "model", "state", "value", "threshold", "window", "samples", "budget left");
            var ordered = new List<RuleStatus>(statuses);
            ordered.Sort(static (a, b) => b.Severity != a.Severity ? b.Severity.CompareTo(a.Severity) : string.CompareOrdinal(a.Rule, b.Rule));
            foreach (RuleStatus status in ordered)
            {
                string key = status.Rule + "." + status.ModelName + "." + (status.ModelVersion ?? "-") + ".";
                RowHeader(status.Rule);
                Cell(key + "model", status.ModelName + (status.ModelVersion is { } version ? " " + version : string.Empty));
                Cell(key + "state", status.Severity.ToString().ToLowerInvariant());
                Cell(key + "value", status.Value is { } value ? Format.Ratio(value) : "–");
                Cell(key + "threshold", status.Threshold is { } threshold ? Format.Ratio(threshold) : "–");
                Cell(key + "window", Format.Window(status.Window));
                Cell(key + "samples", Format.Count(status.Samples));
                Cell(key + "budget", status.ErrorBudgetRemaining is { } budget ? Format.Ratio(budget) : "–");
                _html.Append("</tr>");
            }

            TableEnd();
            _html.Append("<ul class=\"note\">");
            foreach (RuleStatus status in ordered)
            {
                _html.Append("<li>").Append(Encode(status.Description)).Append("</li>");
            }

            _html.Append("</ul>");
        }

        _html.Append("</section>");
        _scope = string.Empty;
    }

    private void Resources(ResourceSnapshot r)
    {
        _scope = "resources.";
        _html.Append("<section id=\"resources\" data-resources=\"\"><h2>Resources</h2><dl class=\"cards\">");
        Card("Process CPU (of available)", "process-cpu", r.ProcessCpuUtilization is { } cpu ? Format.Ratio(cpu) : "–");
        Card("Resident memory (MiB)", "rss", Format.Mebibytes(r.ProcessResidentMemoryBytes));
        Card("Threads", "threads", Format.Count(r.ProcessThreads));
        Card("GC heap (MiB)", "gc-heap", Format.Mebibytes(r.GcHeapSizeBytes));
        Card("Thread pool threads", "threadpool-threads", Format.Count(r.ThreadPoolThreads));
        Card("Thread pool queue", "threadpool-queue", Format.Count(r.ThreadPoolQueueLength));
        Card("System CPU", "system-cpu", r.SystemCpuUtilization is { } sys ? Format.Ratio(sys) : "–");
        Card("System memory used", "system-memory", r.SystemMemoryUtilization is { } mem ? Format.Ratio(mem) : "–");
        Card("Available CPUs", "available-cpus", Format.Decimal2(r.AvailableCpus));
        _html.Append("</dl>");
        if (r.Container is { } c)
        {
            TableStart("Container (cgroup v" + c.CgroupVersion.ToString(CultureInfo.InvariantCulture) + ")", "CPU limit", "CPU used (of limit)", "memory used (MiB)", "memory limit (MiB)", "throttled periods");
            _html.Append("<tr>");
            Cell("container.cpu-limit", c.CpuLimit is { } l ? Format.Decimal2(l) : "none");
            Cell("container.cpu", c.CpuUtilization is { } u ? Format.Ratio(u) : "–");
            Cell("container.memory", c.MemoryUsageBytes is { } m ? Format.Mebibytes(m) : "–");
            Cell("container.memory-limit", c.MemoryLimitBytes is { } ml ? Format.Mebibytes(ml) : "none");
            Cell("container.throttled", c.ThrottledPeriods is { } t ? Format.Count(t) : "–");
            _html.Append("</tr>");
            TableEnd();
        }

        if (r.Gpus.Count > 0)
        {
            TableStart("GPUs", "GPU", "utilization", "memory used (MiB)", "memory total (MiB)", "power (W)", "temperature (°C)");
            foreach (GpuSnapshot g in r.Gpus)
            {
                string prefix = "gpu." + g.Index.ToString(CultureInfo.InvariantCulture) + ".";
                RowHeader(g.Index.ToString(CultureInfo.InvariantCulture) + ": " + g.Name);
                Cell(prefix + "utilization", g.Utilization is { } u ? Format.Ratio(u) : "–");
                Cell(prefix + "memory", g.MemoryUsedBytes is { } m ? Format.Mebibytes(m) : "–");
                Cell(prefix + "memory-total", g.MemoryTotalBytes is { } t ? Format.Mebibytes(t) : "–");
                Cell(prefix + "power", g.PowerWatts is { } p ? Format.Decimal2(p) : "–");
                Cell(prefix + "temperature", g.TemperatureCelsius is { } tc ? Format.Decimal2(tc) : "–");
                _html.Append("</tr>");
            }

            TableEnd();
        }
        else
        {
            _html.Append("<p class=\"note\">GPU: ").Append(r.GpuStatus.ToString()).Append("</p>");
        }

        _html.Append("</section>");
        _scope = string.Empty;
    }
}
