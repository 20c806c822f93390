internal import CHTTPParser

/// The http-parser callback table shared by every `RequestRewriter`: plain C functions that find their
/// rewriter through `parser->data` and hand the event on. Built once; read-only afterwards (http-parser
/// only reads the settings it is given).
enum RequestParserCallbacks {
    nonisolated(unsafe) static var settings: http_parser_settings = {
        var settings = http_parser_settings()
        http_parser_settings_init(&settings)
        settings.on_body = { parser, data, length in
            rewriter(parser) { $0.onBody(UnsafeRawBufferPointer(start: data, count: length)) }
            return 0
        }
        settings.on_chunk_header = { parser in
            rewriter(parser) { $0.onChunkHeader() }
            return 0
        }
        settings.on_chunk_complete = { parser in
            rewriter(parser) { $0.onChunkComplete() }
            return 0
        }
        settings.on_header_field = { parser, data, length in
            rewriter(parser) { $0.onTrailerField(UnsafeRawBufferPointer(start: data, count: length)) }
            return 0
        }
        settings.on_header_value = { parser, data, length in
            rewriter(parser) { $0.onTrailerValue(UnsafeRawBufferPointer(start: data, count: length)) }
            return 0
        }
        settings.on_message_complete = { parser in
            rewriter(parser) { $0.onMessageComplete() }
            return 0
        }
        return settings
    }()

    /// Runs `body` with the rewriter behind `parser->data`, without retaining it (it is alive: it called).
    @inline(__always)
    private static func rewriter<R>(_ parser: UnsafeMutablePointer<http_parser>?, _ body: (RequestRewriter) -> R) -> R {
        Unmanaged<RequestRewriter>.fromOpaque(parser!.pointee.data)._withUnsafeGuaranteedRef(body)
    }
}
