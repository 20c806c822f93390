import CertgateHTTP
import CertgateIdentity
import CertgatePosix
import CertgateTLS

/// `--forward-headers`: the client → upstream direction through a `RequestRewriter`, and the responses
/// certgate writes itself.
///
/// The rewriter's output goes upstream before anything more is read from the client; output the socket
/// does not take is parked like any other pending bytes (one pooled buffer), the rest stays in the
/// rewriter, so a direction still holds at most one buffer plus the rewriter's bounded output.
///
/// A refused request: the requests before it have been forwarded and may still be answered, so certgate
/// half-closes the upstream (it sees the end of the requests), passes on the responses until the
/// upstream closes (at most `responseGrace`), then writes its own response, closes its side and
/// lingers. An upstream that cannot be reached: 502 (504 on connect timeout) at once.
extension ProxyConnection {
    /// Creates the rewriter for this connection: the fields it adds describe this client.
    func startRewriting() {
        let (peer, local) = endpoints
        let certificate = tls.verifiedClientCertificate.map {
            ClientCertificateDetails(sha256: $0.sha256Fingerprint, subject: $0.subject, uris: $0.uriNames,
                                     dnsNames: $0.dnsNames)
        }
        let headers = ForwardedHeaders(
            clientAddress: peer.map { Self.addressText($0.address) } ?? "unknown",
            port: Int(local?.port ?? 0),
            clientCertificate: certificate
        )
        rewriter = RequestRewriter(headers: headers, headLimit: worker.settings.maximumRequestHead)
    }

    /// IPv4 clients of a dual-stack listener appear as `::ffff:a.b.c.d`; upstreams expect `a.b.c.d`.
    static func addressText(_ address: ProxiedEndpoint.Address) -> String {
        let text = address.text
        return text.hasPrefix("::ffff:") && text.contains(".") ? String(text.dropFirst(7)) : text
    }

    /// Whether to read from the client now: the direction allows it, and the rewriter is not holding
    /// input until the upstream answers (an upgrade decision, a full pipeline).
    var wantsClientInput: Bool {
        toUpstream.canRead && !(rewriter?.isWaitingForUpstream ?? false)
    }

    /// The upstream's answer released the rewriter's held input: move it on (the scratch buffer is free
    /// again when this is called).
    func resumeClientInput() {
        if toUpstream.pending == nil && !toUpstream.sourceEnded {
            pumpRewritten()
        }
    }

    /// Moves bytes client → rewriter → upstream until the client has nothing more, the upstream is
    /// full, or a request is refused.
    func pumpRewritten() {
        guard let rewriter else { return }
        var budget = 16
        while phase == .proxying {
            if rewriter.pendingOutputCount > 0 {
                guard writeRewrittenOutput(rewriter) else { return }
                continue
            }
            if let rejection = rewriter.rejection {
                refuse(rejection)
                return
            }
            if rewriter.heldInputCount > 0 && !rewriter.isWaitingForUpstream {
                let held = rewriter.heldInputCount
                rewriter.resume()
                countForwardedRequests(rewriter)
                // resume() always moves while nothing waits to be written; never spin if it did not.
                guard rewriter.heldInputCount < held || rewriter.pendingOutputCount > 0 || rewriter.rejection != nil
                else { return }
                continue
            }
            guard wantsClientInput && (budget > 0 || tls.hasBufferedData) else { return }
            budget -= 1
            guard let count = readFromClient() else { return }
            rewriter.feed(UnsafeRawBufferPointer(start: worker.scratch, count: count))
            countForwardedRequests(rewriter)
        }
    }

    /// Adds the requests forwarded since the last count to this worker's counter.
    private func countForwardedRequests(_ rewriter: RequestRewriter) {
        let forwarded = rewriter.requestCount - requestsCounted
        if forwarded > 0 {
            worker.traffic.addForwardedRequests(forwarded)
            requestsCounted = rewriter.requestCount
        }
    }

    /// Writes the rewriter's output upstream. True when all of it went out; otherwise the rest is parked
    /// (up to one pooled buffer, the remainder stays in the rewriter) or the connection was aborted.
    private func writeRewrittenOutput(_ rewriter: RequestRewriter) -> Bool {
        let result = rewriter.withPendingOutput { Socket.write(upstreamFD, from: $0.baseAddress!, count: $0.count) }
        switch result {
        case .done(let written):
            worker.traffic.addClientToUpstream(written)
            rewriter.consumeOutput(written)
            if rewriter.pendingOutputCount == 0 { return true }
        case .wouldBlock:
            break
        case .failed(let code):
            abort("upstream write failed: \(SystemError.message(for: code))")
            return false
        case .endOfStream:
            return false
        }
        let count = min(rewriter.pendingOutputCount, worker.settings.bufferSize)
        let buffer = worker.buffers.take()
        rewriter.withPendingOutput { toUpstream.park(PendingBytes(copying: $0.baseAddress!, count: count, into: buffer)) }
        rewriter.consumeOutput(count)
        return false
    }

    /// The first refused request: the upstream gets the end of the requests, certgate's response follows
    /// the upstream's last one.
    private func refuse(_ rejection: RequestRejection) {
        worker.metrics.http.rejected(reason: rejection.rawValue)
        worker.logger.debug("request refused", metadata: [
            "conn": "\(id)", "reason": "\(rejection.rawValue)", "status": "\(rejection.status)",
            "requests_before": "\(rewriter?.requestCount ?? 0)",
        ])
        finalResponse = (ErrorResponse.bytes(for: rejection), rejection.status)
        lingerBeforeClose = true
        toUpstream.markSourceEnded()
        closeUpstreamWrite()
        if toClient.sourceEnded {
            // The upstream had already closed: answer now.
            if let response = finalResponse {
                finalResponse = nil
                sendOwnResponse(response.bytes, status: response.status)
            }
            if toClient.needsSinkClose { closeClientWrite() }
        } else {
            timer.start(after: worker.settings.responseGrace.seconds)
        }
    }

    /// No upstream connection: the client gets `status` at once.
    func respondWithoutUpstream(status: Int, detail: String) {
        timer.stop()
        upstreamWatcher?.stop()
        upstreamWatcher = nil
        if upstreamFD >= 0 {
            Socket.close(upstreamFD)
            upstreamFD = -1
        }
        phase = .proxying
        toUpstream.markSourceEnded()
        toUpstream.markSinkClosed()
        lingerBeforeClose = true
        sendOwnResponse(ErrorResponse.bytes(status: status, detail: detail), status: status)
        toClient.markSourceEnded()
        if toClient.needsSinkClose { closeClientWrite() }
    }

    /// Hands certgate's own response to TLS (parked if the socket is full) and counts it.
    func sendOwnResponse(_ response: [UInt8], status: Int) {
        timer.stop()
        worker.metrics.http.responded(status: status)
        var bytes = response
        bytes.withUnsafeMutableBytes { raw in
            _ = deliverToClient(raw.baseAddress!, count: raw.count)
        }
    }

    /// Both directions are done after certgate's own response: keep reading (and dropping) for a moment.
    func startLingering() {
        phase = .lingering
        timer.start(after: worker.settings.responseGrace.seconds)
    }

    /// Reads and drops what the client still sends; closes at its end.
    func dropClientInput() {
        for _ in 0..<16 {
            switch tls.read(into: worker.scratch, count: worker.settings.bufferSize) {
            case .done:
                continue
            case .wantRead, .wantWrite:
                return
            case .closed, .failed:
                close()
                return
            }
        }
    }
}
