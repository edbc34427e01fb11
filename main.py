"""CounterGuard entry point. For now it starts the embedded reference screening service and says
where it listens; the teller GUI is added on top of this (issue 4)."""

import logging
import sys
import threading

from screening_service.embedded import EmbeddedService


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with EmbeddedService() as endpoint:
        print(f"CounterGuard embedded screening service (DEMO) listening on {endpoint.url}")
        print(f"  counter terminal key for this run: {endpoint.counter_key}")
        for teller in endpoint.demo_tellers:
            print(f"  demo {teller.role:<10} {teller.teller_id} {teller.name}  password {teller.password}")
        print("Press Ctrl+C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main())
