"""Standalone: ``python -m tests.emulator --port 8765 [--time-scale X] [--no-limits] [--enterprise]``."""

from __future__ import annotations

import argparse
import threading

from tests.emulator.server import Emulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--time-scale", type=float, default=1.0, help="emulated seconds per real second")
    parser.add_argument("--no-limits", action="store_true", help="no leaky bucket, no operating budget")
    parser.add_argument("--enterprise", action="store_true", help="Enterprise limits (burst 250, 5/s)")
    parser.add_argument("--domain", default="demo.bitrix24.test")
    parser.add_argument("--member-id", default=None)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--client-id", default="local.demo.app")
    parser.add_argument("--client-secret", default="demo-secret")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    emu = Emulator(
        limits_enabled=not args.no_limits, time_scale=args.time_scale, enterprise=args.enterprise
    ).start(args.port)
    emu.register_app(args.client_id, args.client_secret)
    plan = "enterprise" if args.enterprise else "basic"
    portal = emu.add_portal(member_id=args.member_id, domain=args.domain, lang=args.lang, plan=plan)
    print(f"emulator:   {emu.base_url}  (control API under {emu.base_url}/_emulator/)", flush=True)
    print(f"portal:     member_id={portal.member_id} domain={portal.domain}", flush=True)
    print(f"REST base:  {emu.rest_base(portal)}", flush=True)
    print(f"webhook:    {emu.add_webhook(portal, 1)}", flush=True)
    app = f"client_id={args.client_id} secret={args.client_secret}"
    print(f"OAuth URL:  {emu.oauth_url()}  {app}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
