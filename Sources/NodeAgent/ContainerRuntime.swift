import CRI

/// The container runtime as the node agent uses it: pod sandboxes, containers and images, in CRI's terms.
/// `CRIClient` (containerd or CRI-O over gRPC) is the implementation; tests may supply another.
protocol ContainerRuntime: Sendable {
    func version() async throws -> Runtime_V1_VersionResponse
    func runPodSandbox(_ config: Runtime_V1_PodSandboxConfig, runtimeHandler: String) async throws -> String
    func stopPodSandbox(id: String) async throws
    func removePodSandbox(id: String) async throws
    func podSandboxStatus(id: String, verbose: Bool) async throws -> Runtime_V1_PodSandboxStatusResponse
    func listPodSandboxes(filter: Runtime_V1_PodSandboxFilter?) async throws -> [Runtime_V1_PodSandbox]
    func createContainer(podSandboxID: String, config: Runtime_V1_ContainerConfig, sandboxConfig: Runtime_V1_PodSandboxConfig) async throws -> String
    func startContainer(id: String) async throws
    func stopContainer(id: String, gracePeriod: Duration) async throws
    func removeContainer(id: String) async throws
    func containerStatus(id: String, verbose: Bool) async throws -> Runtime_V1_ContainerStatusResponse
    func listContainers(filter: Runtime_V1_ContainerFilter?) async throws -> [Runtime_V1_Container]
    func listContainerStats() async throws -> [Runtime_V1_ContainerStats]
    func execSync(containerID: String, command: [String], timeout: Duration?) async throws -> Runtime_V1_ExecSyncResponse
    func exec(_ request: Runtime_V1_ExecRequest) async throws -> String
    func attach(_ request: Runtime_V1_AttachRequest) async throws -> String
    func portForward(podSandboxID: String, ports: [Int32]) async throws -> String
    func reopenContainerLog(id: String) async throws
    func pullImage(_ image: Runtime_V1_ImageSpec, auth: Runtime_V1_AuthConfig?, sandboxConfig: Runtime_V1_PodSandboxConfig?) async throws -> String
    func imageStatus(_ image: Runtime_V1_ImageSpec) async throws -> Runtime_V1_Image?
    func listImages(filter: Runtime_V1_ImageFilter?) async throws -> [Runtime_V1_Image]
}

extension CRIClient: ContainerRuntime {}
