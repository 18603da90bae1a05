import APIMachinery
import Foundation

/// Server-side printing: the `meta.k8s.io/v1` `Table` that `kubectl get` asks for
/// (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`) and prints column by column.
public enum TableConverter {
    /// A `Table` with one row per object. Cells are always the wide form, as the API server prints them; kubectl shows
    /// priority-1 columns only with `-o wide`. Each row's `object` follows `includeObject`.
    public static func table(
        group: String, resource: String, objects: [JSONValue], listResourceVersion: String, continueToken: String?,
        includeObject: IncludeObjectPolicy, now: Date
    ) -> JSONValue {
        let printer =
            TablePrinter.forResource(group: group, resource: resource)
            ?? (TablePrinter.builtInGroups.contains(group) ? TablePrinter.createdAt : TablePrinter.customResource)
        let rows = objects.map { object -> JSONValue in
            let printed = PrintedObject(object: object, now: now)
            var row: [String: JSONValue] = ["cells": .array(printer.cells(printed))]
            let conditions = printer.conditions(printed)
            if !conditions.isEmpty { row["conditions"] = .array(conditions) }
            switch includeObject {
            case .none:
                break
            case .metadata:
                row["object"] = [
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": object["metadata"] ?? .emptyObject,
                ]
            case .object:
                row["object"] = object
            }
            return .object(row)
        }
        var metadata: [String: JSONValue] = ["resourceVersion": .string(listResourceVersion)]
        if let continueToken, !continueToken.isEmpty { metadata["continue"] = .string(continueToken) }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(metadata),
            "columnDefinitions": .array(printer.columns.map(\.json)), "rows": .array(rows),
        ]
    }
}
