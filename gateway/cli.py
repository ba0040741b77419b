"""The `tact` command: serve, check, eval, config check, send-sample, hash-password,
queue and user (gateway/admin_cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Sequence

from gateway.settings import ConfigError, Settings, format_duration, load_settings

EXIT_OK = 0
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.config = getattr(args, "command_config", None) or args.config
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"tact: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    # --config is accepted before or after the command: `tact --config F serve` or `tact serve --config F`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", dest="command_config", default=argparse.SUPPRESS,
        help="path to tact.toml (default: $TACT_CONFIG, else ./tact.toml if present)",
    )
    p = argparse.ArgumentParser(
        prog="tact",
        description="Tact: an SMTP gateway that coaches support replies (pass, annotate, hold).",
    )
    p.add_argument("--config", help=argparse.SUPPRESS)
    sub = p.add_subparsers(metavar="COMMAND")
    _add = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        return _add(name, parents=[common], **kw)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    s = sub.add_parser("serve", help="run the SMTP gateway and the review web UI")
    s.set_defaults(func=cmd_serve)

    c = sub.add_parser("check", help="check message files and print the verdict (no SMTP)")
    c.add_argument("files", nargs="+", metavar="FILE", help=".eml files ('-' reads standard input)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--team", help="check as this team (default: the team of the From address)")
    c.add_argument("--now", help="time of receipt, ISO-8601 (default: the message's Date)")
    c.add_argument("--explain", action="store_true", help="also show the reply text and quoted text as parsed")
    c.set_defaults(func=cmd_check)

    e = sub.add_parser("eval", help="precision/recall per policy against a labeled corpus")
    e.add_argument("dir", metavar="DIR", help="a folder with labels.jsonl (and its .eml files) or with cases.json")
    e.add_argument("--format", choices=("text", "json"), default="text")
    e.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    e.set_defaults(func=cmd_eval)

    cfg = sub.add_parser("config", help="configuration commands")
    cfg_sub = cfg.add_subparsers(metavar="ACTION")
    cc = cfg_sub.add_parser("check", parents=[common], help="validate the configuration without starting")
    cc.set_defaults(func=cmd_config_check)

    ss = sub.add_parser("send-sample", help="send a sample support reply to a running gateway")
    ss.add_argument("--to", help="host:port of the gateway (default: [gateway] listen)")
    ss.add_argument("--kind", choices=("pass", "annotate", "hold"), default="annotate")
    ss.set_defaults(func=cmd_send_sample)

    hp = sub.add_parser("hash-password", help="print an argon2 hash for [gateway.users]")
    hp.add_argument("--password", help="the password (default: prompt)")
    hp.set_defaults(func=cmd_hash_password)

    from gateway.admin_cli import add_parsers  # tact queue …, tact user …

    add_parsers(sub, common)
    return p


# --- serve --------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    from gateway.server import serve

    return serve(settings)


# --- check --------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from gateway.checking import check_message

    settings = load_settings(args.config)
    if args.team:
        settings.team_policy(args.team)  # unknown team → ConfigError with the known names
    now = _parse_iso(args.now, "--now") if args.now else None
    status = EXIT_OK
    for name in args.files:
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            print(f"tact: {name}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            status = 1
            continue
        sender = _from_address(raw)
        checked = check_message(raw, settings, sender=sender, received_at=now, team=args.team)
        record = check_record(name, checked, explain=args.explain)
        if args.format == "json":
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(_check_text(record))
    return status


def check_record(name: str, checked: Any, *, explain: bool = False) -> dict[str, Any]:
    """The JSON object of `tact check` for one message (design.md, "Command line")."""
    reply, verdict = checked.reply, checked.verdict
    record: dict[str, Any] = {
        "file": name,
        "team": checked.team,
        "action": str(verdict.action),
        "findings": [f.to_dict() for f in verdict.findings],
        "customer_wrote_at": _iso(reply.customer_wrote_at) if reply else None,
        "replied_at": _iso(reply.replied_at) if reply else None,
    }
    if verdict.reasons:
        record["reasons"] = list(verdict.reasons)
    if verdict.errors:
        record["errors"] = list(verdict.errors)
    if explain:
        record["reply_text"] = reply.text if reply else None
        record["quoted_text"] = reply.quoted if reply else None
    return record


def _check_text(r: dict[str, Any]) -> str:
    lines = [f"{r['file']}: {r['action'].upper()} (team {r['team']})"]
    for reason in r.get("reasons", []):
        lines.append(f"  because {reason}")
    for err in r.get("errors", []):
        lines.append(f"  error: {err} (failed open)")
    for f in r["findings"]:
        lines.append(f"  [{f['severity']}] {f['policy']} at {f['start']}-{f['end']}: \"{f['excerpt']}\"")
        lines.append(f"      {f['message']}")
        if f["suggestion"]:
            lines.append(f"      try: {f['suggestion']}")
    if r.get("customer_wrote_at") or r.get("replied_at"):
        lines.append(f"  customer wrote {r.get('customer_wrote_at') or 'unknown'}; replied {r.get('replied_at') or 'unknown'}")
    if "reply_text" in r:
        lines.append("  --- reply text ---")
        lines.extend("  | " + line for line in (r["reply_text"] or "").splitlines())
        lines.append("  --- quoted text ---")
        lines.extend("  > " + line for line in (r["quoted_text"] or "").splitlines())
    return "\n".join(lines)


# --- eval ---------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    from gateway.evaluation import EvalError, evaluate_corpus, format_report

    settings = load_settings(args.config)
    try:
        report = evaluate_corpus(Path(args.dir), settings, progress=not args.no_progress)
    except EvalError as exc:
        print(f"tact eval: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    return EXIT_OK


# --- config check -------------------------------------------------------------


def cmd_config_check(args: argparse.Namespace) -> int:
    from gateway.settings import config_path

    settings = load_settings(args.config)
    source = config_path(args.config)
    print(f"configuration OK ({source or 'embedded defaults'})")
    print(_describe(settings))
    return EXIT_OK


def _describe(s: Settings) -> str:
    g = s.gateway
    lines = [
        f"  SMTP listen      {g.listen} (trusted: {', '.join(g.trusted_networks)})",
        f"  upstream         {_redact(g.upstream)}",
        f"  AUTH             {'STARTTLS + ' + str(len(g.users)) + ' user(s)' if g.tls_cert and g.users else 'off'}",
        f"  max message size {g.max_message_size} bytes",
        f"  store            {_redact(s.store.url)} (sent mail kept {format_duration(s.store.keep_sent)})",
        f"  web              " + (f"{s.web.listen} (links in notes: {s.web.base_url()})" if s.web.enabled
                                  else f"off (links in notes: {s.web.public_url or 'none'})"),
    ]
    for name in s.team_names():
        t = s.team_policy(name)
        senders = ", ".join(s.teams[name].senders) if name in s.teams else "everyone else"
        tuned = ", ".join(f"{pid}{'' if o.enabled else ' (off)'}" for pid, o in t.policies.items())
        lines.append(
            f"  team {name}: senders {senders}; target {format_duration(t.response_target)}; "
            f"hold after {t.hold_after_warnings} warnings; on error {t.on_error}"
            + (f"; tuned: {tuned}" if tuned else "")
        )
    return "\n".join(lines)


def _redact(url: str) -> str:
    if "://" in url and "@" in url.split("://", 1)[1]:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


# --- send-sample --------------------------------------------------------------


def cmd_send_sample(args: argparse.Namespace) -> int:
    import smtplib

    from gateway.samples import sample_reply
    from gateway.settings import parse_hostport

    settings = load_settings(args.config)
    host, port = parse_hostport(args.to or settings.gateway.listen)
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    msg = sample_reply(args.kind)
    try:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        print(f"tact send-sample: could not send to {host}:{port}: {exc}", file=sys.stderr)
        return 1
    print(f"sent a sample '{args.kind}' reply from {msg['From']} to {msg['To']} via {host}:{port}")
    return EXIT_OK


# --- hash-password --------------------------------------------------------------


def cmd_hash_password(args: argparse.Namespace) -> int:
    import getpass

    from argon2 import PasswordHasher

    password = args.password or getpass.getpass("password: ")
    if not password:
        print("tact hash-password: empty password", file=sys.stderr)
        return EXIT_USAGE
    print(PasswordHasher().hash(password))
    return EXIT_OK


# --- helpers --------------------------------------------------------------------


def _parse_iso(value: str, what: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{what}: {value!r} is not an ISO-8601 time such as 2026-11-30T09:00:00+00:00") from None
    if dt.tzinfo is None:
        raise ConfigError(f"{what}: {value!r} needs a UTC offset, e.g. {value}+00:00")
    return dt


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _from_address(raw: bytes) -> str:
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        pairs = getaddresses([str(v) for v in headers.get_all("From", [])])
    except Exception:
        return ""
    return next((addr for _, addr in pairs if addr), "")


if __name__ == "__main__":
    sys.exit(main())
