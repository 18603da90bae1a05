import APIMachinery
import Foundation
import KubeClient
import Logging
import Synchronization

/// Writes core/v1 Events about objects, as client-go's event recorder does: in the background, never blocking the
/// caller, and counting repeats of the same event instead of writing a new one each time.
public final class EventRecorder: Sendable {
    public enum EventType: String, Sendable {
        case normal = "Normal"
        case warning = "Warning"
    }

    private struct Pending: Sendable {
        var involved: JSONValue
        var type: EventType
        var reason: String
        var message: String
        var time: Date
    }

    private struct Recorded: Sendable {
        var namespace: String
        var name: String
        var count: Int64
    }

    private let client: KubeClient
    private let component: String
    private let host: String
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let pending: AsyncStream<Pending>
    private let intake: AsyncStream<Pending>.Continuation
    private let recorded = Mutex<[String: Recorded]>([:])

    /// Events queued beyond this many are dropped (Kubernetes' broadcaster drops too): events are advisory.
    static let bufferLimit = 10_000
    static let rememberedLimit = 8192
    static let concurrentWrites = 4

    public init(client: KubeClient, component: String, host: String = "", logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.component = component
        self.host = host
        self.logger = logger
        self.now = now
        (pending, intake) = AsyncStream.makeStream(of: Pending.self, bufferingPolicy: .bufferingOldest(Self.bufferLimit))
    }

    /// Queues an event about `involved` (the full object; its kind, name, uid and resourceVersion are referenced).
    public func record(_ involved: JSONValue, type: EventType, reason: String, message: String) {
        intake.yield(Pending(involved: involved, type: type, reason: reason, message: message, time: now()))
    }

    /// Writes queued events until cancelled.
    public func run() async {
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for await event in pending {
                    if running >= Self.concurrentWrites {
                        await group.next()
                        running -= 1
                    }
                    group.addTask { await self.write(event) }
                    running += 1
                }
            }
        } onCancel: {
            intake.finish()
        }
    }

    private func write(_ event: Pending) async {
        let reference = Self.reference(to: event.involved)
        let namespace = reference["namespace"]?.stringValue ?? "default"
        let identity = [
            reference["uid"]?.stringValue ?? "", reference["kind"]?.stringValue ?? "", reference["name"]?.stringValue ?? "",
            event.type.rawValue, event.reason, event.message,
        ].joined(separator: "\u{0}")
        let timestamp = KubeTime.format(event.time)
        let repeated: Recorded? = recorded.withLock { remembered in
            guard var entry = remembered[identity] else { return nil }
            entry.count += 1
            remembered[identity] = entry
            return entry
        }
        do throws(APIError) {
            if let repeated {
                let patch: JSONValue = ["count": .integer(repeated.count), "lastTimestamp": .string(timestamp)]
                _ = try await client.patch(.events, namespace: repeated.namespace, name: repeated.name, type: .merge, patch)
                return
            }
            let name = "\(reference["name"]?.stringValue ?? "object").\(String(UInt64(event.time.timeIntervalSince1970 * 1e9), radix: 16))"
            let object: JSONValue = [
                "apiVersion": "v1", "kind": "Event",
                "metadata": ["name": .string(name), "namespace": .string(namespace)],
                "involvedObject": reference, "reason": .string(event.reason), "message": .string(event.message),
                "type": .string(event.type.rawValue), "source": host.isEmpty ? ["component": .string(component)] : ["component": .string(component), "host": .string(host)],
                "firstTimestamp": .string(timestamp), "lastTimestamp": .string(timestamp), "count": 1,
                "reportingComponent": .string(component), "reportingInstance": .string(host),
            ]
            _ = try await client.create(.events, namespace: namespace, object)
            recorded.withLock { remembered in
                if remembered.count >= Self.rememberedLimit { remembered.removeAll(keepingCapacity: true) }
                remembered[identity] = Recorded(namespace: namespace, name: name, count: 1)
            }
        } catch {
            if repeated != nil && error.isNotFound {
                // The event expired or was deleted: forget it so the next repeat writes a new one.
                _ = recorded.withLock { $0.removeValue(forKey: identity) }
            }
            logger.debug("event not written", metadata: ["reason": "\(event.reason)", "error": "\(error.message)"])
        }
    }

    /// An `ObjectReference` to an object.
    static func reference(to object: JSONValue) -> JSONValue {
        var reference: [String: JSONValue] = [:]
        reference["kind"] = object["kind"]
        reference["apiVersion"] = object["apiVersion"]
        for field in ["namespace", "name", "uid", "resourceVersion"] {
            if let value = object[path: "metadata", field] { reference[field] = value }
        }
        return .object(reference)
    }
}
