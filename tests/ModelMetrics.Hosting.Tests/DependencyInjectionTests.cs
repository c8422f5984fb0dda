// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace ModelMetrics.Hosting.Tests;

[TestFixture]
public sealed class DependencyInjectionTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "mm-di-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task Options_from_appsettings_json_set_name_version_labels_windows_and_boundaries()
    {
        string model = Unique("fraud");
        IConfiguration configuration = Settings($$"""
            {
              "ModelMetrics": {
                "Models": {
                  "fraud": {
                    "ModelName": "{{model}}",
                    "ModelVersion": "2025-06",
                    "ClassLabels": [ "legit", "fraud" ],
                    "Windows": [ "00:05:00", "01:00:00" ],
                    "BucketBoundaries": [ 0.01, 0.1, 1 ],
                    "LatencyPrecision": 3,
                    "ZeroDivision": "One"
                  }
                }
              }
            }
            """);
        using IHost host = Host(services => services.AddModelMonitor("fraud", configuration.GetSection("ModelMetrics:Models:fraud")));
        // Starts only if BucketBoundaries replaced the defaults: appended to them they would not be increasing.
        await host.StartAsync();

        ModelMonitor monitor = host.Services.GetRequiredKeyedService<ModelMonitor>("fraud");
        Assert.That(monitor.ModelName, Is.EqualTo(model));
        Assert.That(monitor.ModelVersion, Is.EqualTo("2025-06"));
        Assert.That(monitor.ClassLabels, Is.EqualTo(new[] { "legit", "fraud" }));
        // The configured list replaces the default windows (1 min, 5 min, 1 h) rather than adding to them.
        Assert.That(monitor.GetSnapshot().Windows.Select(w => w.Window), Is.EqualTo(new[] { TimeSpan.FromMinutes(5), TimeSpan.FromHours(1) }));
        Assert.That(host.Services.GetRequiredService<ModelMonitor>(), Is.SameAs(monitor), "the only monitor is also the unkeyed one");
        await host.StopAsync();
    }

    [Test]
    public async Task Model_name_defaults_to_the_key_and_unset_lists_keep_their_defaults()
    {
        string key = Unique("churn");
        IConfiguration configuration = Settings($$"""{ "Models": { "{{key}}": { "ModelVersion": "7" } } }""");
        using IHost host = Host(services => services.AddModelMonitor(key, configuration.GetSection($"Models:{key}")));
        await host.StartAsync();

        ModelMonitor monitor = host.Services.GetRequiredKeyedService<ModelMonitor>(key);
        Assert.That(monitor.ModelName, Is.EqualTo(key));
        Assert.That(monitor.ModelVersion, Is.EqualTo("7"));
        Assert.That(monitor.ClassLabels, Is.Empty);
        Assert.That(monitor.GetSnapshot().Windows.Select(w => w.Window), Is.EqualTo(ModelMonitorOptions.DefaultWindows.Order()));
        await host.StopAsync();
    }

    [Test]
    public async Task Code_configures_the_named_options_after_the_section_is_bound()
    {
        string key = Unique("ranker");
        var registry = new ModelMonitorRegistry();
        IConfiguration configuration = Settings($$"""{ "{{key}}": { "ModelVersion": "from-json", "MeterName": "ModelMetrics.Ranker" } }""");
        using IHost host = Host(services =>
        {
            services.AddModelMonitor(key, configuration.GetSection(key));
            services.Configure<ModelMonitorOptions>(key, o =>
            {
                o.Registry = registry;
                o.ModelVersion += "+code";
            });
        });
        await host.StartAsync();

        ModelMonitor monitor = registry.Monitors.Single();
        Assert.That(monitor, Is.SameAs(host.Services.GetRequiredKeyedService<ModelMonitor>(key)));
        Assert.That(monitor.ModelVersion, Is.EqualTo("from-json+code"));
        await host.StopAsync();
    }

    [TestCase("\"LatencyPrecision\": 9", "ModelMetrics:Models:fraud:LatencyPrecision")]
    [TestCase("\"ClassLabels\": [ \"legit\", \"\" ]", "ModelMetrics:Models:fraud:ClassLabels")]
    [TestCase("\"Windows\": [ \"00:00:00.5\" ]", "ModelMetrics:Models:fraud:Windows")]
    public void An_invalid_section_fails_the_host_start_naming_the_key(string option, string key)
    {
        IConfiguration configuration = Settings($$"""{ "ModelMetrics": { "Models": { "fraud": { "ModelName": "{{Unique("fraud")}}", {{option}} } } } }""");
        using IHost host = Host(services => services.AddModelMonitor("fraud", configuration.GetSection("ModelMetrics:Models:fraud")));

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain($"'{key}'").And.Contain("model monitor 'fraud'"));
        Assert.That(error.InnerException, Is.InstanceOf<ArgumentException>());
    }

    [Test]
    public void A_misspelt_option_fails_the_host_start_naming_it()
    {
        IConfiguration configuration = Settings("""{ "fraud": { "LatencyPrecison": 3 } }""");
        using IHost host = Host(services => services.AddModelMonitor("fraud", configuration.GetSection("fraud")));

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("LatencyPrecison"));
    }

    [Test]
    public void A_valid_monitor_is_created_when_the_host_starts_not_at_first_use()
    {
        string model = Unique("eager");
        var registry = new ModelMonitorRegistry();
        using IHost host = Host(services => services.AddModelMonitor("eager", o =>
        {
            o.ModelName = model;
            o.Registry = registry;
        }));
        Assert.That(registry.Monitors, Is.Empty);

        host.Start();

        Assert.That(registry.Monitors.Select(m => m.ModelName), Is.EqualTo(new[] { model }));
    }

    [Test]
    public async Task Two_keyed_monitors_and_two_keyed_predictors_resolve_separately()
    {
        string a = Unique("a"), b = Unique("b");
        using IHost host = Host(services =>
        {
            services.AddModelMonitor("a", o => o.ModelName = a);
            services.AddModelMonitor("b", o => o.ModelName = b);
            services.AddKeyedPredictor("a", _ => Predictor.Create<int, int>(x => x + 1), monitorName: "a");
            services.AddKeyedPredictor("b", _ => Predictor.Create<int, int>(x => x * 10), monitorName: "b");
        });
        await host.StartAsync();
        IServiceProvider provider = host.Services;

        ModelMonitor monitorA = provider.GetRequiredKeyedService<ModelMonitor>("a");
        ModelMonitor monitorB = provider.GetRequiredKeyedService<ModelMonitor>("b");
        Assert.That((monitorA.ModelName, monitorB.ModelName), Is.EqualTo((a, b)));
        Assert.That(provider.GetRequiredService<ModelMonitor>(), Is.SameAs(monitorA), "the first monitor added is the unkeyed one");

        IPredictor<int, int> predictorA = provider.GetRequiredKeyedService<IPredictor<int, int>>("a");
        IPredictor<int, int> predictorB = provider.GetRequiredKeyedService<IPredictor<int, int>>("b");
        Assert.That(provider.GetRequiredKeyedService<IPredictor<int, int>>("a"), Is.SameAs(predictorA), "singleton");
        Assert.That(provider.GetService<IPredictor<int, int>>(), Is.Null, "keyed predictors add no unkeyed one");
        Assert.That((predictorA.Predict(3), predictorB.Predict(3)), Is.EqualTo((4, 30)));
        predictorA.Predict(4);

        Assert.That((monitorA.GetSnapshot().Calls, monitorB.GetSnapshot().Calls), Is.EqualTo((2L, 1L)));
        await host.StopAsync();
    }

    [Test]
    public async Task AddPredictor_returns_the_pipeline_and_UseMetrics_records_into_the_DI_monitor()
    {
        var seen = new List<string>();
        using IHost host = Host(services =>
        {
            services.AddModelMonitor("scorer", o => o.ModelName = Unique("scorer"));
            services.AddPredictor(_ => Predictor.Create<double, double>(x => x < 0 ? throw new ArgumentOutOfRangeException(nameof(x)) : Math.Sqrt(x)))
                .Use(inner =>
                {
                    seen.Add("built");
                    return inner;
                })
                .Use((inner, provider) => new PredictorBuilder<double, double>(inner).UseMetrics(provider.GetRequiredKeyedService<ModelMonitor>("scorer")).Build());
        });
        await host.StartAsync();

        IPredictor<double, double> predictor = host.Services.GetRequiredService<IPredictor<double, double>>();
        Assert.That(predictor.Predict(16), Is.EqualTo(4));
        Assert.That(await predictor.PredictAsync(9), Is.EqualTo(3));
        Assert.That(() => predictor.Predict(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());

        ModelMonitorSnapshot snapshot = host.Services.GetRequiredService<ModelMonitor>().GetSnapshot();
        Assert.That((snapshot.Succeeded, snapshot.Failed), Is.EqualTo((2L, 1L)));
        Assert.That(seen, Is.EqualTo(new[] { "built" }), "the pipeline is built once, for the singleton");
        await host.StopAsync();
    }

    [Test]
    public async Task The_monitor_publishes_on_a_meter_from_the_hosts_meter_factory()
    {
        string model = Unique("metered");
        using IHost host = Host(services => services.AddModelMonitor("metered", o => o.ModelName = model));
        IMeterFactory factory = host.Services.GetRequiredService<IMeterFactory>();
        var scopes = new List<object?>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == ModelMonitorOptions.DefaultMeterName)
                {
                    lock (scopes)
                    {
                        scopes.Add(instrument.Meter.Scope);
                    }
                }
            },
        };
        listener.Start();

        await host.StartAsync();
        ModelMonitor monitor = host.Services.GetRequiredService<ModelMonitor>();
        Predictor.Create<int, int>(x => x).AsBuilder().UseMetrics(monitor).Build().Predict(1);
        listener.RecordObservableInstruments();

        // Instruments already published before the listener started are reported by Start; either way, the meter the
        // monitor publishes on was created by the host's factory (a factory's meters carry it as their scope).
        lock (scopes)
        {
            Assert.That(scopes, Is.Not.Empty);
            Assert.That(scopes, Has.Some.SameAs(factory));
        }

        await host.StopAsync();
    }

    [Test]
    public void Adding_two_monitors_of_one_name_is_an_error()
    {
        var services = new ServiceCollection();
        services.AddModelMonitor("dup");
        Assert.That(() => services.AddModelMonitor("dup"), Throws.ArgumentException.With.Property(nameof(ArgumentException.ParamName)).EqualTo("name"));
    }

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private static IHost Host(Action<IServiceCollection> configure)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        builder.Services.AddMetrics();
        configure(builder.Services);
        return builder.Build();
    }

    private IConfiguration Settings(string json)
    {
        string path = Path.Combine(_directory, "appsettings.json");
        File.WriteAllText(path, json);
        return new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build();
    }
}
