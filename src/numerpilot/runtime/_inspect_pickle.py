"""Look inside any pickle WITHOUT loading it: which globals it imports and whether, and for
which Python, it carries bytecode.

A cloudpickled function stores its code object as a call of ``CodeType(*args)``; the layout of
``args`` and the opcodes in ``co_code`` belong to the Python that built it, and another minor
version crashes or misbehaves on them. Reading the opcodes symbolically (a small pickle stack
machine over ``pickletools.genops``; nothing is imported or called) finds those calls, so a
foreign pickle is reported with the version it needs instead of crashing the runner.
"""

from __future__ import annotations

import pickletools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numerpilot.errors import DataError

PythonVersion = tuple[int, int]

# Opcodes (first byte of each 2-byte unit of co_code) that exist in only one of 3.11 / 3.12.
# From each interpreter's ``opcode.opname``; CACHE units are (0, 0) and never match.
_ONLY_311 = frozenset({10, 70, 82, 84, 86, 88, 111, 112, 148, 160, 166})
_ONLY_312 = frozenset({3, 4, 5, 26, 27, 55, 121, 127, 141, 143, 150})
# Instructions that may precede RESUME at the start of a code object, and RESUME itself:
# (MAKE_CELL, COPY_FREE_VARS, RETURN_GENERATOR, POP_TOP) per layout.
_PREFIX_311_312, _RESUME_311_312 = frozenset({135, 149, 75, 1}), 151
_PREFIX_313, _RESUME_313 = frozenset({94, 62, 35, 32}), 149
# CALL in both; 3.11 always puts PRECALL before it, so CALL alone means 3.12.
_CALL_311_312, _PRECALL_311 = 171, 166
# Globals that construct code objects or decode bytecode.
_CODE_BUILDERS = {("types", "CodeType"), ("dill._dill", "_create_code")}
_BUILTIN_TYPE = "_builtin_type"  # cloudpickle's way to reach types.CodeType
_MARSHAL = {("marshal", "loads"), ("_marshal", "loads")}


@dataclass(frozen=True)
class Global:
    module: str
    name: str

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class _Call:
    func: Any
    args: Any


class _Opaque:
    """A value the scan does not model (persistent ids, extension codes, buffers)."""


_MARK = object()


@dataclass(frozen=True)
class CodeFound:
    """One code object inside the pickle and the Python versions its layout fits."""

    n_args: int
    candidates: tuple[PythonVersion, ...]


@dataclass(frozen=True)
class PickleScan:
    protocol: int
    globals: tuple[str, ...]
    code_objects: tuple[CodeFound, ...] = ()
    marshal: bool = False
    python: PythonVersion | None = None  # the single version the bytecode fits, if one
    candidates: tuple[PythonVersion, ...] = field(default=())

    @property
    def has_bytecode(self) -> bool:
        return bool(self.code_objects) or self.marshal

    def describe(self) -> str:
        if not self.has_bytecode:
            return "no bytecode (loads on any Python version)"
        if not self.candidates:
            return "bytecode of an unknown Python version"
        names = " or ".join(f"{a}.{b}" for a, b in self.candidates)
        older = " (or older)" if self.candidates == ((3, 10),) else ""
        return f"bytecode of Python {names}{older}"


def _classify(n_args: int, code: bytes | None) -> tuple[PythonVersion, ...]:
    """The Python versions whose ``CodeType`` layout and opcodes fit this code object."""
    if n_args == 16:  # 3.8-3.10: no co_qualname, no co_exceptiontable
        return ((3, 10),)
    if n_args != 18 or code is None or len(code) < 2:
        return ()
    units = [(code[i], code[i + 1]) for i in range(0, len(code) - 1, 2)]

    def starts_with(prefix: frozenset[int], resume: int) -> bool:
        for op, arg in units[:8]:
            if op == resume and arg == 0:
                return True
            if op not in prefix:
                return False
        return False

    if starts_with(_PREFIX_313, _RESUME_313):
        return ((3, 13),)
    if not starts_with(_PREFIX_311_312, _RESUME_311_312):
        return ()
    ops = {op for op, _ in units}
    if ops & _ONLY_311 and not ops & _ONLY_312:
        return ((3, 11),)
    if ops & _ONLY_312 and not ops & _ONLY_311:
        return ((3, 12),)
    if _CALL_311_312 in ops and _PRECALL_311 not in ops:
        return ((3, 12),)
    return ((3, 11), (3, 12))


def _code_args(call: _Call) -> tuple[int, bytes | None] | None:
    """If ``call`` builds a code object, the number of constructor args and ``co_code``."""
    func, args = call.func, call.args
    builds_code = (isinstance(func, Global) and (func.module, func.name) in _CODE_BUILDERS) or (
        isinstance(func, _Call)
        and isinstance(func.func, Global)
        and func.func.name == _BUILTIN_TYPE
        and func.args == ("CodeType",)
    )
    if not builds_code or not isinstance(args, tuple):
        return None
    code = next((a for a in args if isinstance(a, bytes)), None)
    return len(args), code


