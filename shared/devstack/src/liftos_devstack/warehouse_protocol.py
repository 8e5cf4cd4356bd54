"""ClickHouse HTTP interface details for the dev-only embedded warehouse server.

Pure functions and small stateful codecs, independent of aiohttp and chdb: splitting URL parameters into
transport options, engine settings and query parameters; finding where the data of an
``INSERT … FORMAT X`` starts; streaming decoders for ``Content-Encoding`` request bodies (several
concatenated LZ4/zstd frames included); response compression by ``Accept-Encoding``; and errors shaped
like the ones ClickHouse returns (body, exception-code header and HTTP status); and the access
rules of the dev server: requests from other web origins refused, a password when one is set, GET
only for reads, and nothing that reaches outside the store (files, URLs, processes, remote servers).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import threading
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

import lz4.frame  # type: ignore[import-untyped]
import zstandard

# --------------------------------------------------------------------------------------------- errors

# Codes the server raises itself, and the ones it maps to non-500 HTTP statuses (as ClickHouse's
# HTTPHandler does: parse/syntax errors → 400, unknown objects → 404, access → 403).
BAD_ARGUMENTS: Final = 36
NOT_IMPLEMENTED: Final = 48
UNKNOWN_FORMAT: Final = 73
READONLY: Final = 164
CANNOT_DECOMPRESS: Final = 271
SESSION_IS_LOCKED: Final = 373
ACCESS_DENIED: Final = 497
AUTHENTICATION_FAILED: Final = 516
UNKNOWN_EXCEPTION: Final = 1002

_ERROR_NAMES: Final[Mapping[int, str]] = {
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    UNKNOWN_FORMAT: "UNKNOWN_FORMAT",
    READONLY: "READONLY",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
    SESSION_IS_LOCKED: "SESSION_IS_LOCKED",
    ACCESS_DENIED: "ACCESS_DENIED",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    UNKNOWN_EXCEPTION: "UNKNOWN_EXCEPTION",
}

_BAD_REQUEST_CODES: Final = frozenset(
    {
        6,  # CANNOT_PARSE_TEXT
        25,  # CANNOT_PARSE_ESCAPE_SEQUENCE
        26,  # CANNOT_PARSE_QUOTED_STRING
        27,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
        38,  # CANNOT_PARSE_DATE
        41,  # CANNOT_PARSE_DATETIME
        53,  # TYPE_MISMATCH
        62,  # SYNTAX_ERROR
        72,  # CANNOT_PARSE_NUMBER
        117,  # INCORRECT_DATA
        167,  # TOO_DEEP_AST
        168,  # TOO_BIG_AST
        223,  # UNEXPECTED_AST_STRUCTURE
        376,  # CANNOT_PARSE_UUID
        467,  # CANNOT_PARSE_BOOL
    }
)
_NOT_FOUND_CODES: Final = frozenset(
    {
        46,  # UNKNOWN_FUNCTION
        47,  # UNKNOWN_IDENTIFIER
        50,  # UNKNOWN_TYPE
        56,  # UNKNOWN_STORAGE
        60,  # UNKNOWN_TABLE
        63,  # UNKNOWN_AGGREGATE_FUNCTION
        73,  # UNKNOWN_FORMAT
        78,  # UNKNOWN_TYPE_OF_QUERY
        81,  # UNKNOWN_DATABASE
        115,  # UNKNOWN_SETTING
        336,  # UNKNOWN_DATABASE_ENGINE
    }
)
_FORBIDDEN_CODES: Final = frozenset({164, 497})  # READONLY, ACCESS_DENIED

_CHDB_ERROR_RE: Final = re.compile(r"Code:\s*(\d+)\.")


class WarehouseError(Exception):
    """A ClickHouse-style error: numeric code plus the ``DB::Exception`` message text."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @classmethod
    def from_engine(cls, exc: BaseException) -> WarehouseError:
        """Wrap an error raised by chdb, whose text already reads ``Code: N. DB::Exception: … (NAME)``."""
        text = str(exc).strip()
        idx = text.find("Code: ")
        if idx > 0:
            text = text[idx:]
        match = _CHDB_ERROR_RE.match(text)
        if match is None:
            return cls(UNKNOWN_EXCEPTION, f"{type(exc).__name__}: {text}")
        return cls(int(match.group(1)), text)

    @property
    def http_status(self) -> int:
        return http_status_for(self.code)

    def body(self, version: str) -> str:
        """The response body ClickHouse would send for this error."""
        if self.message.startswith("Code: "):
            text = self.message
        else:
            name = _ERROR_NAMES.get(self.code, "UNKNOWN_EXCEPTION")
            text = f"Code: {self.code}. DB::Exception: {self.message}. ({name})"
        return f"{text} (version {version})\n"


