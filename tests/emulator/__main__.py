"""Standalone emulator: ``python -m tests.emulator --port 8765``."""

from __future__ import annotations

import argparse
import time

from tests.emulator.server import Emulator


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--no-limits", action="store_true")
    parser.add_argument("--enterprise", action="store_true")
    parser.add_argument("--client-id", default="local.demo.app")
    parser.add_argument("--client-secret", default="demo-secret")
    args = parser.parse_args()
    emu = Emulator(limits_enabled=not args.no_limits, time_scale=args.time_scale).start(args.port)
    emu.register_app(args.client_id, args.client_secret)
    portal = emu.add_portal(
        domain="demo.bitrix24.test", lang="ru", plan="enterprise" if args.enterprise else "basic"
    )
    print(f"emulator on {emu.base_url}")
    print(f"portal member_id={portal.member_id} domain={portal.domain} rest={emu.rest_base(portal)}")
    print(f"oauth token URL: {emu.oauth_url()}  app client_id={args.client_id} secret={args.client_secret}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emu.stop()


if __name__ == "__main__":
    main()
