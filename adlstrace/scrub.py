"""Replace secret values in text, JSON-like data and log records with a fixed marker.

Every report, evidence file and debug log passes through this module before it leaves
the process. The rules keep the name or scheme in front of a secret
(``AccountKey=[REDACTED]``, ``Bearer [REDACTED]``) so a reader can still see what was
there. Scrubbing is idempotent: a value that already reads ``[REDACTED]`` is left alone
and not counted again.

Recognition is by shape and by name, so it is a best effort, not a proof. The NOTE
comments below mark the shapes that are known to get through.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

__all__ = [
    "REDACTED",
    "Scrubber",
    "ScrubbingFilter",
    "install_log_scrubbing",
    "is_secret_name",
    "scrub_data",
    "scrub_data_counted",
    "scrub_text",
    "scrub_text_counted",
]

REDACTED = "[REDACTED]"

# ---------------------------------------------------------------------------
# Secret-like names
# ---------------------------------------------------------------------------

# Names are compared after _normalize_name: lowercase, without "_", "-", "." or spaces.
_SECRET_NAMES = frozenset(
    {
        "key",
        "sig",
        "signature",
        "authorization",
        "proxyauthorization",
        "cookie",
        "setcookie",
    }
)
_SECRET_NAME_SUFFIXES = (
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accountkey",
    "accesskey",
    "storagekey",
    "masterkey",
    "functionkey",
    "functionskey",
    "hostkey",
    "privatekey",
    "secretkey",
    "signingkey",
    "encryptionkey",
    "serviceprincipalkey",
    "subscriptionkey",
    "primarykey",
    "secondarykey",
    "connectionstring",
    "connstr",
    "sasuri",
    "sasurl",
    "credential",
    "credentials",
    "clientassertion",
    "authorization",
)
# These end like a secret name but contain paging state or a public assembly identity.
_NON_SECRET_NAME_SUFFIXES = (
    "publickeytoken",
    "continuationtoken",
    "nextpagetoken",
    "pagetoken",
    "skiptoken",
    "cancellationtoken",
    "resumetoken",
)
# Keys that describe a secret rather than contain it, kept inside a secret-named object
# (for example the "keyName" of a storage listKeys entry).
_DESCRIPTIVE_KEYS = frozenset(
    {
        "type",
        "name",
        "keyname",
        "permissions",
        "creationtime",
        "secretname",
        "secretversion",
        "referencename",
        "tokentype",
        "expiresin",
        "expireson",
        "expiry",
        "expirytime",
    }
)

_NAME_SEPARATORS = re.compile(r"[\s_.\-]+")


def _normalize_name(name: str) -> str:
    normalized = _NAME_SEPARATORS.sub("", name.lower()).lstrip("@$")
    # .NET JSON serializers write "&" as \u0026, so "\u0026sig=" reaches the name rule
    # as "u0026sig".
    if normalized.startswith("u0026"):
        normalized = normalized[len("u0026") :]
    return normalized


def is_secret_name(name: str) -> bool:
    """Return whether a key, parameter or header name is one whose value is a secret.

    The test is case-insensitive and ignores "_", "-", "." and spaces, so
    ``client_secret``, ``clientSecret`` and ``x-ms-encryption-key`` all match.
    Names that only refer to a secret (``secretName``, ``keyVaultName``, ``tokenType``)
    or identify a run (``jobId``, ``runId``) do not match.
    """
    normalized = _normalize_name(name)
    if normalized.endswith(_NON_SECRET_NAME_SUFFIXES):
        return False
    return normalized in _SECRET_NAMES or normalized.endswith(_SECRET_NAME_SUFFIXES)


# An ADF expression that only reads a parameter or a linked-service property names a
# secret but does not contain one. ADF evaluates every JSON string that starts with a
# single "@" as an expression, and a literal must be written "@@" (ADF expression
# language documentation), so a stored password cannot take this shape.
_ADF_REFERENCE_EXPRESSION = re.compile(
    r"@\{?(?:pipeline|linkedService|dataset|activity|variables|item)\(\)"
    r"[\w.\[\]']*\}?"
)
_KEY_VAULT_SECRET_URI = re.compile(
    r"https://[\w-]+\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)"
    r"/secrets/[\w-]+(?:/[0-9a-fA-F]{32})?/?",
    re.IGNORECASE,
)


def _is_reference_value(value: str) -> bool:
    return bool(_ADF_REFERENCE_EXPRESSION.fullmatch(value) or _KEY_VAULT_SECRET_URI.fullmatch(value))


def _has_value(value: str) -> bool:
    """Return whether a matched value is non-empty and not already redacted."""
    return bool(value) and REDACTED not in value


_UNQUOTED_TRAILING_PUNCTUATION = ".,;:)]}"
_USQL_ERROR_ID = re.compile(r"E_[A-Z0-9_]+")


def _looks_like_secret_word(value: str) -> bool:
    """Return whether an unquoted word after ``name:`` is likely a value, not prose.

    A colon after a name is common in prose ("failed to get token: expired"), so a word
    of letters only counts when it has 20 or more in mixed case, like a generated key.
    """
    word = value.rstrip(_UNQUOTED_TRAILING_PUNCTUATION)
    if len(word) < 6 or _USQL_ERROR_ID.fullmatch(word):
        return False
    if word.isalpha():
        return len(word) >= 20 and not word.islower() and not word.isupper()
    return True


# ---------------------------------------------------------------------------
# Text rules
# ---------------------------------------------------------------------------

# A rule handler receives the match and returns the replacement plus how many values it
# redacted. Returning the match text unchanged with 0 keeps the input as it was.
_Handler = Callable[[re.Match[str]], tuple[str, int]]


class _Rule:
    """One scrubbing step with a cheap lowercase substring pre-check."""

    __slots__ = ("apply", "name", "triggers")

    def __init__(self, name: str, apply: Callable[[str], tuple[str, int]], triggers: tuple[str, ...]) -> None:
        self.name = name
        self.apply = apply
        # The rule runs only when one of these lowercase substrings occurs in the text.
        # An empty tuple means the rule always runs.
        self.triggers = triggers


def _pattern_rule(name: str, pattern: re.Pattern[str], handler: _Handler, *triggers: str) -> _Rule:
    def apply(text: str) -> tuple[str, int]:
        redacted = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal redacted
            replacement, count = handler(match)
            redacted += count
            return replacement

        return pattern.sub(replace, text), redacted

    return _Rule(name, apply, triggers)


def _named_value_rule(
    name: str,
    name_pattern: re.Pattern[str],
    value_pattern: re.Pattern[str],
    redact: _NamedValueRedactor,
    *triggers: str,
) -> _Rule:
    def apply(text: str) -> tuple[str, int]:
        return _scrub_named_values(text, name_pattern, value_pattern, redact)

    return _Rule(name, apply, triggers)


def _redact_group(match: re.Match[str], group: str) -> tuple[str, int]:
    """Replace one named group of the match, keeping the text around it."""
    value = match.group(group)
    if not _has_value(value):
        return match.group(0), 0
    start = match.start(group) - match.start()
    end = match.end(group) - match.start()
    whole = match.group(0)
    return whole[:start] + REDACTED + whole[end:], 1


def _redact_whole(match: re.Match[str]) -> tuple[str, int]:
    return REDACTED, 1


_QUOTE_PAIRS = (('\\"', '\\"'), ('"', '"'), ("'", "'"), ("{", "}"))


def _quote_pair(value: str) -> tuple[str, str]:
    """Return the quotes or braces around ``value``, or two empty strings."""
    for opening, closing in _QUOTE_PAIRS:
        fits = len(value) >= len(opening) + len(closing)
        if fits and value.startswith(opening) and value.endswith(closing):
            return opening, closing
    return "", ""


def _replace_inside_quotes(value: str) -> str:
    """Return the value with its content replaced, keeping surrounding quotes or braces."""
    opening, closing = _quote_pair(value)
    return opening + REDACTED + closing


def _strip_quotes(value: str) -> str:
    opening, closing = _quote_pair(value)
    return value[len(opening) : len(value) - len(closing)]


# PEM private key blocks. A block cut off before its END line (a truncated log) is
# redacted up to the last run of base64 characters. The body may only contain what PEM
# bodies and their headers ("Proc-Type: 4,ENCRYPTED") contain and never "-----", so a
# BEGIN line without an END scans no further than the next BEGIN line.
_PEM_PRIVATE_KEY = re.compile(
    r"(?P<begin>-----BEGIN (?P<label>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----)"
    r"(?:"
    r"(?P<body>(?:[\w+/=:,.\s\\]|-(?!----)){0,20000}?)(?P<end>-----END (?P=label)-----)"
    r"|(?P<open_body>(?:(?:\s|\\[rn])*[A-Za-z0-9+/=]{16,})+)"
    r")"
)


def _handle_pem(match: re.Match[str]) -> tuple[str, int]:
    body = match.group("body")
    if body is None:
        body = match.group("open_body")
    if REDACTED in body:
        return match.group(0), 0
    return match.group("begin") + REDACTED + (match.group("end") or ""), 1


# A JWT: base64url header and payload, both JSON objects, and a signature that is empty
# for unsigned tokens.
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")

# Authorization headers, in header, JSON, Python repr and "name=value" form. The scheme
# stays visible because it shows the reader which kind of credential was sent.
_AUTHORIZATION = re.compile(
    r"(?<![\w-])(?P<prefix>(?:proxy-)?authorization\\?[\"']?\s*[:=]\s*\\?[\"']?\s*)"
    r"(?P<scheme>(?:Bearer|Basic|SharedKey(?:Lite)?|SharedAccessSignature|Digest|Negotiate"
    r"|NTLM|Token)\s+)?"
    r"(?P<value>[^\s\"'\\,]+)",
    re.IGNORECASE,
)


def _handle_authorization(match: re.Match[str]) -> tuple[str, int]:
    value = match.group("value")
    if match.group("scheme") is None and not _looks_like_secret_word(value):
        return match.group(0), 0
    return _redact_group(match, "value")


# A bearer token anywhere in text. Short words are left alone so that prose such as
# "Bearer token expired" survives.
_BEARER = re.compile(
    r"(?<![\w-])(?P<scheme>Bearer\s+)(?P<value>[A-Za-z0-9._~+/-]{16,}=*)",
    re.IGNORECASE,
)

# user:password@ in any URL. The user name stays because it helps support. A ";" ends
# the password so that "jdbc:sqlserver://host:1433;user=a@b" is not read as userinfo.
_URL_USERINFO = re.compile(
    r"(?P<prefix>\b[a-z][a-z0-9+.\-]*://[^/\s:@\"'<>;?#]+:)(?P<value>[^@\s/\"'<>;?#]+)(?=@)",
    re.IGNORECASE,
)

# U-SQL variables such as DECLARE @password string = "...", also with verbatim @"..." strings.
# The value is matched only after the name proved secret, so that an ordinary variable's
# value, which may itself hold a DECLARE line, is still scanned.
# A DECLARE line may follow an escaped line break ("\\n") in a repr or JSON string, and its
# value may be in escaped quotes there.
_USQL_DECLARE_NAME = re.compile(
    r"(?:\b|(?<=\\[nrt]))DECLARE\s+(?:EXTERNAL\s+)?@(?P<name>\w+)\s+(?:\w+\s*)?=\s*@?", re.IGNORECASE
)
_USQL_DECLARE_VALUE = re.compile(r"(?P<value>\\\"(?:(?!\\\")[^\r\n])*\\\"|\"(?:[^\"\\\r\n]|\\.|\"\")*\")")


def _redact_declared(name_match: re.Match[str], value_match: re.Match[str]) -> str | None:
    value = value_match.group("value")
    inner = _strip_quotes(value)
    if not _has_value(inner) or _is_reference_value(inner):
        return None
    return _replace_inside_quotes(value)


# A name before "=" or ":". Every candidate is checked with is_secret_name, and only
# then is the value after it matched, so a value after an ordinary name is still scanned
# for secrets of its own.
_NAME_BEFORE_EQUALS = re.compile(r"(?<![\w.%-])(?P<name>[\w.-]+)\s*=(?!=)\s*")
_NAME_BEFORE_COLON = re.compile(r"(?<![\w.-])(?P<quote>\\?[\"']?)(?P<name>[\w.-]+)(?P=quote)\s*:(?![:/])\s*")

# The value after "name=", as in connection strings, query strings, form bodies and
# code. It may be quoted ('' and "" escape a quote as in SQL Server connection strings)
# or in ODBC braces (}} escapes a brace). An unquoted value ends at whitespace, a quote,
# ";", or an "&" that starts the next "name=" pair.
_VALUE_AFTER_EQUALS = re.compile(
    r"(?P<value>"
    r"'(?:[^'\r\n]|'')*'(?!\w)"
    r"|\"(?:[^\"\\\r\n]|\"\"|\\.)*\"(?!\w)"
    r"|\\\"(?:(?!\\\")[^\r\n])*\\\""
    r"|\{(?:[^}\r\n]|\}\})*\}"
    r"|(?:[^\s;\"'&\\,<]|&(?![\w.%-]+=)|,(?!\s)|\\(?![\\\"'nrtu/]))+"
    r")"
    # A base64 key wrapped onto the next line, for example in a stack trace.
    r"(?P<wrapped>(?:\r?\n|\\r\\n|\\n)[ \t]*[A-Za-z0-9+/]+={0,2}(?![\w.-]))?"
)
# The value after "name:" in JSON (also JSON escaped inside another string), Python repr
# and YAML-like text.
_VALUE_AFTER_COLON = re.compile(
    r"(?P<value>"
    r"\\\"(?:(?!\\\")[^\r\n])*\\\""
    r"|\"(?:[^\"\\\r\n]|\\.)*\""
    r"|'(?:[^'\\\r\n]|\\.)*'"
    # An escaped quote ends an unquoted value too: it closes the JSON string around it.
    r"|(?:[^\s\"',;{}\[\]\\]|\\(?![\"']))+"
    r")"
)
_BASE64_UNPADDED = re.compile(r"[A-Za-z0-9+/]+")
_BASE64_KEY_MAX_LENGTH = 88  # Azure Storage and Cosmos DB account keys, 64 bytes.

# Redacts one value given the name match and the value match, or returns None to keep it.
_NamedValueRedactor = Callable[[re.Match[str], re.Match[str]], "str | None"]


def _scrub_named_values(
    text: str,
    name_pattern: re.Pattern[str],
    value_pattern: re.Pattern[str],
    redact: _NamedValueRedactor,
) -> tuple[str, int]:
    """Redact the values that follow secret-like names, found by ``name_pattern``."""
    pieces: list[str] = []
    position = 0
    count = 0
    for name_match in name_pattern.finditer(text):
        if name_match.start() < position:
            continue  # The name sits inside a value that was just redacted.
        if not is_secret_name(name_match.group("name")):
            continue
        value_match = value_pattern.match(text, name_match.end())
        if value_match is None:
            continue
        replacement = redact(name_match, value_match)
        if replacement is None:
            continue
        pieces.append(text[position : value_match.start()])
        pieces.append(replacement)
        position = value_match.end()
        count += 1
    if not pieces:
        return text, 0
    pieces.append(text[position:])
    return "".join(pieces), count


def _is_wrapped_base64(value: str, wrapped: str) -> bool:
    """Return whether ``wrapped`` continues a base64 key that was cut at a line end.

    A key that ends in "=" padding or is already full length is complete, so the next
    line is ordinary text (a stack frame, say) and must stay.
    """
    if not _BASE64_UNPADDED.fullmatch(value):
        return False
    continuation = wrapped.replace("\\r", "").replace("\\n", "").strip()
    return len(value) + len(continuation) <= _BASE64_KEY_MAX_LENGTH


def _redact_after_equals(name_match: re.Match[str], value_match: re.Match[str]) -> str | None:
    value = value_match.group("value")
    inner = _strip_quotes(value)
    if not _has_value(inner) or _is_reference_value(inner):
        return None
    wrapped = value_match.group("wrapped") or ""
    if wrapped and _is_wrapped_base64(value, wrapped):
        wrapped = ""
    return _replace_inside_quotes(value) + wrapped


def _redact_after_colon(name_match: re.Match[str], value_match: re.Match[str]) -> str | None:
    value = value_match.group("value")
    if value[0] not in "\"'\\":
        # An unquoted "key:" is too common in prose to count as a secret name.
        is_bare_key = _normalize_name(name_match.group("name")) == "key"
        if is_bare_key and not name_match.group("quote"):
            return None
        if not _looks_like_secret_word(value):
            return None
    inner = _strip_quotes(value)
    if not _has_value(inner) or _is_reference_value(inner):
        return None
    return _replace_inside_quotes(value)


# Raw name endings that can make a name secret-like. is_secret_name makes the decision.
_NAME_ENDING = (
    r"(?:password|passwd|pwd|passphrase|secret|token|key|sig|signature|credentials?"
    r"|connection[_-]?string|conn[_-]?str|sas[_-]?ur[il]|assertion|authorization|cookie)"
)

# <Password>...</Password> and similar XML elements.
_XML_ELEMENT = re.compile(
    r"(?P<prefix><(?P<name>[\w:.-]*?" + _NAME_ENDING + r")(?:\s[^<>]*)?>)"
    r"(?P<value>[^<]+)(?=</(?P=name)>)",
    re.IGNORECASE,
)


def _handle_xml_element(match: re.Match[str]) -> tuple[str, int]:
    if not is_secret_name(match.group("name")):
        return match.group(0), 0
    return _redact_group(match, "value")


_JSON_STRING = r"\"(?:[^\"\\\r\n]|\\.)*\""

# An ADF SecureString or ARM secureObject: {"type": "SecureString", "value": "..."}, in
# either member order. The value may hold anything, so its name does not matter.
_SECURE_STRING = re.compile(
    r"(?P<prefix>\"type\"\s*:\s*\"Secure(?:String|Object)\"\s*,\s*"
    r"\"(?:value|defaultValue)\"\s*:\s*)(?P<value>" + _JSON_STRING + r")"
    r"|(?P<prefix2>\"(?:value|defaultValue)\"\s*:\s*)(?P<value2>" + _JSON_STRING + r")"
    r"(?=\s*,\s*\"type\"\s*:\s*\"Secure(?:String|Object)\")",
    re.IGNORECASE,
)


def _handle_secure_string(match: re.Match[str]) -> tuple[str, int]:
    prefix = match.group("prefix") or match.group("prefix2")
    value = match.group("value") or match.group("value2")
    if not _has_value(value[1:-1]):
        return match.group(0), 0
    return prefix + '"' + REDACTED + '"', 1


# A Key Vault secret bundle as returned by "az keyvault secret show" or the REST API:
# the "value" member sits in the same object as an "id" that is a secret URI. The URI
# itself is a reference and stays.
_KEY_VAULT_ID_MEMBER = r"\"id\"\s*:\s*\"https://[\w-]+\.vault\.[a-z.]+/secrets/[^\"]*\""
# Members between "id" and a later "value" in the same object: anything but braces, or
# a nested object such as "tags": {...}. The bounds keep the scan linear in the text.
_MEMBERS_BETWEEN_ID_AND_VALUE = r"(?:[^{}]|\{[^{}]{0,1000}\}){0,4000}?"
# Members between "value" and a later "id", as the REST API orders them, with no nested
# object in between.
_MEMBERS_BETWEEN_VALUE_AND_ID = r"[^{}]{0,400}?"
_KEY_VAULT_SECRET_BUNDLE = re.compile(
    r"(?P<prefix>" + _KEY_VAULT_ID_MEMBER + _MEMBERS_BETWEEN_ID_AND_VALUE + r"\"value\"\s*:\s*)"
    r"(?P<value>" + _JSON_STRING + r")"
    r"|(?P<prefix2>\"value\"\s*:\s*)(?P<value2>" + _JSON_STRING + r")"
    r"(?=" + _MEMBERS_BETWEEN_VALUE_AND_ID + _KEY_VAULT_ID_MEMBER + r")",
    re.IGNORECASE,
)


# A SAS or redirect URL nested, percent-encoded, inside another URL's query string.
_ENCODED_SAS_SIGNATURE = re.compile(
    r"(?P<prefix>(?:%26|%3F)sig%3D)(?P<value>[A-Za-z0-9%._~+/-]+?)(?=%26|[&\s\"'<>;\\]|$)",
    re.IGNORECASE,
)

# Azure Functions keys and OAuth authorization codes travel as "?code=" or "&code=".
# "code=" elsewhere (exit codes, error codes) stays.
_URL_CODE_PARAMETER = re.compile(r"(?P<prefix>[?&]code=)(?P<value>[A-Za-z0-9%_~+/.-]{20,}={0,2})")

# Modern Microsoft Entra ID (Azure AD) client secrets: three characters, a digit, "Q~",
# then 31 to 34 more, as in the "azure-ad-client-secret" rule of gitleaks.
_ENTRA_CLIENT_SECRET = re.compile(r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~-])")

# GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_ and fine-grained github_pat_) and Slack
# tokens, which have fixed prefixes.
_PREFIXED_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,})(?![A-Za-z0-9_])"
)

# Bare base64 runs of 32 or more characters. _handle_base64 decides from the shape
# whether a run is a key or ordinary text such as a path.
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{32,}={0,2}(?![A-Za-z0-9+/=_-])")
_STORAGE_KEY = re.compile(r"[A-Za-z0-9+/]{86}==")
# 32 random bytes, the shape of Service Bus, Event Hubs and many other keys.
_KEY_32_BYTES = re.compile(r"[A-Za-z0-9+/]{43}=")
_MIN_CASE_SHARE = 0.15
# Shannon entropy in bits per character. In 20,000 random keys the 1st percentile was
# 4.23 at 32 characters and 4.57 at 44. Hex hashes cannot exceed 4 (16 symbols). Paths
# fail the check on the share of upper- and lowercase letters instead.
_MIN_ENTROPY_BITS = 4.2
# Camel-case names ("DailySalesLoadIntoCuratedZone2024") pass the checks above, but
# words, acronyms and numbers cover at least 0.9 of them, against a median of 0.66 for
# random base64.
# NOTE: With all checks together, a bare random key with no name in front of it was
# missed in about 2.6% of 20,000 samples at 32 characters, 0.4% at 44 and 0.07% at 64.
# Only the 44- and 88-character padded shapes (_KEY_32_BYTES, _STORAGE_KEY) are always
# caught.
_WORD_PIECE = re.compile(r"[A-Z]?[a-z]{2,}|[A-Z]{2,}(?![a-z])|[0-9]+")
_MAX_WORD_COVERAGE = 0.9


def _shannon_entropy(text: str) -> float:
    counts = Counter(text)
    length = len(text)
    return -sum(count / length * math.log2(count / length) for count in counts.values())


def _word_coverage(text: str) -> float:
    letters_and_digits = text.replace("/", "")
    covered = sum(len(piece) for piece in _WORD_PIECE.findall(letters_and_digits))
    return covered / len(letters_and_digits)


def _looks_like_random_base64(run: str) -> bool:
    if _STORAGE_KEY.fullmatch(run) or _KEY_32_BYTES.fullmatch(run):
        return True
    body = run.rstrip("=")
    upper = sum(character.isupper() for character in body)
    lower = sum(character.islower() for character in body)
    digits = sum(character.isdigit() for character in body)
    if digits == 0:
        return False
    if upper < _MIN_CASE_SHARE * len(body) or lower < _MIN_CASE_SHARE * len(body):
        return False
    if _shannon_entropy(body) < _MIN_ENTROPY_BITS:
        return False
    # A "+" or "=" padding never occurs in a name, so only runs without them can be one.
    is_name_like = "+" not in run and not run.endswith("=") and _word_coverage(body) >= _MAX_WORD_COVERAGE
    return not is_name_like


def _handle_base64(match: re.Match[str]) -> tuple[str, int]:
    if not _looks_like_random_base64(match.group(0)):
        return match.group(0), 0
    return REDACTED, 1


def _value_rule(name: str, pattern: re.Pattern[str], *triggers: str) -> _Rule:
    return _pattern_rule(name, pattern, lambda match: _redact_group(match, "value"), *triggers)


# Order matters. Structured shapes run before the bare-shape rules so the reader keeps
# the context ("AccountKey=[REDACTED]" rather than a lone marker), and a value that a
# rule already redacted is skipped by the rules after it.
_RULES: tuple[_Rule, ...] = (
    _pattern_rule("pem_private_key", _PEM_PRIVATE_KEY, _handle_pem, "private key"),
    _pattern_rule("jwt", _JWT, _redact_whole, "eyj"),
    _pattern_rule("authorization", _AUTHORIZATION, _handle_authorization, "authorization"),
    _value_rule("bearer", _BEARER, "bearer"),
    _value_rule("url_userinfo", _URL_USERINFO, "@"),
    _named_value_rule("usql_declare", _USQL_DECLARE_NAME, _USQL_DECLARE_VALUE, _redact_declared, "declare"),
    _pattern_rule("secure_string", _SECURE_STRING, _handle_secure_string, "secure"),
    _pattern_rule("key_vault_secret_bundle", _KEY_VAULT_SECRET_BUNDLE, _handle_secure_string, ".vault."),
    _named_value_rule("name_equals_value", _NAME_BEFORE_EQUALS, _VALUE_AFTER_EQUALS, _redact_after_equals, "="),
    _named_value_rule("name_colon_value", _NAME_BEFORE_COLON, _VALUE_AFTER_COLON, _redact_after_colon, ":"),
    _pattern_rule("xml_element", _XML_ELEMENT, _handle_xml_element, "</"),
    _value_rule("encoded_sas_signature", _ENCODED_SAS_SIGNATURE, "sig%3d"),
    _value_rule("url_code_parameter", _URL_CODE_PARAMETER, "code="),
    _pattern_rule("entra_client_secret", _ENTRA_CLIENT_SECRET, _redact_whole, "q~"),
    _pattern_rule("prefixed_token", _PREFIXED_TOKEN, _redact_whole, "gh", "xox"),
    _pattern_rule("base64_key", _BASE64_RUN, _handle_base64),
)

# NOTE: Known gaps. A secret name split across lines ("Pass" / "word=") is not found.
# An unquoted password with spaces loses only its first word. A value after an unquoted
# "key:" in prose stays. Of a U-SQL concatenation ("abc" + "def") only the first literal
# is redacted. A hand-picked password with no secret-like name or shape in front of it
# is not found.


def scrub_text_counted(text: str) -> tuple[str, int]:
    """Replace secret values in ``text`` with ``[REDACTED]`` and count the replacements."""
    total = 0
    lowered = text.lower()
    for rule in _RULES:
        if rule.triggers and not any(trigger in lowered for trigger in rule.triggers):
            continue
        text, count = rule.apply(text)
        if count:
            total += count
            lowered = text.lower()
    return text, total


def scrub_text(text: str) -> str:
    """Replace secret values in ``text`` with ``[REDACTED]``, keeping the names around them."""
    return scrub_text_counted(text)[0]


# ---------------------------------------------------------------------------
# JSON-like data
# ---------------------------------------------------------------------------

_SECURE_TYPES = frozenset({"securestring", "secureobject"})
_SECURE_VALUE_KEYS = frozenset({"value", "defaultvalue"})


def _is_reference_object(obj: dict[Any, Any]) -> bool:
    """Return whether an object points at a secret stored elsewhere.

    Examples are an ADF AzureKeyVaultSecret (``store`` and ``secretName``), a
    LinkedServiceReference or CredentialReference (``referenceName``), and an ARM
    parameter-file reference (``reference.keyVault``).
    """
    type_name = obj.get("type")
    if isinstance(type_name, str):
        lowered = type_name.lower()
        if lowered == "azurekeyvaultsecret" or lowered.endswith("reference"):
            return True
    return any(key in obj for key in ("secretName", "referenceName", "reference"))


class _DataScrubber:
    """Walk JSON-like data once, counting redactions."""

    def __init__(self) -> None:
        self.count = 0

    def redact_value(self, value: Any) -> Any:
        """Replace a whole value that is known to be secret."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and (not _has_value(value) or _is_reference_value(value)):
            return self.scrub(value, secret=False)
        self.count += 1
        return REDACTED

    def scrub(self, node: Any, secret: bool) -> Any:
        if isinstance(node, str):
            if secret:
                return self.redact_value(node)
            text, count = scrub_text_counted(node)
            self.count += count
            return text
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, (int, float)):
            return self.redact_value(node) if secret else node
        if isinstance(node, dict):
            return self.scrub_object(node, secret)
        if isinstance(node, list):
            return [self.scrub(item, secret) for item in node]
        if isinstance(node, tuple):
            return tuple(self.scrub(item, secret) for item in node)
        # NOTE: Other types (datetime, bytes, custom objects) pass through unchanged,
        # so a caller must serialize them to strings first if they can carry a secret.
        return node

    def scrub_object(self, obj: dict[Any, Any], secret: bool) -> dict[Any, Any]:
        if _is_reference_object(obj):
            secret = False
        type_name = obj.get("type")
        is_secure = isinstance(type_name, str) and type_name.lower() in _SECURE_TYPES
        is_key_entry = "keyName" in obj
        id_value = obj.get("id")
        is_key_vault_bundle = isinstance(id_value, str) and bool(_KEY_VAULT_SECRET_URI.fullmatch(id_value))
        # A storage listKeys entry and a Key Vault secret bundle keep the secret in "value".
        value_is_secret = is_key_entry or is_key_vault_bundle

        result: dict[Any, Any] = {}
        for key, value in obj.items():
            new_key = self.scrub(key, secret=False) if isinstance(key, str) else key
            normalized = _normalize_name(key) if isinstance(key, str) else ""
            is_secure_value = normalized in _SECURE_VALUE_KEYS and is_secure
            if is_secure_value or (normalized == "value" and value_is_secret):
                result[new_key] = self.redact_value(value)
            elif isinstance(key, str) and is_secret_name(key):
                result[new_key] = self.scrub(value, secret=True)
            elif secret and normalized in _DESCRIPTIVE_KEYS:
                result[new_key] = self.scrub(value, secret=False)
            else:
                result[new_key] = self.scrub(value, secret)
        return result


