"""Load benchmark: the Tact gateway against a bare aiosmtpd relay.

    .venv/bin/python bench/load.py                                   # quick: 20 × 200
    .venv/bin/python bench/load.py --clients 20 --messages 2000 --size 5000   # full run

What runs, all on loopback, each server in its own process so that none
competes with the load generator's event loop:

- a no-op aiosmtpd **sink** that counts what reaches it (bench messages by
  their X-Bench-Id, anything else, e.g. coaching notes, as "other");
- target **bare**: a minimal aiosmtpd server whose handle_DATA relays each
  message to the sink through a pool of persistent aiosmtplib connections,
  with no checking: the baseline;
- target **gateway**: `tact serve` with `upstream = "smtp://127.0.0.1:SINK"`,
  an SQLite store in a temp dir and every policy on;
- two variants of the gateway that show where its cost lies (not figures for
  the target): **no-policy**, the same with every policy disabled (parsing,
  the checking processes and the decision still run), and **unchecked**, the
  same messages marked `Auto-Submitted: auto-generated`, which the gateway
  relays without checking (its SMTP hop alone).

The same load generator drives both: `--clients` concurrent aiosmtplib
sessions, each persistent, each sending `--messages` realistic support
replies of about `--size` bytes (bench/sample_reply.py), timing each one.
It prints messages, errors, msgs/s and p50/p99 latency per target, the CPU
each process spent per message, the ratio gateway/bare throughput, and how
many of the gateway's accepted messages the sink saw (relayed) or did not
(held), by the intent the text was written for.

The script re-invokes itself for the servers (`load.py _sink`, `load.py
_relay`); those sub-commands are internal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiosmtplib

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sample_reply import DEFAULT_MIX, INTENTS, make_samples, render  # noqa: E402

HOST = "127.0.0.1"
SENDER = "agent@support.example.com"
TARGET_RATIO = 0.70
# Variants of the gateway target, to show where its cost lies (see the module docstring).
GATEWAY_TARGETS = ("gateway", "no-policy", "unchecked")
AUTO_SUBMITTED = b"Auto-Submitted: auto-generated\r\n"


# --------------------------------------------------------------------------
# Servers (run in their own processes via the internal sub-commands)
# --------------------------------------------------------------------------


class SinkHandler:
    """Accepts everything and counts it; answers stats on its control pipe."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.bench_ids: set[bytes] = set()
        self.duplicates = 0
        self.by_intent: Counter[str] = Counter()
        self.tact_headers = 0     # bench messages carrying an X-Tact-* header (annotated)
        self.notes = 0            # Tact's coaching notes (X-Tact-Note header)
        self.other = 0            # anything else without X-Bench-Id
        self.total = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        data: bytes = envelope.original_content or envelope.content or b""
        head = data.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
        self.total += 1
        bench_id = _header(head, b"x-bench-id")
        if bench_id is None:
            if _header(head, b"x-tact-note") is not None:
                self.notes += 1
            else:
                self.other += 1
            return "250 2.0.0 OK"
        if bench_id in self.bench_ids:
            self.duplicates += 1
        else:
            self.bench_ids.add(bench_id)
            self.by_intent[(_header(head, b"x-bench-intent") or b"?").decode()] += 1
            if b"\nx-tact" in b"\n" + head.lower():
                self.tact_headers += 1
        return "250 2.0.0 OK"

    def stats(self) -> dict[str, object]:
        return {
            "total": self.total,
            "bench": len(self.bench_ids),
            "duplicates": self.duplicates,
            "by_intent": dict(self.by_intent),
            "tact_headers": self.tact_headers,
            "notes": self.notes,
            "other": self.other,
        }


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\n"):
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip()
    return None


class RelayHandler:
    """The baseline: relay to the next hop through a pool of persistent connections."""

    def __init__(self, host: str, port: int, pool_size: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.pool: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        for _ in range(pool_size):
            self.pool.put_nowait(
                aiosmtplib.SMTP(hostname=host, port=port, timeout=timeout, start_tls=False,
                                local_hostname="relay.localhost")
            )

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        client = await self.pool.get()
        try:
            if not client.is_connected:
                await client.connect()
            errors, _ = await client.sendmail(
                envelope.mail_from, envelope.rcpt_tos, envelope.original_content or envelope.content
            )
            if errors:
                return "451 4.4.0 upstream refused some recipients"
            return "250 2.0.0 OK relayed"
        except aiosmtplib.SMTPResponseException as exc:
            client.close()
            return f"{exc.code} upstream refused" if exc.code >= 500 else "451 4.4.1 upstream failed"
        except Exception:
            client.close()
            return "451 4.4.1 upstream unavailable"
        finally:
            self.pool.put_nowait(client)

    async def handle_exception(self, error: Exception) -> str:
        return "451 4.3.0 internal error"


async def _serve(handler: object, port: int, hostname: str) -> asyncio.AbstractServer:
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, hostname=hostname, data_size_limit=64 * 1024 * 1024,
                     enable_SMTPUTF8=True, timeout=120),
        HOST, port,
    )


