"""Differential test of fibd's request-head parser against h11 (Debian's
python3-h11, in bookworm and trixie): thousands of generated heads, valid
and broken in the ways that matter (line ends, whitespace, folding, Host,
framing, targets, versions), go through both. Where both accept, they must
agree on method, target, version, keep-alive and Host. Where they disagree,
the input must fall in one of the documented cases where fibd is stricter
on purpose (docs/architecture.md, "HTTP parsing"); any other disagreement
fails the test and prints the input."""

import os
import random
import re
import struct
import subprocess
import sys
import unittest

try:
    import h11
except ImportError:  # Debian's package, for an interpreter not from Debian
    sys.path.append("/usr/lib/python3/dist-packages")
    import h11

TOOL = os.path.join(os.environ.get("FIBD_BUILD_DIR", "../../build"), "test-tools", "http_parse")
CASES = 20000

METHODS = [b"GET", b"HEAD", b"POST", b"OPTIONS", b"CONNECT", b"PATCH", b"get", b"G:T", b""]
TARGETS = [b"/", b"/fib/10", b"/fib/10?x=1&y", b"/a%20b", b"/a%2", b"/a%zz", b"/a\"b",
           b"/a<b>", b"/{x}", b"/a|b", b"/a\\b", b"/a^b", b"/a`b", b"/#frag",
           b"http://h/fib/1", b"HTTP://h:80", b"http://h?q", b"http://u@h/", b"http:///x",
           b"https://[::1]:8080/x", b"ftp://h/", b"*", b"h:443", b"fib/1", b"/\x7f", b"/\xc3\xa9"]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.9", b"HTTP/2.0", b"HTTP/0.9", b"http/1.1",
            b"HTTP/1.10", b"HTTP/1"]
HOSTS = [b"h", b"example.org:8080", b"[::1]:80", b"", b"a b", b"a/b", b"u@h", b"h:8x",
         b"[::1", b"h\x01", b"%41"]
FIELDS = [
    b"Connection: close", b"Connection: keep-alive", b"Connection: Keep-Alive, x",
    b"Connection: , close", b"Content-Length: 0", b"Content-Length: 5", b"Content-Length: 0, 0",
    b"Content-Length: -1", b"Content-Length: 1x", b"Transfer-Encoding: chunked",
    b"Transfer-Encoding: gzip, chunked", b"Transfer-Encoding: chunked, gzip",
    b"Upgrade: websocket", b"X-A: b", b"X-A: b\x01c", b"X-A: b\x7fc", b"X-A:", b"X-A:  v  ",
    b"X-A: caf\xc3\xa9", b"X A: b", b"X-A : b", b"X-A\t: b", b": b", b"NoColon",
    b"X-(A): b", b"Accept: */*", b"User-Agent: curl/8"]
GOOD_FIELDS = [b"Connection: close", b"Connection: keep-alive", b"Accept: */*",
               b"User-Agent: curl/8", b"X-A:  v  ", b"Content-Length: 0"]


def generate(rng):
    method = rng.choice(METHODS[:2] * 12 + METHODS)
    target = rng.choice(TARGETS[:3] * 20 + TARGETS)
    version = rng.choice(VERSIONS[:2] * 12 + VERSIONS)
    sep = rng.choice([b" "] * 20 + [b"  ", b"\t"])
    line = method + sep + target + b" " + version
    fields = []
    hosts = rng.choice([1] * 8 + [0, 2])
    for _ in range(hosts):
        fields.append(rng.choice([b"Host: ", b"host:", b"HOST:  "]) + rng.choice(HOSTS[:2] * 8 + HOSTS))
    for _ in range(rng.randint(0, 3)):
        fields.append(rng.choice(FIELDS) if rng.random() < 0.3 else rng.choice(GOOD_FIELDS))
    rng.shuffle(fields)
    if rng.random() < 0.05:
        fields.insert(rng.randint(0, len(fields)), b" folded")
    eol = b"\r\n" if rng.random() < 0.9 else rng.choice([b"\n", b"\r"])
    lead = b"\r\n" if rng.random() < 0.03 else b""
    head = lead + line + b"\r\n" + b"".join(f + (eol if rng.random() < 0.5 else b"\r\n") for f in fields)
    return head + b"\r\n"


def fibd_verdicts(inputs):
    data = b"".join(struct.pack(">I", len(i)) + i for i in inputs)
    out = subprocess.run([TOOL], input=data, capture_output=True, check=True).stdout
    return [line.split() for line in out.decode().splitlines()]


def h11_verdict(data):
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=32768)
    try:
        conn.receive_data(data)
        event = conn.next_event()
    except h11.RemoteProtocolError:
        return None
    return event if isinstance(event, h11.Request) else None


def field_values(event, name):
    return [v for k, v in event.headers if k == name]


def tokens(values):
    return {t.strip().lower() for v in values for t in v.split(b",") if t.strip()}


