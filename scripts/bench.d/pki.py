#!/usr/bin/env python3
"""Throwaway ECDSA P-256 PKI for scripts/bench (needs the `cryptography` package).

  pki.py bench DIR      DIR/ca.crt + DIR/ca.key, DIR/bench.crt + DIR/bench.key (SAN bench.test,
                        localhost, 127.0.0.1) and DIR/bench.pem (certificate then key).
  pki.py rotations DIR N  N more leaf certificates for the same names, each with a new key and a
                        distinct serial, signed by DIR/ca.key: DIR/rotate/0001.pem ... (certificate
                        then key), for the reload scenario.
  pki.py many DIR N     N leaf certificates DIR/certs/hostNNNNN.pem (certificate then key), CN and
                        SAN hostNNNNN.example.com, all signed by DIR/ca.crt. Written into a sibling
                        temporary directory and renamed into place when complete, so an interrupted
                        run never leaves a half-filled DIR. Uses every CPU it may run on.
"""
import datetime
import ipaddress
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
NOT_BEFORE = NOW - datetime.timedelta(hours=1)
NOT_AFTER = NOW + datetime.timedelta(days=30)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(cn):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_leaf(ca_key, ca_cert, cn, sans):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


BENCH_SANS = [x509.DNSName("bench.test"), x509.DNSName("localhost"),
              x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]


def bench(d):
    os.makedirs(d, exist_ok=True)
    ca_key, ca_cert = make_ca("certgate-bench CA")
    key, cert = make_leaf(ca_key, ca_cert, "bench.test", BENCH_SANS)
    with open(os.path.join(d, "ca.crt"), "wb") as f:
        f.write(pem_cert(ca_cert))
    with open(os.path.join(d, "ca.key"), "wb") as f:
        f.write(pem_key(ca_key))
    with open(os.path.join(d, "bench.crt"), "wb") as f:
        f.write(pem_cert(cert))
    with open(os.path.join(d, "bench.key"), "wb") as f:
        f.write(pem_key(key))
    with open(os.path.join(d, "bench.pem"), "wb") as f:
        f.write(pem_cert(cert) + pem_key(key))


def rotations(d, n):
    with open(os.path.join(d, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(d, "ca.crt"), "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    out = os.path.join(d, "rotate")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(d, "bench.crt"), "rb") as f:
        serials = {x509.load_pem_x509_certificate(f.read()).serial_number}
    i = 1
    while i <= n:
        key, cert = make_leaf(ca_key, ca_cert, "bench.test", BENCH_SANS)
        if cert.serial_number in serials:  # 159 random bits: never, but the scenario relies on it
            continue
        serials.add(cert.serial_number)
        with open(os.path.join(out, f"{i:04d}.pem"), "wb") as f:
            f.write(pem_cert(cert) + pem_key(key))
        i += 1


_CA = None


def _init_worker(ca_pem, ca_key_pem):
    global _CA
    _CA = (serialization.load_pem_private_key(ca_key_pem, None), x509.load_pem_x509_certificate(ca_pem))


def _write_range(args):
    out, lo, hi = args
    ca_key, ca_cert = _CA
    for i in range(lo, hi):
        host = f"host{i:05d}.example.com"
        key, cert = make_leaf(ca_key, ca_cert, host, [x509.DNSName(host)])
        with open(os.path.join(out, f"host{i:05d}.pem"), "wb") as f:
            f.write(pem_cert(cert) + pem_key(key))
    return hi - lo


def many(d, n):
    parent = os.path.dirname(os.path.abspath(d)) or "."
    tmp = os.path.join(parent, f".{os.path.basename(d)}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "certs"))
    ca_key, ca_cert = make_ca("certgate-bench many-certs CA")
    with open(os.path.join(tmp, "ca.crt"), "wb") as f:
        f.write(pem_cert(ca_cert))
    jobs = max(1, len(os.sched_getaffinity(0)))
    step = 250
    chunks = [(os.path.join(tmp, "certs"), lo, min(lo + step, n)) for lo in range(0, n, step)]
    try:
        with ProcessPoolExecutor(jobs, initializer=_init_worker,
                                 initargs=(pem_cert(ca_cert), pem_key(ca_key))) as pool:
            done = sum(pool.map(_write_range, chunks))
        if done != n:
            raise RuntimeError(f"wrote {done} of {n} certificates")
        shutil.rmtree(d, ignore_errors=True)
        os.rename(tmp, d)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "bench":
        bench(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "rotations":
        rotations(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "many":
        many(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
