import Foundation

/// What the agent remembers about a pod between syncs that the runtime does not hold: when it started, the restart
/// and image-pull back-offs, and why a container is waiting.
struct PodState: Sendable {
    var startTime: Date?
    var restartBackoffs: [String: RestartBackoff] = [:]
    /// Container name → when it may be restarted.
    var restartAllowedAt: [String: ContinuousClock.Instant] = [:]
    /// Exited container instances already counted into a back-off.
    var countedExits: Set<String> = []
    var pullBackoffs: [String: RestartBackoff] = [:]
    var pullAllowedAt: [String: ContinuousClock.Instant] = [:]
    /// Container name → why it is not running (`CrashLoopBackOff`, `ErrImagePull`, …) and the message.
    var waiting: [String: (reason: String, message: String)] = [:]
    /// Why the eviction manager evicted the pod (the kubelet's message), once it has: its containers are stopped
    /// and it ends Failed with reason Evicted.
    var eviction: String?
    /// When the pod's configMap, secret and downward API files were last brought up to date.
    var volumesRefreshedAt: ContinuousClock.Instant?
}
