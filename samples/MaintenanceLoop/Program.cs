// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

// MaintenanceLoop: the maintenance half of ModelMetrics, closed in one process. A classifier serves live traffic; the
// data drifts; an accuracy rule fires; its retrain action trains a new version on recent labelled requests and runs it
// in shadow; McNemar's test on the paired outcomes says the new version is better; a hot swap promotes it without
// dropping a call; accuracy recovers and the rule resolves. Every event is printed as it happens.
//
//   dotnet run -c Release --project samples/MaintenanceLoop -- --seconds 12

using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using MaintenanceLoop;
using ModelMetrics;
using QuickStart;

const string Usage = "usage: MaintenanceLoop [--seconds N]   (N: 8 to 3600, default 12)";
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(Usage);
    return 0;
}

int seconds = 12;
if (args is not [] && !(args is ["--seconds", string text] && int.TryParse(text, out seconds) && seconds is >= 8 and <= 3600))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var clock = Stopwatch.StartNew();
void Say(string line) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F1} s] {line}");
string[] classes = DataGenerator.ClassNames;
TimeSpan window = TimeSpan.FromSeconds(2);

// 1. Version 1, trained on the data as it is today.
var data = new DataGenerator();
var (features, labels) = data.NextDataSet(new Random(1), 3_000);
SoftmaxModel v1 = SoftmaxModel.Train(features, labels, classes.Length, new Random(2));

// 2. The service: one monitor for what callers get (whatever version is live), behind a hot-swap predictor.
using var service = new ModelMonitor(new ModelMonitorOptions { ModelName = "iris", ClassLabels = classes, Windows = [window, TimeSpan.FromMinutes(1)] });
var live = new HotSwapPredictor<Request, int>(Predictor.Create<Request, int>(r => v1.Predict(r.Features)));
using IPredictor<Request, int> predictor = live.AsBuilder().UseMetrics(service).Build();
var recent = new RecentRequests(capacity: 3_000);
var loop = new LoopState();

// 3. The rule and its action: accuracy over the 2-second window below 80 % twice in a row is critical; it starts a
// retrain (once: a one-minute cooldown), on the thread pool, never on a caller's thread.
using var rules = new ModelRuleSet(new ModelRuleSetOptions
{
    EvaluationInterval = TimeSpan.FromMilliseconds(250),
    Rules = [new ModelRule { Name = "accuracy", ModelName = "iris", Signal = ModelSignal.Accuracy, Direction = RuleDirection.Below, Critical = 0.8, Window = window, MinSamples = 500, BreachesToFire = 2, ClearsToResolve = 2 }],
    Actions = [new MaintenanceAction { Name = "retrain", Rule = "accuracy", Cooldown = TimeSpan.FromMinutes(1), Timeout = TimeSpan.FromSeconds(30), Handler = RetrainAsync }],
});
rules.StatusChanged += (_, e) => Say($"rule {e.Status.Rule} on {e.Status.ModelName}@{e.Status.ModelVersion ?? "-"}: {e.PreviousSeverity} -> {e.Status.Severity}: {e.Status.Description}");
rules.ActionCompleted += (_, e) => Say($"action {e.Context.Action}: {e.Outcome} in {e.Duration.TotalMilliseconds:F0} ms{(e.Exception is null ? string.Empty : ": " + e.Exception.Message)}");

// 4. Traffic: two callers; each true class is known at once here (in production it arrives later).
using var stop = new CancellationTokenSource();
Thread[] callers = [new(() => Serve(1)), new(() => Serve(2))];
Array.ForEach(callers, c => c.Start());
Say($"serving v1 (trained on {features.Length:N0} requests) from {callers.Length} threads");

