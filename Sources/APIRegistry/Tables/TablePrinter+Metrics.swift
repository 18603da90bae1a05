import APIMachinery

/// metrics-server's tables for `kubectl get nodemetrics` and `kubectl get podmetrics`: the usage quantities (a
/// pod's summed over its containers) and the window they were measured over.
extension TablePrinter {
    private static let metricsColumns = [
        TableColumn("Name", "Name of the resource", format: "name"), TableColumn("cpu", "", format: "quantity"),
        TableColumn("memory", "", format: "quantity"), TableColumn("Window", "", format: "duration"),
    ]

    static let nodeMetrics = TablePrinter(
        columns: metricsColumns,
        cells: { metrics in
            [
                .string(metrics.name), .string(metrics.string("usage", "cpu")), .string(metrics.string("usage", "memory")),
                .string(metrics.string("window")),
            ]
        })

    static let podMetrics = TablePrinter(
        columns: metricsColumns,
        cells: { metrics in
            let usages = metrics.array("containers").map { $0["usage"] ?? .emptyObject }
            return [
                .string(metrics.name), .string(sum(usages.map { $0["cpu"]?.stringValue ?? "0" })),
                .string(sum(usages.map { $0["memory"]?.stringValue ?? "0" })), .string(metrics.string("window")),
            ]
        })

    /// The sum of quantities in the unit they share (`123n`, `4Ki`), as metrics-server's `Quantity.Add` prints it;
    /// mixed units are summed in thousandths.
    private static func sum(_ quantities: [String]) -> String {
        guard let first = quantities.first else { return "0" }
        let suffix = String(first.drop { $0.isNumber })
        let numbers = quantities.compactMap { quantity -> Int64? in
            guard quantity.hasSuffix(suffix) else { return nil }
            return Int64(quantity.dropLast(suffix.count))
        }
        if numbers.count == quantities.count { return "\(numbers.reduce(0, +))\(suffix)" }
        let milli = quantities.compactMap { Quantity($0)?.milliValue }.reduce(0, +)
        return milli % 1000 == 0 ? "\(milli / 1000)" : "\(milli)m"
    }
}