async def run_sink(port: int) -> None:
    """Serve the sink; answer 'stats' / 'reset' lines on stdin with JSON on stdout."""
    handler = SinkHandler()
    server = await _serve(handler, port, "sink.localhost")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with server:
        while line := await reader.readline():
            cmd = line.decode().strip()
            if cmd == "reset":
                handler.reset()
            print(json.dumps(handler.stats()), flush=True)
    # stdin closed: the parent is gone, so stop.


async def run_relay(port: int, upstream_port: int, pool: int) -> None:
    server = await _serve(RelayHandler(HOST, upstream_port, pool, 30.0), port, "relay.localhost")
    async with server:
        await server.serve_forever()


# --------------------------------------------------------------------------
# Process management
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    name: str
    proc: asyncio.subprocess.Process
    log: Path

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self) -> None:
        """SIGTERM our process group (started with its own session), then SIGKILL."""
        if self.proc.returncode is not None:
            return
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                await asyncio.wait_for(self.proc.wait(), wait)
                return
            except asyncio.TimeoutError:
                continue


async def start(name: str, argv: list[str], workdir: Path, *, pipes: bool = False,
                env: dict[str, str] | None = None) -> Proc:
    log = workdir / f"{name}.log"
    fh = open(log, "wb")
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if pipes else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE if pipes else fh,
        stderr=fh,
        cwd=workdir,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    fh.close()
    return Proc(name, proc, log)


async def wait_for_smtp(p: Proc, port: int, deadline: float) -> None:
    """Until the port answers a 220 banner; fail early if the process died."""
    last: Exception | None = None
    while time.monotonic() < deadline:
        if p.proc.returncode is not None:
            raise RuntimeError(f"{p.name} exited with {p.proc.returncode}:\n{p.tail()}")
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(HOST, port), 2)
            banner = await asyncio.wait_for(r.readline(), 5)
            w.write(b"QUIT\r\n")
            await w.drain()
            w.close()
            if banner.startswith(b"220"):
                return
            last = RuntimeError(f"banner {banner!r}")
        except (OSError, asyncio.TimeoutError) as exc:
            last = exc
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{p.name} did not accept on {HOST}:{port} in time ({last}):\n{p.tail()}")


def cpu_seconds(session_id: int) -> float | None:
    """User+system CPU of every live process in a session (Linux /proc), else None."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, seen = 0.0, False
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for pid in entries:
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # fields[0] is state (field 3); session is field 6, utime/stime 14/15.
        if int(fields[3]) != session_id:
            continue
        seen = True
        total += (int(fields[11]) + int(fields[12])) / tick
    return total if seen else None


def process_cpu_seconds(pid: int) -> float | None:
    """User+system CPU of one process (its threads included), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sink:
    def __init__(self, proc: Proc) -> None:
        self.p = proc

    async def command(self, cmd: str) -> dict:
        assert self.p.proc.stdin and self.p.proc.stdout
        self.p.proc.stdin.write(cmd.encode() + b"\n")
        await self.p.proc.stdin.drain()
        line = await asyncio.wait_for(self.p.proc.stdout.readline(), 10)
        if not line:
            raise RuntimeError(f"sink died:\n{self.p.tail()}")
        return json.loads(line)

    async def settle(self, quiet: float = 4.0, limit: float = 120.0) -> dict:
        """Stats once nothing new arrived for `quiet` seconds, or after `limit`.

        Coaching notes leave through the gateway's outbox, which polls every
        2 s and can still be draining when the load ends; `quiet` outlasts a poll.
        """
        start = time.monotonic()
        stats = await self.command("stats")
        still_since = last_arrival = start
        quiet_reached = False
        while time.monotonic() < start + limit:
            await asyncio.sleep(0.25)
            now = await self.command("stats")
            if now["total"] != stats["total"]:
                stats, still_since = now, time.monotonic()
                last_arrival = still_since
            elif time.monotonic() - still_since >= quiet:
                quiet_reached = True
                break
        stats["late_s"] = round(last_arrival - start, 1)   # when the last message arrived
        stats["settled"] = quiet_reached
        return stats


