/// Renders an `AccessLogRecord` as one line, newline included, as UTF-8 bytes.
///
/// Text: logfmt, `key=value` separated by spaces, a value bare when it is a simple token and otherwise in
/// double quotes with `"` and `\` escaped; keys with no value are left out.
///
/// ```
/// ts=2026-12-05T12:00:00.123Z conn=1 client=192.0.2.7 client_port=51234 sni=app.example cert=app tls=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 resumed=false bytes_in=78 bytes_out=1290 duration_ms=4.210 connect_ms=0.310 close=client_close
/// ```
///
/// JSON: one object per line, every key always present (`null` when there is no value), strings
/// escaped by `JSONText`, numbers as numbers.
///
/// Both formats escape control characters (and DEL, U+2028, U+2029), so a client-chosen value (an SNI
/// name, a path) can never start a line of its own. Client-chosen values are cut at `maximumValueLength`
/// scalars (a `...` marks the cut), so a line stays small whatever the client sends.
///
/// Rendered straight into bytes (one reused array), not through `String` appends: this runs once per
/// connection on the workers, and the string version cost about three times as many instructions.
public struct AccessLogLine {
    public var format: LogOutputFormat
    /// Reused for every line: its storage grows once and is kept.
    private var line: [UInt8] = []

    /// The longest client-chosen value written (SNI name, path, method, client subject), in Unicode scalars.
    public static let maximumValueLength = 512

    public init(format: LogOutputFormat) {
        self.format = format
        line.reserveCapacity(512)
    }

    /// The record as one line, newline included (the array is reused by the next call).
    public mutating func renderBytes(_ record: AccessLogRecord) -> [UInt8] {
        line.removeAll(keepingCapacity: true)
        switch format {
        case .text: renderText(record)
        case .json: renderJSON(record)
        }
        return line
    }

    /// `renderBytes` as a string.
    public mutating func render(_ record: AccessLogRecord) -> String {
        String(decoding: renderBytes(record), as: UTF8.self)
    }

    // MARK: Text

    private mutating func renderText(_ record: AccessLogRecord) {
        ascii("ts=")
        record.time.appendRFC3339(to: &line)
        number(" conn=", record.connection)
        text(" client=", record.clientAddress)
        number(" client_port=", record.clientPort)
        text(" sni=", record.serverName)
        text(" cert=", record.certificate)
        text(" tls=", record.tlsVersion)
        text(" cipher=", record.cipher)
        if let resumed = record.resumed { ascii(resumed ? " resumed=true" : " resumed=false") }
        text(" alpn=", record.alpn)
        text(" client_subject=", record.clientSubject)
        if let request = record.request {
            number(" request=", request.number)
            text(" method=", request.method)
            text(" path=", request.path)
            number(" status=", request.status)
            number(" request_head_bytes=", request.headBytes)
        }
        number(" bytes_in=", record.bytesFromClient)
        number(" bytes_out=", record.bytesToClient)
        milliseconds(" duration_ms=", record.duration)
        milliseconds(" connect_ms=", record.upstreamConnect)
        text(" close=", record.closeReason)
        text(" close_detail=", record.closeDetail)
        line.append(0x0A)
    }

    private mutating func text(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        ascii(key)
        LogEscaping.textValue(Self.limited(value), into: &line)
    }

    private mutating func number<T: BinaryInteger>(_ key: StaticString, _ value: T?) {
        guard let value else { return }
        ascii(key)
        Self.appendDecimal(UInt64(clamping: value), to: &line)
    }

    private mutating func milliseconds(_ key: StaticString, _ seconds: Double?) {
        guard let seconds else { return }
        ascii(key)
        Self.appendMilliseconds(seconds, to: &line)
    }

    // MARK: JSON

    private mutating func renderJSON(_ record: AccessLogRecord) {
        ascii("{\"ts\":\"")
        record.time.appendRFC3339(to: &line)
        ascii("\",\"conn\":")
        Self.appendDecimal(record.connection, to: &line)
        jsonText(",\"client\":", record.clientAddress)
        jsonNumber(",\"client_port\":", record.clientPort)
        jsonText(",\"sni\":", record.serverName)
        jsonText(",\"cert\":", record.certificate)
        jsonText(",\"tls\":", record.tlsVersion)
        jsonText(",\"cipher\":", record.cipher)
        ascii(",\"resumed\":")
        switch record.resumed {
        case true?: ascii("true")
        case false?: ascii("false")
        case nil: ascii("null")
        }
        jsonText(",\"alpn\":", record.alpn)
        jsonText(",\"client_subject\":", record.clientSubject)
        if let request = record.request {
            jsonNumber(",\"request\":", request.number)
            jsonText(",\"method\":", request.method)
            jsonText(",\"path\":", request.path)
            jsonNumber(",\"status\":", request.status)
            jsonNumber(",\"request_head_bytes\":", request.headBytes)
        }
        jsonNumber(",\"bytes_in\":", record.bytesFromClient)
        jsonNumber(",\"bytes_out\":", record.bytesToClient)
        jsonMilliseconds(",\"duration_ms\":", record.duration)
        jsonMilliseconds(",\"connect_ms\":", record.upstreamConnect)
        jsonText(",\"close\":", record.closeReason)
        jsonText(",\"close_detail\":", record.closeDetail)
        ascii("}\n")
    }

    private mutating func jsonText(_ key: StaticString, _ value: String?) {
        ascii(key)
        if let value { JSONText.appendQuoted(Self.limited(value), to: &line) } else { ascii("null") }
    }

    private mutating func jsonNumber<T: BinaryInteger>(_ key: StaticString, _ value: T?) {
        ascii(key)
        if let value { Self.appendDecimal(UInt64(clamping: value), to: &line) } else { ascii("null") }
    }

    private mutating func jsonMilliseconds(_ key: StaticString, _ seconds: Double?) {
        ascii(key)
        if let seconds { Self.appendMilliseconds(seconds, to: &line) } else { ascii("null") }
    }

    private mutating func ascii(_ text: StaticString) {
        JSONText.appendASCII(text, to: &line)
    }

    // MARK: Values

    /// `value` cut at `maximumValueLength` scalars, with `...` marking the cut.
    static func limited(_ value: String) -> String {
        guard value.utf8.count > maximumValueLength else { return value }
        var scalars = value.unicodeScalars
        guard scalars.count > maximumValueLength else { return value }
        scalars = String.UnicodeScalarView(scalars.prefix(maximumValueLength))
        return String(scalars) + "..."
    }

    /// `value` in decimal digits.
    static func appendDecimal(_ value: UInt64, to output: inout [UInt8]) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            output.append(UInt8(48 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Seconds as milliseconds with three decimals (microseconds), `4.210`; negative times (a clock
    /// that went back) are written as 0.
    static func appendMilliseconds(_ seconds: Double, to output: inout [UInt8]) {
        let micros = seconds.isFinite ? UInt64((max(seconds, 0) * 1_000_000).rounded()) : 0
        appendDecimal(micros / 1000, to: &output)
        output.append(0x2E)
        let fraction = micros % 1000
        output.append(UInt8(48 + fraction / 100))
        output.append(UInt8(48 + fraction / 10 % 10))
        output.append(UInt8(48 + fraction % 10))
    }
}