def scrub_data_counted(obj: Any) -> tuple[Any, int]:
    """Return a scrubbed copy of JSON-like data and the number of values redacted.

    Every string is scrubbed as text. The whole value of a secret-like key (see
    is_secret_name) is replaced, except null, booleans, empty strings and references
    (ADF parameter expressions, Key Vault secret URIs). Objects under such a key are
    walked with their strings and numbers replaced, except AzureKeyVaultSecret and other
    reference objects, which keep their names. The ``value`` of a SecureString or
    secureObject is always replaced. The input is not modified.
    """
    scrubber = _DataScrubber()
    result = scrubber.scrub(obj, secret=False)
    return result, scrubber.count


def scrub_data(obj: Any) -> Any:
    """Return a scrubbed copy of JSON-like data (dicts, lists, strings, numbers)."""
    return scrub_data_counted(obj)[0]


class Scrubber:
    """Scrub text and data while keeping a running count, e.g. for one report.

    Reports use ``count`` for the "N values were scrubbed" line. An instance is not
    thread-safe.
    """

    def __init__(self) -> None:
        self.count = 0

    def text(self, text: str) -> str:
        """Scrub ``text`` and add its redactions to ``count``."""
        scrubbed, redacted = scrub_text_counted(text)
        self.count += redacted
        return scrubbed

    def data(self, obj: Any) -> Any:
        """Scrub JSON-like data and add its redactions to ``count``."""
        scrubbed, redacted = scrub_data_counted(obj)
        self.count += redacted
        return scrubbed


