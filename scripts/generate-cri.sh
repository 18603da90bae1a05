#!/usr/bin/env bash
# Maintainer tool, not run by CI or the build: regenerates the committed CRI v1 code in
#   Sources/CRI/Generated/cri-runtime-v1.pb.swift    (messages, swift-protobuf)
#   Sources/CRI/Generated/cri-runtime-v1.grpc.swift  (client stubs only, grpc-swift-2)
# from the CRI spec (kubernetes/cri-api runtime.v1).
#
# Usage, from the repository root:
#   scripts/generate-cri.sh [path/to/cri-runtime-v1.proto]     (default: /work/shared/specs/cri-runtime-v1.proto)
#
# protoc and both plugins are built with SwiftPM in a scratch package outside the repository
# ($CRI_GEN_DIR, default /work/cri-gen) at the versions Package.swift resolves, so the output
# only changes when those versions do. The first build takes 10-15 minutes (protoc is C++).
#
# protoc is swift-protobuf's vendored one (36.x): Debian's protobuf-compiler (3.21) rejects the
# spec's `[debug_redact = true]` field options, which need protoc 22 or later. (The option
# does not change the Swift output: with it stripped, protoc 3.21 generates identical files.)
set -euo pipefail

proto=$(realpath "${1:-/work/shared/specs/cri-runtime-v1.proto}")
repo=$(cd "$(dirname "$0")/.." && pwd)
gen=${CRI_GEN_DIR:-/work/cri-gen}
out="$repo/Sources/CRI/Generated"

mkdir -p "$gen"
cat > "$gen/Package.swift" <<'EOF'
// swift-tools-version:6.1
// Scratch package for skiff's scripts/generate-cri.sh: builds protoc and the Swift plugins only.
import PackageDescription

let package = Package(
    name: "cri-gen",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
    ]
)
EOF

(
    cd "$gen"
    swift build --product protoc
    swift build --product protoc-gen-swift
    swift build --product protoc-gen-grpc-swift-2
)
bin="$gen/.build/debug"

mkdir -p "$out"
rm -f "$out"/*.swift
"$bin/protoc" \
    --proto_path="$(dirname "$proto")" \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
    --swift_opt=Visibility=Public \
    --swift_out="$out" \
    --grpc-swift-2_opt=Visibility=Public,Server=false,Client=true \
    --grpc-swift-2_out="$out" \
    "$(basename "$proto")"

ls -l "$out"
