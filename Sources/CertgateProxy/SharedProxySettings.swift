/// One set of `ProxySettings` shared by reference: every connection accepted under it holds the same
/// object (one pointer per connection rather than a copy of the struct), and keeps it after a
/// configuration reload has published a newer one.
final class SharedProxySettings: Sendable {
    let value: ProxySettings

    init(_ value: ProxySettings) {
        self.value = value
    }
}