def http_status_for(code: int) -> int:
    if code in _BAD_REQUEST_CODES:
        return 400
    if code in _NOT_FOUND_CODES:
        return 404
    if code in _FORBIDDEN_CODES:
        return 403
    if code == AUTHENTICATION_FAILED:
        return 401
    if code == NOT_IMPLEMENTED:
        return 501
    if code == 159:  # TIMEOUT_EXCEEDED
        return 408
    return 500


# ----------------------------------------------------------------------------------- URL parameters

# Parameters the HTTP interface itself interprets; they are never sent to the engine as settings.
TRANSPORT_PARAMS: Final = frozenset(
    {
        "query",
        "database",
        "default_format",
        "session_id",
        "session_timeout",
        "session_check",
        "query_id",
        "compress",
        "decompress",
        "buffer_size",
        "wait_end_of_query",
        "user",
        "password",
        "quota_key",
        "role",
        "client_protocol_version",
        "enable_http_compression",
        "http_zlib_compression_level",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "cancel_http_readonly_queries_on_client_close",
        "http_wait_end_of_query",
        "http_response_buffer_size",
        "http_native_compression_disable_checksumming_on_decompress",
    }
)


@dataclass(frozen=True)
class RequestParams:
    """URL (and form) parameters split by who handles them."""

    transport: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    query_params: dict[str, str] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        return self.transport.get(name, "0").strip().lower() in {"1", "true", "yes", "on"}


def split_params(params: Mapping[str, str]) -> RequestParams:
    """Split request parameters into transport options, engine settings and ``param_<name>`` values."""
    out = RequestParams()
    for key, value in params.items():
        if key.startswith("param_") and len(key) > len("param_"):
            out.query_params[key[len("param_") :]] = value
        elif key in TRANSPORT_PARAMS:
            out.transport[key] = value
        else:
            out.settings[key] = value
    return out


_SETTING_NAME_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def set_statement(name: str, value: str) -> str:
    """A ``SET name = 'value'`` statement (ClickHouse converts the string literal to the setting's type)."""
    if not _SETTING_NAME_RE.match(name):
        raise WarehouseError(BAD_ARGUMENTS, f"Invalid setting name {name!r}")
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"SET {name} = '{escaped}'"


# -------------------------------------------------------------------------------- statement parsing


@dataclass(frozen=True)
class Statement:
    """One query as received: the SQL text and, for ``INSERT … FORMAT X``, where its data starts."""

    sql: str
    is_insert: bool
    output_format: str | None  # FORMAT clause of a non-INSERT statement
    insert_format: str | None  # FORMAT of INSERT data, when the data follows the statement
    data_offset: int | None  # byte offset of the INSERT data inside the scanned buffer
    insert_sql: str | None = None  # the INSERT without its FORMAT clause (what chdb's send_insert takes)


_WORD_RE: Final = re.compile(rb"[A-Za-z_][A-Za-z0-9_$]*")
_SPACE: Final = b" \t\n\r\f\v"


def _skip_quoted(buf: bytes, pos: int) -> int:
    quote = buf[pos]
    pos += 1
    n = len(buf)
    while pos < n:
        ch = buf[pos]
        if ch == 0x5C:  # backslash escape
            pos += 2
            continue
        if ch == quote:
            if pos + 1 < n and buf[pos + 1] == quote:  # doubled quote
                pos += 2
                continue
            return pos + 1
        pos += 1
    return n


