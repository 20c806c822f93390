import CertgateCertificates
import CertgateMetrics
import CertgatePosix
import CertgateTLS
import LibEV
import Logging

/// `--ocsp-fetch`: fetches each served certificate's OCSP response from the responder its AIA extension
/// names, on the control loop, and writes it atomically to the certificate's `.ocsp` file
/// (`CertificateSource.ocspPath`, in `--ocsp-dir` when set). The file watcher then reloads that
/// certificate with the response, exactly as for a response written by hand; the response is checked
/// (`OCSPStaple.validate`) before it is written, so a bad answer never replaces a good file.
///
/// A once-a-second timer looks at the current certificates: a new certificate (or a new leaf under the
/// same name) is fetched at once unless it already staples a current response; later fetches follow
/// `OCSPFetchSchedule`. Control thread only.
///
/// A responder URL with a host name is resolved first on a short-lived thread ("cg-ocsp-resolve"; at
/// most one in flight per host), since `getaddrinfo` blocks and must never run on the control loop; the
/// thread posts the addresses back to the loop, which then starts the non-blocking exchange. A failed
/// resolution counts as `error`, with the usual back-off.
public final class OCSPFetcher {
    private struct Entry {
        var fingerprint: [UInt8]
        var nextFetch: Int64
        var failures = 0
        var exchange: OCSPExchange?
    }

    private let loop: EventLoop
    private let certificates: () -> [LoadedCertificate]
    private let metrics: OCSPMetrics
    private let logger: Logger
    private let schedule: OCSPFetchSchedule
    private let timeout: Duration
    private var entries: [String: Entry] = [:]
    private var tick: TimerWatcher?
    /// Resolver threads in flight, by responder host.
    private var resolving: [String: LoopThread] = [:]

    /// - Parameter certificates: the certificates served now (read at every tick, so reloads show up).
    public init(
        loop: EventLoop, certificates: @escaping () -> [LoadedCertificate], metrics: OCSPMetrics, logger: Logger,
        schedule: OCSPFetchSchedule = OCSPFetchSchedule(), timeout: Duration = .seconds(10)
    ) {
        self.loop = loop
        self.certificates = certificates
        self.metrics = metrics
        self.logger = logger
        self.schedule = schedule
        self.timeout = timeout
    }

    public func start() {
        let tick = TimerWatcher(loop: loop) { [weak self] in self?.check() }
        self.tick = tick
        tick.start(after: .zero, repeating: .seconds(1))
    }

    public func stop() {
        tick?.stop()
        tick = nil
        for entry in entries.values { entry.exchange?.cancel() }
        entries = [:]
    }

    private func check() {
        let now = Timestamp.now
        let current = certificates()
        let names = Set(current.map(\.name))
        for (name, entry) in entries where !names.contains(name) {
            entry.exchange?.cancel()
            entries[name] = nil
        }
        for certificate in current {
            let fingerprint = certificate.certifiedKey.leaf.sha256Fingerprint
            if entries[certificate.name]?.fingerprint != fingerprint {
                entries[certificate.name]?.exchange?.cancel()
                var first = now
                if let staple = certificate.ocspStaple, staple.isCurrent(at: now) {
                    first = schedule.afterSuccess(
                        thisUpdate: staple.thisUpdate, nextUpdate: staple.nextUpdate, now: now)
                }
                entries[certificate.name] = Entry(fingerprint: fingerprint, nextFetch: first)
            }
            if let entry = entries[certificate.name], entry.exchange == nil, now >= entry.nextFetch {
                fetch(certificate)
            }
        }
    }

    private func fetch(_ certificate: LoadedCertificate) {
        guard let request = OCSPRequest(for: certificate.certifiedKey) else {
            return finished(certificate, .failure(.noURL))
        }
        let url: OCSPResponderURL
        switch OCSPResponderURL.parse(request.url) {
        case .success(let parsed): url = parsed
        case .failure(let failure): return finished(certificate, .failure(failure))
        }
        guard !url.isLiteral else {
            // A literal: getaddrinfo only converts it, nothing blocks.
            let addresses = Result { () throws(ResolveError) in
                try ResolvedAddress.resolve(host: url.host, port: url.port)
            }
            return exchange(certificate, url, request, addresses)
        }
        // One lookup per host at a time: a certificate whose host is being resolved waits for a later tick.
        guard resolving[url.host] == nil else { return }
        let handle = loop.handle!
        let bound = LoopBound(self)
        let fingerprint = certificate.certifiedKey.leaf.sha256Fingerprint
        do {
            resolving[url.host] = try LoopThread.spawn(name: "cg-ocsp-resolve") {
                let addresses = Result { () throws(ResolveError) in
                    try ResolvedAddress.resolve(host: url.host, port: url.port)
                }
                handle.execute { bound.value.resolved(certificate, fingerprint, url, request, addresses) }
            }
        } catch {
            finished(certificate, .failure(.resolve("\(error)")))
        }
    }

