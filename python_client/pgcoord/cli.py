"""The `pgcoord` command line.

  pgcoord db start|stop|status|url     the embedded cluster under .pgcoord/
  pgcoord deploy [--to TAG]            sqitch deploy (creates the database if needed)
  pgcoord revert [--to TAG]            sqitch revert
  pgcoord verify                       sqitch verify
  pgcoord status                       sqitch status, enforcement mode, audit verification
  pgcoord audit digest [--out FILE]    export coord.audit_digest() to keep outside the database
  pgcoord audit verify [--digest FILE] coord.verify_audit(), and against an exported digest

The database is $PGCOORD_DSN, else --dsn, else database `pgcoord` of the embedded cluster.
Failures print one clear line and exit non-zero; never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from . import errors, migrations
from .client import Client
from .cluster import ClusterError, default_cluster, with_dbname

DEFAULT_DB = "pgcoord"


def resolve_dsn(arg: str | None) -> str:
    if arg:
        return arg
    if os.environ.get("PGCOORD_DSN"):
        return os.environ["PGCOORD_DSN"]
    cluster = default_cluster()
    if not cluster.running():
        raise ClusterError("the embedded cluster is not running: `pgcoord db start` (or set PGCOORD_DSN)")
    return cluster.dsn(DEFAULT_DB)


def ensure_database(dsn: str) -> None:
    """Create the target database when it does not exist yet (embedded or local use).

    A failed connection carries no SQLSTATE, so whether the database is missing is
    asked of the server's catalog (through the ``postgres`` database), never read
    from the error's text; any other failure is raised as it came."""
    name = unquote(urlsplit(dsn).path.lstrip("/"))
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
        return
    except psycopg.OperationalError as exc:
        failure = exc
    try:
        maintenance = psycopg.connect(with_dbname(dsn, "postgres"), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        raise failure from None
    with maintenance:
        if maintenance.execute("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", (name,)).fetchone():
            raise failure
        try:
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            pass   # created meanwhile by someone else: what was wanted


def cmd_db(args: argparse.Namespace) -> int:
    cluster = default_cluster()
    if args.action == "start":
        cluster.start()
        print(f"embedded PostgreSQL {cluster.status()} (data: {cluster.datadir})")
    elif args.action == "stop":
        cluster.stop()
        print("embedded PostgreSQL stopped")
    elif args.action == "status":
        print(cluster.status())
        return 0 if cluster.running() else 3
    elif args.action == "url":
        print(cluster.dsn(DEFAULT_DB))
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    ensure_database(dsn)
    print(migrations.deploy(dsn, args.to))
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    print(migrations.revert(resolve_dsn(args.dsn), args.to))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    print(migrations.verify(resolve_dsn(args.dsn)))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    print(migrations.status(dsn))
    with Client.connect(dsn) as c:
        mode = c.query("SELECT enforcement_mode, policy_engine FROM coord.enforcement")[0]
        print(f"enforcement mode: {mode['enforcement_mode']}, policy engine: {mode['policy_engine']}")
        v = c.verify_audit()
        print(f"audit: {'verified' if v['ok'] else 'TAMPERED'} ({v['events_checked']} events, "
              f"{v['chains_checked']} chains)"
              + ("" if v["ok"] else f": event {v['first_bad_event_id']}: {v['problem']}"))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    with Client.connect(dsn) as c:
        if args.action == "digest":
            digest = c.audit_digest()
            text = json.dumps(digest, indent=2, sort_keys=True)
            if args.out:
                Path(args.out).write_text(text + "\n")
                print(f"audit digest of {len(digest['chains'])} chains written to {args.out}")
            else:
                print(text)
            return 0
        v = c.verify_audit()
        print(f"verify_audit: {'ok' if v['ok'] else 'FAILED'} — {v['events_checked']} events in "
              f"{v['chains_checked']} chains"
              + ("" if v["ok"] else f"; first bad event {v['first_bad_event_id']}: {v['problem']}"))
        ok = bool(v["ok"])
        if args.digest:
            d = c.verify_audit_digest(Path(args.digest).read_text())
            print(f"verify_audit_digest: {'ok' if d['ok'] else 'FAILED'} — {d['chains_checked']} chains"
                  + ("" if d["ok"] else f"; {d['problem']}"))
            ok = ok and bool(d["ok"])
        return 0 if ok else 4


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pgcoord", description="coordination for AI coding agents, enforced in PostgreSQL")
    p.add_argument("--dsn", help="database URL (default: $PGCOORD_DSN or the embedded cluster)")
    sub = p.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="the embedded PostgreSQL cluster")
    db.add_argument("action", choices=["start", "stop", "status", "url"])
    db.set_defaults(func=cmd_db)
    d = sub.add_parser("deploy", help="sqitch deploy")
    d.add_argument("--to", help="deploy up to this change or tag")
    d.set_defaults(func=cmd_deploy)
    r = sub.add_parser("revert", help="sqitch revert")
    r.add_argument("--to", help="revert down to this change or tag (e.g. @v0.1.0)")
    r.set_defaults(func=cmd_revert)
    sub.add_parser("verify", help="sqitch verify").set_defaults(func=cmd_verify)
    sub.add_parser("status", help="deployment, enforcement mode and audit state").set_defaults(func=cmd_status)
    a = sub.add_parser("audit", help="audit digest export and verification")
    a.add_argument("action", choices=["digest", "verify"])
    a.add_argument("--out", help="digest: write to this file")
    a.add_argument("--digest", help="verify: also check against this exported digest")
    a.set_defaults(func=cmd_audit)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ClusterError, migrations.MigrationError) as exc:
        print(f"pgcoord: {exc}", file=sys.stderr)
        return 1
    except errors.PgcoordError as exc:
        print(f"pgcoord: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"pgcoord: database error: {str(exc).strip()}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"pgcoord: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