def _tokens(buf: bytes) -> list[tuple[bytes, int, int, int]]:
    """Bare words at any depth as (UPPER word, start, end, paren depth); quotes and comments skipped.

    Scanning stops right after the word following a top-level ``FORMAT``, so binary INSERT data is
    never looked at.
    """
    out: list[tuple[bytes, int, int, int]] = []
    pos, depth, n = 0, 0, len(buf)
    after_format = False
    while pos < n:
        ch = buf[pos]
        if ch in _SPACE:
            pos += 1
        elif ch in b"'\"`":
            pos = _skip_quoted(buf, pos)
        elif buf.startswith(b"--", pos) or ch == 0x23:  # -- or # line comment
            end = buf.find(b"\n", pos)
            pos = n if end < 0 else end + 1
        elif buf.startswith(b"/*", pos):
            end = buf.find(b"*/", pos + 2)
            pos = n if end < 0 else end + 2
        elif ch == 0x28:
            depth += 1
            pos += 1
        elif ch == 0x29:
            depth = max(0, depth - 1)
            pos += 1
        else:
            match = _WORD_RE.match(buf, pos)
            if match is None:
                pos += 1
                continue
            word = match.group().upper()
            out.append((word, match.start(), match.end(), depth))
            pos = match.end()
            if after_format:
                break
            after_format = word == b"FORMAT" and depth == 0 and out[0][0] == b"INSERT"
    return out


def data_start(buf: bytes, pos: int) -> int:
    """Where INSERT data begins after the format name (ClickHouse's ParserInsertQuery rule).

    Data starts after the first newline if there is one after spaces/tabs, otherwise right there.
    """
    n = len(buf)
    while pos < n and buf[pos] in b" \t\f":
        pos += 1
    if pos < n and buf[pos] == 0x0D:
        pos += 1
    if pos < n and buf[pos] == 0x0A:
        pos += 1
    return pos


def parse_statement(buf: bytes) -> Statement:
    """Classify the query text at the start of ``buf`` (which may continue with INSERT data)."""
    tokens = _tokens(buf)
    if not tokens:
        return Statement(buf.decode("utf-8", "replace"), False, None, None, None)
    first = tokens[0][0]
    top = [t for t in tokens if t[3] == 0]
    if first == b"INSERT":
        for i, (word, _start, _end, _depth) in enumerate(top):
            if word in (b"VALUES", b"SELECT", b"WITH"):
                break
            if word == b"FORMAT" and i + 1 < len(top):
                fmt_word = top[i + 1]
                name = buf[fmt_word[1] : fmt_word[2]].decode()
                offset = data_start(buf, fmt_word[2])
                sql = buf[: fmt_word[2]].decode("utf-8")
                insert_sql = buf[: top[i][1]].decode("utf-8").rstrip()
                return Statement(sql, True, None, name, offset, insert_sql)
        return Statement(buf.decode("utf-8"), True, None, None, None)
    output_format = None
    for i, (word, _start, _end, _depth) in enumerate(top):
        if word == b"FORMAT" and i + 1 < len(top):
            output_format = buf[top[i + 1][1] : top[i + 1][2]].decode()
    return Statement(buf.decode("utf-8"), False, output_format, None, None)


def is_session_state_statement(sql: str) -> bool:
    """Statements whose effect outlives the query on a chdb connection (SET, USE, temporary tables)."""
    head = sql.lstrip().upper()
    return head.startswith(("SET ", "SET\n", "USE ", "USE\n")) or bool(
        re.match(r"CREATE\s+(OR\s+REPLACE\s+)?TEMPORARY\b", head)
    )


# ------------------------------------------------------------------------------------ access rules

