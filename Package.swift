// swift-tools-version:6.0
import PackageDescription

// Layers, each importing only those below it (a dependency the wrong way does not build):
//
//   vlog, vlog-dev            executables: a few lines each
//   VLogCLI                   the commands (argument parsing, output)
//   VLogKit                   content, media (ffmpeg), build (pages, feeds, writer, preview),
//                             logs (ingest), analytics; wraps libcmark-gfm and zlib
//   VLogTemplate              the Mustache engine
//   VLogStore                 SQLite store, site folder and configuration, support (errors,
//                             file I/O, escaping, media layout, locks); wraps sqlite3 and libcrypto
let package = Package(
    name: "vlog",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vlog", targets: ["vlog"]),
        .executable(name: "vlog-dev", targets: ["vlog-dev"]),
        .library(name: "VLogKit", targets: ["VLogKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CCmarkGFM", pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .target(name: "CShims"),
        .target(
            name: "VLogStore",
            dependencies: ["CSQLite", "CCrypto", "CShims", .product(name: "TOMLKit", package: "TOMLKit")]),
        .target(name: "VLogTemplate", dependencies: ["VLogStore"]),
        .target(
            name: "VLogKit",
            dependencies: [
                "VLogStore", "VLogTemplate", "CCmarkGFM", "CZlib", "CShims",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "VLogCLI",
            dependencies: [
                "VLogKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["GitVersion"]
        ),
        .plugin(name: "GitVersion", capability: .buildTool()),
        .executableTarget(name: "vlog", dependencies: ["VLogCLI"]),
        .executableTarget(
            name: "vlog-dev",
            dependencies: [
                "VLogKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "VLogKitTests", dependencies: ["VLogKit", "VLogCLI"]),
    ],
    swiftLanguageModes: [.v6]
)

// A module's extensions are seen only where it is imported: TOMLKit's conformances of Array and
// Double stay inside VLogStore's TOML.swift instead of changing `[Double]`'s subscripts elsewhere.
for target in package.targets where target.type != .system && target.type != .plugin {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
