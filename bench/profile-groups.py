#!/usr/bin/env python3
# Groups the samples of CPU profiles written by `bench -profile DIR` by what they
# do (the first group whose pattern matches a frame of the stack, in order),
# for the README's profile tables: python3 bench/profile-groups.py DIR/*.pprof
import re, subprocess, sys
GROUPS = [
    ("signature", r"crypto/(internal/fips140/)?(rsa|bigmod|ecdsa|nistec)|crypto/rsa\.|crypto/ecdsa\.|crypto/hmac"),
    ("password hash", r"x/crypto/argon2|secret\.VerifyPassword|secret\.idKey"),
    ("database", r"database/sql|modernc\.org/|jackc/pgx|/sqlstore\."),
    ("JSON", r"encoding/json|/jsonenc\.|go-jose/v4/json"),
    ("GC and runtime", r"^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|mallocgc|gcAssist|scanobject|markroot|gcDrain)"),
    ("HTTP and network", r"^net/http\.|^net\.|internal/poll|^syscall\.|^bufio\.|internal/runtime/syscall|^runtime\.netpoll|^net/textproto"),
]
def parse(path):
    out = subprocess.run(["go", "tool", "pprof", "-traces", path], capture_output=True, text=True).stdout
    samples, cur, val = [], [], None
    for line in out.splitlines():
        if line.startswith("-----------+"):
            if val is not None:
                samples.append((val, cur))
            cur, val = [], None
            continue
        m = re.match(r"^\s+([\d.]+)(ms|s|us|µs)\s+(.*)$", line)
        if m:
            v = float(m.group(1)) * {"ms": 1e-3, "s": 1, "us": 1e-6, "µs": 1e-6}[m.group(2)]
            val, cur = v, [m.group(3).strip()]
        elif val is not None and line.strip():
            cur.append(line.strip())
    if val is not None:
        samples.append((val, cur))
    return samples
for path in sys.argv[1:]:
    s = parse(path)
    total = sum(v for v, _ in s) or 1
    acc = {g: 0.0 for g, _ in GROUPS}
    acc["other"] = 0.0
    for v, stack in s:
        for g, pat in GROUPS:
            # GC/runtime is judged on the leaf and root frames only: every
            # stack has runtime frames somewhere.
            if g == "GC and runtime":
                frames = [stack[0], stack[-1]]
            elif g == "HTTP and network":
                # Judged on the first frame from the leaf that is not the
                # runtime's or a standard helper's: every handler runs under
                # net/http.(*conn).serve.
                frames = [next((f for f in stack if not re.match(r"^(runtime|internal/|sync|strings|bytes|strconv|unicode|io\.|slices|maps|sort|encoding/base64|math)", f)), stack[0])]
            else:
                frames = stack
            if any(re.search(pat, f) for f in frames):
                acc[g] += v
                break
        else:
            acc["other"] += v
    print(path.split("/")[-1].replace(".pprof", ""), f"({total:.2f}s of samples):",
          ", ".join(f"{g} {100*acc[g]/total:.0f} %" for g in acc if acc[g] > 0))
