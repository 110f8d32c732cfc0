"""record_json() for Python's sqlite3, read with libzstd through ctypes.

trailreplay stores a matching event's raw record as a zstd frame compressed against a
dictionary kept in the database (src/store/record_codec.h, schema/009_record_dictionaries.sql),
and its views read it with record_json(). Tests querying a database with Python register this
one: written from zstd's documented API alone, so it also checks that what trailreplay stores
is plain zstd that any reader can decode with the stored dictionaries. (Python builds without
loadable-extension support, such as pyenv's default, cannot load build/trailreplay.so.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sqlite3

_ZSTD = None
_CONTENTSIZE_ERROR = 2**64 - 2
_CONTENTSIZE_UNKNOWN = 2**64 - 1


def _zstd():
    global _ZSTD
    if _ZSTD is None:
        lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
        lib.ZSTD_getFrameContentSize.restype = ctypes.c_ulonglong
        lib.ZSTD_getFrameContentSize.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        lib.ZSTD_getDictID_fromFrame.restype = ctypes.c_uint
        lib.ZSTD_getDictID_fromFrame.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        lib.ZSTD_createDCtx.restype = ctypes.c_void_p
        lib.ZSTD_decompress_usingDict.restype = ctypes.c_size_t
        lib.ZSTD_decompress_usingDict.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
            ctypes.c_char_p, ctypes.c_size_t]
        lib.ZSTD_isError.restype = ctypes.c_uint
        lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
        _ZSTD = lib
    return _ZSTD


def decompress(frame: bytes, dictionaries: dict[int, bytes]) -> str:
    """The record's text; raises ValueError for what is not a frame these dictionaries read."""
    lib = _zstd()
    size = lib.ZSTD_getFrameContentSize(frame, len(frame))
    if size in (_CONTENTSIZE_ERROR, _CONTENTSIZE_UNKNOWN):
        raise ValueError("not a zstd frame with its content size")
    dict_id = lib.ZSTD_getDictID_fromFrame(frame, len(frame))
    dictionary = dictionaries.get(dict_id, b"") if dict_id else b""
    if dict_id and not dictionary:
        raise ValueError(f"dictionary {dict_id} is not in the database")
    out = ctypes.create_string_buffer(size)
    dctx = lib.ZSTD_createDCtx()
    try:
        made = lib.ZSTD_decompress_usingDict(ctypes.c_void_p(dctx), out, size, frame, len(frame),
                                             dictionary, len(dictionary))
    finally:
        lib.ZSTD_freeDCtx(ctypes.c_void_p(dctx))
    if lib.ZSTD_isError(made) or made != size:
        raise ValueError("a damaged frame")
    return out.raw.decode("utf-8")


def register(connection: sqlite3.Connection) -> None:
    """Gives `connection` record_json(), with the dictionaries its database holds now."""
    dictionaries: dict[int, bytes] = {}
    has_table = connection.execute(
        "SELECT count(*) FROM sqlite_schema WHERE name = 'record_dictionaries'").fetchone()[0]
    if has_table:
        for dict_id, blob in connection.execute(
                "SELECT dictionary_id, dictionary FROM record_dictionaries"):
            dictionaries[dict_id] = bytes(blob)

    def record_json(raw):
        if raw is None or isinstance(raw, str):
            return raw
        if isinstance(raw, bytes):
            return decompress(raw, dictionaries)
        raise ValueError("record_json(): not a stored record")

    connection.create_function("record_json", 1, record_json, deterministic=True)