class _Machine:
    """Replays pickle opcodes on symbolic values: constants stay values, globals and calls
    become ``Global`` / ``_Call`` records. Nothing is imported or executed."""

    def __init__(self) -> None:
        self.stack: list[Any] = []
        self.memo: dict[int, Any] = {}
        self.globals: list[Global] = []
        self.calls: list[_Call] = []
        self.protocol = 0

    def _pop_mark(self) -> list[Any]:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] is _MARK:
                items = self.stack[i + 1 :]
                del self.stack[i:]
                return items
        raise ValueError("MARK missing")

    def _global(self, module: str, name: str) -> Global:
        g = Global(module, name)
        self.globals.append(g)
        return g

    def _call(self, func: Any, args: Any) -> _Call:
        c = _Call(func, tuple(args) if isinstance(args, list) else args)
        self.calls.append(c)
        return c

    def run(self, data: bytes) -> None:
        for op, arg, _pos in pickletools.genops(data):
            self.step(op.name, arg)

    def step(self, name: str, arg: Any) -> None:
        s = self.stack
        if name == "PROTO":
            self.protocol = int(arg)
        elif name in ("FRAME", "STOP"):
            pass
        elif name == "MARK":
            s.append(_MARK)
        elif name == "POP":
            s.pop()
        elif name == "POP_MARK":
            self._pop_mark()
        elif name == "DUP":
            s.append(s[-1])
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = s[-1]
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[int(arg)] = s[-1]
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            s.append(self.memo.get(int(arg), _Opaque()))
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            g = self._global(module, attr)
            if name == "INST":
                s.append(self._call(g, tuple(self._pop_mark())))
            else:
                s.append(g)
        elif name == "STACK_GLOBAL":
            attr, module = s.pop(), s.pop()
            s.append(self._global(str(module), str(attr)))
        elif name == "REDUCE" or name == "NEWOBJ":
            args = s.pop()
            s.append(self._call(s.pop(), args))
        elif name == "NEWOBJ_EX":
            _kwargs, args = s.pop(), s.pop()
            s.append(self._call(s.pop(), args))
        elif name == "OBJ":
            items = self._pop_mark()
            s.append(self._call(items[0], tuple(items[1:])) if items else _Opaque())
        elif name == "BUILD":
            s.pop()  # state applied to the object below: irrelevant here
        elif name in ("EMPTY_TUPLE",):
            s.append(())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = s[-n:]
            del s[-n:]
            s.append(tuple(items))
        elif name == "TUPLE":
            s.append(tuple(self._pop_mark()))
        elif name in ("EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET"):
            s.append({"EMPTY_LIST": list, "EMPTY_DICT": dict, "EMPTY_SET": set}[name]())
        elif name == "LIST":
            s.append(self._pop_mark())
        elif name == "DICT":
            items = self._pop_mark()
            s.append(_pairs(items))
        elif name == "FROZENSET":
            s.append(frozenset(_hashable(v) for v in self._pop_mark()))
        elif name == "APPEND":
            value = s.pop()
            _extend(s[-1], [value])
        elif name in ("APPENDS", "ADDITEMS"):
            items = self._pop_mark()
            _extend(s[-1], items)
        elif name == "SETITEM":
            value, key = s.pop(), s.pop()
            if isinstance(s[-1], dict):
                s[-1][_hashable(key)] = value
        elif name == "SETITEMS":
            items = self._pop_mark()
            if isinstance(s[-1], dict):
                s[-1].update(_pairs(items))
        elif name in ("NONE",):
            s.append(None)
        elif name in ("NEWTRUE", "NEWFALSE"):
            s.append(name == "NEWTRUE")
        elif name in ("PERSID", "EXT1", "EXT2", "EXT4", "NEXT_BUFFER"):
            s.append(_Opaque())
        elif name == "BINPERSID":
            s.pop()
            s.append(_Opaque())
        elif name == "READONLY_BUFFER":
            pass
        elif name in ("BYTEARRAY8",):
            s.append(bytes(arg))
        else:  # every constant-pushing opcode: ints, floats, strings, bytes
            s.append(arg)


def _pairs(items: list[Any]) -> dict[Any, Any]:
    return {_hashable(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return id(value)
    return value


def _extend(target: Any, items: Iterable[Any]) -> None:
    if isinstance(target, list):
        target.extend(items)
    elif isinstance(target, set):
        target.update(_hashable(v) for v in items)


def scan_pickle(data: bytes, *, source: str = "pickle") -> PickleScan:
    """Scan pickle bytes; raises ``DataError`` for bytes that are not a complete pickle."""
    machine = _Machine()
    try:
        machine.run(data)
    except (ValueError, IndexError, KeyError, TypeError) as e:
        raise DataError(f"not a readable pickle: {e}", path=source) from None
    found: list[CodeFound] = []
    for call in machine.calls:
        code = _code_args(call)
        if code is not None:
            found.append(CodeFound(n_args=code[0], candidates=_classify(*code)))
    marshal = any((g.module, g.name) in _MARSHAL for g in machine.globals)
    common: set[PythonVersion] | None = None
    for c in found:
        if c.candidates:
            common = set(c.candidates) if common is None else common & set(c.candidates)
    candidates = tuple(sorted(common or ()))
    return PickleScan(
        protocol=machine.protocol,
        globals=tuple(dict.fromkeys(str(g) for g in machine.globals)),
        code_objects=tuple(found),
        marshal=marshal,
        python=candidates[0] if len(candidates) == 1 else None,
        candidates=candidates,
    )


def scan_pickle_file(path: Path) -> PickleScan:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path=str(path)) from None
    return scan_pickle(data, source=str(path))


__all__ = ["CodeFound", "Global", "PickleScan", "PythonVersion", "scan_pickle", "scan_pickle_file"]
