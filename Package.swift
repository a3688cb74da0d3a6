// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "outlierd",
  // Linux only (inotify, signalfd, sd_notify, systemd units): no other
  // platform is declared or built.
  // The daemon alone: OutlierdCore is its library, not a product (its
  // declarations are `package`, for the executables and the tests).
  products: [
    .executable(name: "outlierd", targets: ["outlierd"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
  ],
  targets: [
    .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
    .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
    .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CCurl", path: "Sources/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    .target(
      name: "OutlierdCore",
      dependencies: [
        "CSQLite",
        "CLinux",
        "CCrypto",
        "CCurl",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "outlierd",
      dependencies: [
        "OutlierdCore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "outlierd-bench",
      dependencies: ["OutlierdCore"]
    ),
    // Unit tests: the library alone, in seconds (`scripts/test --quick`).
    .testTarget(
      name: "OutlierdCoreTests",
      dependencies: ["OutlierdCore"],
      exclude: ["Fixtures"]
    ),
    // Integration tests: the real `outlierd` binary (which they refuse to
    // run when it is older than the sources), real SQLite files, spools,
    // Alertmanager, collectd and non-root users.
    .testTarget(
      name: "IntegrationTests",
      dependencies: ["OutlierdCore"],
      exclude: ["Fixtures"]
    ),
  ]
)
