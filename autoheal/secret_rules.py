"""The shapes of secrets people leak, as data: one named, linear-time pattern per format.

The formats follow public secret-detection rule sets (gitleaks' rules, detect-secrets' plugins) as facts
about what tokens look like; the patterns are written here, for Python's backtracking engine:

- every pattern starts with a literal prefix or a guard (a look-behind that fails inside a run of the
  characters that follow it), so only O(1) start positions per character do real work;
- every quantifier after the start is bounded (`{n,m}`), and no two adjacent pieces can match the same
  character, so one attempt costs at most the bound, and a scan is linear in the text.

`tests/scrub/test_linear_time.py` feeds every pattern adversarial input of growing size and fails on
super-linear growth; the corpus in `tests/scrub/corpus.py` plants one sample of each format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A format whose every match is redacted whole."""

    name: str
    family: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...]  # one of these occurs in every match: text without any needs no scan

    def sub(self, replacement: str, text: str) -> str:
        for needle in self.needles:  # a plain loop: this runs for every rule on every string
            if needle in text:
                return self.pattern.sub(replacement, text)
        return text


def _rule(name: str, family: str, pattern: str, needles: tuple[str, ...]) -> Rule:
    return Rule(name, family, re.compile(pattern), needles)


# Characters that may not touch a token on either side: a token is a whole word of its own alphabet.
_W = r"(?<![A-Za-z0-9_])"
_E = r"(?![A-Za-z0-9_])"
_B64 = r"A-Za-z0-9+/"

