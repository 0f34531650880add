"""A real HTTPS server on 127.0.0.1 for the reputation tests, with a test
CA the suite generates (openssl), canned answers per path, a record of
every request, and endpoints that hang until the server stops.

The server runs in a thread of the test process; rblmon talks to it over
real TLS sockets.  Nothing here sleeps: a hanging endpoint waits on an
event that the server's exit sets."""
import http.server
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import urllib.parse

HANG = object()  # a route answer: accept the request, never answer


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class TestCA:
    """A CA, a server certificate it signs for 127.0.0.1 and localhost, and
    a self-signed certificate that no one trusts."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rblmon-ca.")
        d = self.dir
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=rblmon test CA", "-keyout", "ca.key",
                 "-out", "ca.pem", cwd=d)
        with open(os.path.join(d, "san.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost,"
                    "DNS:api.abuseipdb.com,"
                    "DNS:sendersupport.olc.protection.outlook.com\n"
                    "basicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                 "-keyout", "server.key", "-out", "server.csr", cwd=d)
        _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                 "-extfile", "san.ext", "-out", "server.pem", cwd=d)
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=127.0.0.1", "-addext",
                 "subjectAltName=IP:127.0.0.1", "-keyout", "rogue.key",
                 "-out", "rogue.pem", cwd=d)
        self.ca_file = os.path.join(d, "ca.pem")

    def cert(self, rogue=False):
        name = "rogue" if rogue else "server"
        return (os.path.join(self.dir, name + ".pem"),
                os.path.join(self.dir, name + ".key"))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client refusing our certificate is a test case, not noise

    def get_request(self):
        sock, addr = super().get_request()
        # headers and body go out in two writes: without this, Nagle and
        # delayed ACKs cost 40 ms per keep-alive request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr


class HttpsServer:
    """routes: {path: answer}; an answer is (status, headers, body), a
    callable taking the request record and returning one, or HANG.
    requests: every request as {method, path, query, headers}."""

    def __init__(self, ca, routes, rogue=False):
        self.routes = dict(routes)
        self.requests = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                rec = {"method": self.command, "path": u.path,
                       "query": dict(urllib.parse.parse_qsl(u.query)),
                       "raw": self.path,
                       "headers": {k.lower(): v for k, v in self.headers.items()}}
                with outer.lock:
                    outer.requests.append(rec)
                    ans = outer.routes.get(u.path, (404, {}, b"no such path"))
                if callable(ans):
                    ans = ans(rec)
                if ans is HANG:
                    outer.release.wait()
                    return
                status, headers, body = ans
                if isinstance(body, str):
                    body = body.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*ca.cert(rogue))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    def connect_to(self, host):
        """connect_to: for a provider whose url names host on port 443."""
        return "%s:443:127.0.0.1:%d" % (host, self.port)

    def url(self, path):
        return "https://127.0.0.1:%d%s" % (self.port, path)

    def hits(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]
