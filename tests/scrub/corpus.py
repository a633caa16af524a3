"""The scrub corpus: one generator per secret format people leak, built from public rule sets as facts.

The formats are those of gitleaks' rules and detect-secrets' plugins (prefixes, alphabets, lengths, the
keyword a contextual rule needs); every sample is generated at run time from `secrets`, so no real or
repeated secret is ever committed. A sample is the text as it is leaked (with its keyword where the format
needs one to be told apart) and the random `core` that must never leave the process.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
ALNUM = LOWER + UPPER + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def rand(n: int, alphabet: str = ALNUM) -> str:
    """Random text that mixes the alphabet's classes (a token without digits or capitals is the exception)."""
    while True:
        text = "".join(secrets.choice(alphabet) for _ in range(n))
        if n < 12 or sum(any(c in cls for c in text) for cls in (LOWER, UPPER, DIGITS)) == sum(
            any(c in cls for c in alphabet) for cls in (LOWER, UPPER, DIGITS)
        ):
            return text


@dataclass(frozen=True)
class Sample:
    text: str  # what is planted
    core: str  # what must not appear in anything that leaves


@dataclass(frozen=True)
class Format:
    name: str
    family: str
    make: Callable[[], Sample]
    one_line: bool = True  # fits in a single argv item, env value or path segment

    def sample(self) -> Sample:
        return self.make()


def _whole(text: str) -> Sample:
    return Sample(text, text)


def _core(template: str, core: str) -> Sample:
    return Sample(template.format(core), core)


def _pem(kind: str) -> Callable[[], Sample]:
    def make() -> Sample:
        body = [rand(64, B64) for _ in range(4)] + [rand(20, B64) + "=="]
        return Sample(f"-----BEGIN {kind}-----\n" + "\n".join(body) + f"\n-----END {kind}-----", body[1])

    return make


def _basic_b64() -> Sample:
    password = rand(14)
    return Sample(base64.b64encode(f"deploy:{password}".encode()).decode(), password)


def _gcp_service_account() -> Sample:
    body = rand(64, B64)
    key = f"-----BEGIN PRIVATE KEY-----\nMIIEv{body}\n-----END PRIVATE KEY-----\n"
    return Sample(json.dumps({"type": "service_account", "private_key_id": rand(40, HEX), "private_key": key}), body)


def _json_escaped_quotes() -> Sample:
    core = rand(18)
    return Sample(json.dumps({"password": f'pa"ss {core}'}), core)


def _nested_json_escaped() -> Sample:
    core = rand(20)
    return Sample(json.dumps(json.dumps({"client_secret": core})), core)


def _azure_connection_string() -> Sample:
    key = rand(86, B64) + "=="
    return Sample(
        f"DefaultEndpointsProtocol=https;AccountName=acct{rand(6, LOWER)};AccountKey={key};"
        "EndpointSuffix=core.windows.net",
        key[:40],
    )


def _azure_sas() -> Sample:
    sig = rand(43, B64) + "%3D"
    return Sample(
        f"https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig={sig}",
        sig[:30],
    )


