"""`tact queue …` and `tact user …`: the review queue and the accounts from the shell.

Both are thin front ends of `gateway.moderation.Moderation` and `gateway.users.Users`
(no logic of their own). `--format json` prints one JSON object per line (per message
acted on), for scripts. An unknown id, a message decided already or an unreachable
store: a one-line message on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from gateway.settings import ConfigError, load_settings, parse_duration

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A failure worded for the operator (exit status 1)."""


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `queue` and `user` to the `tact` command's subparsers."""
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument("--format", choices=("text", "json"), default="text")
    parents = [common, fmt]

    q = sub.add_parser("queue", help="list, show and decide held messages")
    q_sub = q.add_subparsers(metavar="ACTION")
    ql = q_sub.add_parser("list", parents=parents, help="held messages, oldest first")
    ql.add_argument("--team", help="only this team")
    ql.add_argument("--policy", help="only messages where this policy fired")
    ql.add_argument("--older-than", metavar="AGE", help="only messages held longer, e.g. 2h, 3d")
    ql.add_argument("--status", default="held",
                    help="held (default), released, rejected, deleted, or all")
    ql.set_defaults(func=_guarded(cmd_queue_list))
    qs = q_sub.add_parser("show", parents=parents, help="one held message and its findings")
    qs.add_argument("id", type=int)
    qs.add_argument("--raw", action="store_true", help="print the message exactly as held")
    qs.set_defaults(func=_guarded(cmd_queue_show))
    for action, help_text in (("release", "send held messages as they are"),
                              ("reject", "do not send; the agent gets a note with --comment"),
                              ("delete", "discard held messages (no mail to anyone)")):
        qa = q_sub.add_parser(action, parents=parents, help=help_text)
        qa.add_argument("ids", type=int, nargs="+", metavar="ID")
        qa.add_argument("--actor", default=None, help="who decides (default: your OS user name)")
        qa.add_argument("--comment", required=action == "reject", default="",
                        help="why (for reject: what the agent is told)")
        qa.set_defaults(func=_guarded(cmd_queue_decide), action=action)

    u = sub.add_parser("user", help="accounts of the review UI and API")
    u_sub = u.add_subparsers(metavar="ACTION")
    ua = u_sub.add_parser("add", parents=parents, help="create an account (asks for the password)")
    ua.add_argument("name")
    ua.add_argument("--role", choices=("admin", "reviewer"), default="reviewer")
    ua.add_argument("--team", action="append", default=[], metavar="TEAM",
                    help="a team this reviewer reviews (repeat for several)")
    ua.add_argument("--password-stdin", action="store_true",
                    help="read the password from standard input instead of asking")
    ua.set_defaults(func=_guarded(cmd_user_add))
    ul = u_sub.add_parser("list", parents=parents, help="every account")
    ul.set_defaults(func=_guarded(cmd_user_list))
    ur = u_sub.add_parser("remove", parents=parents, help="delete an account and its API tokens")
    ur.add_argument("name")
    ur.set_defaults(func=_guarded(cmd_user_remove))
    ut = u_sub.add_parser("token", parents=parents, help="print a new API token for a user")
    ut.add_argument("name")
    ut.add_argument("--label", default="", help="what the token is for")
    ut.set_defaults(func=_guarded(cmd_user_token))


# --- queue ---------------------------------------------------------------------------


def cmd_queue_list(args: argparse.Namespace) -> int:
    min_age = _duration(args.older_than, "--older-than") if args.older_than else None
    status = None if args.status == "all" else args.status
    with _services(args) as (moderation, _):
        rows = moderation.list_held(team=args.team, policy=args.policy, min_age=min_age, status=status)
    if args.format == "json":
        for row in rows:
            _print_json(_summary_record(row))
        return EXIT_OK
    if not rows:
        print("no held messages" if status == "held" else "no messages")
        return EXIT_OK
    for r in rows:
        print(f"#{r.id:<6} {r.team:<12} {_age(r.age):>6}  {r.status:<9} {r.sender}  "
              f"\"{r.subject}\"  [{', '.join(r.policies) or '-'}]")
    return EXIT_OK


def cmd_queue_show(args: argparse.Namespace) -> int:
    with _services(args) as (moderation, _):
        message = _or_fail(lambda: moderation.get(args.id))
        trail = moderation.audit(args.id)
    if args.raw:
        sys.stdout.buffer.write(message.raw)
        sys.stdout.buffer.flush()
        return EXIT_OK
    record = {**_summary_record(message), "message_id": message.message_id,
              "findings": [f.__dict__ for f in message.findings], "reasons": message.reasons,
              "reply_text": message.reply_text, "quoted_text": message.quoted_text,
              "customer_wrote_at": _iso(message.customer_wrote_at),
              "replied_at": _iso(message.replied_at),
              "audit": [{"at": _iso(e.at), "actor": e.actor, "action": e.action, "comment": e.comment}
                        for e in trail]}
    if args.format == "json":
        _print_json(record)
        return EXIT_OK
    print(f"#{message.id} {message.status} · team {message.team} · held {_age(message.age)} ago")
    print(f"  from {message.sender} to {', '.join(message.recipients)}")
    print(f"  subject \"{message.subject}\"")
    for reason in message.reasons:
        print(f"  because {reason}")
    for f in message.findings:
        print(f"  [{f.severity}] {f.policy} at {f.start}-{f.end}: \"{f.excerpt}\"")
        print(f"      {f.message}")
        if f.suggestion:
            print(f"      try: {f.suggestion}")
    print("  --- reply ---")
    for line in message.reply_text.splitlines():
        print(f"  | {line}")
    for e in reversed(trail):
        print(f"  {_iso(e.at)} {e.actor} {e.action}" + (f": {e.comment}" if e.comment else ""))
    return EXIT_OK


