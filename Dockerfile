# certgate container image: build with the Swift toolchain, run on a slim Debian with only the runtime
# libraries. scripts/image builds it (with podman or docker, and local base images where no registry
# answers: then SWIFT_IMAGE and RUNTIME_IMAGE are given as --build-arg); scripts/image-test runs it the way
# Kubernetes does. See docs/deployment.md, "Container image".
#
#   docker build -t certgate .
#   docker run --rm -p 8443:8443 -v "$PWD/certs:/etc/certgate/certs:ro" certgate \
#       run --config /etc/certgate/certgate.yaml --upstream app.internal:8080

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- build ---------------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libev-dev libssl-dev libhttp-parser-dev libnghttp2-dev pkg-config \
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
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libev4 libssl3 libhttp-parser2.9 libnghttp2-14 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 certgate \
    && useradd --system --uid 10001 --gid certgate --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin certgate

# Default configuration: TLS on every interface, certificates mounted at /etc/certgate/certs, the
# application in the same pod or network namespace on port 8080 (override with --upstream or mount your
# own /etc/certgate/certgate.yaml). The admin listener stays on the loopback: nobody on the network can
# POST /reload or read /metrics. The HEALTHCHECK and exec probes (`certgate health`) reach it there. To
# expose it to Prometheus and httpGet probes, give it a token as well:
#   --admin 0.0.0.0:9901 --admin-token-file /etc/certgate/admin/token   (a Secret mounted read-only)
# (/healthz and /readyz never need the token.)
RUN mkdir -p /etc/certgate/certs \
    && printf '%s\n' \
        '# certgate container default; see docs/configuration.md' \
        'listen: 0.0.0.0:8443' \
        'upstream: 127.0.0.1:8080' \
        'cert-dir: certs' \
        'admin: 127.0.0.1:9901' \
        'workers: auto' \
        'log-format: json' \
        > /etc/certgate/certgate.yaml

COPY --from=build /out/certgate /usr/local/bin/certgate

# Numeric, so a pod with runAsNonRoot: true needs no runAsUser to prove the user is not root.
USER 10001:10001
EXPOSE 8443 9901
# GET /healthz on the admin address of the baked-in config (pass the same flags to `certgate health` when
# run overrides --admin). No curl in the image: the binary asks itself.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/certgate", "health", "--config", "/etc/certgate/certgate.yaml"]
ENTRYPOINT ["/usr/local/bin/certgate"]
CMD ["run", "--config", "/etc/certgate/certgate.yaml"]