#: Table functions that only compute or read this store's own tables. Every other one the engine
#: offers (``file``, ``url``, ``s3``, ``remote``, ``executable``, ``python``, … and any a newer engine
#: adds) is refused by the dev warehouse: they read local files, the network or processes.
SAFE_TABLE_FUNCTIONS: Final = frozenset(
    {
        "dictionary",
        "format",
        "fuzzjson",
        "fuzzquery",
        "generaterandom",
        "generateseries",
        "generate_series",
        "input",
        "loop",
        "merge",
        "null",
        "numbers",
        "numbers_mt",
        "primes",
        "values",
        "view",
        "viewexplain",
        "viewifpermitted",
        "zeros",
        "zeros_mt",
    }
)
#: Calls that reach outside the store besides table functions: the ``file`` function, dictionary
#: sources, dynamic disks (lower-case).
_OUTSIDE_CALLS: Final = frozenset(
    {
        "file",
        "http",
        "executable",
        "executable_pool",
        "disk",
        "clickhouse",
        "yamlregexptree",
        "mysql",
        "postgresql",
        "mongodb",
        "redis",
        "cassandra",
        "odbc",
        "jdbc",
    }
)
_OUTSIDE_KEYWORDS: Final = frozenset({"INFILE", "OUTFILE"})
_OUTSIDE_STATEMENTS: Final = frozenset({"ATTACH", "BACKUP", "RESTORE"})
#: Settings whose value names a local file (format schemas and templates), as prefixes.
_FILE_SETTINGS: Final = (
    "format_schema",
    "format_template_resultset",
    "format_template_row",
    "output_format_schema",
)
#: Statements a GET may run (ClickHouse: "method GET implies readonly").
_READ_STATEMENTS: Final = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN"})
_IDENT_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_ESCAPE_RE: Final = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)", re.DOTALL)
_SIMPLE_ESCAPES: Final = {"\\": "\\", "`": "`", '"': '"', "'": "'", "n": "\n", "t": "\t", "0": "\0"}


