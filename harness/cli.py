"""The `harness` command (placeholder)."""


def main() -> int:
    return 0