# --------------------------------------------------------------------------
# Load generator
# --------------------------------------------------------------------------


@dataclass
class Result:
    target: str
    round: int = 1
    sent: int = 0
    ok: int = 0
    errors: int = 0
    error_kinds: Counter = field(default_factory=Counter)
    ok_by_intent: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    timed_out: bool = False
    cpu: float | None = None
    smtp_cpu: float | None = None   # the SMTP process alone (the gateway's event loop; bare: all of it)
    loadgen_cpu: float | None = None  # the load generator (this process) during the load
    sink_cpu: float | None = None   # the sink during the load (the gateway's notes included)
    sink: dict | None = None

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        s = sorted(self.latencies)
        return s[min(len(s) - 1, round(q * (len(s) - 1)))] * 1000


async def load(target: str, port: int, args: argparse.Namespace, samples: list) -> Result:
    """N persistent sessions, each sending M messages; times every message."""
    res = Result(target)
    start_evt = asyncio.Event()
    connected = 0
    now = datetime.now(timezone.utc)
    run = f"{target}-{int(time.time())}"

    async def connect() -> aiosmtplib.SMTP:
        c = aiosmtplib.SMTP(hostname=HOST, port=port, timeout=args.message_timeout,
                            start_tls=False, local_hostname="bench.localhost")
        await c.connect()
        return c

    async def client(i: int) -> None:
        nonlocal connected
        smtp = await connect()
        connected += 1
        if connected == args.clients:
            start_evt.set()
        await start_evt.wait()
        for k in range(args.messages):
            seq = k * args.clients + i
            sample = samples[seq % len(samples)]
            raw = render(sample, seq=seq, sender=SENDER, recipient=sample.customer_addr,
                         now=now, run=run)
            if target == "unchecked":  # relayed by the gateway without checking
                raw = AUTO_SUBMITTED + raw
            res.sent += 1
            t0 = time.perf_counter()
            try:
                errors, _ = await smtp.sendmail(SENDER, [sample.customer_addr], raw)
                if errors:
                    raise aiosmtplib.SMTPRecipientsRefused(list(errors.values()))
                res.latencies.append(time.perf_counter() - t0)
                res.ok += 1
                res.ok_by_intent[sample.intent] += 1
            except Exception as exc:  # count it, reconnect, go on
                res.errors += 1
                code = getattr(exc, "code", None)
                res.error_kinds[f"{code} {getattr(exc, 'message', '')}".strip()
                                if code else type(exc).__name__] += 1
                smtp.close()
                try:
                    smtp = await connect()
                except Exception:
                    await asyncio.sleep(0.5)
        try:
            await asyncio.wait_for(smtp.quit(), 5)
        except Exception:
            smtp.close()

    tasks = [asyncio.create_task(client(i)) for i in range(args.clients)]
    try:
        await asyncio.wait_for(start_evt.wait(), 30)
    except asyncio.TimeoutError:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise RuntimeError(f"{target}: only {connected}/{args.clients} clients could connect")
    t0, cpu0 = time.perf_counter(), time.process_time()
    done, pending = await asyncio.wait(tasks, timeout=args.timeout)
    res.elapsed = time.perf_counter() - t0
    res.loadgen_cpu = time.process_time() - cpu0  # this process is the load generator
    if pending:
        res.timed_out = True
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    for t in done:
        if t.exception():
            res.error_kinds[f"client crashed: {t.exception()!r}"] += 1
    return res


# --------------------------------------------------------------------------
# The two targets
# --------------------------------------------------------------------------


GATEWAY_TOML = """\
# Written by bench/load.py for one run.
[gateway]
listen = "{host}:{port}"
upstream = "smtp://{host}:{sink}"
hostname = "tact-bench.localhost"
trusted_networks = ["127.0.0.0/8"]
upstream_pool_size = {pool}
note_from = "tact@support.example.com"

[store]
url = "sqlite:///{workdir}/tact.db"

[web]
listen = "{host}:{web}"

[defaults]
response_target = "24h"
"""


def _project_importable() -> None:
    """Make this checkout's `gateway` and `policies` importable here."""
    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))


