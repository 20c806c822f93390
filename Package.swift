// swift-tools-version:6.2
//
// certgate: a TLS-terminating reverse proxy on libev + OpenSSL 3.
//
// Layering (dependencies point down only; C types never leave LibEV / CertgateTLS / CertgatePosix):
//
//   certgate (executable: CLI, wiring, signals)
//   CertgateProxy (workers, listeners, connections)      CertgateAdmin (admin HTTP listener)
//   CertgateReload (certificate store, change detection, reload control on the control loop)
//   CertgateCertificates (sources, loading, SNI snapshot)  CertgateMetrics   CertgateLogging
//   CertgateConfig (pure: configuration model, YAML, durations)   CertgateHTTP (request head rewriting)
//   CertgateHTTP2 (HTTP/2 server session over nghttp2, request rules, HTTP/1.1 response parsing)
//   CertgateIdentity (PROXY protocol headers)
//   LibEV (Swift over libev)   CertgateTLS (Swift over OpenSSL)
//   CertgatePosix (sockets, files, inotify, errno, thread ownership)
//   CLibEV / CLibEVShims       COpenSSL / COpenSSLShims        CPosixShims   CHTTPParser   CNGHTTP2
import PackageDescription

/// The per-request path of the proxy (connections, HTTP/2 streams): loop-confined objects whose stored
/// properties cannot be accessed by overlapping code, so release builds leave out the dynamic exclusivity
/// checks (perf showed swift_beginAccess/endAccess and AccessSet::insert at 3-4 % of the h2 CPU per
/// request). Debug builds, and so the tests, keep them.
let hotPathSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "certgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "certgate", targets: ["certgate"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // MARK: C system libraries and shims
        .systemLibrary(name: "CLibEV", providers: [.apt(["libev-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "CLibEVShims", dependencies: ["CLibEV"]),
        .target(name: "COpenSSLShims", dependencies: ["COpenSSL"]),
        .target(name: "CPosixShims"),
        .systemLibrary(name: "CHTTPParser", providers: [.apt(["libhttp-parser-dev"])]),
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),

        // MARK: Thin Swift wrappers over C
        .target(name: "LibEV", dependencies: ["CLibEV", "CLibEVShims", "CPosixShims", "CertgatePosix"]),
        .target(name: "CertgateTLS", dependencies: ["COpenSSL", "COpenSSLShims"]),
        .target(name: "CertgatePosix", dependencies: ["CPosixShims"]),

        // MARK: Pure Swift model and services
        .target(
            name: "CertgateConfig",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(name: "CertgateIdentity", dependencies: ["CertgatePosix"]),
        .target(name: "CertgateHTTP", dependencies: ["CHTTPParser"]),
        .target(
            name: "CertgateHTTP2", dependencies: ["CNGHTTP2", "CHTTPParser", "CertgateHTTP"],
            swiftSettings: hotPathSettings
        ),
        .target(
            name: "CertgateLogging",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "CertgateMetrics",
            dependencies: ["CertgatePosix", .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .target(
            name: "CertgateCertificates",
            dependencies: ["CertgateTLS", "CertgatePosix", "CertgateConfig"]
        ),
        .target(
            name: "CertgateReload",
            dependencies: [
                "CertgateCertificates", "CertgateConfig", "CertgatePosix", "CertgateTLS", "CertgateMetrics", "LibEV",
                "CertgateLogging", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CertgateAdmin",
            dependencies: [
                "LibEV", "CertgatePosix", "CertgateTLS",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CertgateProxy",
            dependencies: [
                "LibEV", "CertgatePosix", "CertgateTLS", "CertgateCertificates", "CertgateMetrics",
                "CertgateIdentity", "CertgateHTTP", "CertgateHTTP2", "CertgateLogging",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: hotPathSettings
        ),

        // MARK: Executable
        .executableTarget(
            name: "certgate",
            dependencies: [
                "CertgateProxy", "CertgateAdmin", "CertgateCertificates", "CertgateReload", "CertgateIdentity",
                "CertgateHTTP",
                "CertgateConfig", "CertgateLogging",
                "CertgateMetrics", "CertgateTLS", "LibEV", "CertgatePosix",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Tests (unit; the integration suite drives the real binary from Tests/integration)
        .testTarget(name: "CertgateConfigTests", dependencies: ["CertgateConfig"]),
        .testTarget(name: "CertgateLoggingTests", dependencies: ["CertgateLogging"]),
        .testTarget(name: "LibEVTests", dependencies: ["LibEV", "CertgatePosix"]),
        .testTarget(name: "CertgatePosixTests", dependencies: ["CertgatePosix"]),
        .testTarget(
            name: "CertgateMetricsTests",
            dependencies: [
                "CertgateMetrics", "CertgatePosix", .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "CertgateTestSupport",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Tests/CertgateTestSupport"
        ),
        .testTarget(
            name: "CertgateCertificatesTests",
            dependencies: ["CertgateCertificates", "CertgateTLS", "CertgateConfig", "CertgateTestSupport"]
        ),
        .testTarget(
            name: "CertgateProxyTests",
            dependencies: [
                "CertgateProxy", "CertgateHTTP", "CertgateHTTP2", "CertgateMetrics", "CertgatePosix", "CertgateTLS",
                "LibEV", "CertgateLogging",
            ]
        ),
        .testTarget(
            name: "CertgateReloadTests",
            dependencies: [
                "CertgateReload", "CertgateCertificates", "CertgateConfig", "CertgatePosix", "CertgateTLS",
                "CertgateMetrics", "CertgateTestSupport", "LibEV",
            ]
        ),
        .testTarget(
            name: "CertgateAdminTests",
            dependencies: ["CertgateAdmin", "LibEV", "CertgatePosix", "CertgateTestSupport"]),
        .testTarget(
            name: "CertgateIdentityTests", dependencies: ["CertgateIdentity", "CertgatePosix", "CertgateTestSupport"]),
        .testTarget(name: "CertgateHTTPTests", dependencies: ["CertgateHTTP"]),
        .testTarget(name: "CertgateHTTP2Tests", dependencies: ["CertgateHTTP2", "CertgateHTTP", "CNGHTTP2"]),
        .testTarget(
            name: "CertgateTLSTests",
            dependencies: ["CertgateTLS", "CertgateCertificates", "COpenSSL", "COpenSSLShims", "CertgateTestSupport"]
        ),
    ]
)
