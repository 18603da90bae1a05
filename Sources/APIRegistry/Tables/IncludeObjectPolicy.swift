/// The `includeObject` query parameter of a Table request: what each row's `object` carries.
public enum IncludeObjectPolicy: String, Sendable {
    /// No object; the row has cells only.
    case none = "None"
    /// A `PartialObjectMetadata` with the object's metadata (the default; kubectl needs it for `-A` and `--show-labels`).
    case metadata = "Metadata"
    /// The whole object.
    case object = "Object"
}
