# certgate container image: build with the Swift toolchain, run on a slim Debian with only the runtime
# libraries.
#
#   docker build -t certgate .
#   docker run --rm -p 8443:8443 -v "$PWD/certs:/etc/certgate/certs:ro" certgate \
#       run --config /etc/certgate/certgate.yaml --upstream app.internal:8080

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- build ---------------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libev-dev libssl-dev libhttp-parser-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# --static-swift-stdlib: the runtime image has no Swift toolchain; libev, OpenSSL and the C/C++ runtime
# stay dynamic and come from Debian packages.
RUN swift build -c release --product certgate --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/certgate" /out/certgate

# --- runtime -------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libev4 libssl3 libhttp-parser2.9 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 certgate \
    && useradd --system --uid 10001 --gid certgate --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin certgate

# Default configuration: TLS on every interface, certificates mounted at /etc/certgate/certs, the
# application in the same pod or network namespace on port 8080 (override with --upstream or mount your
# own /etc/certgate/certgate.yaml), admin listener reachable for probes and Prometheus.
RUN mkdir -p /etc/certgate/certs \
    && printf '%s\n' \
        '# certgate container default; see docs/configuration.md' \
        'listen: 0.0.0.0:8443' \
        'upstream: 127.0.0.1:8080' \
        'cert-dir: certs' \
        'admin: 0.0.0.0:9901' \
        'workers: auto' \
        'log-format: json' \
        > /etc/certgate/certgate.yaml

COPY --from=build /out/certgate /usr/local/bin/certgate

USER certgate
EXPOSE 8443 9901
ENTRYPOINT ["/usr/local/bin/certgate"]
CMD ["run", "--config", "/etc/certgate/certgate.yaml"]
