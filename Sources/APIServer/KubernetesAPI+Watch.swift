import APIMachinery
import APIRegistry
import Foundation
import Storage
import Synchronization

extension KubernetesAPI {
    /// How many events a watch response may queue for a slow client before it is closed (it then re-lists).
    static let watchResponseBuffer = 10_000

    func watch(_ context: ResourceRequest, metrics: RequestMetrics) async throws(APIError) -> APIResponse {
        let selection = try Selection(context)
        let definition = context.definition
        let query = context.request.query
        let prefix = ObjectStore.keyPrefix(definition, namespace: context.namespace)
        let timeout = query["timeoutSeconds"].flatMap(Double.init).map { min(max($0, 1), 3600) } ?? Double.random(in: 1800..<3600)
        let bookmarks = context.request.flag("allowWatchBookmarks")
        let encoder = WatchEventEncoder(context: context, api: self)

        var initial: [JSONValue] = []
        var startRevision: Int64
        if let text = query["resourceVersion"], !text.isEmpty, text != "0" {
            guard let requested = Int64(text), requested > 0 else {
                throw APIError.badRequest("resourceVersion: Invalid value: \"\(text)\": must be a non-negative integer")
            }
            startRevision = requested
        } else {
            // No resourceVersion: the current state as ADDED events, then changes from there (Kubernetes' "Start at Most Recent").
            let page = try await listPage(context, selection: selection)
            initial = page.items
            startRevision = page.revision
        }

        let storeWatch: StoreWatch
        do {
            storeWatch = try await objects.backend.watch(prefix: prefix, afterRevision: startRevision)
        } catch {
            if case .compacted(let requested, let compacted) = error {
                let expired = APIError.expired("too old resource version: \(requested) (\(compacted))")
                let line = encoder.event(type: "ERROR", object: expired.status, table: false)
                return .stream(contentType: "application/json", events: AsyncStream { continuation in
                    continuation.yield(line)
                    continuation.finish()
                })
            }
            throw ObjectStore.apiError(error, resource: definition, name: "")
        }

        let (events, continuation) = AsyncStream<JSONValue>.makeStream(bufferingPolicy: .bufferingOldest(Self.watchResponseBuffer))
        // The producer lives as long as the response stream; the stream's termination cancels it.
        let producer = Task {
            let deadline = ContinuousClock.now + .seconds(timeout)
            let lastRevision = Atomic<Int64>(startRevision)
            for object in initial {
                continuation.yield(encoder.event(type: "ADDED", object: object, table: true))
            }
            let timer = Task {
                while !Task.isCancelled && ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .seconds(min(60, max(0.05, (deadline - ContinuousClock.now) / .seconds(1)))))
                    if bookmarks && ContinuousClock.now < deadline {
                        continuation.yield(encoder.bookmark(revision: lastRevision.load(ordering: .relaxed)))
                    }
                }
                continuation.finish()
            }
            defer { timer.cancel() }
            do {
                for try await event in storeWatch {
                    lastRevision.store(event.revision, ordering: .relaxed)
                    guard var object = try? objects.decode(event.value, as: definition) else { continue }
                    if event.kind == .deleted {
                        object[path: "metadata", "resourceVersion"] = .string(String(event.revision))
                    }
                    let type: String
                    switch event.kind {
                    case .created:
                        guard selection.matches(object) else { continue }
                        type = "ADDED"
                    case .deleted:
                        guard selection.matches(object) else { continue }
                        type = "DELETED"
                    case .updated:
                        // As Kubernetes' watch cache does: an object entering the selection is ADDED, one leaving it DELETED.
                        let matchesNow = selection.matches(object)
                        let matchedBefore =
                            selection.isEmpty
                            || event.previous.flatMap { try? objects.decode($0, as: definition) }.map(selection.matches) ?? matchesNow
                        switch (matchedBefore, matchesNow) {
                        case (true, true): type = "MODIFIED"
                        case (false, true): type = "ADDED"
                        case (true, false): type = "DELETED"
                        case (false, false): continue
                        }
                    }
                    if case .dropped = continuation.yield(encoder.event(type: type, object: object, table: true)) {
                        break
                    }
                }
            } catch {
                let gone = APIError.expired("watch of \(definition.groupResource) ended: \(error); re-list and watch again")
                continuation.yield(encoder.event(type: "ERROR", object: gone.status, table: false))
            }
            continuation.finish()
        }
        let ended = metrics.watchStarted()
        continuation.onTermination = { _ in
            producer.cancel()
            ended()
        }
        return .stream(contentType: "application/json", events: events)
    }
}

/// Builds watch events (`{"type", "object"}`), with Tables as objects when the client asked for them.
struct WatchEventEncoder: Sendable {
    let context: ResourceRequest
    let api: KubernetesAPI

    func event(type: String, object: JSONValue, table: Bool) -> JSONValue {
        var payload = object
        if table && context.request.wantsTable {
            let revision = object[path: "metadata", "resourceVersion"]?.stringValue ?? ""
            payload = api.table(context, objects: [object], revision: revision, continueToken: nil)
        }
        return .object(["type": .string(type), "object": payload])
    }

    func bookmark(revision: Int64) -> JSONValue {
        let definition = context.definition
        let object: JSONValue = [
            "kind": .string(definition.kind), "apiVersion": .string(definition.apiVersion),
            "metadata": ["resourceVersion": .string(String(revision))],
        ]
        return event(type: "BOOKMARK", object: object, table: false)
    }
}
