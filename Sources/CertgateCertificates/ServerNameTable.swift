/// Maps a TLS SNI name to a value (a certificate) by certgate's matching rules, independent of OpenSSL so
/// the rules are tested on their own:
///
/// - matching is case-insensitive (ASCII) and ignores one trailing dot;
/// - an exact name beats a wildcard;
/// - `*.example.com` matches exactly one extra, non-empty label: `a.example.com`, not `example.com` nor
///   `b.a.example.com`;
/// - when two entries claim the same name, `merge` may combine them into one value (an ECDSA and an RSA
///   certificate for one name, see `CertificateSnapshot`); otherwise the one added first keeps it (callers
///   add in name order, so the outcome is deterministic and `conflicts` reports the loser).
public struct ServerNameTable<Value>: Sendable where Value: Sendable {
    private var exact: [String: Value] = [:]
    /// Keyed by the part after "*.", e.g. "example.com".
    private var wildcard: [String: Value] = [:]
    /// Names that more than one entry claimed: (name, ignored entry's label).
    public private(set) var conflicts: [(name: String, ignored: String)] = []
    /// Names whose value `merge` combined with a later entry's: (name, that entry's label).
    public private(set) var merged: [(name: String, label: String)] = []

    public init() {}

    /// Registers `value` under each of `names`. Names that are not usable DNS names (empty, a bare `*`,
    /// a `*` anywhere but a whole first label) are skipped and returned. A name already taken keeps its
    /// value, unless `merge(existing, value)` returns a combined one, which replaces it.
    @discardableResult
    public mutating func add(
        names: [String], value: Value, label: String, merge: (Value, Value) -> Value? = { _, _ in nil }
    ) -> [String] {
        func claim(_ slot: inout Value?, _ name: String) {
            guard let existing = slot else {
                slot = value
                return
            }
            if let combined = merge(existing, value) {
                slot = combined
                merged.append((name: name, label: label))
            } else {
                conflicts.append((name: name, ignored: label))
            }
        }
        var rejected: [String] = []
        for raw in names {
            guard let name = Self.normalize(raw) else {
                rejected.append(raw)
                continue
            }
            if name.hasPrefix("*.") {
                let suffix = String(name.dropFirst(2))
                guard !suffix.isEmpty, !suffix.contains("*") else {
                    rejected.append(raw)
                    continue
                }
                claim(&wildcard[suffix], name)
            } else {
                guard !name.contains("*") else {
                    rejected.append(raw)
                    continue
                }
                claim(&exact[name], name)
            }
        }
        return rejected
    }

    /// The value for `serverName`, or `nil` when no rule matches (the caller then uses its default).
    public func lookup(_ serverName: String) -> Value? {
        guard let name = Self.normalize(serverName) else { return nil }
        if let hit = exact[name] { return hit }
        guard let dot = name.utf8.firstIndex(of: UInt8(ascii: ".")), dot != name.utf8.startIndex else {
            return nil
        }
        let suffix = String(name[name.utf8.index(after: dot)...])
        guard !suffix.isEmpty else { return nil }
        return wildcard[suffix]
    }

    public var isEmpty: Bool { exact.isEmpty && wildcard.isEmpty }

    /// Lower-cases ASCII letters and drops one trailing dot; `nil` for an empty name.
    static func normalize(_ name: String) -> String? {
        var bytes = Array(name.utf8)
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        guard !bytes.isEmpty else { return nil }
        var changed = false
        for index in bytes.indices where bytes[index] >= 0x41 && bytes[index] <= 0x5A {
            bytes[index] |= 0x20
            changed = true
        }
        if !changed && bytes.count == name.utf8.count { return name }
        return String(decoding: bytes, as: UTF8.self)
    }
}