def policies_off() -> str:
    """The `[defaults.policies.ID] enabled = false` of every registered policy (no-policy)."""
    _project_importable()
    from policies.base import REGISTRY

    return "".join(f"\n[defaults.policies.{pid}]\nenabled = false\n" for pid in REGISTRY)


async def measure(target: str, args: argparse.Namespace, sink: Sink, sink_port: int,
                  workdir: Path, samples: list) -> Result:
    port = free_port()
    if target == "bare":
        argv = [sys.executable, str(Path(__file__).resolve()), "_relay", "--port", str(port),
                "--upstream-port", str(sink_port), "--pool", str(args.pool)]
        env = None
    else:
        config = workdir / "tact.toml"
        config.write_text(GATEWAY_TOML.format(host=HOST, port=port, sink=sink_port, pool=args.pool,
                                              workdir=workdir, web=free_port())
                          + (policies_off() if target == "no-policy" else ""))
        # --config before the sub-command and TACT_CONFIG, so either CLI layout finds it.
        argv = shlex.split(args.tact) + ["--config", str(config), "serve"]
        env = {"TACT_CONFIG": str(config)}
    proc = await start(target, argv, workdir, env=env)
    try:
        await wait_for_smtp(proc, port, time.monotonic() + args.startup_timeout)
        await sink.command("reset")
        cpu0, own0 = cpu_seconds(proc.proc.pid), process_cpu_seconds(proc.proc.pid)
        sink0 = process_cpu_seconds(sink.p.proc.pid)
        res = await load(target, port, args, samples)
        cpu1, own1 = cpu_seconds(proc.proc.pid), process_cpu_seconds(proc.proc.pid)
        sink1 = process_cpu_seconds(sink.p.proc.pid)
        if sink0 is not None and sink1 is not None:
            res.sink_cpu = sink1 - sink0
        if cpu0 is not None and cpu1 is not None:
            res.cpu = cpu1 - cpu0
        if own0 is not None and own1 is not None:
            res.smtp_cpu = own1 - own0
        res.sink = await sink.settle(limit=args.settle)
        if proc.proc.returncode is not None:
            res.error_kinds[f"server exited with {proc.proc.returncode}"] += 1
        return res
    finally:
        await proc.stop()


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def report(results: list[Result], args: argparse.Namespace, samples: list) -> dict:
    print(f"\nTact load benchmark: {args.clients} clients × {args.messages} messages, "
          f"~{args.size} bytes, seed {args.seed}, upstream pool {args.pool}, loopback")
    print(f"{'':<52}{'CPU ms per accepted message':^39}".rstrip())
    print(f"{'target':<12}{'msgs':>7}{'errors':>8}{'msgs/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'server':>8}{'SMTP process':>14}{'load gen':>10}{'sink':>7}")

    def per_msg(cpu: float | None, r: Result) -> str:
        return f"{cpu * 1000 / r.ok:.2f}" if cpu is not None and r.ok else "-"

    for r in results:
        flag = "  (TIMED OUT)" if r.timed_out else ""
        name = f"{r.target}#{r.round}" if args.rounds > 1 else r.target
        print(f"{name:<12}{r.ok:>7}{r.errors:>8}{r.rate:>9.1f}{r.pct(0.5):>8.1f}{r.pct(0.99):>8.1f}"
              f"{per_msg(r.cpu, r):>8}{per_msg(r.smtp_cpu, r):>14}{per_msg(r.loadgen_cpu, r):>10}"
              f"{per_msg(r.sink_cpu, r):>7}{flag}")
        for kind, n in r.error_kinds.most_common(5):
            print(f"           {n} × {kind}")
    # With several rounds, each target is represented by its median-throughput round.
    by: dict[str, Result] = {}
    for target in args.targets:
        runs = sorted((r for r in results if r.target == target), key=lambda r: r.rate)
        if runs:
            by[target] = runs[(len(runs) - 1) // 2]
    if args.rounds > 1:
        print("median round: " + ", ".join(f"{t} {r.rate:.1f} msgs/s (#{r.round})" for t, r in by.items()))
    all_rounds = [{"target": r.target, "round": r.round, "msgs_per_s": r.rate} for r in results]
    results = list(by.values())
    out: dict = {"config": {k: v for k, v in vars(args).items() if k != "func"},
                 "rounds": all_rounds,
                 "results": {r.target: {"ok": r.ok, "errors": r.errors, "msgs_per_s": r.rate,
                                        "p50_ms": r.pct(0.5), "p99_ms": r.pct(0.99),
                                        "elapsed_s": r.elapsed, "timed_out": r.timed_out,
                                        "server_cpu_s": r.cpu, "smtp_process_cpu_s": r.smtp_cpu,
                                        "loadgen_cpu_s": r.loadgen_cpu, "sink_cpu_s": r.sink_cpu,
                                        "sink": r.sink,
                                        "error_kinds": dict(r.error_kinds)} for r in results}}
    if "bare" in by and "gateway" in by and by["bare"].rate:
        ratio = by["gateway"].rate / by["bare"].rate
        verdict = "OK" if ratio >= TARGET_RATIO else "BELOW TARGET"
        print(f"gateway/bare throughput: {ratio:.0%} (target ≥ {TARGET_RATIO:.0%}: {verdict})")
        out["ratio"] = ratio
        g, b = by["gateway"], by["bare"]
        if g.smtp_cpu and b.smtp_cpu and g.ok and b.ok:
            bound = (b.smtp_cpu / b.ok) / (g.smtp_cpu / g.ok)
            print(f"  with a core free for each process, each target is bound by its SMTP process's CPU "
                  f"per message: gateway/bare {bound:.0%}; here every process shares {os.cpu_count()} cores, "
                  f"so total CPU per message decides")
            out["smtp_process_bound_ratio"] = bound
    for variant in GATEWAY_TARGETS[1:]:
        if variant in by and "bare" in by and by["bare"].rate:
            share = by[variant].rate / by["bare"].rate
            what = ("every policy disabled" if variant == "no-policy"
                    else "every message relayed without checking")
            print(f"{variant}/bare throughput: {share:.0%} (the gateway with {what}; not the target's figure)")
            out[f"{variant}_ratio"] = share
    for r in results:
        s = r.sink or {}
        relayed = s.get("bench", 0)
        line = (f"{r.target}: {r.ok} accepted, {relayed} reached the sink "
                f"({relayed / r.ok:.0%} relayed), {max(r.ok - relayed, 0)} not relayed (held)"
                if r.ok else f"{r.target}: nothing accepted")
        if s.get("duplicates"):
            line += f", {s['duplicates']} DUPLICATES"
        print(line)
        if r.target in GATEWAY_TARGETS and r.ok:
            got = s.get("by_intent", {})
            parts = [f"{i} {got.get(i, 0)}/{r.ok_by_intent.get(i, 0)}" for i in INTENTS]
            tagged = (f"{s['tact_headers']} relayed with X-Tact-* headers; "
                      if s.get("tact_headers") else "")
            print(f"  relayed by intent of the text: {', '.join(parts)}; {tagged}"
                  f"{s.get('notes', 0)} coaching notes and {s.get('other', 0)} other messages "
                  f"reached the sink, the last {s.get('late_s', 0):.1f} s after the load ended"
                  + ("" if s.get("settled", True) else
                     f" (STILL ARRIVING when the --settle {args.settle:.0f} s wait ended)"))
    mix = Counter(x.intent for x in samples)
    print("intent mix of the text: " + ", ".join(f"{i} {mix[i] / len(samples):.0%}" for i in INTENTS))
    out["checking"] = checking_time(samples)
    c = out["checking"]
    print(f"checking one of these replies, in this process: parse median {c['parse_ms_median']:.2f} ms; "
          f"policy evaluation (parse excluded) median {c['evaluate_ms_median']:.2f} ms, "
          f"p99 {c['evaluate_ms_p99']:.2f} ms (target median < 2 ms)")
    return out


def checking_time(samples: list, repeat: int = 1) -> dict:
    """Parse and policy-evaluation time per reply for the same messages the load used.

    Each distinct text once: the policies cache their analysis of a text, so
    timing a text twice would measure the cache.
    """
    _project_importable()
    import policies
    from gateway.message import parse_message
    from gateway.settings import Settings

    team = Settings().team_policy("default")
    now = datetime.now(timezone.utc)
    parse_t: list[float] = []
    eval_t: list[float] = []
    for k in range(repeat):
        for i, sample in enumerate(samples):
            raw = render(sample, seq=k * len(samples) + i, sender="agent@support.example.com",
                         recipient="customer@example.org", now=now)
            t0 = time.perf_counter()
            reply = parse_message(raw)
            t1 = time.perf_counter()
            policies.evaluate(reply, team)
            eval_t.append(time.perf_counter() - t1)
            parse_t.append(t1 - t0)
    eval_t.sort()
    return {"replies": len(eval_t),
            "parse_ms_median": statistics.median(parse_t) * 1000,
            "evaluate_ms_median": statistics.median(eval_t) * 1000,
            "evaluate_ms_p99": eval_t[int(len(eval_t) * 0.99) - 1] * 1000}


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def default_tact() -> str:
    venv = Path(sys.executable).parent / "tact"
    return str(venv) if venv.exists() else (shutil.which("tact") or "tact")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=20, help="concurrent SMTP sessions (default 20)")
    p.add_argument("--messages", type=int, default=200,
                   help="messages per client (default 200; the full run is 2000)")
    p.add_argument("--size", type=int, default=5000, help="approximate message size in bytes (default 5000)")
    p.add_argument("--seed", type=int, default=1, help="seed for the message text (default 1)")
    p.add_argument("--distinct", type=int, default=200, help="distinct message bodies to cycle through")
    p.add_argument("--mix", default=",".join(str(DEFAULT_MIX[i]) for i in INTENTS),
                   help="shares of pass,annotate,hold text (default 0.6,0.3,0.1)")
    p.add_argument("--pool", type=int, default=8,
                   help="upstream connections, for the bare relay and the gateway's "
                        "upstream_pool_size alike (default 8, the gateway's default)")
    p.add_argument("--targets", default="bare,gateway",
                   help="comma list of bare, gateway, no-policy, unchecked (default bare,gateway)")
    p.add_argument("--rounds", type=int, default=1,
                   help="alternate the targets this many times and compare median rounds "
                        "(steadier on a busy machine; default 1)")
    p.add_argument("--tact", default=default_tact(), help="the tact command (default: the venv's tact)")
    p.add_argument("--timeout", type=float, default=900, help="seconds allowed per target's load phase")
    p.add_argument("--message-timeout", type=float, default=60, help="seconds allowed per message")
    p.add_argument("--startup-timeout", type=float, default=30, help="seconds for a server to accept")
    p.add_argument("--settle", type=float, default=60,
                   help="seconds to wait after the load for late mail (coaching notes) at the sink")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs, store)")
    args = p.parse_args(argv)
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if bad := set(args.targets) - {"bare", *GATEWAY_TARGETS}:
        p.error(f"unknown target(s): {', '.join(sorted(bad))}")
    shares = [float(x) for x in args.mix.split(",")]
    if len(shares) != 3 or sum(shares) <= 0:
        p.error("--mix needs three shares: pass,annotate,hold")
    args.mix = dict(zip(INTENTS, shares))
    return args