def cmd_queue_decide(args: argparse.Namespace) -> int:
    from gateway.moderation import AlreadyDecided, NotFound

    actor = args.actor or _os_user()
    status = EXIT_OK
    with _services(args) as (moderation, _):
        for held_id in args.ids:
            record: dict[str, Any] = {"id": held_id, "action": args.action}
            try:
                if args.action == "release":
                    record["status"] = moderation.release(held_id, actor=actor, comment=args.comment).status
                elif args.action == "reject":
                    record["status"] = moderation.reject(held_id, actor=actor, comment=args.comment).status
                else:
                    moderation.delete(held_id, actor=actor, comment=args.comment)
                    record["status"] = "deleted"
                record["ok"] = True
            except (NotFound, AlreadyDecided, ValueError) as exc:
                record.update(ok=False, error=str(exc))
                status = EXIT_FAILED
            if args.format == "json":
                _print_json(record)
            elif record["ok"]:
                print(f"#{held_id}: {record['status']} by {actor}")
            else:
                print(f"tact queue {args.action}: {record['error']}", file=sys.stderr)
    return status


# --- users -----------------------------------------------------------------------------


def cmd_user_add(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if password != getpass.getpass("again: "):
            raise CommandError("the passwords differ")
    with _services(args) as (moderation, users):
        known = moderation.settings.team_names()
        unknown = [t for t in args.team if t not in known]
        if unknown:
            raise CommandError(f"unknown team {unknown[0]!r} (--team); configured: {', '.join(known)}")
        try:
            user = users.add(args.name, password, role=args.role, teams=args.team)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if args.format == "json":
        _print_json(_user_record(user))
    else:
        print(f"added {user.role} {user.name}" + (f" (teams {', '.join(user.teams)})" if user.teams else ""))
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace) -> int:
    with _services(args) as (_, users):
        accounts = users.list()
    for user in accounts:
        if args.format == "json":
            _print_json(_user_record(user))
        else:
            print(f"{user.name:<20} {user.role:<9} {', '.join(user.teams) or '-'}")
    return EXIT_OK


def cmd_user_remove(args: argparse.Namespace) -> int:
    with _services(args) as (_, users):
        if not users.remove(args.name):
            raise CommandError(f"no user {args.name!r}")
    if args.format == "json":
        _print_json({"name": args.name, "removed": True})
    else:
        print(f"removed {args.name}")
    return EXIT_OK


def cmd_user_token(args: argparse.Namespace) -> int:
    with _services(args) as (_, users):
        try:
            token = users.create_token(args.name, args.label)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if args.format == "json":
        _print_json({"name": args.name, "label": args.label, "token": token})
    else:
        print(token)
    return EXIT_OK


# --- helpers ---------------------------------------------------------------------------


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """The command, with its failures turned into one line on stderr and exit status 1."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args) or 0)
        except CommandError as exc:
            print(f"tact {_command(func)}: {exc}", file=sys.stderr)
            return EXIT_FAILED

    return run


@contextmanager
def _services(args: argparse.Namespace) -> Iterator[tuple[Any, Any]]:
    from gateway.moderation import Moderation
    from gateway.server import _safe_url
    from gateway.store import Store
    from gateway.users import Users

    settings = load_settings(args.config)
    try:
        store = Store(settings.store.url)
        store.create()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CommandError(f"store {_safe_url(settings.store.url)} is unreachable: "
                           f"{type(exc).__name__}: {first}") from None
    try:
        yield Moderation(store, settings), Users(store)
    finally:
        store.close()


def _or_fail(call: Any) -> Any:
    from gateway.moderation import NotFound

    try:
        return call()
    except NotFound as exc:
        raise CommandError(str(exc)) from None


def _command(func: Callable[..., Any]) -> str:
    return " ".join(func.__name__.removeprefix("cmd_").split("_", 1))


def _duration(value: str, option: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _summary_record(r: Any) -> dict[str, Any]:
    return {"id": r.id, "team": r.team, "status": r.status, "sender": r.sender,
            "recipients": list(r.recipients), "subject": r.subject, "created_at": _iso(r.created_at),
            "age_seconds": int(r.age.total_seconds()), "policies": list(r.policies)}


def _user_record(user: Any) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "teams": list(user.teams)}


def _print_json(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False))


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
