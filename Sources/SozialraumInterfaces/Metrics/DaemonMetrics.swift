import CoreMetrics
import Prometheus
import Synchronization

/// The daemon's metrics in one Prometheus registry, which both `stats` (over the admin socket) and the
/// HTTP endpoint render: one source, the same figures.
///
/// Events (a finished command) go through the swift-metrics API into the registry as they happen;
/// figures that live in the database or in other parts (pool, sessions, schedules) are read when
/// someone asks and published as a snapshot (`publish`). Names and codes only, never arguments or payloads.
public final class DaemonMetrics: Sendable {
    /// Upper bounds of the command latency histogram.
    static let commandDurationBuckets: [Duration] = [1, 5, 10, 50, 100, 500, 1000, 5000].map { .milliseconds($0) }
    static let commandsLabel = "sozialraum_admin_commands_total"
    static let durationLabel = "sozialraum_admin_command_duration_seconds"

    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    /// What the last snapshot published, by name and labels: gauges, and counters kept by the database
    /// with the value they were last set to.
    private let published = Mutex<Published>(Published())

    private struct Published {
        var gauges: [String: Prometheus.Gauge] = [:]
        var counters: [String: (counter: Prometheus.Counter, value: Int64)] = [:]
    }

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Self.durationLabel] = Self.commandDurationBuckets
        self.factory = factory
    }

    /// One command of the admin protocol finished. `command` is a known command's name (unknown ones count
    /// as "unknown"); `result` is `ok` or the error code.
    func commandFinished(command: String, result: String, duration: Duration) {
        CoreMetrics.Counter(
            label: Self.commandsLabel, dimensions: [("command", command), ("result", result)], factory: factory
        ).increment()
        let (seconds, attoseconds) = duration.components
        CoreMetrics.Timer(label: Self.durationLabel, dimensions: [], factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// A figure read at collection time.
    struct Sample: Sendable {
        enum Kind: Sendable { case gauge, counter }
        var name: String
        var labels: [(String, String)] = []
        var value: Int64
        var kind: Kind = .gauge
        var help: String

        var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }
        var key: String { name + "{" + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}" }
    }

    /// Publishes a snapshot: every sample's value is set; series the last snapshot had and this one has not
    /// (a pruned job state, a schedule removed, the database away) disappear rather than show stale values.
    /// A counter kept by the database rises by the difference; if it fell (a schedule defined anew), it
    /// starts again, which Prometheus reads as a counter reset.
    func publish(_ samples: [Sample]) {
        published.withLock { published in
            var seenGauges = Set<String>()
            var seenCounters = Set<String>()
            for sample in samples {
                switch sample.kind {
                case .gauge:
                    seenGauges.insert(sample.key)
                    let gauge =
                        published.gauges[sample.key]
                        ?? registry.makeGauge(descriptor: sample.descriptor, labels: sample.labels)
                    gauge.set(to: Double(sample.value))
                    published.gauges[sample.key] = gauge
                case .counter:
                    seenCounters.insert(sample.key)
                    let (counter, last) =
                        published.counters[sample.key]
                        ?? (registry.makeCounter(descriptor: sample.descriptor, labels: sample.labels), 0)
                    if sample.value >= last {
                        counter.increment(by: sample.value - last)
                    } else {
                        counter.reset()
                        counter.increment(by: sample.value)
                    }
                    published.counters[sample.key] = (counter, sample.value)
                }
            }
            for (key, gauge) in published.gauges where !seenGauges.contains(key) {
                registry.unregisterGauge(gauge)
                published.gauges[key] = nil
            }
            for (key, entry) in published.counters where !seenCounters.contains(key) {
                registry.unregisterCounter(entry.counter)
                published.counters[key] = nil
            }
        }
    }

    /// Everything in the Prometheus text exposition format (version 0.0.4).
    public func exposition() -> String { registry.emitToString() }

    /// The exposition as rows (`metric`, `labels`, `value`) for `stats`: the same figures, one per line;
    /// whole numbers without a decimal point.
    func rows() -> [(metric: String, labels: String, value: String)] {
        let rows = exposition().split(separator: "\n").compactMap {
            line -> (metric: String, labels: String, value: String)? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " ") else { return nil }
            let series = line[..<space]
            var value = String(line[line.index(after: space)...])
            if let number = Double(value), number == number.rounded(), abs(number) < 1e15 {
                value = String(Int64(number))
            }
            guard let brace = series.firstIndex(of: "{") else { return (String(series), "", value) }
            let labels = series[series.index(after: brace)..<series.index(before: series.endIndex)]
            return (String(series[..<brace]), String(labels), value)
        }
        // The registry keeps no order; a reader wants one: by name and labels, a histogram's buckets as
        // emitted (ascending bounds, then +Inf).
        return rows.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if x.metric != y.metric { return x.metric < y.metric }
            if x.metric.hasSuffix("_bucket") || x.labels == y.labels { return a.offset < b.offset }
            return x.labels < y.labels
        }.map(\.element)
    }
}