async def main_async(args: argparse.Namespace) -> int:
    samples = make_samples(args.seed, args.distinct, args.size, args.mix)
    if hasattr(os, "getloadavg") and (load1 := os.getloadavg()[0]) > 0.5:
        print(f"note: load average {load1:.2f} before start: other work on this machine "
              f"will make the figures noisy (try --rounds 3)", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="tact-bench-"))
    sink_port = free_port()
    sink_proc = await start("sink", [sys.executable, str(Path(__file__).resolve()), "_sink",
                                     "--port", str(sink_port)], workdir, pipes=True)
    results: list[Result] = []
    status = 0
    try:
        await wait_for_smtp(sink_proc, sink_port, time.monotonic() + args.startup_timeout)
        sink = Sink(sink_proc)
        for rnd in range(1, args.rounds + 1):
            for target in args.targets:
                label = f"{target} round {rnd}/{args.rounds}" if args.rounds > 1 else target
                print(f"[{label}] loading {args.clients} × {args.messages} …", flush=True)
                try:
                    res = await measure(target, args, sink, sink_port, workdir, samples)
                    res.round = rnd
                    results.append(res)
                except Exception as exc:
                    print(f"[{label}] FAILED: {exc}", file=sys.stderr)
                    status = 1
        if results:
            out = report(results, args, samples)
            if args.json:
                Path(args.json).write_text(json.dumps(out, indent=2, default=str))
    finally:
        if sink_proc.proc.stdin:
            sink_proc.proc.stdin.close()
        await sink_proc.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return status


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_sink"] or argv[:1] == ["_relay"]:
        p = argparse.ArgumentParser()
        p.add_argument("cmd")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--upstream-port", type=int)
        p.add_argument("--pool", type=int, default=8)
        a = p.parse_args(argv)
        try:
            if a.cmd == "_sink":
                asyncio.run(run_sink(a.port))
            else:
                asyncio.run(run_relay(a.port, a.upstream_port, a.pool))
        except KeyboardInterrupt:
            pass
        return 0
    args = parse_args(argv)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
