import APIMachinery

/// One `metav1.TableColumnDefinition`: what `kubectl get` prints as a header.
struct TableColumn: Sendable {
    var name: String
    /// An OpenAPI type name: `string`, `integer`, `number`, `boolean` or `date`.
    var type: String
    /// `name` marks the column holding the object's name.
    var format: String
    var description: String
    /// 0 is always shown; 1 only with `kubectl get -o wide`.
    var priority: Int

    init(_ name: String, _ description: String, type: String = "string", format: String = "", priority: Int = 0) {
        self.name = name
        self.type = type
        self.format = format
        self.description = description
        self.priority = priority
    }

    var json: JSONValue {
        [
            "name": .string(name), "type": .string(type), "format": .string(format), "description": .string(description),
            "priority": .integer(Int64(priority)),
        ]
    }

    /// `metav1.ObjectMeta` field documentation, which Kubernetes uses to describe its NAME and AGE columns.
    static let nameDescription =
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    static let creationTimestampDescription =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

    static let name = TableColumn("Name", nameDescription, format: "name")
    static let age = TableColumn("Age", creationTimestampDescription)
    static let containers = TableColumn("Containers", "Names of each container in the template.", priority: 1)
    static let images = TableColumn("Images", "Images referenced by each container in the template.", priority: 1)

    static func selector(_ description: String = "A label query over pods that should match the replica count.") -> TableColumn {
        TableColumn("Selector", description, priority: 1)
    }
}
