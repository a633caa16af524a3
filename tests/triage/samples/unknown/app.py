"""Averages scores; an empty input divides by zero (no safe automatic fix: it needs a decision)."""

import sys


def average(scores: list[float]) -> float:
    return sum(scores) / len(scores)


def main() -> None:
    print(average([float(arg) for arg in sys.argv[1:]]))


if __name__ == "__main__":
    main()
