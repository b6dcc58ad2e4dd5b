// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vlog",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vlog", targets: ["vlog"]),
        .library(name: "VLogKit", targets: ["VLogKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCmark", pkgConfig: "libcmark",
                       providers: [.apt(["libcmark-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CShims"),
        .target(
            name: "VLogKit",
            dependencies: [
                "CSQLite", "CCmark", "CZlib", "CShims",
            ]
        ),
        .target(
            name: "VLogCLI",
            dependencies: [
                "VLogKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "vlog", dependencies: ["VLogCLI"]),
        .testTarget(name: "VLogKitTests", dependencies: ["VLogKit", "VLogCLI"]),
    ],
    swiftLanguageModes: [.v6]
)