TOKENS: tuple[Rule, ...] = (
    # cloud
    _rule(
        "aws-access-key-id",
        "cloud",
        _W + r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}" + _E,
        ("A3T", "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"),
    ),
    _rule("gcp-api-key", "cloud", _W + r"AIza[0-9A-Za-z_-]{35}" + r"(?![A-Za-z0-9_-])", ("AIza",)),
    _rule("gcp-oauth-client-secret", "cloud", _W + r"GOCSPX-[A-Za-z0-9_-]{28}", ("GOCSPX-",)),
    _rule("gcp-oauth-access-token", "cloud", _W + r"ya29\.[0-9A-Za-z_-]{20,1000}", ("ya29.",)),
    _rule(
        "azure-ad-client-secret", "cloud", r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}", ("Q~",)
    ),
    _rule("digitalocean-token", "cloud", _W + r"do[opr]_v1_[a-f0-9]{64}", ("_v1_",)),
    _rule("alibaba-access-key-id", "cloud", _W + r"LTAI[A-Za-z0-9]{20}" + _E, ("LTAI",)),
    _rule(
        "flyio-token",
        "cloud",
        _W + r"(?:fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/=_-]{40,1000})",
        ("fo1_", "fm1", "fm2"),
    ),
    # chat and webhooks
    _rule("slack-token", "chat", _W + r"xox[abeoprs]-[A-Za-z0-9-]{8,300}", ("xox",)),
    _rule("slack-config-token", "chat", _W + r"xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,300}", ("xoxe.",)),
    _rule("slack-app-token", "chat", _W + r"xapp-\d-[A-Za-z0-9-]{8,300}", ("xapp-",)),
    _rule(
        "slack-webhook",
        "chat",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,300}",
        ("hooks.slack.com/",),
    ),
    _rule(
        "discord-webhook",
        "chat",
        r"discord(?:app)?\.com/api/webhooks/\d{5,30}/[A-Za-z0-9_-]{20,200}",
        ("/api/webhooks/",),
    ),
    _rule(
        "teams-webhook", "chat", r"\.webhook\.office\.com/webhookb2/[A-Za-z0-9@/_-]{40,400}", (".webhook.office.com/",)
    ),
    _rule("telegram-bot-token", "chat", r"(?<![0-9])\d{5,16}:AA[A-Za-z0-9_-]{33}" + r"(?![A-Za-z0-9_-])", (":AA",)),
    _rule("twilio-api-key", "chat", _W + r"SK[0-9a-fA-F]{32}" + _E, ("SK",)),
    _rule("discord-bot-token", "chat", _W + r"[MN][A-Za-z0-9]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}", (".",)),
    # payment
    _rule(
        "stripe-key",
        "payment",
        _W + r"(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,200}",
        ("k_test_", "k_live_", "k_prod_"),
    ),
    _rule(
        "square-token",
        "payment",
        _W + r"(?:sq0atp-[0-9A-Za-z_-]{22}|sq0csp-[0-9A-Za-z_-]{43}|EAAA[A-Za-z0-9_-]{60})",
        ("sq0atp-", "sq0csp-", "EAAA"),
    ),
    _rule(
        "shopify-token", "payment", _W + r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", ("shpat_", "shpca_", "shppa_", "shpss_")
    ),
    _rule(
        "braintree-token",
        "payment",
        r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
        ("access_token$",),
    ),
    _rule("flutterwave-key", "payment", _W + r"FLW(?:SECK|PUBK)_TEST-[a-hA-H0-9]{32}-X", ("_TEST-",)),
    # mail
    _rule("sendgrid-key", "mail", _W + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", ("SG.",)),
    _rule("mailgun-key", "mail", _W + r"key-[0-9a-f]{32}" + _E, ("key-",)),
    _rule("mailchimp-key", "mail", _W + r"[0-9a-f]{32}-us\d{1,2}" + _E, ("-us",)),
    _rule("brevo-key", "mail", _W + r"xkey(?:sib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}", ("xkey",)),
    _rule("mandrill-key", "mail", _W + r"md-[A-Za-z0-9_-]{22}" + r"(?![A-Za-z0-9_-])", ("md-",)),
    # monitoring
    _rule(
        "sentry-token",
        "monitoring",
        _W + r"(?:sntrys_[A-Za-z0-9+/=_]{50,400}|sntryu_[a-f0-9]{64})",
        ("sntrys_", "sntryu_"),
    ),
    _rule(
        "newrelic-key", "monitoring", _W + r"NR(?:AK|II|JS|AA)-[A-Za-z0-9]{19,32}", ("NRAK-", "NRII-", "NRJS-", "NRAA-")
    ),
    _rule(
        "grafana-token",
        "monitoring",
        _W + r"(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
        ("glc_", "glsa_"),
    ),
    _rule("grafana-api-key", "monitoring", _W + r"eyJrIjoi[A-Za-z0-9+/]{60,400}={0,2}", ("eyJrIjoi",)),
    _rule("dynatrace-token", "monitoring", _W + r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}", ("dt0c01.",)),
    _rule("honeycomb-key", "monitoring", _W + r"hc[ab]i[kc]_[A-Za-z0-9]{20,80}", ("hcai", "hcbi")),
    # package registries and forges
    _rule("github-token", "registry", _W + r"gh[pousr]_[A-Za-z0-9]{30,255}", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    _rule("github-fine-grained-pat", "registry", _W + r"github_pat_[A-Za-z0-9_]{40,255}", ("github_pat_",)),
    _rule(
        "gitlab-token", "registry", _W + r"gl(?:pat|dt|ptt|rt|cbt|ft|imt|agent|oas|soat)-[A-Za-z0-9_-]{16,200}", ("gl",)
    ),
    _rule("npm-token", "registry", _W + r"npm_[A-Za-z0-9]{36}" + _E, ("npm_",)),
    _rule("pypi-token", "registry", _W + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}", ("pypi-AgEIcHlwaS5vcmc",)),
    _rule("rubygems-token", "registry", _W + r"rubygems_[a-f0-9]{48}" + _E, ("rubygems_",)),
    _rule("nuget-key", "registry", _W + r"oy2[a-z0-9]{43}" + _E, ("oy2",)),
    _rule("docker-hub-pat", "registry", _W + r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,200}", ("dckr_",)),
    _rule("clojars-token", "registry", _W + r"CLOJARS_[a-z0-9]{60}" + _E, ("CLOJARS_",)),
    _rule("artifactory-key", "registry", _W + r"AKC[a-z][A-Za-z0-9]{64,80}" + _E, ("AKC",)),
    _rule("atlassian-token", "registry", _W + r"AT(?:ATT|CTT)3[A-Za-z0-9_=-]{150,300}", ("ATATT3", "ATCTT3")),
    _rule("bitbucket-app-password", "registry", _W + r"ATBB[A-Za-z0-9_=.-]{24,60}", ("ATBB",)),
    # AI providers
    _rule("anthropic-key", "ai", _W + r"sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120}", ("sk-ant-",)),
    _rule("openai-key", "ai", _W + r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,250}", ("sk-",)),
    _rule("huggingface-token", "ai", _W + r"(?:hf_|api_org_)[A-Za-z]{34}" + _E, ("hf_", "api_org_")),
    _rule("groq-key", "ai", _W + r"gsk_[A-Za-z0-9]{48,56}" + _E, ("gsk_",)),
    _rule("replicate-token", "ai", _W + r"r8_[A-Za-z0-9]{37}" + _E, ("r8_",)),
    _rule("perplexity-key", "ai", _W + r"pplx-[A-Za-z0-9]{48}" + _E, ("pplx-",)),
    # infrastructure secrets
    _rule("vault-token", "infra", _W + r"hv[sbr]\.[A-Za-z0-9_-]{24,300}", ("hvs.", "hvb.", "hvr.")),
    _rule("vault-token-legacy", "infra", _W + r"[sbr]\.[A-Za-z0-9]{24}" + _E, ("s.", "b.", "r.")),
    _rule("terraform-cloud-token", "infra", _W + r"[a-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}", (".atlasv1.",)),
    _rule("doppler-token", "infra", _W + r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}", ("dp.",)),
    _rule("pulumi-token", "infra", _W + r"pul-[a-f0-9]{40}" + _E, ("pul-",)),
    _rule("age-secret-key", "infra", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", ("AGE-SECRET-KEY-1",)),
    _rule("jwt", "jwt", _W + r"eyJ[A-Za-z0-9_-]{4,4000}\.eyJ[A-Za-z0-9_-]{4,8000}\.[A-Za-z0-9_-]{0,2000}", ("eyJ",)),
    _rule(
        "jwt-any-header",
        "jwt",
        _W + r"eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{8,8000}\.[A-Za-z0-9_-]{8,2000}",
        ("eyJ",),
    ),
)

# A private key block, whole (with real or JSON-escaped newlines), or from BEGIN to the end when cut.
PRIVATE_KEY_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
PRIVATE_KEY_END = re.compile(r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")

# Credentials in a URL: `scheme://user:pass@`, `scheme://:pass@`, and a bare token as the user.
URL_USERINFO = re.compile(
    r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,30}://)([^\s/?#@:'\"<>]{0,256}):([^\s/?#@'\"<>]{1,512})@"
)
URL_TOKEN_USER = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,30}://)([A-Za-z0-9_-]{20,256})@")
# Secret-bearing query parameters (Azure SAS `sig`, pre-signed URLs, `access_token=` in links).
QUERY_SECRET = re.compile(
    r"(?i)([?&;#](?:sig|signature|x-amz-signature|x-amz-security-token|x-goog-signature|access_token|"
    r"id_token|refresh_token|client_secret|api_key|apikey|key|token|code|password|pwd|pass|secret)=)"
    r"([^\s&#;'\"<>]{1,2000})"
)
AUTH_SCHEME = re.compile(
    r"(?i)(?<![A-Za-z0-9_-])(bearer|basic|digest|token|negotiate|ntlm)([ \t]{1,8})([A-Za-z0-9._~+/=-]{8,4000})"
)
COOKIE_HEADER = re.compile(r"(?i)(?<![A-Za-z0-9_-])((?:set-)?cookie[ \t]{0,8}:[ \t]{0,8})([^\r\n]{1,8000})")
NETRC = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(machine[ \t]{1,8}\S{1,256}[ \t]{1,8}login[ \t]{1,8}\S{1,256}[ \t]{1,8}password[ \t]{1,8})"
    r"(\S{1,1000})"
)
CURL_USER = re.compile(
    r"(?<![A-Za-z0-9_-])((?:-u|--user|--proxy-user)[ \t=]{1,8}['\"]?[^\s:'\"]{0,256}:)([^\s'\"]{1,1000})"
)
# `mysql -pSECRET` (no space); an all-lower-case word such as `-pthread` or `-print` is a flag.
ATTACHED_P = re.compile(r"(?<![A-Za-z0-9_-])(-p)(?![a-z]{1,64}(?![^\s'\"]))([^\s'\"]{3,1000})")
SSHPASS = re.compile(
    r"(?<![A-Za-z0-9_-])(sshpass(?:[ \t]{1,8}-[A-Za-z](?![ \t]{0,8}-p))?[ \t]{1,8}-p[ \t]{0,8})"
    r"(['\"]?[^\s'\"]{1,1000}['\"]?)"
)