FORMATS: tuple[Format, ...] = (
    # cloud
    Format("aws-access-key-id", "cloud", lambda: _whole("AKIA" + rand(16, UPPER + "234567"))),
    Format("aws-secret-key-bare", "cloud", lambda: _whole(rand(40, B64))),
    Format("aws-secret-key-named", "cloud", lambda: _core("aws_secret_access_key = {}", rand(40, B64))),
    Format("aws-session-token", "cloud", lambda: _core("AWS_SESSION_TOKEN={}", "FwoGZXIvYXdzE" + rand(200, B64))),
    Format("gcp-api-key", "cloud", lambda: _whole("AIza" + rand(35, URLSAFE))),
    Format("gcp-oauth-client-secret", "cloud", lambda: _whole("GOCSPX-" + rand(28, URLSAFE))),
    Format("gcp-access-token", "cloud", lambda: _whole("ya29." + rand(120, URLSAFE))),
    Format("gcp-service-account-json", "cloud", _gcp_service_account, one_line=False),
    Format("azure-storage-connection-string", "cloud", _azure_connection_string),
    Format("azure-sas-url", "cloud", _azure_sas),
    Format("azure-ad-client-secret", "cloud", lambda: _whole(rand(3) + "8Q~" + rand(34, ALNUM + "_~.-"))),
    Format("digitalocean-token", "cloud", lambda: _whole("dop_v1_" + rand(64, HEX))),
    Format("alibaba-access-key-id", "cloud", lambda: _whole("LTAI" + rand(20))),
    Format(
        "heroku-api-key",
        "cloud",
        lambda: _core(
            "HEROKU_API_KEY={}", f"{rand(8, HEX)}-{rand(4, HEX)}-4{rand(3, HEX)}-a{rand(3, HEX)}-{rand(12, HEX)}"
        ),
    ),
    Format("flyio-token", "cloud", lambda: _whole("fo1_" + rand(43, URLSAFE))),
    # chat and webhooks
    Format("slack-bot-token", "chat", lambda: _whole(f"xoxb-{rand(11, DIGITS)}-{rand(12, DIGITS)}-{rand(24)}")),
    Format("slack-user-token", "chat", lambda: _whole(f"xoxp-{rand(11, DIGITS)}-{rand(11, DIGITS)}-{rand(32, HEX)}")),
    Format(
        "slack-app-token",
        "chat",
        lambda: _whole(f"xapp-1-A{rand(10, UPPER + DIGITS)}-{rand(13, DIGITS)}-{rand(64, HEX)}"),
    ),
    Format(
        "slack-webhook",
        "chat",
        lambda: _core(
            "https://hooks.slack.com/services/{}", f"T{rand(8, UPPER + DIGITS)}/B{rand(8, UPPER + DIGITS)}/{rand(24)}"
        ),
    ),
    Format(
        "discord-webhook",
        "chat",
        lambda: _core("https://discord.com/api/webhooks/{}", f"{rand(18, DIGITS)}/{rand(68, URLSAFE)}"),
    ),
    Format(
        "teams-webhook",
        "chat",
        lambda: _core(
            "https://contoso.webhook.office.com/webhookb2/{}",
            f"{rand(8, HEX)}-{rand(4, HEX)}@{rand(8, HEX)}/IncomingWebhook/{rand(32, HEX)}/{rand(8, HEX)}",
        ),
    ),
    Format("telegram-bot-token", "chat", lambda: _whole(f"{rand(10, DIGITS)}:AA{rand(33, URLSAFE)}")),
    Format("twilio-api-key", "chat", lambda: _whole("SK" + rand(32, HEX))),
    # payment
    Format("stripe-secret-key", "payment", lambda: _whole("sk_live_" + rand(99))),
    Format("stripe-restricted-key", "payment", lambda: _whole("rk_live_" + rand(24))),
    Format("square-access-token", "payment", lambda: _whole("sq0atp-" + rand(22, URLSAFE))),
    Format("square-oauth-secret", "payment", lambda: _whole("sq0csp-" + rand(43, URLSAFE))),
    Format("shopify-access-token", "payment", lambda: _whole("shpat_" + rand(32, HEX))),
    Format(
        "braintree-access-token",
        "payment",
        lambda: _core("access_token$production${}", f"{rand(16, LOWER + DIGITS)}${rand(32, HEX)}"),
    ),
    Format("flutterwave-secret", "payment", lambda: _whole(f"FLWSECK_TEST-{rand(32, 'abcdefgh0123456789')}-X")),
    # mail
    Format("sendgrid-key", "mail", lambda: _whole(f"SG.{rand(22, URLSAFE)}.{rand(43, URLSAFE)}")),
    Format("mailgun-key", "mail", lambda: _whole("key-" + rand(32, HEX))),
    Format("mailchimp-key", "mail", lambda: _whole(rand(32, HEX) + "-us14")),
    Format("brevo-key", "mail", lambda: _whole(f"xkeysib-{rand(64, HEX)}-{rand(16)}")),
    Format("mandrill-key", "mail", lambda: _whole("md-" + rand(22, URLSAFE))),
    Format(
        "postmark-token",
        "mail",
        lambda: _core(
            "POSTMARK_SERVER_TOKEN={}", f"{rand(8, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(12, HEX)}"
        ),
    ),
    # monitoring (many are bare lower-case hex)
    Format("datadog-api-key-bare", "monitoring", lambda: _whole(rand(32, HEX))),
    Format("datadog-app-key", "monitoring", lambda: _core("dd_app_key: {}", rand(40, HEX))),
    Format("sentry-dsn", "monitoring", lambda: _core("https://{}@o4505.ingest.sentry.io/4505", rand(32, HEX))),
    Format("sentry-org-token", "monitoring", lambda: _whole("sntrys_" + rand(120, ALNUM + "+/"))),
    Format("sentry-user-token", "monitoring", lambda: _whole("sntryu_" + rand(64, HEX))),
    Format("newrelic-user-key", "monitoring", lambda: _whole("NRAK-" + rand(27, UPPER + DIGITS))),
    Format("grafana-cloud-token", "monitoring", lambda: _whole("glc_" + rand(80, ALNUM + "+/") + "==")),
    Format("grafana-service-account", "monitoring", lambda: _whole(f"glsa_{rand(32)}_{rand(8, HEX)}")),
    Format(
        "dynatrace-token", "monitoring", lambda: _whole(f"dt0c01.{rand(24, UPPER + DIGITS)}.{rand(64, UPPER + DIGITS)}")
    ),
    Format("honeycomb-key", "monitoring", lambda: _whole("hcaik_" + rand(58, LOWER + DIGITS))),
    # package registries and forges
    Format("github-pat-classic", "registry", lambda: _whole("ghp_" + rand(36))),
    Format("github-oauth", "registry", lambda: _whole("gho_" + rand(36))),
    Format("github-app-token", "registry", lambda: _whole("ghs_" + rand(36))),
    Format(
        "github-fine-grained-pat", "registry", lambda: _whole(f"github_pat_11{rand(20, UPPER + DIGITS)}_{rand(59)}")
    ),
    Format("gitlab-pat", "registry", lambda: _whole("glpat-" + rand(20, URLSAFE))),
    Format("npm-token", "registry", lambda: _whole("npm_" + rand(36))),
    Format(
        "npmrc-auth-token",
        "registry",
        lambda: _core(
            "//registry.npmjs.org/:_authToken={}",
            f"{rand(8, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(12, HEX)}",
        ),
    ),
    Format("pypi-token", "registry", lambda: _whole("pypi-AgEIcHlwaS5vcmc" + rand(70, URLSAFE))),
    Format("rubygems-key", "registry", lambda: _whole("rubygems_" + rand(48, HEX))),
    Format("nuget-key", "registry", lambda: _whole("oy2" + rand(43, LOWER + DIGITS))),
    Format("docker-hub-pat", "registry", lambda: _whole("dckr_pat_" + rand(27, URLSAFE))),
    Format("clojars-token", "registry", lambda: _whole("CLOJARS_" + rand(60, LOWER + DIGITS))),
    Format("artifactory-key", "registry", lambda: _whole("AKCp" + rand(69))),
    Format("atlassian-token", "registry", lambda: _whole("ATATT3" + rand(186, URLSAFE + "="))),
    # AI providers
    Format("openai-project-key", "ai", lambda: _whole(f"sk-proj-{rand(74, URLSAFE)}T3BlbkFJ{rand(74, URLSAFE)}")),
    Format("openai-legacy-key", "ai", lambda: _whole(f"sk-{rand(20)}T3BlbkFJ{rand(20)}")),
    Format("anthropic-key", "ai", lambda: _whole(f"sk-ant-api03-{rand(93, URLSAFE)}AA")),
    Format("huggingface-token", "ai", lambda: _whole("hf_" + rand(34, LOWER + UPPER))),
    Format("groq-key", "ai", lambda: _whole("gsk_" + rand(52))),
    Format("replicate-token", "ai", lambda: _whole("r8_" + rand(37))),
    Format("perplexity-key", "ai", lambda: _whole("pplx-" + rand(48))),
    Format("cohere-key-named", "ai", lambda: _core("COHERE_API_KEY={}", rand(40, LOWER + UPPER))),
    # infrastructure
    Format("vault-token", "infra", lambda: _whole("hvs." + rand(90, URLSAFE))),
    Format("vault-batch-token", "infra", lambda: _whole("hvb." + rand(138, URLSAFE))),
    Format("vault-token-legacy", "infra", lambda: _whole("s." + rand(24))),
    Format(
        "terraform-cloud-token",
        "infra",
        lambda: _whole(f"{rand(14, LOWER + DIGITS)}.atlasv1.{rand(67, LOWER + DIGITS)}"),
    ),
    Format("doppler-token", "infra", lambda: _whole("dp.pt." + rand(43))),
    Format("pulumi-token", "infra", lambda: _whole("pul-" + rand(40, HEX))),
    Format(
        "age-secret-key", "infra", lambda: _whole("AGE-SECRET-KEY-1" + rand(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"))
    ),
    # tokens and keys in structured form
    Format("jwt", "jwt", lambda: _whole(f"eyJhbGciOiJIUzI1NiJ9.eyJ{rand(40, URLSAFE)}.{rand(43, URLSAFE)}")),
    Format("pem-rsa-private-key", "private-key", _pem("RSA PRIVATE KEY"), one_line=False),
    Format("pem-ec-private-key", "private-key", _pem("EC PRIVATE KEY"), one_line=False),
    Format("pem-pkcs8-private-key", "private-key", _pem("PRIVATE KEY"), one_line=False),
    Format("openssh-private-key", "private-key", _pem("OPENSSH PRIVATE KEY"), one_line=False),
    Format("pgp-private-key", "private-key", _pem("PGP PRIVATE KEY BLOCK"), one_line=False),
    # credentials in URLs, headers, command lines and config files
    Format("url-user-password", "credentials", lambda: _core("postgres://admin:{}@db.internal:5432/app", rand(18))),
    Format("url-empty-user", "credentials", lambda: _core("redis://:{}@cache.internal:6379/0", rand(18))),
    Format("url-token-user", "credentials", lambda: _core("https://{}@git.example.com/org/repo.git", rand(40))),
    Format(
        "mongodb-srv",
        "credentials",
        lambda: _core("mongodb+srv://app:{}@cluster0.example.net/db", rand(16, LOWER + DIGITS)),
    ),
    Format(
        "basic-auth-header",
        "credentials",
        lambda: _core("Authorization: Basic {}", base64.b64encode(f"u:{rand(16)}".encode()).decode()),
    ),
    Format("bearer-header", "credentials", lambda: _core("Authorization: Bearer {}", rand(30, URLSAFE + "."))),
    Format("base64-user-pass", "credentials", _basic_b64),
    Format("cookie-header", "credentials", lambda: _core("Cookie: sessionid={}; theme=dark", rand(32, LOWER + DIGITS))),
    Format("mysql-attached-p", "credentials", lambda: _core("mysql -u root -p{} appdb", rand(12))),
    Format("sshpass", "credentials", lambda: _core("sshpass -p {} ssh deploy@host", rand(12))),
    Format("passphrase-flag", "credentials", lambda: _core("gpg --batch --passphrase {} -d file.gpg", rand(14, LOWER))),
    Format("password-flag", "credentials", lambda: _core("--password={}", rand(14, LOWER + DIGITS))),
    Format("curl-user", "credentials", lambda: _core("curl -u deploy:{} https://example.com", rand(14))),
    Format("netrc", "credentials", lambda: _core("machine example.com login deploy password {}", rand(14, LOWER))),
    Format("yaml-pass", "credentials", lambda: _core("pass: {}", rand(14, LOWER))),
    Format("yaml-passphrase", "credentials", lambda: _core("passphrase: '{}'", rand(10, LOWER) + " " + rand(8, LOWER))),
    Format("dotenv-pass", "credentials", lambda: _core("export DB_PASS={}", rand(14, LOWER))),
    Format(
        "dotenv-quoted-secret", "credentials", lambda: _core('APP_SECRET="{}"', rand(12, LOWER) + " " + rand(6, LOWER))
    ),
    Format("json-escaped-quotes", "credentials", _json_escaped_quotes),
    Format("json-nested-escaped", "credentials", _nested_json_escaped),
    Format(
        "odbc-connection-string", "credentials", lambda: _core("Driver={{ODBC}};Server=db;UID=app;PWD={};", rand(14))
    ),
    Format("generic-api-key-named", "credentials", lambda: _core('{{"api_key": "{}"}}', rand(24, LOWER))),
)

FAMILIES = sorted({f.family for f in FORMATS})


def by_name(name: str) -> Format:
    return next(f for f in FORMATS if f.name == name)
