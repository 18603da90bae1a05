import Testing

@testable import NodeAgent

/// References and errors as distribution/reference's `ParseNormalizedNamed` (the kubelet's parser) gives them.
@Suite("image references")
struct ImageReferenceTests {
    @Test(arguments: [
        "busybox", "busybox:1.36", "library/busybox", "127.0.0.1:5000/busybox:latest", "registry.k8s.io/pause:3.10",
        "localhost/app", "localhost:5000/team/app:v1.2-rc_3", "Registry.Example.com/app", "[::1]:5000/app",
        // A first component that is not lower-case is taken for a registry host, as Go's parser takes it.
        "myRepo/app",
        "a__b", "a--b---c", "a.b_c/d", "index.docker.io/nginx",
        "busybox@sha256:" + String(repeating: "ab", count: 32),
        "busybox:1.36@sha256:" + String(repeating: "0f", count: 32),
    ])
    func validReferencesPass(_ image: String) {
        #expect(ImageReference.invalidity(image) == nil)
    }

    @Test(arguments: [
        ("Nginx:Latest!", "invalid reference format: repository name (library/Nginx) must be lowercase"),
        ("example.com/Team/app", "invalid reference format: repository name (Team/app) must be lowercase"),
        ("nginx:latest!", "invalid reference format"),
        ("nginx:", "invalid reference format"),
        ("a___b", "invalid reference format"),
        ("-app", "invalid reference format"),
        ("app/", "invalid reference format"),
        ("host:port/app", "invalid reference format"),
        ("busybox@sha256:abc", "invalid reference format"),
        ("busybox@sha256:" + String(repeating: "a", count: 32), "invalid checksum digest length"),
        ("busybox@md5:" + String(repeating: "a", count: 32), "unsupported digest algorithm"),
        (String(repeating: "ab", count: 32), "invalid repository name (\(String(repeating: "ab", count: 32))), cannot specify 64-byte hexadecimal strings"),
        (String(repeating: "a", count: 250) + "/b", "repository name must not be more than 255 characters"),
    ])
    func invalidReferencesGetGosMessage(_ image: String, _ message: String) {
        #expect(ImageReference.invalidity(image) == message)
    }
}