# `name = value`, `name: value`, `"name": "value"`, `--name value`, `--name=value`: the name is checked
# by `is_secret_name` in code, the value by VALUE.
ASSIGNMENT_NAME = re.compile(
    r"(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]{0,80})(\\{0,4}[\"']?)([ \t]{0,8}[:=][ \t]{0,8})"
)
FLAG_NAME = re.compile(r"(?<![A-Za-z0-9_-])(--?[A-Za-z][A-Za-z0-9_.-]{0,80})(=|[ \t]{1,8})")
VALUE = re.compile(
    r"""\\{1,4}"[^"\n]{0,2000}"|"(?:[^"\\\n]|\\.){0,2000}"|'(?:[^'\\\n]|\\.){0,2000}'|\[[^\]\n]{0,2000}\]"""
    r"""|\\?["']?[^\s'",;&}\])\\]{1,2000}"""
)

# Shapes without a prefix, checked by a predicate in code (mixed case and digits, hex, base64 of `u:p`).
AWS_SECRET_SHAPE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])")
BASE64_BLOB = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{48,20000}={0,2}(?![A-Za-z0-9+/=_-])")
LONG_RUN = re.compile(r"(?<![A-Za-z0-9+=_-])[A-Za-z0-9+=_-]{32,20000}(?![A-Za-z0-9+=_-])")
BASE64_CREDENTIALS = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{8,344}={0,2}(?![A-Za-z0-9+/=])")

ALL_PATTERNS: tuple[re.Pattern[str], ...] = (
    *(rule.pattern for rule in TOKENS),
    PRIVATE_KEY_BEGIN,
    PRIVATE_KEY_END,
    URL_USERINFO,
    URL_TOKEN_USER,
    QUERY_SECRET,
    AUTH_SCHEME,
    COOKIE_HEADER,
    NETRC,
    CURL_USER,
    ATTACHED_P,
    SSHPASS,
    ASSIGNMENT_NAME,
    FLAG_NAME,
    VALUE,
    AWS_SECRET_SHAPE,
    BASE64_BLOB,
    LONG_RUN,
    BASE64_CREDENTIALS,
)
"""Every pattern the scrubber runs, for the linear-time test."""
