"""``python -m deploy`` (``make stack``): the stack's checks (``deploy.stack``) or, with
``--scale``, its scaling run (``deploy.stack_scale``), which builds on the first."""

from __future__ import annotations

import sys

from deploy import stack, stack_scale


def main(argv: list[str] | None = None) -> int:
    config = stack.parse_args(argv)
    stack.unwind_on_sigterm()
    return stack_scale.main_scale(config) if config.scale else stack.run_checks(config)


if __name__ == "__main__":
    sys.exit(main())
