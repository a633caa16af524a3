"""Prints its settings as YAML; the project forgot to declare the YAML library."""

import yaml


def main() -> None:
    print(yaml.safe_dump({"greeting": "hello"}))


if __name__ == "__main__":
    main()
