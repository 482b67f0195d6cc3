#!/usr/bin/env python3
"""Writes the hand-made seeds of tests/fuzz/corpus/descriptor, redis_reply
and elf. The first two read their input through libFuzzer's
FuzzedDataProvider (strings from the front, each ended by a backslash and
another byte; integers from the back), and elf wants small ELF files, so the
seeds are built here rather than typed. Usage: tests/fuzz/make_seeds.py"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def s(text):
    """A FuzzedDataProvider string: backslashes doubled, then the end mark."""
    return text.replace(b"\\", b"\\\\") + b"\\\n"


def write(target, name, front, back):
    """back: the integer bytes in the order the target consumes them."""
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(front + bytes(reversed(back)))


# fuzz_descriptor: abi?, struct_size?, capabilities, entry points, factory
# behaviour, then name, version and description (each NULL, unterminated or
# a NUL-terminated string).
def descriptor(name, abi=None, size=None, caps=3, present=0x7f, null=False, strings=()):
    back, front = [], b""
    back += [1] if abi is None else [0] + list(abi.to_bytes(4, "big"))
    back += [1] if size is None else [0, size]
    back += list(caps.to_bytes(8, "big"))
    back.append(present)
    if present & 128:
        back.append(1)  # the factory throws
    back.append(0 if null else 1)
    for mode, text in strings:
        back.append(mode)
        if mode == 1:
            back.append(len(text))
            front += text
        elif mode >= 2:
            front += s(text)
    write("descriptor", name, front, back)


# fuzz_redis_reply: pool size (accepted, unused), option flags (1 password, 2 username, 4 db,
# 8 key_prefix), the fake server's chunks (bytes, close after?), then calls:
# (0 get, key[, put() accepts]) (1 set, key, value) (2 del, key) (3 clear)
# (4 stats).
def redis(name, chunks, ops, pool1=True, flags=0, prefix=b""):
    back, front = [1 if pool1 else 0, flags], b""
    if flags & 8:
        front += s(prefix)
    back.append(len(chunks))
    for data, close in chunks:
        front += s(data)
        back.append(1 if close else 0)
    back.append(len(ops) - 1)
    for op in ops:
        front += s(op[1])
        back.append(op[0])
        if op[0] == 0:
            back.append(op[2] if len(op) > 2 else 1)
        elif op[0] == 1:
            front += s(op[2])
            back += [0x98, 0x3a, 0, 0]  # ttl_ms
    write("redis_reply", name, front, back)


# fuzz_elf: a small ELF64 file: header, program headers, a dynamic section.
def elf(name, e_type=3, machine=62, elf_class=2, flags_1=0, phnum=2, cut=None):
    phoff, dyn_off = 64, 64 + 2 * 56
    header = b"\x7fELF" + bytes([elf_class, 1, 1, 0]) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, 0, phoff, 0, 0, 64, 56,
                          phnum, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, 0x200, 0x200, 0x1000)  # PT_LOAD
    dynamic = struct.pack("<IIQQQQQQ", 2, 6, dyn_off, dyn_off, dyn_off, 32, 32, 8)
    dyn = struct.pack("<qQqQ", 0x6FFFFFFB, flags_1, 0, 0)  # DT_FLAGS_1, DT_NULL
    data = header + load + dynamic + dyn
    write("elf", name, data[:cut] if cut else data, [])


def main():
    ok = [(2, b"memory"), (2, b"1.0.0"), (2, b"An in-memory cache")]
    descriptor("valid", strings=ok)
    descriptor("valid-no-description", strings=[(2, b"redis"), (2, b"0.1.0"), (0, b"")])
    descriptor("wrong-abi", abi=999, strings=ok)
    descriptor("short-struct", size=20, strings=ok)
    descriptor("old-struct", size=72, strings=ok)
    descriptor("missing-get", present=0x7b, strings=ok)
    descriptor("factory-throws", present=0xff, strings=ok)
    descriptor("null-descriptor", null=True, strings=ok)
    descriptor("bad-name", strings=[(2, b"My Plugin"), (2, b"1"), (0, b"")])
    descriptor("unterminated-name", strings=[(1, b"x"), (2, b"1"), (0, b"")])
    descriptor("long-version", strings=[(2, b"m"), (2, b"1" * 80), (0, b"")])
    descriptor("control-description", strings=[(2, b"m"), (2, b"1"), (2, b"line\nbreak")])

    elf("shared-object")
    elf("pie", flags_1=0x08000000)
    elf("executable", e_type=2)
    elf("relocatable", e_type=1)
    elf("aarch64", machine=183)
    elf("32-bit", elf_class=1)
    elf("no-program-headers", phnum=0)
    elf("truncated-program-headers", cut=100)
    elf("truncated-dynamic", cut=180)
    write("elf", "script", b"#!/bin/sh\necho not a plugin\n", [])

    pong, ok_reply = b"+PONG\r\n", b"+OK\r\n"
    redis("happy", [(pong, 0), (b"$5\r\nhello\r\n", 0), (ok_reply, 0), (b":1\r\n", 0),
                    (b"*2\r\n$1\r\n0\r\n*2\r\n$6\r\nfibd:a\r\n$6\r\nfibd:b\r\n", 0),
                    (b":2\r\n", 0)],
          [(0, b"10"), (1, b"10", b"55"), (2, b"10"), (3, b""), (4, b"")])
    redis("auth-select", [(ok_reply, 0), (ok_reply, 0), (pong, 0), (b"$-1\r\n", 0)],
          [(0, b"7")], flags=1 | 2 | 4)
    redis("auth-refused", [(b"-WRONGPASS invalid username-password pair\r\n", 0)],
          [(0, b"1")], flags=1)
    redis("noauth", [(b"-NOAUTH Authentication required.\r\n", 0)], [(0, b"1")])
    redis("select-refused", [(b"-ERR DB index is out of range\r\n", 0)], [(0, b"1")],
          flags=4)
    redis("errors", [(pong, 0), (b"-LOADING Redis is loading\r\n", 0), (b"-ERR x\r\n", 0),
                     (b":5\r\n", 0), (b"*1\r\n:1\r\n", 0)],
          [(0, b"1"), (1, b"1", b"1"), (2, b"1"), (0, b"2")])
    redis("scan-pages", [(pong, 0), (b"*2\r\n$2\r\n17\r\n*1\r\n$4\r\np*1a\r\n", 0),
                         (b":1\r\n", 0), (b"*2\r\n$1\r\n0\r\n*0\r\n", 0)],
          [(3, b"")], pool1=False, flags=8, prefix=b"p*[x]")
    redis("scan-odd", [(pong, 0), (b"*2\r\n:1\r\n*1\r\n$1\r\na\r\n", 0),
                       (b"*3\r\n$1\r\n0\r\n*0\r\n*0\r\n", 0), (b"*2\r\n$1\r\n0\r\n:7\r\n", 0)],
          [(3, b""), (3, b""), (3, b"")])
    redis("pipelined-extra", [(pong + pong, 0), (b"$1\r\nx\r\n", 0), (ok_reply, 0)],
          [(0, b"1"), (1, b"1", b"2"), (0, b"3")])
    redis("truncated", [(pong, 0), (b"$10\r\nabc", 1), (ok_reply, 0)],
          [(0, b"1"), (1, b"1", b"2")])
    redis("hit-refused", [(pong, 0), (b"$3\r\nabc\r\n", 0)], [(0, b"1", 0)])
    redis("empty-value", [(pong, 0), (b"$0\r\n\r\n", 0)], [(0, b"1")])
    redis("nested", [(pong, 0), (b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", 0)],
          [(0, b"1")])


if __name__ == "__main__":
    main()
