/// Field errors Kubernetes reports that the base helpers do not cover, and variants whose bad value is already
/// rendered the way Go's `%#v` prints a struct or map.
extension StatusCause {
    /// `spec.containers[0].volumeMounts[0].name: Not found: "data"`.
    public static func notFound(_ field: String, value: JSONValue) -> StatusCause {
        StatusCause(type: "FieldValueNotFound", message: "Not found: \(render(value))", field: field)
    }

    /// `spec.policyTypes: Too many: 3: must have at most 2 items`.
    public static func tooMany(_ field: String, actual: Int, maximum: Int) -> StatusCause {
        StatusCause(type: "FieldValueTooMany", message: "Too many: \(actual): must have at most \(maximum) items", field: field)
    }

    /// An Invalid cause whose value is given as Go prints it, e.g. `map[string]string{"app":"web"}`.
    public static func invalid(_ field: String, renderedValue: String, _ detail: String) -> StatusCause {
        StatusCause(type: "FieldValueInvalid", message: "Invalid value: \(renderedValue): \(detail)", field: field)
    }

    /// A Duplicate cause whose value is given as Go prints it.
    public static func duplicate(_ field: String, renderedValue: String) -> StatusCause {
        StatusCause(type: "FieldValueDuplicate", message: "Duplicate value: \(renderedValue)", field: field)
    }
}