# ---------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------

# Attributes every LogRecord has. Anything else came in through ``extra=`` and may be
# rendered by a formatter, so it is scrubbed too.
_STANDARD_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}

_exception_formatter = logging.Formatter()


class ScrubbingFilter(logging.Filter):
    """Logging filter that scrubs each record's final message, exception and extras.

    The message is formatted (``msg % args``) before scrubbing, so a secret passed as an
    argument is caught, and ``args`` is cleared. Exception text is formatted into
    ``exc_text`` and ``exc_info`` is cleared, because a formatter that re-formats
    ``exc_info`` itself would bring the unscrubbed text back. Records always pass.
    """

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._lock = threading.Lock()
        self.redacted_count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        redacted = 0

        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # The format string does not match its arguments. Keep both so the line is not lost.
            message = f"{record.msg!s} {record.args!r}"
        record.msg, count = scrub_text_counted(message)
        record.args = None
        redacted += count

        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = _exception_formatter.formatException(record.exc_info)
        record.exc_info = None
        if record.exc_text:
            record.exc_text, count = scrub_text_counted(record.exc_text)
            redacted += count
        if record.stack_info:
            record.stack_info, count = scrub_text_counted(record.stack_info)
            redacted += count

        for attribute, value in list(record.__dict__.items()):
            if attribute in _STANDARD_RECORD_ATTRIBUTES:
                continue
            if isinstance(value, (str, dict, list, tuple)):
                scrubbed, count = scrub_data_counted(value)
                setattr(record, attribute, scrubbed)
                redacted += count

        if redacted:
            with self._lock:
                self.redacted_count += redacted
        return True


def install_log_scrubbing(target: logging.Logger | logging.Handler) -> ScrubbingFilter:
    """Attach a ScrubbingFilter to a handler, or to a logger and its current handlers.

    A filter on a logger receives only records logged on that logger, not records that
    child loggers (``azure.core``, ``adlstrace.sources``) propagate to its handlers, so
    for a logger the filter also goes on every handler attached at call time. Handlers
    added later need their own call. Calling this twice on the same target adds no
    second filter. Returns the filter in use.
    """
    existing = next((item for item in target.filters if isinstance(item, ScrubbingFilter)), None)
    scrubbing_filter = existing or ScrubbingFilter()
    if existing is None:
        target.addFilter(scrubbing_filter)
    if isinstance(target, logging.Logger):
        for handler in target.handlers:
            if not any(isinstance(item, ScrubbingFilter) for item in handler.filters):
                handler.addFilter(scrubbing_filter)
    return scrubbing_filter
