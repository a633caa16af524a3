"""Calls a service whose URL comes from the environment."""

import os


def service_url() -> str:
    return os.environ["SERVICE_URL"].rstrip("/")


def main() -> None:
    print(f"calling {service_url()}/status")


if __name__ == "__main__":
    main()
