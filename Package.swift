// swift-tools-version:6.0
import PackageDescription

// Layers, each importing only the ones below it (the README and docs/development.md draw the same
// picture). The LayerCheck plugin runs on every target before it compiles: an import of one of
// these targets that the importing target does not list as a dependency (a layer above, or
// VLogStore from the CLI) fails the build.
//
//  vlog, vlog-dev     executables, a few lines each (vlog-dev: the traffic generator for benchmarks)
//    |
//  VLogCLI            the commands: arguments, output, one-line errors; no SQL (no VLogStore)
//    |
//  VLogSite           the build pipeline, pages, feeds, writer, player bundle, preview server,
//    |                server configs, check, deploy, backup                 [libcmark-gfm]
//    +------------------+
//  VLogAnalytics      VLogTranscode
//    logs -> sessions,  jobs (JobStore, WorkerID, WorkFolder), transcoder, attempts,
//    reports [zlib]     cluster dispatch and collect, chunks, remux, transcription
//    +------------------+
//  VLogContent        videos, categories, attachments: the catalogue's rows and rules
//    |
//  VLogMedia          ffprobe, the ladder, HLS playlists and checks, storyboards, caption files
//    |
//  VLogStore          SQLite: connection, schema, the site's database, the file journal [sqlite3]
//    |
//  VLogTemplate       the Mustache engine
//    |
//  VLogConfig         vlog.toml (one table of keys), the site folder, Places
//    |
//  VLogSupport        errors, file I/O, formats, escaping, MediaLayout, locks, processes [libcrypto]
//
// (VLogMedia, VLogTemplate and VLogConfig do not use SQLite; VLogAnalytics and VLogTranscode do
// not use each other.)
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
        .plugin(name: "LayerCheck", capability: .buildTool()),
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

// Every target of vlog's own code checks its imports against its dependencies (Plugins/LayerCheck).
for target in package.targets where target.type == .regular || target.type == .executable {
    target.plugins = (target.plugins ?? []) + [.plugin(name: "LayerCheck")]
}
