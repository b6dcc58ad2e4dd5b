// swift-tools-version:6.0
import PackageDescription

// Layers, each importing only those below it. `make build` and `make test` pass SwiftPM's
// --explicit-target-dependency-import-check error, so an import of a target not listed here as a
// dependency (a layer above, or VLogStore from the CLI) does not build.
//
//   vlog, vlog-dev     executables: a few lines each
//   VLogCLI            the commands: argument parsing and output, no SQL (VLogStore is not a dependency)
//   VLogSite           the build pipeline, pages, feeds, writer, preview server, server configs,
//                      publish (check, deploy, backup); wraps libcmark-gfm and zlib
//   VLogAnalytics      access logs -> sessions and viewers (ingest, estimator), reports, dashboard
//   VLogTranscode      jobs, the transcoder and its attempts, cluster engines, transcription
//   VLogContent        videos, categories, attachments: the catalogue's rows and rules
//   VLogMedia          ffmpeg and files: probe, ladder, renditions, HLS, storyboard, captions files
//   VLogStore          SQLite: connection, schema, the site's database, the file journal; wraps sqlite3
//   VLogTemplate       the Mustache engine
//   VLogConfig         vlog.toml, the site folder, where vlog may write (Places)
//   VLogSupport        errors, file I/O, formats, escaping, locks, external processes; wraps libcrypto
let package = Package(
    name: "vlog",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vlog", targets: ["vlog"]),
        .executable(name: "vlog-dev", targets: ["vlog-dev"]),
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
            name: "VLogSupport",
            dependencies: ["CCrypto", "CShims", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "VLogConfig", dependencies: ["VLogSupport", .product(name: "TOMLKit", package: "TOMLKit")]),
        .target(name: "VLogTemplate", dependencies: ["VLogSupport"]),
        .target(name: "VLogStore", dependencies: ["VLogSupport", "VLogConfig", "CSQLite"]),
        .target(name: "VLogMedia", dependencies: ["VLogSupport", "VLogConfig"]),
        .target(name: "VLogContent", dependencies: ["VLogSupport", "VLogConfig", "VLogStore", "VLogMedia"]),
        .target(
            name: "VLogTranscode",
            dependencies: ["VLogSupport", "VLogConfig", "VLogStore", "VLogMedia", "VLogContent"]),
        .target(
            name: "VLogAnalytics",
            dependencies: ["VLogSupport", "VLogConfig", "VLogStore", "VLogMedia", "VLogContent", "CZlib"]),
        .target(
            name: "VLogSite",
            dependencies: [
                "VLogSupport", "VLogConfig", "VLogStore", "VLogTemplate", "VLogMedia", "VLogContent",
                "VLogTranscode", "VLogAnalytics", "CCmarkGFM", "CShims",
            ]),
        .target(
            name: "VLogCLI",
            dependencies: [
                "VLogSupport", "VLogConfig", "VLogMedia", "VLogContent", "VLogTranscode", "VLogAnalytics",
                "VLogSite",
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
                "VLogSupport", "VLogConfig", "VLogStore", "VLogContent", "VLogAnalytics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "VLogTests",
            dependencies: [
                "VLogSupport", "VLogConfig", "VLogTemplate", "VLogStore", "VLogMedia", "VLogContent",
                "VLogTranscode", "VLogAnalytics", "VLogSite", "VLogCLI",
            ]),
    ],
    swiftLanguageModes: [.v6]
)

// A module's extensions are seen only where it is imported: TOMLKit's conformances of Array and
// Double stay inside VLogConfig's TOML.swift instead of changing `[Double]`'s subscripts elsewhere.
for target in package.targets where target.type != .system && target.type != .plugin {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
