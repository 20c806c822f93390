"""Throwaway ECDSA P-256 PKI for scripts/soak, made with the openssl command line (Python 3 stdlib only).

  Pki(dir).server_ca()           dir/server-ca.crt + .key (the CA the soak clients trust)
  Pki(dir).server_leaf()         a new key and certificate for soak.test, localhost, 127.0.0.1, signed by the
                                 server CA; returns (cert_pem, key_pem, serial_hex)
  Pki(dir).client_generation(k)  client CA number k (dir/client-ca-k.crt) and one client certificate signed
                                 by it (dir/client-k.crt + .key); returns (ca_path, cert_path, key_path)
"""
import os
import subprocess
import threading

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args, stdin=None):
    proc = subprocess.run(["openssl", *args], input=stdin, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (args[0], proc.stderr.decode(errors="replace").strip()))
    return proc.stdout


class Pki:
    def __init__(self, directory):
        self.dir = directory
        self.lock = threading.Lock()
        self.counter = 0
        os.makedirs(directory, exist_ok=True)

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _ca(self, name, cn):
        _openssl("req", "-x509", *EC, "-days", "2", "-subj", "/CN=" + cn,
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-keyout", self._path(name + ".key"), "-out", self._path(name + ".crt"))
        return self._path(name + ".crt")

    def _leaf(self, name, cn, issuer, ext):
        with self.lock:
            self.counter += 1
            serial = "%08x%08x" % (os.getpid(), self.counter)
        key, csr = self._path(name + ".key"), self._path(name + ".csr")
        extfile = self._path(name + ".ext")
        with open(extfile, "w") as f:
            f.write(ext)
        _openssl("req", "-new", *EC, "-subj", "/CN=" + cn, "-keyout", key, "-out", csr)
        _openssl("x509", "-req", "-in", csr, "-CA", self._path(issuer + ".crt"), "-CAkey",
                 self._path(issuer + ".key"), "-set_serial", "0x" + serial, "-days", "2", "-extfile", extfile,
                 "-out", self._path(name + ".crt"))
        os.unlink(csr)
        os.unlink(extfile)
        return self._path(name + ".crt"), key, serial.upper()

    def server_ca(self):
        return self._ca("server-ca", "certgate soak server CA")

    def server_leaf(self):
        """A fresh leaf; the files are read back and removed, the caller writes them into the secret."""
        crt, key, serial = self._leaf("leaf", "soak.test", "server-ca",
                                      "subjectAltName=DNS:soak.test,DNS:localhost,IP:127.0.0.1\n"
                                      "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n")
        with open(crt, "rb") as f:
            crt_pem = f.read()
        with open(key, "rb") as f:
            key_pem = f.read()
        os.unlink(crt)
        os.unlink(key)
        return crt_pem, key_pem, serial

    def client_generation(self, k):
        ca = self._ca("client-ca-%d" % k, "certgate soak client CA %d" % k)
        crt, key, _ = self._leaf("client-%d" % k, "soak-client-%d" % k, "client-ca-%d" % k,
                                 "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n")
        return ca, crt, key