def _unescape(text: str) -> str:
    """A quoted identifier's name as ClickHouse reads it (``\\x66ile`` is ``file``)."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("x") and len(code) == 3:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, "\\" + code)

    return _ESCAPE_RE.sub(one, text)


def _skip_space_and_comments(sql: str, pos: int) -> int:
    n = len(sql)
    while pos < n:
        if sql[pos].isspace():
            pos += 1
        elif sql.startswith("--", pos) or sql[pos] == "#":
            end = sql.find("\n", pos)
            pos = n if end < 0 else end + 1
        elif sql.startswith("/*", pos):
            end = sql.find("*/", pos + 2)
            pos = n if end < 0 else end + 2
        else:
            break
    return pos


def _end_of_quoted(sql: str, pos: int) -> int:
    """Index after the quoted literal or identifier starting at ``pos`` (backslash and doubled quotes)."""
    quote, pos, n = sql[pos], pos + 1, len(sql)
    while pos < n:
        if sql[pos] == "\\" or sql.startswith(quote * 2, pos):  # an escape or a doubled quote
            pos += 2
        elif sql[pos] == quote:
            return pos + 1
        else:
            pos += 1
    return n


def identifiers(sql: str) -> list[tuple[str, bool]]:
    """Every bare or quoted identifier of ``sql`` (string literals and comments skipped), with whether
    it is called (followed by ``(``)."""
    out: list[tuple[str, bool]] = []
    pos = _skip_space_and_comments(sql, 0)
    while pos < len(sql):
        char = sql[pos]
        if char == "'":
            pos = _end_of_quoted(sql, pos)
        elif char in '`"':
            end = _end_of_quoted(sql, pos)
            word, pos = _unescape(sql[pos + 1 : end - 1]), end
            following = _skip_space_and_comments(sql, pos)
            out.append((word, sql.startswith("(", following)))
        elif (match := _IDENT_RE.match(sql, pos)) is not None:
            pos = match.end()
            following = _skip_space_and_comments(sql, pos)
            out.append((match.group(), sql.startswith("(", following)))
        else:
            pos += 1
        pos = _skip_space_and_comments(sql, pos)
    return out


def outside_access(sql: str, table_functions: Collection[str], settings: Collection[str] = ()) -> str | None:
    """What in a statement (or its URL ``settings``) would reach outside the store, or None.

    Args:
        sql: The statement (without INSERT data).
        table_functions: Every table function the engine offers; all but :data:`SAFE_TABLE_FUNCTIONS`
            are refused.
        settings: Names of the settings sent with the request.
    """
    refused = {name.lower() for name in table_functions} - SAFE_TABLE_FUNCTIONS | _OUTSIDE_CALLS
    words = identifiers(sql)
    if words and words[0][0].upper() in _OUTSIDE_STATEMENTS:
        return f"{words[0][0].upper()} statements"
    for name in settings:
        if name.lower().startswith(_FILE_SETTINGS):
            return f"the setting {name}"
    for word, called in words:
        if called and word.lower() in refused:
            return f"{word}()"
        if word.upper() in _OUTSIDE_KEYWORDS:
            return word.upper()
        if word.lower().startswith(_FILE_SETTINGS):
            return f"the setting {word}"
    return None


def is_read_statement(sql: str) -> bool:
    """Whether ``sql`` only reads (what a GET request may run)."""
    words = identifiers(sql)
    return bool(words) and words[0][0].upper() in _READ_STATEMENTS


@dataclass(frozen=True)
class AccessPolicy:
    """Who may use the dev warehouse.

    Attributes:
        hosts: Host names a request's ``Host`` header may carry (lower-case, without port); any other
            name (a DNS-rebinding page) is refused.
        username: The user a password is checked for.
        password: Required when not empty (HTTP Basic, ``X-ClickHouse-User``/``X-ClickHouse-Key``
            headers, or ``user``/``password`` URL parameters).
    """

    hosts: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"})
    username: str = "default"
    password: str = field(default="", repr=False)

    def refusal(self, headers: Mapping[str, str]) -> str | None:
        """Why a request's headers show it comes from a web page of another origin, or None.

        Browsers send ``Origin`` on cross-origin requests and ``Sec-Fetch-Site`` on all requests;
        clients such as clickhouse-connect send neither.
        """
        host = headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name.strip("[]").lower() not in self.hosts:
            return f"Host {host[:100]!r} is not one this dev warehouse serves"
        origin = headers.get("Origin")
        if origin is not None and origin.rstrip("/").lower() not in (
            f"http://{host}".lower(),
            f"https://{host}".lower(),
        ):
            return f"cross-origin request from {origin[:100]!r} refused"
        site = headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            return f"{site} request refused (Sec-Fetch-Site)"
        return None

    def authenticated(self, headers: Mapping[str, str], params: Mapping[str, str]) -> bool:
        """Whether the request carries this policy's credentials (always True without a password)."""
        if not self.password:
            return True
        user, password = params.get("user"), params.get("password")
        if "X-ClickHouse-User" in headers or "X-ClickHouse-Key" in headers:
            user, password = headers.get("X-ClickHouse-User", "default"), headers.get("X-ClickHouse-Key", "")
        scheme, _, encoded = headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
        return hmac.compare_digest(
            (user or "default").encode(), self.username.encode()
        ) & hmac.compare_digest((password or "").encode(), self.password.encode())


# ----------------------------------------------------------------------------- body decompression


class BodyDecoder(Protocol):
    def feed(self, data: bytes) -> bytes: ...

    def finish(self) -> bytes: ...


class _Identity:
    def feed(self, data: bytes) -> bytes:
        return data

    def finish(self) -> bytes:
        return b""


class _Lz4Frames:
    """Decodes one or more concatenated LZ4 frames (clickhouse-connect sends one frame per block)."""

    def __init__(self) -> None:
        self._dec = lz4.frame.LZ4FrameDecompressor()
        self._pending = False

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            self._pending = True
            out.append(self._dec.decompress(data))
            if self._dec.eof:
                data = self._dec.unused_data or b""
                self._dec = lz4.frame.LZ4FrameDecompressor()
                self._pending = False
            else:
                data = b""
        return b"".join(out)

    def finish(self) -> bytes:
        if self._pending:
            raise WarehouseError(CANNOT_DECOMPRESS, "Truncated LZ4 frame in request body")
        return b""


class _ZstdFrames:
    def __init__(self) -> None:
        self._dctx = zstandard.ZstdDecompressor()
        self._dec = self._dctx.decompressobj()
        self._pending = False

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            self._pending = True
            out.append(self._dec.decompress(data))
            if self._dec.eof:
                data = self._dec.unused_data
                self._dec = self._dctx.decompressobj()
                self._pending = False
            else:
                data = b""
        return b"".join(out)

    def finish(self) -> bytes:
        if self._pending:
            raise WarehouseError(CANNOT_DECOMPRESS, "Truncated zstd frame in request body")
        return b""


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._dec = zlib.decompressobj(wbits=wbits)

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            out.append(self._dec.decompress(data))
            if self._dec.eof:  # concatenated gzip members
                data = self._dec.unused_data
                self._dec = zlib.decompressobj(wbits=47)
            else:
                data = b""
        return b"".join(out)

    def finish(self) -> bytes:
        return self._dec.flush()


def body_decoder(content_encoding: str | None) -> BodyDecoder:
    """A streaming decoder for the request's ``Content-Encoding``."""
    enc = (content_encoding or "").strip().lower()
    if enc in ("", "identity", "none"):
        return _Identity()
    if enc == "lz4":
        return _Lz4Frames()
    if enc == "zstd":
        return _ZstdFrames()
    if enc in ("gzip", "x-gzip"):
        return _Zlib(wbits=47)  # 32 + 15: gzip or zlib header, auto-detected
    if enc == "deflate":
        return _Zlib(wbits=15)
    raise WarehouseError(
        BAD_ARGUMENTS,
        f"Unknown HTTP compression method: {enc} (the dev warehouse supports lz4, zstd, gzip, deflate)",
    )


def decode_errors() -> tuple[type[BaseException], ...]:
    """Exceptions the decoders raise on corrupt input."""
    return (RuntimeError, zstandard.ZstdError, zlib.error)


# ---------------------------------------------------------------------------- response compression

# Preference when the client accepts several. ClickHouse itself prefers zstd; lz4 comes first here
# because on loopback it is the cheapest for both sides (br is not available).
_RESPONSE_ENCODINGS: Final = ("lz4", "zstd", "gzip", "deflate")
_zstd_local = threading.local()


def choose_response_encoding(accept_encoding: str | None) -> str | None:
    if not accept_encoding:
        return None
    offered = {part.split(";")[0].strip().lower() for part in accept_encoding.split(",")}
    for enc in _RESPONSE_ENCODINGS:
        if enc in offered:
            return enc
    return None


def compress_body(data: bytes, encoding: str, level: int = 3) -> bytes:
    if encoding == "zstd":
        cctx = getattr(_zstd_local, "cctx", None)
        if cctx is None:  # contexts are costly to create and not thread-safe: one per worker thread
            cctx = _zstd_local.cctx = zstandard.ZstdCompressor(level=1)
        return bytes(cctx.compress(data))
    if encoding == "lz4":
        return bytes(lz4.frame.compress(data))
    if encoding == "gzip":
        comp = zlib.compressobj(level=level, wbits=31)
        return comp.compress(data) + comp.flush()
    if encoding == "deflate":
        return zlib.compress(data, level)
    raise ValueError(encoding)


# ------------------------------------------------------------------------------------ content types

_CONTENT_TYPES: Final[Mapping[str, str]] = {
    "tabseparated": "text/tab-separated-values; charset=UTF-8",
    "tsv": "text/tab-separated-values; charset=UTF-8",
    "tabseparatedwithnames": "text/tab-separated-values; charset=UTF-8",
    "tabseparatedwithnamesandtypes": "text/tab-separated-values; charset=UTF-8",
    "csv": "text/csv; charset=UTF-8; header=absent",
    "csvwithnames": "text/csv; charset=UTF-8; header=present",
    "json": "application/json; charset=UTF-8",
    "jsoncompact": "application/json; charset=UTF-8",
    "jsoneachrow": "application/x-ndjson; charset=UTF-8",
    "jsoncompacteachrow": "application/x-ndjson; charset=UTF-8",
}


def content_type_for(fmt: str) -> str:
    return _CONTENT_TYPES.get(fmt.lower(), "application/octet-stream")