URI_CHARS = re.compile(rb"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$")
HOST = re.compile(rb"^(?:\[[A-Za-z0-9\-._~!$&'()*+,;=:]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$")


def stricter_on_purpose(data, event):
    """Why fibd may refuse a head h11 accepts, or None."""
    head = data.split(b"\r\n\r\n")[0]
    if re.search(rb"(?<!\r)\n", data):
        return "bare LF"
    if re.search(rb"\n[ \t]", head):
        return "obs-fold or whitespace before a field"
    if event is None:
        return None
    target = event.target
    if event.method == b"CONNECT" or target == b"*":
        return "CONNECT and asterisk-form"
    if not target.startswith(b"/") and not re.match(rb"(?i)https?://", target):
        return "target neither origin-form nor http(s) absolute-form"
    if not URI_CHARS.match(target.split(b"://", 1)[-1]):
        return "target characters outside RFC 3986"
    if re.match(rb"(?i)https?://", target):
        authority = re.split(rb"[/?]", target.split(b"://", 1)[1])[0]
        if not authority or b"@" in authority or authority.startswith(b":") or not HOST.match(authority):
            return "absolute-form authority"
    hosts = field_values(event, b"host")
    if len(hosts) > 1 or any(not HOST.match(h) for h in hosts):
        return "Host syntax or count"
    if any(re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", v) for _, v in event.headers):
        return "control characters in a field value"
    # h11 merges repeated and listed equal values: look at the raw lines.
    lengths = re.findall(rb"(?im)^content-length:([^\r\n]*)", head)
    if len(lengths) > 1 or any(b"," in v for v in lengths) or any(v.strip(b"0") for v in lengths):
        return "content or repeated Content-Length"
    if field_values(event, b"transfer-encoding"):
        return "Transfer-Encoding"
    if event.http_version not in (b"1.0", b"1.1"):
        return "version"
    return None


def has_content(data):
    """The head announces content: a non-zero Content-Length or Transfer-Encoding."""
    head = data.partition(b"\r\n\r\n")[0]
    lengths = re.findall(rb"(?im)^content-length:([^\r\n]*)", head)
    return (any(v.strip().strip(b"0") for v in lengths) or
            re.search(rb"(?im)^transfer-encoding:", head) is not None)


class DifferentialTest(unittest.TestCase):
    def test_against_h11(self):
        rng = random.Random(12)
        inputs = [generate(rng) for _ in range(CASES)]
        verdicts = fibd_verdicts(inputs)
        self.assertEqual(len(verdicts), len(inputs))
        agreed = {"accepted": 0, "refused": 0}
        stricter = {}
        for data, v in zip(inputs, verdicts):
            event = h11_verdict(data)
            if event is None and data.startswith(b"\r\n"):
                # fibd skips empty lines before the request-line (RFC 9112
                # 2.2 SHOULD); h11 does not: compare what follows them.
                event = h11_verdict(data.lstrip(b"\r\n"))
            if v[0] == "complete":
                self.assertIsNotNone(event, f"fibd accepts what h11 refuses: {data!r}")
                method, target, minor, keep_alive, host = v[2], bytes.fromhex(v[3][1:]), int(v[4]), v[5] == "1", bytes.fromhex(v[6][1:])
                self.assertEqual(method.encode(), event.method, data)
                self.assertEqual(target, event.target, data)
                self.assertEqual(minor, 0 if event.http_version == b"1.0" else 1, data)
                options = tokens(field_values(event, b"connection"))
                # A method fibd does not serve is answered with its content
                # unread, and the connection is not kept (RFC 9110 9.1).
                unread = event.method not in (b"GET", b"HEAD") and has_content(data)
                expected = (not unread and "close" not in {o.decode() for o in options} and
                            (event.http_version != b"1.0" or b"keep-alive" in options))
                self.assertEqual(keep_alive, expected, data)
                if target.startswith(b"/") and field_values(event, b"host"):
                    self.assertEqual(host, field_values(event, b"host")[0], data)
                agreed["accepted"] += 1
            elif v[0] == "error":
                if event is None:
                    agreed["refused"] += 1
                    continue
                why = stricter_on_purpose(data, event)
                self.assertIsNotNone(why, f"fibd refuses ({v[1]}) what h11 accepts: {data!r}")
                stricter[why] = stricter.get(why, 0) + 1
            elif event is not None and event.method in (b"GET", b"HEAD") and has_content(data):
                pass  # fibd reads the (empty) chunked body that must follow
            else:  # a broken line end can leave a head without its empty line
                self.assertIsNone(event, f"fibd wants more of a complete head: {data!r}")
        print(f"\n  [differential] {CASES} heads: both accept {agreed['accepted']}, "
              f"both refuse {agreed['refused']}, fibd stricter: {stricter}", file=sys.stderr)
        self.assertGreater(agreed["accepted"], CASES // 5)
        self.assertGreater(agreed["refused"], CASES // 50)


if __name__ == "__main__":
    unittest.main()