int driftAt = 2;
bool drifted = false;
while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
{
    Thread.Sleep(500);
    if (!drifted && clock.Elapsed >= TimeSpan.FromSeconds(driftAt))
    {
        drifted = true;
        data.StartDrift();
        Say("concept drift: versicolor petals grow larger from now on");
    }

    ModelMonitorSnapshot snapshot = service.GetSnapshot();
    ClassificationSnapshot? quality = snapshot.RecentClassification;
    string accuracy = quality is { Total: > 0 } ? $"{quality.Accuracy:P1} of {quality.Total:N0}" : "n/a";
    Say($"live v{loop.LiveVersion}: accuracy {accuracy} over {window.TotalSeconds} s, p99 {snapshot.RecentLatency.P99 * 1e6:F1} µs; rule {rules.Severity}");

    // 5. The verdict, off the hot path: promote the challenger once McNemar's test says it is better.
    if (loop.Shadow is { } shadow && loop.Challenger is { } challenger && !loop.Promoted)
    {
        ChallengerComparison verdict = shadow.Compare(snapshot.RecentLatency, loop.ChallengerMonitor!.GetSnapshot().RecentLatency, new ComparisonOptions { Significance = 0.001, MinimumSamples = 500 });
        Say($"shadow: {shadow.Compared:N0} compared ({shadow.AgreementRate:P1} agree), {shadow.Outcomes.Total:N0} labelled pairs: {verdict}");
        if (verdict.Verdict == ComparisonVerdict.Better)
        {
            loop.Promoted = true;
            loop.Shadow = null;
            Task<IPredictor<Request, int>> retired = live.Swap(challenger);
            loop.LiveVersion = 2;
            Say("promote: v2 is live (hot swap; calls in flight finish on v1)");
            _ = retired.ContinueWith(_ => Say("v1's pipeline ended: its last call finished and its shadow queue drained"), TaskScheduler.Default);
        }
    }
}

stop.Cancel();
Array.ForEach(callers, c => c.Join());
rules.Evaluate();
bool closed = loop.Promoted && rules.Severity == RuleSeverity.Ok;
Say(closed ? "loop closed: drift detected, v2 trained, verified in shadow, promoted; the rule is ok again" : $"loop not closed within {seconds} s (promoted: {loop.Promoted}, rule: {rules.Severity})");
predictor.Dispose();
loop.ChallengerMonitor?.Dispose();
return closed ? 0 : 1;

void Serve(int seed)
{
    var random = new Random(seed);
    long id = seed * 1_000_000_000L;

    // In production the truth arrives later than the answer; here each label is given 20,000 requests later (tens of
    // milliseconds), by which time the shadow worker has run the challenger on the sampled ones.
    var late = new (long Id, int Actual)[20_000];
    long served = 0;
    while (!stop.IsCancellationRequested)
    {
        // A fresh array per request: the shadow stage hands it to the challenger later, on another thread.
        var request = new Request(++id, new float[DataGenerator.FeatureCount]);
        int actual = data.Next(random, request.Features);
        int predicted = predictor.Predict(request);
        service.RecordGroundTruth(predicted, actual);
        recent.Add(request.Features, actual);

        int slot = (int)(served++ % late.Length);
        if (served > late.Length)
        {
            loop.Shadow?.RecordLabel(late[slot].Id, late[slot].Actual);
        }

        late[slot] = (request.Id, actual);
    }
}

async Task RetrainAsync(MaintenanceContext context, CancellationToken cancellationToken)
{
    // Train v2 on the most recent labelled requests (after the drift, they show the new concept).
    var (x, y) = recent.Snapshot();
    SoftmaxModel v2 = await Task.Run(() => SoftmaxModel.Train(x, y, classes.Length, new Random(3)), cancellationToken);
    Say($"retrain: v2 trained on the {x.Length:N0} most recent labelled requests; it runs in shadow on 5 % of the calls");

    // v2 gets its own monitor (its version) and runs beside v1 on a background worker; callers still get v1's answers.
    loop.ChallengerMonitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "iris", ModelVersion = "2", ClassLabels = classes, Windows = [window] });
    IPredictor<Request, int> challenger = Predictor.Create<Request, int>(r => v2.Predict(r.Features)).AsBuilder().UseMetrics(loop.ChallengerMonitor).Build();
    IPredictor<Request, int> shadowed = Predictor.Create<Request, int>(r => v1.Predict(r.Features)).AsBuilder()
        .UseShadow(challenger, sampleRate: 0.05, o =>
        {
            o.PredictionId = r => r.Id;
            o.PredictedClass = output => output;
            o.DisposeChallenger = false; // it will be promoted
        })
        .Build();
    loop.Challenger = challenger;
    loop.Shadow = shadowed.GetService<ShadowComparison>();
    await live.Swap(shadowed);
}