    /// Back on the control loop after a lookup: goes on unless the certificate changed or went away meanwhile.
    private func resolved(
        _ certificate: LoadedCertificate, _ fingerprint: [UInt8], _ url: OCSPResponderURL, _ request: OCSPRequest,
        _ addresses: Result<[ResolvedAddress], ResolveError>
    ) {
        resolving.removeValue(forKey: url.host)?.join()
        guard let entry = entries[certificate.name], entry.fingerprint == fingerprint, entry.exchange == nil else {
            return
        }
        exchange(certificate, url, request, addresses)
    }

    private func exchange(
        _ certificate: LoadedCertificate, _ url: OCSPResponderURL, _ request: OCSPRequest,
        _ addresses: Result<[ResolvedAddress], ResolveError>
    ) {
        let name = certificate.name
        let list: [ResolvedAddress]
        switch addresses {
        case .success(let resolved) where !resolved.isEmpty: list = resolved
        case .success: return finished(certificate, .failure(.resolve("no address for \(url.host)")))
        case .failure(let error): return finished(certificate, .failure(.resolve(error.description)))
        }
        let exchange = OCSPExchange(loop: loop, request: url.request(der: request.der)) { [weak self] result in
            self?.entries[name]?.exchange = nil
            self?.received(result, for: certificate)
        }
        entries[name]?.exchange = exchange
        logger.debug(
            "fetching OCSP response",
            metadata: ["cert": "\(name)", "url": "\(request.url)", "address": "\(list[0])"])
        exchange.start(list, timeout: timeout)
    }

    private func received(_ result: Result<[UInt8], OCSPFetchFailure>, for certificate: LoadedCertificate) {
        switch result {
        case .failure(let failure): finished(certificate, .failure(failure))
        case .success(let der):
            let now = Timestamp.now
            let staple: OCSPStaple
            do {
                staple = try OCSPStaple.validate(der: der, for: certificate.certifiedKey, now: now)
            } catch {
                return finished(certificate, .failure(.invalid(error.description)))
            }
            do {
                try FileSystem.writeFileAtomically(certificate.source.ocspPath, der)
            } catch {
                return finished(certificate, .failure(.write("\(error)")))
            }
            finished(certificate, .success(staple))
        }
    }

    private func finished(_ certificate: LoadedCertificate, _ result: Result<OCSPStaple, OCSPFetchFailure>) {
        let now = Timestamp.now
        let name = certificate.name
        guard var entry = entries[name], entry.fingerprint == certificate.certifiedKey.leaf.sha256Fingerprint else {
            return
        }
        switch result {
        case .success(let staple):
            entry.failures = 0
            entry.nextFetch = schedule.afterSuccess(
                thisUpdate: staple.thisUpdate, nextUpdate: staple.nextUpdate, now: now)
            metrics.recordFetch(result: "success")
            logger.info(
                "OCSP response fetched",
                metadata: [
                    "cert": "\(name)", "file": "\(certificate.source.ocspPath)",
                    "next_update": "\(Timestamp.rfc3339(staple.nextUpdate))",
                    "next_fetch": "\(Timestamp.rfc3339(entry.nextFetch))",
                ])
        case .failure(let failure):
            entry.failures += 1
            entry.nextFetch = now + schedule.backoff(failures: entry.failures)
            metrics.recordFetch(result: failure.metricResult)
            logger.warning(
                "OCSP fetch failed",
                metadata: [
                    "cert": "\(name)", "error": "\(failure)", "failures": "\(entry.failures)",
                    "next_fetch": "\(Timestamp.rfc3339(entry.nextFetch))",
                ])
        }
        entries[name] = entry
    }
}
